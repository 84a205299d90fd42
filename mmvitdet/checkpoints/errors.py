"""The one error type of checkpoint loading."""
from ..errors import UserInputError


class CheckpointError(UserInputError, ValueError):
    """A checkpoint cannot be loaded into the ViT as asked.

    Messages name the file, the offending key or shape, and the fix.
    """
