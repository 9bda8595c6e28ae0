"""Sharper copies of a blurred photo: out of focus (every direction) or shaken (along one).

``sharpened(image, ink)`` returns the photo with its text region sharpened two ways, for the
recognizer's further readings of a photo whose strokes have soft edges
(``InkImage.soft_edge``):

1. an unsharp mask every way: the detail finer than a Gaussian of ``SIGMA`` text heights is
   added ``AMOUNT`` times (a lens out of focus);
2. the luma deconvolved along a straight shake (a Wiener filter, noise-to-signal ``NSR``).
   A shake of length L smears every point along a line, so the photo's spectrum is that of
   the sharp page times a sinc with zeros every 1/L along the shake's direction; those zeros
   give the log-spectrum a period, which its inverse transform (the cepstrum) shows as a
   sharp minimum L pixels from the origin in the shake's direction (``shake``). The spectrum
   is averaged over overlapping ``TILE``-pixel tiles (Welch), because a single periodogram's
   log is as noisy as the sensor's noise. A large photo is deconvolved at the ink map's working
   resolution, where text is about 36 pixels tall.
"""

from __future__ import annotations

import cv2
import numpy as np

AMOUNT = 1.5  # the detail finer than the blur below is added this many times ...
SIGMA = 0.06  # ... for a Gaussian of this part of the text height
TILE = 64  # the shake's spectrum is averaged over tiles of this many pixels ...
MIN_SHAKE = 4.0  # ... a shake is at least this many of those pixels long ...
MAX_SHAKE = 0.75  # ... and at most this many text heights (and within a tile)
# the Wiener filter's noise-to-signal ratio (16 EMNIST-glyph stress pages shaken 9 pixels
# across, up and diagonally, then noised as a sensor does: 0.01 read with 133 errors, 0.02
# with 124, 0.04 with 179; docs/results-accuracy.md)
NSR = 0.02


def sharpened(image: np.ndarray, ink) -> list[np.ndarray]:
    """Copies of ``image`` sharpened where ``ink`` (its ``InkImage``) found text, a text height
    around its glyphs: an unsharp mask every way, and the luma deconvolved along the shake its
    cepstrum shows (read both and keep the surer: a strong blur out of focus can look like a
    shake). The rest stays as it is: sharpened, the noise of an empty dark corner reads as
    letters."""
    height = ink.text_height * ink.scale
    x, y = (ink.boxes[:, :2] * ink.scale).min(axis=0) - height
    x1, y1 = ((ink.boxes[:, :2] + ink.boxes[:, 2:]) * ink.scale).max(axis=0) + height
    x, y = max(0, int(x)), max(0, int(y))
    x1, y1 = min(image.shape[1], int(np.ceil(x1))), min(image.shape[0], int(np.ceil(y1)))
    region = image[y:y1, x:x1]
    smooth = cv2.GaussianBlur(region, (0, 0), max(SIGMA * height, 0.5))
    unsharp = image.copy()
    unsharp[y:y1, x:x1] = cv2.addWeighted(region, 1 + AMOUNT, smooth, -AMOUNT, 0)
    copies = [unsharp]
    luma = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    steady = deshaken(luma[y:y1, x:x1], ink.scale, ink.text_height)
    if steady is not None:
        luma = luma.copy()
        luma[y:y1, x:x1] = steady
        copies.append(luma)
    return copies


def deshaken(region: np.ndarray, scale: float, text_height: float) -> np.ndarray | None:
    """``region`` (uint8 luma) deconvolved along the straight shake its cepstrum shows, at the
    working resolution (``scale`` original pixels per working pixel, ``text_height`` in working
    pixels) or at its own when that is smaller (an enlarged photo's spectrum has nothing above
    its own resolution), and brought back to its own size; None when no shake can be told."""
    shrink = max(scale, 1.0)
    h, w = region.shape
    small = region
    if shrink > 1.0:
        size = (max(1, round(w / shrink)), max(1, round(h / shrink)))
        small = cv2.resize(region, size, interpolation=cv2.INTER_AREA)
    found = shake(small, min(TILE / 2 - 4, MAX_SHAKE * text_height * scale / shrink))
    if found is None:
        return None
    steady = wiener(small, line_psf(*found), NSR)
    return cv2.resize(steady, (w, h), interpolation=cv2.INTER_CUBIC) if shrink > 1.0 else steady


def shake(gray: np.ndarray, longest: float) -> tuple[float, float] | None:
    """``(length, angle)`` in pixels and radians (x right, y down) of the straight shake that
    ``gray`` shows: the lowest point of its tile-averaged cepstrum between ``MIN_SHAKE`` and
    ``longest`` pixels from the origin. None when no tile with ink fits, or ``longest`` is
    under ``MIN_SHAKE``."""
    h, w = gray.shape
    if h < TILE or w < TILE or longest < MIN_SHAKE:
        return None
    step = TILE // 2
    tiles = np.lib.stride_tricks.sliding_window_view(gray, (TILE, TILE))[::step, ::step]
    tiles = tiles.reshape(-1, TILE, TILE).astype(np.float32)
    tiles = tiles[tiles.std(axis=(1, 2)) >= 2.0]  # paper alone says nothing of the shake
    if not len(tiles):
        return None
    window = np.outer(np.hanning(TILE), np.hanning(TILE)).astype(np.float32)
    tiles = (tiles - tiles.mean(axis=(1, 2), keepdims=True)) * window
    power = (np.abs(np.fft.rfft2(tiles)) ** 2).mean(axis=0)
    cepstrum = np.fft.fftshift(np.fft.irfft2(np.log(power + 1e-6), s=(TILE, TILE)))
    c = TILE // 2
    ys, xs = np.mgrid[-c : TILE - c, -c : TILE - c]
    reach = np.hypot(xs, ys)
    half = (ys > 0) | ((ys == 0) & (xs > 0))  # the cepstrum is symmetric about its origin
    ring = (reach >= MIN_SHAKE) & (reach <= longest) & half
    y, x = np.unravel_index(np.argmin(np.where(ring, cepstrum, np.inf)), cepstrum.shape)
    dx = _vertex(*cepstrum[y, x - 1 : x + 2])
    dy = _vertex(*cepstrum[y - 1 : y + 2, x])
    return float(np.hypot(x + dx - c, y + dy - c)), float(np.arctan2(y + dy - c, x + dx - c))


def _vertex(before: float, at: float, after: float) -> float:
    """Offset (-0.5 to 0.5) of the lowest point of the parabola through three samples one
    apart, the middle one the lowest: where between lattice points the minimum lies."""
    curve = before - 2 * at + after
    return float(np.clip(0.5 * (before - after) / curve, -0.5, 0.5)) if curve > 0 else 0.0


def line_psf(length: float, angle: float) -> np.ndarray:
    """A straight shake's point spread: a line ``length`` pixels long along ``angle``
    (radians) through the centre of an odd square kernel, its samples spread over the
    neighbouring pixels (bilinear), summing to 1."""
    size = (int(np.ceil(length)) + 3) | 1
    kernel = np.zeros((size, size), np.float32)
    centre = (size - 1) / 2
    for t in np.linspace(-(length - 1) / 2, (length - 1) / 2, max(2, int(4 * length))):
        px, py = centre + t * np.cos(angle), centre + t * np.sin(angle)
        x0, y0 = int(np.floor(px)), int(np.floor(py))
        fx, fy = px - x0, py - y0
        kernel[y0, x0] += (1 - fx) * (1 - fy)
        kernel[y0, x0 + 1] += fx * (1 - fy)
        kernel[y0 + 1, x0] += (1 - fx) * fy
        kernel[y0 + 1, x0 + 1] += fx * fy
    return kernel / kernel.sum()


def wiener(gray: np.ndarray, psf: np.ndarray, nsr: float) -> np.ndarray:
    """``gray`` (uint8) deconvolved by ``psf`` (odd, square, centred) with a Wiener filter of
    noise-to-signal ratio ``nsr``, its mean brightness kept; the borders are mirrored (to a
    size OpenCV's DFT is fast at) so that they do not ring."""
    pad = psf.shape[0]
    h, w = gray.shape
    rows, cols = cv2.getOptimalDFTSize(h + 2 * pad), cv2.getOptimalDFTSize(w + 2 * pad)
    padded = cv2.copyMakeBorder(gray, pad, rows - h - pad, pad, cols - w - pad, cv2.BORDER_REFLECT)
    padded = padded.astype(np.float32)
    mean = float(padded.mean())
    padded -= mean
    kernel = np.zeros((rows, cols), np.float32)
    kernel[: psf.shape[0], : psf.shape[1]] = psf
    kernel = np.roll(kernel, (-(psf.shape[0] // 2), -(psf.shape[1] // 2)), axis=(0, 1))
    k = cv2.dft(kernel, flags=cv2.DFT_COMPLEX_OUTPUT)
    spectrum = cv2.mulSpectrums(cv2.dft(padded, flags=cv2.DFT_COMPLEX_OUTPUT), k, 0, conjB=True)
    spectrum /= (k[..., 0] ** 2 + k[..., 1] ** 2 + nsr)[..., None]
    sharp = cv2.idft(spectrum, flags=cv2.DFT_REAL_OUTPUT | cv2.DFT_SCALE)
    return np.clip(np.rint(sharp[pad : pad + h, pad : pad + w] + mean), 0, 255).astype(np.uint8)
