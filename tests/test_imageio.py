"""Image loading: formats read correctly, every bad input refused with a one-line ImageError."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib

import cv2
import numpy as np
import pytest

from hwr_edge import imageio
from hwr_edge.errors import ImageError
from hwr_edge.imageio import load_image


def scene(height: int = 40, width: int = 60) -> np.ndarray:
    """A BGR test image with a distinct colour block in its top-left corner."""
    image = np.full((height, width, 3), 200, np.uint8)
    image[:10, :15] = (0, 0, 255)
    image[30:, 40:] = (255, 0, 0)
    return image


def encode(image: np.ndarray, ext: str = ".png", params=()) -> bytes:
    ok, data = cv2.imencode(ext, image, list(params))
    assert ok
    return data.tobytes()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def palette_png(index: np.ndarray, palette: list[tuple[int, int, int]]) -> bytes:
    """An indexed-colour PNG (colour type 3) of ``index`` into RGB ``palette``."""
    height, width = index.shape
    raw = b"".join(b"\x00" + row.tobytes() for row in index.astype(np.uint8))
    return (
        imageio.PNG_SIGNATURE
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0))
        + png_chunk(b"PLTE", bytes(v for rgb in palette for v in rgb))
        + png_chunk(b"IDAT", zlib.compress(raw))
        + png_chunk(b"IEND", b"")
    )


def exif_segment(orientation: int, big_endian: bool = False) -> bytes:
    """A JPEG APP1 segment holding an EXIF block with only an Orientation tag."""
    e = ">" if big_endian else "<"
    tiff = (b"MM\x00*" if big_endian else b"II*\x00") + struct.pack(e + "I", 8)
    tiff += struct.pack(e + "H", 1) + struct.pack(e + "HHIHH", 0x0112, 3, 1, orientation, 0)
    tiff += struct.pack(e + "I", 0)
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def with_exif(jpeg: bytes, orientation: int, big_endian: bool = False) -> bytes:
    return jpeg[:2] + exif_segment(orientation, big_endian) + jpeg[2:]


def red_corner(image: np.ndarray) -> tuple[int, int]:
    """Which quadrant (row half, column half) holds the red block."""
    ys, xs = np.nonzero((image[:, :, 2] > 180) & (image[:, :, 0] < 80) & (image[:, :, 1] < 80))
    return int(ys.mean() > image.shape[0] / 2), int(xs.mean() > image.shape[1] / 2)


def test_png_path_bytes_and_array(tmp_path):
    image = scene()
    path = tmp_path / "a.png"
    path.write_bytes(encode(image))
    for src in (path, str(path), path.read_bytes(), image):
        out = load_image(src)
        assert out.dtype == np.uint8 and out.shape == (40, 60, 3)
        np.testing.assert_array_equal(out, image)


def test_gray_image_becomes_bgr(tmp_path):
    gray = np.tile(np.arange(60, dtype=np.uint8) * 4, (40, 1))
    out = load_image(encode(gray))
    assert out.shape == (40, 60, 3)
    for c in range(3):
        np.testing.assert_array_equal(out[:, :, c], gray)


def test_16bit_png_is_scaled_to_8bit():
    image16 = (scene().astype(np.uint16) * 257)[:, :, :]
    image16[0, 0] = (65535, 0, 32896)
    data = encode(image16)
    assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED).dtype == np.uint16
    out = load_image(data)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out[1:], scene()[1:])
    assert tuple(out[0, 0]) == (255, 0, 128)


def test_rgba_is_composited_over_white():
    bgra = np.zeros((20, 30, 4), np.uint8)
    bgra[:, :, :3] = (0, 0, 0)
    bgra[:, :10, 3] = 255  # opaque black
    bgra[:, 10:20, 3] = 0  # transparent: white
    bgra[:, 20:, 3] = 128  # half: mid grey
    out = load_image(encode(bgra))
    assert out.shape == (20, 30, 3)
    assert np.all(out[:, :10] == 0)
    assert np.all(out[:, 10:20] == 255)
    assert np.all(np.abs(out[:, 20:].astype(int) - 127) <= 1)


def test_palette_png_reads_as_its_colours():
    palette = [(250, 250, 250), (20, 30, 200), (0, 128, 0)]  # RGB
    index = np.zeros((12, 16), np.uint8)
    index[:6, :8] = 1
    index[6:, 8:] = 2
    out = load_image(palette_png(index, palette))
    assert out.shape == (12, 16, 3)
    assert tuple(out[0, 0]) == (200, 30, 20)  # BGR of palette entry 1
    assert tuple(out[11, 15]) == (0, 128, 0)
    assert tuple(out[0, 15]) == (250, 250, 250)


@pytest.mark.parametrize(
    ("orientation", "shape", "corner"),
    [
        (1, (40, 60), (0, 0)),
        (2, (40, 60), (0, 1)),
        (3, (40, 60), (1, 1)),
        (4, (40, 60), (1, 0)),
        (5, (60, 40), (0, 0)),
        (6, (60, 40), (0, 1)),
        (7, (60, 40), (1, 1)),
        (8, (60, 40), (1, 0)),
    ],
)
def test_exif_orientation_is_applied_once(orientation, shape, corner):
    jpeg = with_exif(encode(scene(), ".jpg", [cv2.IMWRITE_JPEG_QUALITY, 95]), orientation)
    out = load_image(jpeg)
    assert out.shape[:2] == shape
    assert red_corner(out) == corner
    # OpenCV's own EXIF handling (IMREAD_COLOR) agrees pixel for pixel.
    reference = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    np.testing.assert_array_equal(out, reference)


def test_exif_big_endian_and_file_path(tmp_path):
    path = tmp_path / "phone.jpg"
    path.write_bytes(with_exif(encode(scene(), ".jpg"), 6, big_endian=True))
    out = load_image(path)
    assert out.shape[:2] == (60, 40) and red_corner(out) == (0, 1)


@pytest.mark.parametrize("orientation", [1, 3, 6, 7, 8])
def test_a_large_jpeg_is_read_as_luma_and_a_small_colour_copy(orientation):
    big = cv2.resize(scene(), (2400, 1800), interpolation=cv2.INTER_NEAREST)  # 4.3 MP
    jpeg = with_exif(encode(big, ".jpg", [cv2.IMWRITE_JPEG_QUALITY, 95]), orientation)
    upright = load_image(jpeg)
    photo = imageio.load_photo(jpeg)
    assert photo.image.ndim == 2 and photo.size == (upright.shape[1], upright.shape[0])
    luma = cv2.cvtColor(upright, cv2.COLOR_BGR2GRAY).astype(int)
    assert np.abs(photo.image.astype(int) - luma).max() <= 2  # the decoder's own rounding
    assert photo.colour.shape[:2] == (upright.shape[0] // 8, upright.shape[1] // 8)
    assert red_corner(photo.colour) == red_corner(upright)


def test_a_small_jpeg_or_any_png_stays_in_colour():
    for data in (encode(scene(), ".jpg"), encode(scene(), ".png")):
        photo = imageio.load_photo(data)
        assert photo.image.shape == (40, 60, 3) and photo.colour is photo.image


def test_a_large_truncated_jpeg_is_one_line_error():
    noisy = np.random.default_rng(1).integers(0, 256, (1800, 2400, 3), dtype=np.uint8)
    data = encode(noisy, ".jpg")
    with pytest.raises(ImageError, match="truncated JPEG"):
        imageio.load_photo(data[: len(data) // 2])


def assert_one_line_error(src, pattern: str, **kwargs) -> None:
    with pytest.raises(ImageError, match=pattern) as info:
        load_image(src, **kwargs)
    assert "\n" not in str(info.value)


def test_missing_path(tmp_path):
    assert_one_line_error(tmp_path / "nope.jpg", "nope.jpg: no such file")


def test_directory(tmp_path):
    assert_one_line_error(tmp_path, "is a directory")


def test_device_or_fifo_is_not_read(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)  # reading it would block forever
    assert_one_line_error(fifo, "pipe.png: not a regular file")
    if os.path.exists("/dev/zero"):  # reading it would never end
        assert_one_line_error("/dev/zero", "not a regular file")


def test_file_larger_than_any_photo(tmp_path, monkeypatch):
    path = tmp_path / "huge.jpg"
    path.write_bytes(encode(scene(), ".jpg"))
    monkeypatch.setattr(imageio, "MAX_FILE_BYTES", 100)
    assert_one_line_error(path, "huge.jpg: .* larger than any photo")


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.png"
    path.touch()
    assert_one_line_error(path, "empty.png: empty file")


def test_text_named_png(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("just some text, not an image\n")
    assert_one_line_error(path, "notes.png: not an image")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.png"
    path.write_bytes(encode(scene()))
    path.chmod(0)
    assert_one_line_error(path, "secret.png: permission denied")


def test_permission_error_is_reported(tmp_path, monkeypatch):
    path = tmp_path / "secret.png"
    path.write_bytes(encode(scene()))

    def deny(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(imageio.Path, "read_bytes", deny)
    assert_one_line_error(path, "secret.png: permission denied")


def test_truncated_png(tmp_path):
    noisy = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = encode(noisy)
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    assert_one_line_error(path, "cut.png: truncated PNG")


@pytest.mark.parametrize("keep", [0.5, 0.97])
def test_truncated_jpeg(tmp_path, keep):
    noisy = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = with_exif(encode(noisy, ".jpg"), 6)
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: int(len(data) * keep)])
    assert_one_line_error(path, "cut.jpg: truncated JPEG")


def test_jpeg_cut_inside_its_headers():
    data = with_exif(encode(scene(), ".jpg"), 3)
    assert_one_line_error(data[:30], "truncated JPEG")


def huge_png(width: int, height: int) -> bytes:
    """A valid small PNG whose header announces width x height pixels (a bomb's header)."""
    row = b"\x00" + bytes(width)
    return (
        imageio.PNG_SIGNATURE
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + png_chunk(b"IDAT", zlib.compress(row * 4))
        + png_chunk(b"IEND", b"")
    )


def test_png_decompression_bomb_is_refused_before_decoding(tmp_path, monkeypatch):
    path = tmp_path / "bomb.png"
    path.write_bytes(huge_png(30000, 30000))
    monkeypatch.setattr(imageio.cv2, "imdecode", lambda *a: pytest.fail("decoded a bomb"))
    assert_one_line_error(path, "bomb.png: 30000x30000 pixels exceeds the limit")


def test_jpeg_pixel_limit_is_read_from_its_frame_header():
    data = encode(scene(), ".jpg")
    load_image(data, max_pixels=2400)
    assert_one_line_error(data, "60x40 pixels exceeds the limit of 2,399", max_pixels=2399)


def bmp_header(width: int, height: int) -> bytes:
    """A 24-bit BMP file header (plus a few pixels) announcing width x height."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 54 + 64, 0, 0, 54) + info + bytes(64)


def test_other_formats_are_bounded_by_opencvs_pixel_limit(tmp_path):
    """Formats without our own header check (here BMP) hit OPENCV_IO_MAX_IMAGE_PIXELS, which
    imageio sets before OpenCV loads (checked in a fresh interpreter)."""
    path = tmp_path / "bomb.bmp"
    path.write_bytes(bmp_header(10000, 8000))
    code = (
        "from hwr_edge.imageio import load_image\n"
        "from hwr_edge.errors import ImageError\n"
        f"try:\n    load_image({str(path)!r})\nexcept ImageError as exc:\n    print(exc)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENCV_IO_MAX_IMAGE_PIXELS"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    limit = imageio.DEFAULT_MAX_PIXELS
    assert result.stdout.strip() == (
        f"{path}: more pixels than OPENCV_IO_MAX_IMAGE_PIXELS={limit} allows "
        "(possible decompression bomb)"
    )


def test_arrays_of_other_types():
    gray_float = np.linspace(0, 1, 20 * 30, dtype=np.float32).reshape(20, 30)
    out = load_image(gray_float)
    assert out.shape == (20, 30, 3) and out[0, 0, 0] == 0 and out[-1, -1, 0] == 255
    with pytest.raises(ImageError, match="unsupported image shape"):
        load_image(np.zeros((4, 4, 5), np.uint8))
    with pytest.raises(ImageError, match="no pixels"):
        load_image(np.zeros((0, 4, 3), np.uint8))
