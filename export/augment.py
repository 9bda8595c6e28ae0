"""Photo-like augmentation of 28x28 crops (numpy + OpenCV, seeded).

Dataset crops are clean and normalized one way (MNIST: 20 px box centred by mass; EMNIST:
about 24 px centred by box); crops cut from photos vary in framing, slant, stroke width and
sharpness. Small random affine transforms, dilation/erosion, blur and noise cover that gap.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges of the random transforms (angles in degrees, shifts in pixels)."""

    rotation: float = 12.0
    shear: float = 0.25
    scale: tuple[float, float] = (0.9, 1.15)
    shift: float = 2.5
    p_dilate: float = 0.2
    p_erode: float = 0.1
    p_blur: float = 0.2
    p_noise: float = 0.25
    noise_std: float = 10.0


def framing_scale(fit_box: float) -> tuple[float, float]:
    """Scale range that spans MNIST-style 20 px and EMNIST-style 24 px framing for glyphs of
    ``fit_box`` pixels, with 5 % slack on either side."""
    return (0.95 * 20.0 / fit_box, 1.05 * 24.0 / fit_box)


def random_affine(rng: np.random.Generator, cfg: AugmentConfig, size: int = 28) -> np.ndarray:
    """A 2x3 affine matrix: rotation, shear and scale about the centre, then a shift."""
    angle = np.deg2rad(rng.uniform(-cfg.rotation, cfg.rotation))
    shear = rng.uniform(-cfg.shear, cfg.shear)
    scale = np.exp(rng.uniform(np.log(cfg.scale[0]), np.log(cfg.scale[1])))
    cos, sin = np.cos(angle), np.sin(angle)
    linear = scale * np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, shear], [0.0, 1.0]])
    centre = np.array([(size - 1) / 2.0, (size - 1) / 2.0])
    offset = centre - linear @ centre + rng.uniform(-cfg.shift, cfg.shift, size=2)
    return np.hstack([linear, offset[:, None]])


def augment_image(img: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    """One randomly transformed copy of a uint8 crop (bright ink on black)."""
    size = img.shape[0]
    out = cv2.warpAffine(
        img,
        random_affine(rng, cfg, size),
        (size, size),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
    roll = rng.random()
    kernel = np.ones((2, 2), np.uint8)
    if roll < cfg.p_dilate:
        out = cv2.dilate(out, kernel)
    elif roll < cfg.p_dilate + cfg.p_erode:
        out = cv2.erode(out, kernel)
    if rng.random() < cfg.p_blur:
        out = cv2.GaussianBlur(out, (3, 3), rng.uniform(0.4, 1.0))
    if rng.random() < cfg.p_noise:
        noisy = out.astype(np.float32) + rng.normal(0.0, cfg.noise_std, out.shape)
        out = np.clip(noisy, 0, 255).astype(np.uint8)
    return out


def augment_batch(
    x: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig | None = None
) -> np.ndarray:
    """Augmented copies of a batch of uint8 crops (N x H x W), reproducible from ``rng``."""
    cfg = cfg or AugmentConfig()
    return np.stack([augment_image(img, rng, cfg) for img in x])
