"""The base class of mmvitdet's errors about user input (data, checkpoints, configs).

Such an error's message already names the file or key and the fix, so the command-line tools
print it as one line (:mod:`mmvitdet.utils.cli_errors`) instead of a traceback.
"""


class UserInputError(Exception):
    """Bad input (a missing or malformed file, a wrong config value); the message says what to do.

    Concrete errors also derive from the builtin type they refine (FileNotFoundError,
    ValueError, ...), so callers catching those keep working.
    """


class ConfigError(UserInputError, ValueError):
    """A config file is missing or asks for something inconsistent."""


class ConfigNotFoundError(ConfigError, FileNotFoundError):
    """A config file does not exist."""
