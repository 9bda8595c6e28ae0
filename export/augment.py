"""Photo-like augmentation of 28x28 crops (numpy + OpenCV, seeded).

Dataset crops are clean and normalized one way (MNIST: 20 px box centred by mass; EMNIST:
about 24 px centred by box); crops cut from photos vary in framing, slant, stroke width and
sharpness, and writers vary in letter proportions and in how they bend a stroke. Small random
affine transforms (with a separate width scale), smooth elastic distortions, dilation/erosion,
blur and noise cover that gap.
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
    width: tuple[float, float] = (1.0, 1.0)  # extra horizontal scale: narrow or wide writing
    shift: float = 2.5
    p_elastic: float = 0.0  # chance of a smooth random displacement field (Simard et al. 2003)
    elastic_px: float = 1.2  # ... its largest displacement's standard deviation, in pixels
    elastic_sigma: float = 3.5  # ... its smoothness, in pixels
    p_dilate: float = 0.2
    p_erode: float = 0.1
    p_blur: float = 0.2
    p_noise: float = 0.25
    noise_std: float = 10.0


def framing_scale(fit_box: float) -> tuple[float, float]:
    """Scale range that spans MNIST-style 20 px and EMNIST-style 24 px framing for glyphs of
    ``fit_box`` pixels, with 5 % slack on either side."""
    return (0.95 * 20.0 / fit_box, 1.05 * 24.0 / fit_box)


def training_config(fit_box: float, writers: bool = False) -> AugmentConfig:
    """The training augmentation for glyphs framed in ``fit_box`` pixels; ``writers`` adds the
    width scale and the elastic distortions (``--writer-variation``)."""
    if not writers:
        return AugmentConfig(scale=framing_scale(fit_box))
    return AugmentConfig(scale=framing_scale(fit_box), width=(0.8, 1.25), p_elastic=0.5)


def random_affine(rng: np.random.Generator, cfg: AugmentConfig, size: int = 28) -> np.ndarray:
    """A 2x3 affine matrix: rotation, shear and scale about the centre, then a shift."""
    angle = np.deg2rad(rng.uniform(-cfg.rotation, cfg.rotation))
    shear = rng.uniform(-cfg.shear, cfg.shear)
    scale = np.exp(rng.uniform(np.log(cfg.scale[0]), np.log(cfg.scale[1])))
    width = np.exp(rng.uniform(np.log(cfg.width[0]), np.log(cfg.width[1])))
    cos, sin = np.cos(angle), np.sin(angle)
    shape = np.array([[width, shear], [0.0, 1.0]])
    linear = scale * np.array([[cos, -sin], [sin, cos]]) @ shape
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
    if rng.random() < cfg.p_elastic:
        out = elastic(out, rng, rng.uniform(0.0, cfg.elastic_px), cfg.elastic_sigma)
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


def elastic(img: np.ndarray, rng: np.random.Generator, px: float, sigma: float) -> np.ndarray:
    """``img`` bent by a smooth random displacement field whose components have a standard
    deviation of ``px`` pixels: strokes curve as a different hand would draw them."""
    h, w = img.shape
    field = rng.normal(0.0, 1.0, (2, h, w)).astype(np.float32)
    field = np.stack([cv2.GaussianBlur(f, (0, 0), sigma) for f in field])
    field *= px / max(float(field.std()), 1e-6)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return cv2.remap(img, xs + field[0], ys + field[1], cv2.INTER_LINEAR, borderValue=0)


def augment_batch(
    x: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig | None = None
) -> np.ndarray:
    """Augmented copies of a batch of uint8 crops (N x H x W), reproducible from ``rng``."""
    cfg = cfg or AugmentConfig()
    return np.stack([augment_image(img, rng, cfg) for img in x])
