"""The errors the library raises for a user's mistake. They name the file or
argument and say what is wrong; a command-line layer adds its own words
(the flag that set the argument, `--force`) without parsing the message."""


class OutputExistsError(FileExistsError):
    """An output file exists and replacing it was not asked for."""

    def __init__(self, path):
        super().__init__(f"{path} already exists")
        self.path = path


class NotRegularFileError(FileExistsError):
    """An output path holds something other than a regular file (a link, a
    device, a FIFO, a folder), which is never replaced, even when replacing
    an existing output was asked for."""

    def __init__(self, path, kind):
        super().__init__(
            f"{path} is a {kind}, not a regular file: refusing to replace it "
            "(remove it, or write elsewhere)"
        )
        self.path = path


class InputError(ValueError):
    """A path a user named or a record points to holds no file this project
    reads: a folder, a FIFO, a device, a link where none is followed, or a
    file over the size allowed for its kind."""

    def __init__(self, path, problem):
        super().__init__(f"{path} {problem}")
        self.path = path


class ArgumentError(ValueError):
    """The value given for the argument named `argument` is not usable."""

    def __init__(self, argument, message):
        super().__init__(message)
        self.argument = argument


# The modules whose absence means Keras has no backend to run on.
BACKEND_MODULES = ("keras", "tensorflow", "jax", "jaxlib", "torch")
INSTALL_HINT = (
    "install one: pip install 'pyimagesearch-dogs-vs-cats[cpu]' (TensorFlow for the "
    "CPU), '[gpu]' (TensorFlow with CUDA) or '[jax]', with KERAS_BACKEND to match"
)


def is_missing_backend(error):
    """Whether an ImportError is Keras or its backend not being installed."""
    name = getattr(error, "name", None) or ""
    return isinstance(error, ImportError) and name.split(".")[0] in BACKEND_MODULES


class MissingBackendError(ImportError):
    """Keras, or the backend it is set to use, is not installed."""

    def __init__(self, error):
        super().__init__(f"this needs Keras and a backend ({error}): {INSTALL_HINT}")


class OutputLockedError(OSError):
    """Another run holds the lock on an output."""

    def __init__(self, path):
        super().__init__(
            f"{path} is being written by another run: wait for it to finish, or write elsewhere"
        )
        self.path = path


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so that it unwinds as after
    Ctrl-C: partial files removed, locks released."""
