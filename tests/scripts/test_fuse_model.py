"""fuse_model.py's command line: bad input (a path that is no .keras, an
existing output, an output that is one of its inputs, a clip out of range)
is one line, exit 2, and nothing is written or replaced. What the fused
model predicts is tested in tests/pipeline/test_deploy.py."""

import os

import pytest

from conftest import call_main


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--output", "{tmp}/model.h5"], "saves models only to paths ending in .keras"),
        (["--output", "{tmp}/taken.keras"], "taken.keras"),
        (["--output", "{model}"], "--output: "),
        (["--output", "{tmp}/m.keras", "--clip", "0.5"], "--clip: 0.5 is not from 0 to under"),
    ],
)
def test_fuse_model_refuses_bad_input_in_one_line(argv, message, trained, built, tmp_path, capsys):
    from dogs_vs_cats import fuse_model

    (tmp_path / "taken.keras").write_text("someone's")
    fill = {"tmp": tmp_path, "model": trained["model"]}
    argv = [a.format(**fill) for a in argv]
    argv += ["--model", str(trained["model"]), "--mean", str(built["mean"])]
    before = sorted(n for n in os.listdir(tmp_path) if not n.endswith(".lock"))
    (code, _, err) = call_main(fuse_model, argv, capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert sorted(n for n in os.listdir(tmp_path) if not n.endswith(".lock")) == before
    assert (tmp_path / "taken.keras").read_text() == "someone's"
