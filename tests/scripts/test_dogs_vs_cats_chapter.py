"""dogs_vs_cats/chapter.py's command line (the dogs-vs-cats-chapter
command): every setting has one flag defaulting to the setting's default,
and bad input is one line. Named after its dotted module, dogs_vs_cats.chapter,
since test basenames are unique and test_chapter.py is the library's
pipeline/chapter.py's."""

import dataclasses
import json
import os

from conftest import call_main
from dogs_vs_cats import chapter
from dogs_vs_cats.config import dogs_vs_cats_config as config
from helpers import chapter_args
from pyimagesearch.pipeline.chapterstages import ChapterSettings

# chapter.py's flags as the book's readers know them (and the README lists)
CHAPTER_FLAGS = {
    "--train", "--test", "--output-dir", "--from", "--size", "--val-size", "--test-size",
    "--epochs", "--input-size", "--batch-size", "--lr", "--cache", "--distribute",
    "--mixed-precision", "--crop-path", "--backbone", "--weights", "--layer", "--feature-size",
    "--flip", "--submit-with", "--fine-tune", "--fine-tune-on", "--seed", "--max-pixels",
    "--workers",
}  # fmt: skip


def test_every_setting_has_one_flag_that_defaults_to_the_settings_default(tmp_path):
    parser = chapter.make_parser()
    options = [action for action in parser._actions if action.option_strings]
    assert {a.option_strings[-1] for a in options} == CHAPTER_FLAGS | {"--help", "--debug"}
    fields = dataclasses.fields(ChapterSettings)
    for field in fields:
        (action,) = [a for a in options if a.dest == field.name]
        assert action.help, field.name  # --help says what each one is
    assert {a.dest for a in options} == {f.name for f in fields} | {"help", "debug", "from_stage"}
    args = parser.parse_args(["--train", str(tmp_path)])
    parsed = ChapterSettings(**{field.name: getattr(args, field.name) for field in fields})
    declared = ChapterSettings(train=str(tmp_path), outputDir=args.outputDir)
    assert parsed == declared
    assert args.outputDir == os.path.join(config.OUTPUT_PATH, "chapter")
    assert (args.learningRate, args.workers, args.backbone) == (None, os.cpu_count(), "resnet50")


def test_bad_input_is_one_line(sample, tmp_path, capsys):
    for argv, words in (
        (["--train", tmp_path / "none.zip"], ["--train", "none.zip", "does not exist"]),
        (["--train", sample["train"], "--from", "nowhere"], ["--from", "nowhere"]),
        # a wrong --test is found before the first stage, not after the training
        (["--train", sample["train"], "--test", sample["train"]], ["--test", "no photos named N"]),
        # and an input larger than the photos, before the build, not at the training
        (
            ["--train", sample["train"], "--size", 40, "--input-size", 64],
            ["--input-size", "64 is larger than the stored photos (40, --size)"],
        ),
    ):
        (code, out, err) = call_main(chapter, [*argv, "--output-dir", tmp_path / "o"], capsys)
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and all(w in lines[0] for w in words), err
        assert not (tmp_path / "o" / "hdf5").exists()
    (tmp_path / "o").mkdir(exist_ok=True)
    for record in ([1, 2], {"build": []}, {"build": {"signature": {}, "seconds": "soon"}},
                   {"train": {"signature": {}, "images": "<img src=x onerror=alert(1)>"}},
                   {"nothing": {"signature": {}}}):  # fmt: skip
        (tmp_path / "o/stages.json").write_text(json.dumps(record))
        (code, _, err) = call_main(chapter, chapter_args(sample, tmp_path / "o"), capsys)
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1, err
        assert "stages.json is not a chapter's stage record" in err and "start anew" in err
    assert not (tmp_path / "o/report.html").exists()
    # a link planted at the record is not opened (as root: /etc/shadow)
    secret = tmp_path / "secret"
    secret.write_text('{"build": {"signature": {}}}')
    os.remove(tmp_path / "o/stages.json")
    os.symlink(secret, tmp_path / "o/stages.json")
    (code, _, err) = call_main(chapter, chapter_args(sample, tmp_path / "o"), capsys)
    assert code == 2 and "stages.json is a symbolic link: refusing to read it" in err, err
