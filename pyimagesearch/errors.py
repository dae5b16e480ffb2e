"""The errors the library raises for a user's mistake. They name the file or
argument and say what is wrong; a command-line layer adds its own words
(the flag that set the argument, `--force`) without parsing the message."""


class OutputExistsError(FileExistsError):
    """An output file exists and replacing it was not asked for."""

    def __init__(self, path):
        super().__init__(f"{path} already exists")
        self.path = path


class ArgumentError(ValueError):
    """The value given for the argument named `argument` is not usable."""

    def __init__(self, argument, message):
        super().__init__(message)
        self.argument = argument
