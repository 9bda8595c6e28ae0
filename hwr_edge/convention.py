"""A model's input convention: how a character crop must look before it is classified.

The export stage writes it into each ONNX file's metadata (key ``hwr_edge.input``)
and the runtime reads it from there, so crop normalization never hard-codes it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class InputConvention:
    size: int = 28  # crops are size x size, one channel, NHWC float32
    fit_box: int = 20  # longest side of the glyph inside the crop, in pixels
    center: str = "mass"  # "mass" (MNIST) or "box" (EMNIST): how the glyph is centred
    stroke_px: float | None = None  # target stroke width in crop pixels; None keeps the photo's
    ink: str = "light_on_dark"  # bright ink (255) on a black (0) background
    orientation: str = "upright"  # after EMNIST's transpose fix
    scale: float = 255.0  # model input = pixel / scale
    blur: float = 0.0  # Gaussian sigma in crop pixels applied last (EMNIST blurred its images)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> InputConvention:
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
