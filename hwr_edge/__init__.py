"""hwr-edge: handwriting recognition for small CPUs.

Importing this package is cheap: OpenCV and onnxruntime load only when a
Recognizer or a model is first used.
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# OpenCV reads its decoder pixel cap once, at import: set it before anything imports cv2.
# imageio also checks PNG/JPEG headers itself; this covers the other formats.
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", "60000000")

_LAZY = {
    "Recognizer": "hwr_edge.recognizer",
    "load_model": "hwr_edge.classifier",
    "Classifier": "hwr_edge.classifier",
    "Page": "hwr_edge.results",
    "Line": "hwr_edge.results",
    "Word": "hwr_edge.results",
    "Char": "hwr_edge.results",
    "HwrError": "hwr_edge.errors",
}

__all__ = [
    "Char",
    "Classifier",
    "HwrError",
    "Line",
    "Page",
    "Recognizer",
    "Word",
    "__version__",
    "load_model",
]

if TYPE_CHECKING:
    from hwr_edge.classifier import Classifier, load_model
    from hwr_edge.errors import HwrError
    from hwr_edge.recognizer import Recognizer
    from hwr_edge.results import Char, Line, Page, Word


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'hwr_edge' has no attribute {name!r}")
