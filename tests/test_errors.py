"""`pyimagesearch.errors`: the library's errors speak of arguments and files,
never of a script's command-line flags (the scripts translate them)."""

import os


def test_library_errors_name_no_command_line_flag():
    root = os.path.join(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pyimagesearch"
    )
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith(".py"):
                text = open(os.path.join(folder, name)).read()
                for flag in (
                    "--force",
                    "--weights",
                    "--backbone",
                    "--resume",
                    "--layer",
                    "--mean",
                    "--model",
                    "--size",
                    "--epochs",
                ):
                    assert f"{flag} " not in text and f"{flag}:" not in text, (name, flag)
