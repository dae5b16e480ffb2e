"""What every command-line script shares: argument parsing that reports a
mistake in one line, turning a user's mistake into one line on stderr and a
non-zero exit instead of a traceback, and progress bars."""

import argparse
import os
import sys

# Before TensorFlow is imported by anything: keep its start-up banners out of
# the scripts' output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import progressbar  # noqa: E402

# Exceptions that mean the input or the command line is wrong. The library
# raises them with messages that name the file or argument and the fix.
USER_ERRORS = (OSError, ValueError, TypeError)


class ArgumentParser(argparse.ArgumentParser):
    """argparse with a `--debug` flag and one-line errors."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", argparse.ArgumentDefaultsHelpFormatter)
        super().__init__(*args, **kwargs)
        self.add_argument("--debug", action="store_true",
                          help="show the full traceback when something goes wrong")

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def positive_int(text):
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def positive_float(text):
    """argparse type: a number > 0."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def run(main, parser, argv=None):
    """Parse `argv` with `parser` and call `main(args)`. A user error exits
    with status 2 and one line on stderr (the traceback with --debug); Ctrl-C
    exits with status 130."""
    args = parser.parse_args(argv)
    try:
        main(args)
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        sys.exit(130)
    except USER_ERRORS as error:
        if args.debug:
            raise
        message = " ".join(str(error).split())
        print(f"{parser.prog}: error: {message}", file=sys.stderr)
        sys.exit(2)


class CurrentStderr:
    """Whatever `sys.stderr` is when written to. progressbar2 swaps a given
    `sys.stderr` for the one it saw at import time, which breaks when the
    stream is redirected later (as pytest does)."""

    def write(self, text):
        return sys.stderr.write(text)

    def flush(self):
        sys.stderr.flush()

    def isatty(self):
        return sys.stderr.isatty()


def progress(total, label):
    """A progressbar2 bar over `total` steps, labelled, on stderr."""
    widgets = [f"{label}: ", progressbar.Percentage(), " ", progressbar.Bar(), " ",
               progressbar.ETA()]
    return progressbar.ProgressBar(max_value=total, widgets=widgets, fd=CurrentStderr())
