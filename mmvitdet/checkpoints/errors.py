"""The one error type of checkpoint loading."""


class CheckpointError(ValueError):
    """A checkpoint cannot be loaded into the ViT as asked.

    Messages name the file, the offending key or shape, and the fix.
    """
