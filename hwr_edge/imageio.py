"""Safe image loading: one BGR uint8 array per photo, or a one-line ``ImageError``.

``load_image`` returns the BGR photo; ``load_photo`` returns what the recognizer needs, which
for a large JPEG is its luma and a small colour copy (less than half the memory).

PNG and JPEG headers are parsed before decoding, so that a truncated file or a
decompression bomb is refused without allocating its pixels, and JPEG EXIF
orientation is applied exactly once (OpenCV is told to ignore it).
"""

from __future__ import annotations

import os
import stat
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hwr_edge.errors import ImageError

DEFAULT_MAX_PIXELS = 60_000_000
MAX_FILE_BYTES = 512 * 1024 * 1024  # no photo is this large; a device or a runaway file may be

# OpenCV reads this once, on its first decode: it guards the formats whose headers we don't parse.
os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(DEFAULT_MAX_PIXELS))

import cv2  # noqa: E402  (the pixel limit above must be set before OpenCV loads)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
JPEG_SOI = b"\xff\xd8"
# JPEG start-of-frame markers (all except DHT C4, JPG C8 and DAC CC) carry the image size.
_SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_DECODE_FLAGS = cv2.IMREAD_UNCHANGED | cv2.IMREAD_IGNORE_ORIENTATION
_GRAY_FLAGS = cv2.IMREAD_GRAYSCALE | cv2.IMREAD_IGNORE_ORIENTATION
_THUMB_FLAGS = cv2.IMREAD_REDUCED_COLOR_8 | cv2.IMREAD_IGNORE_ORIENTATION
LARGE_JPEG_PIXELS = 4_000_000  # a JPEG with more pixels is read as luma + a small colour copy


@dataclass
class Photo:
    """A photo as the recognizer reads it: ``image`` (BGR uint8, or the luma alone for a
    large JPEG), ``colour`` (BGR, the photo itself or a smaller copy, for the colour of a
    desk around the paper) and ``size`` (width, height) of the upright photo."""

    image: np.ndarray
    colour: np.ndarray

    @property
    def size(self) -> tuple[int, int]:
        return int(self.image.shape[1]), int(self.image.shape[0])


def load_photo(
    src: str | os.PathLike | bytes | np.ndarray, max_pixels: int = DEFAULT_MAX_PIXELS
) -> Photo:
    """Like ``load_image``, as a ``Photo`` (a large JPEG is decoded as luma, see
    ``decode_photo``)."""
    if isinstance(src, np.ndarray):
        bgr = to_bgr8(src, "array")
        return Photo(bgr, bgr)
    return decode_photo(*_encoded(src), max_pixels)


def load_image(
    src: str | os.PathLike | bytes | np.ndarray, max_pixels: int = DEFAULT_MAX_PIXELS
) -> np.ndarray:
    """Load a path, encoded bytes or an array as an upright BGR uint8 H x W x 3 image.

    Arrays are taken as OpenCV-style gray, BGR or BGRA (uint8, uint16 or float in [0, 1]).
    Raises ``ImageError`` with a one-line message naming the input.
    """
    if isinstance(src, np.ndarray):
        return to_bgr8(src, "array")
    return decode_image(*_encoded(src), max_pixels)


def _encoded(src: str | os.PathLike | bytes) -> tuple[bytes, str]:
    """The encoded bytes of a path or a bytes-like object, and the name errors give it."""
    if isinstance(src, bytes | bytearray | memoryview):
        return bytes(src), "<bytes>"
    path = Path(src)
    return read_file(path), str(path)


def read_file(path: Path) -> bytes:
    """Read a whole file, turning every OS failure into a one-line ``ImageError``. Only
    regular files up to ``MAX_FILE_BYTES`` are read (not /dev/zero, a FIFO or a socket)."""
    try:
        info = path.stat()
        if not stat.S_ISDIR(info.st_mode) and not stat.S_ISREG(info.st_mode):
            raise ImageError(f"{path}: not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise ImageError(
                f"{path}: {info.st_size / 2**20:.0f} MiB is larger than any photo "
                f"({MAX_FILE_BYTES // 2**20} MiB limit)"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImageError(f"{path}: is a directory, not an image") from None
    except PermissionError:
        raise ImageError(f"{path}: permission denied") from None
    except OSError as exc:
        if path.is_dir():
            raise ImageError(f"{path}: is a directory, not an image") from None
        raise ImageError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not data:
        raise ImageError(f"{path}: empty file (0 bytes)")
    return data


def decode_image(data: bytes, name: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode encoded image bytes after checking the header for truncation and size."""
    kind, orientation, _ = _check_header(data, name, max_pixels)
    return _decode_bgr(data, name, kind, orientation)


def decode_photo(data: bytes, name: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> Photo:
    """Like ``decode_image``, as a ``Photo``. A JPEG of more than ``LARGE_JPEG_PIXELS`` is
    decoded as its luma plus a 1/8-size colour copy: OpenCV needs twice a colour image's
    size to decode one, so a 12 MP photo would cost 70 MB where this costs 25 MB."""
    kind, orientation, pixels = _check_header(data, name, max_pixels)
    if kind == "JPEG" and pixels > LARGE_JPEG_PIXELS:
        gray = apply_orientation(_decode(data, name, _GRAY_FLAGS, kind), orientation)
        colour = apply_orientation(_decode(data, name, _THUMB_FLAGS, kind), orientation)
        return Photo(gray, colour)
    bgr = _decode_bgr(data, name, kind, orientation)
    return Photo(bgr, bgr)


def _decode_bgr(data: bytes, name: str, kind: str | None, orientation: int) -> np.ndarray:
    """The upright BGR uint8 image of checked encoded bytes."""
    return apply_orientation(to_bgr8(_decode(data, name, _DECODE_FLAGS, kind), name), orientation)


def _check_header(data: bytes, name: str, max_pixels: int) -> tuple[str | None, int, int]:
    """Format ("PNG", "JPEG" or None when not parsed), EXIF orientation and pixel count of
    encoded bytes; refuses empty, truncated and oversized PNG and JPEG files."""
    if not data:
        raise ImageError(f"{name}: empty file (0 bytes)")
    if data.startswith(PNG_SIGNATURE):
        width, height = png_size(data, name)
        _check_pixels(width, height, max_pixels, name)
        return "PNG", 1, width * height
    if data.startswith(JPEG_SOI):
        width, height, orientation = jpeg_info(data, name)
        _check_pixels(width, height, max_pixels, name)
        return "JPEG", orientation, width * height
    return None, 1, 0


def _decode(data: bytes, name: str, flags: int, kind: str | None) -> np.ndarray:
    """``cv2.imdecode`` with every failure turned into a one-line ``ImageError``."""
    try:
        image = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    except cv2.error as exc:
        if "MAX_IMAGE_PIXELS" in str(exc):
            limit = os.environ.get("OPENCV_IO_MAX_IMAGE_PIXELS", "?")
            raise ImageError(
                f"{name}: more pixels than OPENCV_IO_MAX_IMAGE_PIXELS={limit} allows "
                "(possible decompression bomb)"
            ) from None
        raise ImageError(f"{name}: cannot decode ({_cv_message(exc)})") from None
    if (image is None or image.size == 0) and kind:
        raise ImageError(f"{name}: corrupt {kind} (its pixel data cannot be decoded)")
    if image is None or image.size == 0:
        raise ImageError(f"{name}: {_unreadable_format(data)}")
    return image


def _unreadable_format(data: bytes) -> str:
    """Why OpenCV could not decode a file, and what to do, when its first bytes tell: a HEIC
    or AVIF photo (phones save these; an ISO box ``ftyp`` names its brand) or a PDF."""
    brand = data[8:12] if data[4:8] == b"ftyp" else b""
    if brand in HEIF_BRANDS:
        return (
            "a HEIC photo, which OpenCV cannot decode: convert it to JPEG (an iPhone shoots "
            "JPEG with Settings > Camera > Formats > Most Compatible)"
        )
    if brand in (b"avif", b"avis"):
        return "an AVIF image, which OpenCV cannot decode: convert it to JPEG or PNG"
    if data.startswith(b"%PDF"):
        return "a PDF, not an image: export its page as PNG or JPEG"
    return "not an image, or a format OpenCV cannot decode"


def png_size(data: bytes, name: str) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk; refuses a file without its IEND chunk."""
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise ImageError(f"{name}: corrupt PNG (no IHDR header)")
    width, height = struct.unpack(">II", data[16:24])
    if data.rfind(b"IEND") < 33:
        raise ImageError(f"{name}: truncated PNG (no IEND chunk)")
    return width, height


def jpeg_info(data: bytes, name: str) -> tuple[int, int, int]:
    """Width, height and EXIF orientation of a JPEG; refuses a file cut before its EOI marker."""
    width = height = None
    orientation = 1
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ImageError(f"{name}: corrupt JPEG (bad marker at byte {pos})")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            pos += 2
            continue
        if marker in (0xD8, 0xD9):
            raise ImageError(f"{name}: corrupt JPEG (no image data)")
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        segment = data[pos + 4 : pos + 2 + length]
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            if width is None:
                raise ImageError(f"{name}: corrupt JPEG (no frame header)")
            if data.rfind(b"\xff\xd9") < pos:
                raise ImageError(f"{name}: truncated JPEG (no end-of-image marker)")
            return width, height, orientation
        if len(segment) < length - 2:
            break
        if marker in _SOF_MARKERS and len(segment) >= 5:
            height, width = struct.unpack(">HH", segment[1:5])
        elif marker == 0xE1 and segment.startswith(b"Exif\x00\x00"):
            orientation = exif_orientation(segment[6:])
        pos += 2 + length
    raise ImageError(f"{name}: truncated JPEG (ends inside its headers)")


def exif_orientation(tiff: bytes) -> int:
    """The Orientation tag (0x0112) of an EXIF TIFF block, or 1 when absent or malformed."""
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return 1
    endian = "<" if tiff[:2] == b"II" else ">"
    (ifd,) = struct.unpack(endian + "I", tiff[4:8])
    if ifd + 2 > len(tiff):
        return 1
    (count,) = struct.unpack(endian + "H", tiff[ifd : ifd + 2])
    for i in range(count):
        entry = ifd + 2 + 12 * i
        if entry + 12 > len(tiff):
            break
        tag, kind = struct.unpack(endian + "HH", tiff[entry : entry + 4])
        if tag == 0x0112 and kind == 3:  # SHORT
            (value,) = struct.unpack(endian + "H", tiff[entry + 8 : entry + 10])
            return value if 1 <= value <= 8 else 1
    return 1


def apply_orientation(image: np.ndarray, orientation: int) -> np.ndarray:
    """Turn an image stored with EXIF ``orientation`` (1-8) upright."""
    if orientation == 2:
        image = image[:, ::-1]
    elif orientation == 3:
        image = image[::-1, ::-1]
    elif orientation == 4:
        image = image[::-1]
    elif orientation == 5:
        image = image.swapaxes(0, 1)
    elif orientation == 6:
        image = np.rot90(image, -1)
    elif orientation == 7:
        image = image.swapaxes(0, 1)[::-1, ::-1]
    elif orientation == 8:
        image = np.rot90(image, 1)
    return np.ascontiguousarray(image)


def to_bgr8(image: np.ndarray, name: str) -> np.ndarray:
    """Convert gray, gray+alpha, BGR or BGRA of any depth to BGR uint8 (alpha over white)."""
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (2, 3, 4)):
        raise ImageError(f"{name}: unsupported image shape {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ImageError(f"{name}: image has no pixels")
    image = _to_unit_float(image) if image.dtype != np.uint8 else image
    if image.ndim == 3 and image.shape[2] in (2, 4):
        image = _composite_over_white(image)
    if image.dtype != np.uint8:
        image = np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return np.ascontiguousarray(image)


def _to_unit_float(image: np.ndarray) -> np.ndarray:
    """Scale a non-uint8 image to float32 in [0, 1]."""
    if image.dtype == np.uint16:
        return image.astype(np.float32) / 65535.0
    if np.issubdtype(image.dtype, np.floating):
        image = np.nan_to_num(image.astype(np.float32))
        return np.clip(image / 255.0 if image.max() > 1.0 else image, 0.0, 1.0)
    if np.issubdtype(image.dtype, np.integer) or image.dtype == np.bool_:
        info_max = 1 if image.dtype == np.bool_ else np.iinfo(image.dtype).max
        return np.clip(image.astype(np.float32) / info_max, 0.0, 1.0)
    raise ImageError(f"unsupported pixel type {image.dtype}")


def _composite_over_white(image: np.ndarray) -> np.ndarray:
    """Blend the colour channels over a white background using the last channel as alpha."""
    scale = 255.0 if image.dtype == np.uint8 else 1.0
    color = image[:, :, :-1].astype(np.float32)
    alpha = image[:, :, -1:].astype(np.float32) / scale
    blended = color * alpha + scale * (1.0 - alpha)
    if image.dtype == np.uint8:
        blended = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
    return blended[:, :, 0] if blended.shape[2] == 1 else blended


def _check_pixels(width: int, height: int, max_pixels: int, name: str) -> None:
    """Refuse an image whose header announces more than ``max_pixels`` pixels."""
    if width == 0 or height == 0:
        raise ImageError(f"{name}: image header announces {width}x{height} pixels")
    if width * height > max_pixels:
        raise ImageError(
            f"{name}: {width}x{height} pixels exceeds the limit of {max_pixels:,} "
            "(possible decompression bomb)"
        )


def _cv_message(exc: Exception) -> str:
    """The last non-empty line of an OpenCV error, which holds its message."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return lines[-1] if lines else type(exc).__name__
