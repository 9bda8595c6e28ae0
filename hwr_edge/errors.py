"""Exceptions that the CLI turns into one-line ``error: ...`` messages."""


class HwrError(Exception):
    """Base class for every error hwr-edge reports to a user."""


class ImageError(HwrError):
    """An input image is missing, unreadable, corrupt or too large."""


class ModelError(HwrError):
    """A model is missing, corrupt, or does not match its manifest or metadata."""


class PageError(HwrError):
    """A photo's marks of ink are texture or noise, not a page of handwriting: far more of
    them than a page holds, or many lined up in no direction (``texture.py``); reading them
    all would take seconds to minutes, and gigabytes, for nothing. ``light_strokes``: the
    photo's (``preprocess.light_strokes``), which tells a dark board's grain (a board to
    read inverted) from texture."""

    def __init__(self, message: str, light_strokes: float = 0.0):
        super().__init__(message)
        self.light_strokes = light_strokes


class SourceError(HwrError):
    """A video source cannot be opened or stopped delivering frames."""
