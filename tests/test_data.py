"""Loaders: IDX/CSV/folder round trips, EMNIST orientation, mappings, dedup, clear errors."""

import gzip
import struct
from pathlib import Path

import cv2
import numpy as np
import pytest

from export.data import (
    DIGITS,
    DataError,
    dedup_against,
    digits_subset,
    fold_char,
    load,
    load_folder,
    read_csv,
    read_idx,
    read_idx_pair,
    read_mapping,
    remap,
    to_ink,
)
from hwr_edge.convention import InputConvention

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is absent")


def idx_bytes(array: np.ndarray, magic_type: int = 0x08) -> bytes:
    header = bytes([0, 0, magic_type, array.ndim])
    header += b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def glyph_f() -> np.ndarray:
    """An upright 'F': vertical bar on the left, bars at the top and the middle."""
    img = np.zeros((28, 28), np.uint8)
    img[4:24, 8:11] = 255
    img[4:7, 8:20] = 255
    img[12:15, 8:17] = 255
    return img


@pytest.fixture
def images():
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8), np.array([0, 3, 9, 1, 3])


@pytest.mark.parametrize("suffix", [".gz", ""])
def test_idx_round_trip(tmp_path, images, suffix):
    x, y = images
    xi = write(tmp_path / f"img{suffix}", idx_bytes(x))
    yi = write(tmp_path / f"lab{suffix}", idx_bytes(y))
    got_x, got_y = read_idx_pair(xi, yi)
    assert np.array_equal(got_x, x)
    assert np.array_equal(got_y, y)


def test_emnist_transpose_makes_glyph_upright(tmp_path):
    stored = glyph_f().T[None]  # EMNIST stores every image transposed
    xi = write(tmp_path / "img.gz", idx_bytes(stored))
    yi = write(tmp_path / "lab.gz", idx_bytes(np.array([0])))
    x, _ = read_idx_pair(xi, yi, transposed=True)
    assert np.array_equal(x[0], glyph_f())
    raw, _ = read_idx_pair(xi, yi)
    assert raw[0][4:24, 8:11].min() == 0  # stored sideways: the F's stem is not where it belongs


@needs_data
def test_real_emnist_digits_look_like_mnist_digits():
    mnist = load("mnist", DATA / "mnist", "test")
    emnist = digits_subset(DATA / "emnist")
    for digit in (2, 4, 7):
        a = mnist.x[mnist.y == digit].mean(axis=0).ravel()
        b = emnist.x[emnist.y == digit].mean(axis=0)
        upright = np.corrcoef(a, b.ravel())[0, 1]
        transposed = np.corrcoef(a, b.T.ravel())[0, 1]
        assert upright > transposed + 0.1


def test_bad_magic(tmp_path, images):
    path = write(tmp_path / "bad.gz", b"\x12\x34\x56\x78" + idx_bytes(images[0])[4:])
    with pytest.raises(DataError, match="bad IDX magic"):
        read_idx(path)


def test_labels_file_given_as_images(tmp_path, images):
    x, y = images
    xi = write(tmp_path / "img.gz", idx_bytes(x))
    with pytest.raises(DataError, match="expected 0x00000801"):
        read_idx_pair(xi, xi)


def test_truncated_idx(tmp_path, images):
    path = write(tmp_path / "short", idx_bytes(images[0])[:-100])
    with pytest.raises(DataError, match="truncated"):
        read_idx(path)


def test_corrupt_gzip(tmp_path, images):
    path = tmp_path / "broken.gz"
    path.write_bytes(gzip.compress(idx_bytes(images[0]))[:-40])
    with pytest.raises(DataError, match="cannot read"):
        read_idx(path)


def test_gzip_with_a_flipped_byte(tmp_path, images):
    data = bytearray(gzip.compress(idx_bytes(images[0]), compresslevel=0))
    data[10] ^= 0xFF  # the first byte of the deflate stream: a bad block header
    path = tmp_path / "flipped.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="cannot read"):
        read_idx(path)


def test_count_mismatch(tmp_path, images):
    x, _ = images
    xi = write(tmp_path / "img", idx_bytes(x))
    yi = write(tmp_path / "lab", idx_bytes(np.zeros(4)))
    with pytest.raises(DataError, match="5 images but .* 4 labels"):
        read_idx_pair(xi, yi)


def test_missing_file_message_is_one_line(tmp_path):
    with pytest.raises(DataError) as err:
        read_idx(tmp_path / "nope.gz")
    assert "\n" not in str(err.value) and "not found" in str(err.value)


def csv_rows(x, y) -> list[str]:
    pairs = zip(x, y, strict=True)
    return [",".join(str(v) for v in [label, *img.ravel()]) for img, label in pairs]


def test_kaggle_mnist_csv_with_header(tmp_path, images):
    x, y = images
    header = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))
    path = tmp_path / "mnist_test.csv"
    path.write_text("\n".join([header, *csv_rows(x, y)]) + "\n")
    got_x, got_y = read_csv(path)
    assert np.array_equal(got_x, x) and np.array_equal(got_y, y)


def test_mnist_loads_from_the_seeds_kaggle_csv_files(tmp_path, images):
    x, y = images
    header = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))
    for split in ("train", "test"):
        (tmp_path / f"mnist_{split}.csv").write_text("\n".join([header, *csv_rows(x, y)]))
    ds = load("mnist", tmp_path, "train")
    assert np.array_equal(ds.x, x) and np.array_equal(ds.y, y) and ds.labels[0] == "0"


def test_headerless_emnist_csv_is_transposed(tmp_path):
    path = tmp_path / "emnist-balanced-test.csv"
    path.write_text("\n".join(csv_rows(glyph_f().T[None], [15])) + "\n")
    x, y = read_csv(path)
    assert np.array_equal(x[0], glyph_f()) and y.tolist() == [15]


def test_csv_wrong_field_count(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("1," + ",".join(["0"] * 700) + "\n")
    with pytest.raises(DataError, match=r"bad.csv:1: 701 fields"):
        read_csv(path)
    path.write_text("label,pixels\n3," + ",".join(["0"] * 783) + ",x\n")
    with pytest.raises(DataError, match=r"bad.csv:2: non-integer"):
        read_csv(path)


def test_mapping_and_case_folding(tmp_path):
    byclass = DIGITS + [chr(c) for c in range(65, 91)] + [chr(c) for c in range(97, 123)]
    balanced = DIGITS + [chr(c) for c in range(65, 91)] + list("abdefghnqrt")
    mapping = tmp_path / "map.txt"
    mapping.write_text("".join(f"{i} {ord(c)}\n" for i, c in enumerate(byclass)))
    assert read_mapping(mapping) == byclass
    y = np.array([byclass.index(c) for c in "7cCoaZtz"])
    y47, keep = remap(y, byclass, balanced)
    assert "".join(balanced[i] for i in y47) == "7CCOaZtZ" and keep.all()
    y10, keep = remap(y47, balanced, DIGITS, keep_unknown=True)
    assert y10.tolist() == [7] and keep.tolist() == [True] + [False] * 7
    assert fold_char("s", balanced) == "S"
    with pytest.raises(DataError):
        fold_char("s", DIGITS)


def test_dedup_counts_removed(images):
    x, _ = images
    pool = np.concatenate([x[[1, 3]], np.zeros((2, 28, 28), np.uint8)])
    keep, removed = dedup_against(x, pool)
    assert removed == 2 and keep.tolist() == [True, False, True, False, True]


@needs_data
def test_emnist47_eval_is_deduplicated():
    train = load("emnist47", DATA / "emnist", "train")
    test = load("emnist47", DATA / "emnist", "test")
    assert len(train.labels) == 47 and train.y.max() == 46
    assert test.removed > 0 and len(test.y) + test.removed == 9120
    _, removed = dedup_against(test.x, train.x)
    assert removed == 0


def draw_char(char: str, size: tuple[int, int], dark_on_light: bool) -> np.ndarray:
    h, w = size
    img = np.full((h, w), 230 if dark_on_light else 10, np.uint8)
    scale = min(h, w) / 30
    cv2.putText(
        img,
        char,
        (w // 5, int(h * 0.8)),
        cv2.FONT_HERSHEY_SIMPLEX,
        scale,
        30 if dark_on_light else 240,
        max(1, int(scale * 3)),
    )
    return img


def test_to_ink_detects_polarity():
    paper = draw_char("7", (60, 40), dark_on_light=True)
    assert to_ink(paper)[0, 0] < 50 and to_ink(paper).max() > 200
    board = draw_char("7", (60, 40), dark_on_light=False)
    assert np.array_equal(to_ink(board), board)


def test_folder_round_trip(tmp_path):
    for char, sizes in {"A": [(60, 50), (33, 90)], "7": [(120, 80)], "e": [(40, 40)]}.items():
        (tmp_path / char).mkdir()
        for i, size in enumerate(sizes):
            img = draw_char(char, size, dark_on_light=i % 2 == 0)
            cv2.imwrite(str(tmp_path / char / f"{i}.png"), img)
    (tmp_path / "A" / ".DS_Store").write_bytes(b"finder metadata")
    ds = load_folder(tmp_path, InputConvention(fit_box=20, center="mass"))
    assert ds.labels == ["7", "A", "e"]
    assert ds.x.shape == (4, 28, 28) and ds.x.dtype == np.uint8
    assert sorted(ds.y.tolist()) == [0, 1, 1, 2]
    for img in ds.x:  # bright ink on a black border, whatever the source polarity
        assert img.max() > 150 and img[0].max() == 0 and img[:, 0].max() == 0


def test_folder_labels_fold_onto_model_classes(tmp_path):
    (tmp_path / "s").mkdir()
    cv2.imwrite(str(tmp_path / "s" / "a.png"), draw_char("s", (40, 40), True))
    balanced = DIGITS + [chr(c) for c in range(65, 91)] + list("abdefghnqrt")
    ds = load_folder(tmp_path, InputConvention(), balanced)
    assert ds.labels == balanced and ds.y.tolist() == [balanced.index("S")]


def test_crop_folder_names_round_trip_and_differ_without_case():
    from hwr_edge.crop_folders import folder_label as parse
    from hwr_edge.crop_folders import label_folder

    labels = DIGITS + [chr(c) for c in range(65, 91)] + list("abdefghnqrt") + ["?", "/"]
    names = [label_folder(c) for c in labels]
    assert len({n.lower() for n in names}) == len(labels)  # safe on macOS and Windows
    assert [parse(n) for n in names] == labels
    assert label_folder("a") == "a_lower" and label_folder("?") == "U+003F"


def test_unknown_crops_must_be_relabelled_before_fine_tuning(tmp_path):
    (tmp_path / "U+003F").mkdir()
    cv2.imwrite(str(tmp_path / "U+003F" / "x.png"), draw_char("S", (40, 40), True))
    with pytest.raises(DataError, match="not one of the model's classes"):
        load_folder(tmp_path, InputConvention(), DIGITS)


def test_folder_errors(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_folder(tmp_path / "missing", InputConvention())
    (tmp_path / "AB").mkdir()
    with pytest.raises(DataError, match="one character"):
        load_folder(tmp_path, InputConvention())
    (tmp_path / "AB").rmdir()
    (tmp_path / "A").mkdir()
    (tmp_path / "A" / "notes.txt").write_text("not an image")
    with pytest.raises(DataError, match="notes.txt: not an image file"):
        load_folder(tmp_path, InputConvention())
    (tmp_path / "A" / "notes.txt").unlink()
    (tmp_path / "A" / "x.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="not a readable image"):
        load_folder(tmp_path, InputConvention())
