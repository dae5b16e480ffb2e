"""The whole chapter in one command, from Kaggle's train.zip (and test1.zip)
to a submission and report.html: build -> train AlexNet -> rank-1 with and
without 10 crops -> CNN features -> logistic regression -> fine-tuning ->
submission. A rerun skips every stage whose inputs and options are
unchanged, and resumes an interrupted training; --from STAGE reruns from
that stage on."""

import dataclasses
import os
import sys

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dogs_vs_cats.cli import (  # noqa: E402
    ArgumentParser,
    add_settings,
    import_backend_quietly,
    progress,
    run,
)
from dogs_vs_cats.config import dogs_vs_cats_config as config  # noqa: E402
from pyimagesearch.pipeline.chapterstages import STAGES, ChapterSettings  # noqa: E402


def make_parser():
    """A flag for every field of `ChapterSettings`, as it declares it, and
    --from."""
    parser = ArgumentParser(description=__doc__)
    add_settings(
        parser, ChapterSettings, defaults={"outputDir": os.path.join(config.OUTPUT_PATH, "chapter")}
    )
    parser.add_argument("--from", dest="from_stage", choices=STAGES, help="rerun from this stage")
    return parser


def chapter(args, command=None):
    from pyimagesearch.pipeline.chapter import run_chapter

    settings = ChapterSettings(
        **{field.name: getattr(args, field.name) for field in dataclasses.fields(ChapterSettings)}
    )
    run_chapter(
        settings,
        fromStage=args.from_stage,
        progress=lambda stage: lambda total: progress(total, stage.capitalize()),
        # only when a stage runs: a rerun with nothing to do needs no backend
        beforeStage=None if args.debug else lambda stage: import_backend_quietly(),
        command=command,
    )


def main(argv=None):
    # for the report: the command as typed, or the one a caller's argv stands for
    command = sys.argv if argv is None else ["dogs-vs-cats-chapter", *map(str, argv)]
    run(lambda args: chapter(args, command), make_parser(), argv)


if __name__ == "__main__":
    main()
