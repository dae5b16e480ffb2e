"""What every command-line script shares: argument parsing, one line on
stderr and exit status 2 for a user's mistake instead of a traceback, quiet
TensorFlow start-up, and progress bars that suit a terminal or a log file."""

import argparse
import dataclasses
import logging
import math
import os
import signal
import sys
import threading

from pyimagesearch.errors import (
    ArgumentError,
    MissingBackendError,
    OutputExistsError,
    Terminated,
    is_missing_backend,
)
from pyimagesearch.io.ziparchives import ARCHIVE
from pyimagesearch.utils.checks import count_problem
from pyimagesearch.utils.files import MAX_JSON_BYTES, MAX_MODEL_BYTES, check_input, displayable

# Exceptions that mean the input or the command line is wrong. The library
# raises them with messages that name the file or argument and the fix;
# anything else (a TypeError, say) is a bug and keeps its traceback.
USER_ERRORS = (OSError, ValueError)


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Each option's help ends with its default, unless it says what the
    default is in words ("(default: the network's own size)")."""

    def _get_help_string(self, action):
        if "(default: " in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


class ArgumentParser(argparse.ArgumentParser):
    """argparse with `--debug` and one-line errors."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        self.add_argument(
            "--debug",
            action="store_true",
            help="show TensorFlow's start-up messages, and the full traceback "
            "when something goes wrong",
        )

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")

    def flag(self, argument):
        """The option string that sets the library argument `argument`
        (`inputSize` -> `--input-size`, `meanPath` -> `--mean`), or None."""
        snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in argument)
        names = (argument, snake, argument.removesuffix("Path"))
        for action in self._actions:
            if action.dest in names and action.option_strings:
                # the long form; --flip rather than --no-flip
                longs = [each for each in action.option_strings if each.startswith("--")]
                return (longs or action.option_strings)[0]
        return None


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
    """argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text!r}")
    return value


def random_seed(text):
    """argparse type: a random seed, an integer from 0 to 2**32 - 1."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"expected an integer from 0 to 2**32 - 1, got {text!r}")
    return value


class InputPath:
    """argparse type of a flag naming a file the script reads: the path is
    put through the opening rule (`open_input`) as it is parsed, so that a
    FIFO, a device such as /dev/zero, a folder where a file is expected, a
    link to nothing or a file over `maxBytes` is refused in one line naming
    the flag, before any work. A path that does not exist is left to the
    library, whose message says how to make it.

    Args:
        what: the file expected, for messages.
        maxBytes: the most bytes allowed (None: any, for a file read in
            parts).
        folders: a folder is also accepted (photos).
        isName: whether a value is a name rather than a path ("imagenet").
    """

    def __init__(self, what, maxBytes=None, folders=False, isName=lambda text: False):
        (self.what, self.maxBytes, self.folders, self.isName) = (what, maxBytes, folders, isName)

    def __call__(self, text):
        if self.isName(text) or not os.path.lexists(text):
            return text
        if self.folders and os.path.isdir(text):
            return text
        try:
            check_input(text, self.what, self.maxBytes)
        except (OSError, ValueError) as error:
            raise argparse.ArgumentTypeError(" ".join(str(error).split())) from None
        return text


MODEL_FILE = "a Keras 3 .keras model file"
# The kinds of file the scripts read (see docs/troubleshooting.md).
PHOTOS = InputPath(ARCHIVE, folders=True)
HDF5_FILE = InputPath("an HDF5 file of this project")
MODEL = InputPath(MODEL_FILE, MAX_MODEL_BYTES)
BACKBONE = InputPath(MODEL_FILE, MAX_MODEL_BYTES, isName=lambda text: not text.endswith(".keras"))
WEIGHTS = InputPath(
    "a weights file without the top (or imagenet, or none)",
    MAX_MODEL_BYTES,
    isName=lambda text: text in ("imagenet", "none"),
)


def json_record(what):
    """The argparse type of a flag naming a JSON file: `what` it is."""
    return InputPath(what, MAX_JSON_BYTES)


MEAN_JSON = json_record("the mean JSON written by build_dogs_vs_cats.py")


# The argparse type of each kind of value a setting names (`setting`'s
# `kind`), and of the others by their Python type (text stays text).
def counted(unit):
    """argparse type: a whole number of `unit` within its bound
    (`pyimagesearch.utils.checks.MOST`)."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
        problem = count_problem(value, unit)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return value

    return parse


KINDS = {"photos": PHOTOS, "backbone": BACKBONE, "weights": WEIGHTS, "seed": random_seed,
         "threads": counted("threads"), "pixels": counted("pixels")}  # fmt: skip
TYPES = {int: positive_int, float: positive_float}
# The book's flags that are not --kebab-case of their setting's name.
FLAGS = {"learningRate": "--lr"}


def add_settings(parser, settings, names=None, defaults=None, unset=None):
    """A flag for each field of the dataclass `settings` declared with
    `pyimagesearch.pipeline.chapterstages.setting` (those in `names`, or
    every one), in the order declared: `--kebab-case` of the field's name
    unless `FLAGS` names another, its declared help, choices and default
    (or `defaults`'), required without one; a default of None is helped by
    what leaving the flag out means (`unset`'s words, or the declaration's).
    A switch is off unless given; one whose default is None (decided
    elsewhere) is given as --flag or --no-flag. The parsed value's `dest`
    is the field's name. `parser` may be an argument group."""
    from pyimagesearch.pipeline.chapterstages import value_types

    (defaults, unset) = (defaults or {}, unset or {})
    kinds = value_types(settings)
    for field in dataclasses.fields(settings):
        if names is not None and field.name not in names:
            continue
        flag = FLAGS.get(field.name) or "--" + "".join(
            f"-{c.lower()}" if c.isupper() else c for c in field.name
        )
        default = defaults.get(field.name, field.default)
        declared = field.metadata
        options = dict(dest=field.name, help=declared["about"])
        if default is dataclasses.MISSING:
            options.update(required=True)
        else:
            options.update(default=default)
        meaning = unset.get(field.name, declared["unset"])
        if default is None and meaning:
            options.update(help=f"{declared['about']} (default: {meaning})")
        kind = kinds[field.name]
        if kind is bool:
            switch = argparse.BooleanOptionalAction if default is None else "store_true"
            options.update(action=switch)
        else:
            options.update(metavar=flag[2:].upper().replace("-", "_"))
            if declared["choices"]:
                options.update(choices=declared["choices"], metavar=None)
            else:
                options.update(type=KINDS.get(declared["kind"], TYPES.get(kind)))
        parser.add_argument(flag, **options)


def add_chapter_options(parser, names, **options):
    """The flags of the `ChapterSettings` fields `names`, as `add_settings`
    makes them with `options`."""
    from pyimagesearch.pipeline.chapterstages import ChapterSettings

    add_settings(parser, ChapterSettings, names=names, **options)


# How the features of a classifier were made, as its file records them:
# the flags of predict.py and fuse_model.py may repeat it, not contradict it.
RECORDED = "as the classifier's file records"


def add_classifier_options(parser, classifierHelp):
    """--classifier (a logistic regression's JSON, helped as `classifierHelp`)
    and, in a group of their own, how its features are made: --backbone,
    --weights, --layer, --feature-size, --flip; predict.py's and
    fuse_model.py's."""
    group = parser.add_argument_group(
        "with --classifier",
        "how the classifier's features are made: --feature-size and --flip default to what "
        "its file records; --backbone must name the network it records",
    )
    group.add_argument(
        "--classifier",
        type=json_record("a classifier JSON written by train_model.py"),
        default=None,
        help=classifierHelp,
    )
    # the flip as recorded unless given, so it can be given either way
    add_chapter_options(
        group, ("backbone", "weights", "layer", "featureSize", "flip"),
        defaults={"flip": None},
        unset={"featureSize": RECORDED, "flip": RECORDED},
    )  # fmt: skip


def add_alexnet_options(parser, names):
    """In a group of their own, the flags of the `ChapterSettings` fields
    `names` that apply without --classifier, to the AlexNet's 10 crops;
    predict.py's and fuse_model.py's."""
    group = parser.add_argument_group("without --classifier", "the AlexNet's 10 crops")
    add_chapter_options(group, names)


def add_decoding_options(parser):
    """--max-pixels and --workers, for the scripts that decode photos."""
    add_chapter_options(parser, ("maxPixels", "workers"))


def explain(error, parser):
    """The one line a user sees for a library error: the flag that set the
    argument in question, and what to do about an existing output."""
    message = " ".join(str(error).split())
    if isinstance(error, OutputExistsError):
        return message + (": pass --force to replace it" if parser.flag("force") else "")
    if isinstance(error, ArgumentError) and parser.flag(error.argument):
        return f"{parser.flag(error.argument)}: {message}"
    return message


def terminate(signum, frame):
    raise Terminated()


def import_backend_quietly():
    """Import Keras and its backend with stderr sent to /dev/null: TensorFlow
    writes C++ start-up lines there while it loads, whatever
    TF_CPP_MIN_LOG_LEVEL says. TensorFlow's Python warnings (a function
    traced again for another model of the same run) are left out too."""
    if "keras" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import keras  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def run(main, parser, argv=None, backend=False):
    """Parse `argv` with `parser` and call `main(args)`. A user error exits
    with status 2 and one line on stderr (the traceback with --debug);
    Ctrl-C exits with status 130 and SIGTERM with 143, after cleaning up.
    `backend`: `main` computes with Keras, whose start-up lines are hidden
    unless --debug."""
    args = parser.parse_args(argv)
    # A program's last words are ours; a caller passing argv keeps its stderr.
    quiet = argv is None and not args.debug
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, terminate)
        # Even when started with SIGINT ignored (a background job of a
        # script): a signal sent to this process by name is meant to stop it.
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if not args.debug:
        # Before TensorFlow is imported (the scripts import it lazily).
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        if backend and not args.debug:
            import_backend_quietly()
        main(args)
    except KeyboardInterrupt as interrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        exit_quietly(143 if isinstance(interrupt, Terminated) else 130, quiet)
    except (*USER_ERRORS, ImportError) as error:
        if isinstance(error, ImportError) and is_missing_backend(error):
            error = MissingBackendError(error)
        elif isinstance(error, ImportError) or args.debug:
            raise
        print(f"{parser.prog}: error: {explain(error, parser)}", file=sys.stderr)
        exit_quietly(2, quiet)


def exit_quietly(status, quiet):
    """Exit with `status` after the line already printed; `quiet`: what the
    native libraries log while shutting down (JAX's coordination service,
    for one) goes to /dev/null."""
    if quiet:
        sys.stderr.flush()
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
    sys.exit(status)


def print_skipped(skipped, action="skipped", listedIn=None, shown=20, what="file(s)"):
    """Report skipped files (or other `what`): a count, then `shown` of
    them with reasons."""
    if not skipped:
        return
    where = f", listed in {listedIn}" if listedIn else ""
    print(f"[WARNING] {action} {len(skipped)} {what}{where}:")
    for item in skipped[:shown]:
        print(f"    {displayable(item['file'])}: {item['reason']}")
    if len(skipped) > shown:
        print(f"    ... and {len(skipped) - shown} more")


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


class LineProgress:
    """A progress report for logs: one line each time another tenth of
    `total` is done, instead of a redrawn bar."""

    def __init__(self, total, label):
        self.total = max(int(total), 1)
        self.label = label
        self.printed = 0

    def update(self, done):
        tenths = min(10, 10 * done // self.total)
        if tenths > self.printed:
            self.printed = tenths
            print(
                f"{self.label}: {10 * tenths}% ({done}/{self.total})", file=sys.stderr, flush=True
            )

    def finish(self):
        self.update(self.total)


def progress(total, label):
    """A progressbar2 bar over `total` steps on a terminal, else a
    `LineProgress`; labelled, on stderr."""
    if not sys.stderr.isatty():
        return LineProgress(total, label)
    import progressbar

    widgets = [
        f"{label}: ",
        progressbar.Percentage(),
        " ",
        progressbar.Bar(),
        " ",
        progressbar.ETA(),
    ]
    return progressbar.ProgressBar(max_value=total, widgets=widgets, fd=CurrentStderr())
