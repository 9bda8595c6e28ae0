"""Exceptions that the CLI turns into one-line ``error: ...`` messages."""


class HwrError(Exception):
    """Base class for every error hwr-edge reports to a user."""


class ImageError(HwrError):
    """An input image is missing, unreadable, corrupt or too large."""


class ModelError(HwrError):
    """A model is missing, corrupt, or does not match its manifest or metadata."""


class PageError(HwrError):
    """A photo holds far more separate marks of ink than any page of handwriting (texture,
    noise): reading them all would take minutes and gigabytes for nothing."""


class SourceError(HwrError):
    """A video source cannot be opened or stopped delivering frames."""
