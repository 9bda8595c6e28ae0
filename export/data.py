"""Dataset loaders (numpy only): IDX, CSV, folders of crops, label mappings, deduplication.

Every loader returns images as ``uint8`` arrays of shape ``(N, 28, 28)``, upright,
bright ink on black, and labels as ``int64`` indices into a list of one-character labels.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

IDX_IMAGES = 0x00000803
IDX_LABELS = 0x00000801
DIGITS = [str(d) for d in range(10)]
# Balanced 47 merges these letters' lower case into the capital (see shared/data/README.md).
FOLDED = set("cijklmopsuvwxyz")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm"}

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
MNIST_CSV = {"train": "mnist_train.csv", "test": "mnist_test.csv"}  # Kaggle "MNIST in CSV"
EMNIST_POOL = (
    "emnist-byclass-test-images-idx3-ubyte.gz",
    "emnist-byclass-test-labels-idx1-ubyte.gz",
)
EMNIST_EVAL = (
    "emnist-balanced-train-part-images-idx3-ubyte.gz",
    "emnist-balanced-train-part-labels-idx1-ubyte.gz",
)
BYCLASS_MAPPING = "emnist-byclass-mapping.txt"
BALANCED_MAPPING = "emnist-balanced-mapping.txt"


class DataError(ValueError):
    """A dataset file or folder is missing, corrupt or inconsistent (one-line message)."""


@dataclass
class Dataset:
    """Images (N x 28 x 28 uint8), labels (N,) and the label characters; ``removed`` by dedup."""

    x: np.ndarray
    y: np.ndarray
    labels: list[str]
    removed: int = 0


def _open_bytes(path: Path) -> bytes:
    """Read a file, gunzipping it when its name ends in .gz."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None


def read_idx(path: Path, expect_magic: int | None = None) -> np.ndarray:
    """Read an IDX file (plain or gzip) into a uint8 array of the shape its header declares."""
    data = _open_bytes(path)
    if len(data) < 4:
        raise DataError(f"{path}: truncated IDX file ({len(data)} bytes)")
    magic = int.from_bytes(data[:4], "big")
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08 or not 1 <= data[3] <= 4:
        raise DataError(f"{path}: bad IDX magic number 0x{magic:08x} (expected uint8 IDX data)")
    if expect_magic is not None and magic != expect_magic:
        raise DataError(f"{path}: IDX magic 0x{magic:08x}, expected 0x{expect_magic:08x}")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    size = int(np.prod(shape))
    if len(data) - header < size:
        raise DataError(
            f"{path}: truncated IDX data ({len(data) - header} bytes, header declares {size})"
        )
    if len(data) - header > size:
        raise DataError(f"{path}: {len(data) - header - size} unexpected bytes after IDX data")
    return np.frombuffer(data, dtype=np.uint8, offset=header, count=size).reshape(shape)


def read_idx_pair(images_path: Path, labels_path: Path, transposed: bool = False) -> tuple:
    """Read matching IDX image and label files; ``transposed`` fixes EMNIST's storage."""
    x = read_idx(images_path, IDX_IMAGES)
    y = read_idx(labels_path, IDX_LABELS)
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise DataError(f"{images_path}: images have shape {x.shape}, expected (N, 28, 28)")
    if len(x) != len(y):
        raise DataError(f"{images_path}: {len(x)} images but {labels_path} has {len(y)} labels")
    if transposed:
        x = x.transpose(0, 2, 1)
    return np.ascontiguousarray(x), y.astype(np.int64)


def read_mapping(path: Path) -> list[str]:
    """Read an EMNIST mapping file (``label ascii_code`` per line) into a list of characters."""
    text = _open_bytes(path).decode("ascii", errors="replace")
    pairs = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise DataError(f"{path}:{number}: expected 'label ascii_code', got {line.strip()!r}")
        pairs[int(parts[0])] = chr(int(parts[1]))
    if sorted(pairs) != list(range(len(pairs))):
        raise DataError(f"{path}: labels are not 0..{len(pairs) - 1}")
    return [pairs[i] for i in range(len(pairs))]


def read_csv(path: Path, transposed: bool | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read label-then-784-pixels CSV rows: Kaggle MNIST (header) or EMNIST (headerless).

    ``transposed=None`` treats a headerless file as EMNIST (transposed images).
    """
    lines = _open_bytes(path).decode("ascii", errors="replace").splitlines()
    has_header = bool(lines) and not lines[0].split(",")[0].strip().isdigit()
    start = 1 if has_header else 0
    rows = [(n, line) for n, line in enumerate(lines[start:], start + 1) if line.strip()]
    if not rows:
        raise DataError(f"{path}: no data rows")
    table = np.empty((len(rows), 785), dtype=np.int64)
    for i, (number, line) in enumerate(rows):
        fields = line.split(",")
        if len(fields) != 785:
            raise DataError(f"{path}:{number}: {len(fields)} fields, expected 785 (label + 784)")
        try:
            table[i] = np.asarray(fields, dtype=np.int64)
        except ValueError:
            raise DataError(f"{path}:{number}: non-integer value") from None
    if table[:, 1:].min() < 0 or table[:, 1:].max() > 255 or table[:, 0].min() < 0:
        raise DataError(f"{path}: pixel values must be 0..255 and labels non-negative")
    x = table[:, 1:].astype(np.uint8).reshape(-1, 28, 28)
    if transposed if transposed is not None else not has_header:
        x = x.transpose(0, 2, 1)
    return np.ascontiguousarray(x), table[:, 0]


def fold_char(char: str, labels: list[str]) -> str:
    """The label in ``labels`` that ``char`` maps to, folding Balanced-47 lower case to capitals."""
    if char in labels:
        return char
    if char in FOLDED and char.upper() in labels:
        return char.upper()
    raise DataError(f"label {char!r} has no class among {''.join(labels)}")


def remap(y: np.ndarray, src: list[str], dst: list[str], keep_unknown: bool = False) -> tuple:
    """Map label indices from ``src`` characters to ``dst`` (e.g. ByClass 62 -> Balanced 47 ->
    digits 10); returns ``(y_new, keep_mask)``, dropping classes with no target if allowed."""
    table = np.full(len(src), -1, dtype=np.int64)
    for i, char in enumerate(src):
        try:
            table[i] = dst.index(fold_char(char, dst))
        except DataError:
            if not keep_unknown:
                raise
    y_new = table[y]
    keep = y_new >= 0
    return y_new[keep], keep


def image_hashes(x: np.ndarray) -> list[bytes]:
    """A content hash per image (exact bytes)."""
    return [hashlib.blake2b(img.tobytes(), digest_size=16).digest() for img in x]


def dedup_against(x_eval: np.ndarray, x_pool: np.ndarray) -> tuple[np.ndarray, int]:
    """Mask of evaluation images whose bytes do not occur in the pool, and how many were removed."""
    pool = set(image_hashes(x_pool))
    keep = np.array([h not in pool for h in image_hashes(x_eval)], dtype=bool)
    return keep, int((~keep).sum())


def load_mnist(data_dir: Path, split: str) -> Dataset:
    """MNIST from ``data_dir`` (split "train" = 60k, "test" = 10k): the IDX gzip files, or,
    when those are absent, the seed's Kaggle "MNIST in CSV" files (``mnist_train.csv``,
    ``mnist_test.csv``)."""
    images, labels = MNIST_FILES[split]
    data_dir = Path(data_dir)
    csv = data_dir / MNIST_CSV[split]
    if not (data_dir / images).exists() and csv.is_file():
        x, y = read_csv(csv, transposed=False)
        labels = MNIST_CSV[split]
    else:
        x, y = read_idx_pair(data_dir / images, data_dir / labels)
    if y.max(initial=0) > 9:
        raise DataError(f"{data_dir / labels}: label {y.max()} is not a digit")
    return Dataset(x, y, list(DIGITS))


def load_emnist47(data_dir: Path, split: str) -> Dataset:
    """EMNIST 47 classes: "train" = the ByClass test pool mapped to 47; "test" = the Balanced
    train part with every image that also occurs in the pool removed."""
    data_dir = Path(data_dir)
    balanced = read_mapping(data_dir / BALANCED_MAPPING)
    pool_x, pool_y = read_idx_pair(*(data_dir / f for f in EMNIST_POOL), transposed=True)
    if split == "train":
        byclass = read_mapping(data_dir / BYCLASS_MAPPING)
        y, _ = remap(_check_labels(pool_y, byclass, data_dir / EMNIST_POOL[1]), byclass, balanced)
        return Dataset(pool_x, y, balanced)
    x, y = read_idx_pair(*(data_dir / f for f in EMNIST_EVAL), transposed=True)
    y = _check_labels(y, balanced, data_dir / EMNIST_EVAL[1])
    keep, removed = dedup_against(x, pool_x)
    return Dataset(x[keep], y[keep], balanced, removed)


def _check_labels(y: np.ndarray, labels: list[str], path: Path) -> np.ndarray:
    """Fail when a label index has no entry in the mapping."""
    if len(y) and y.max() >= len(labels):
        raise DataError(f"{path}: label {y.max()} outside the {len(labels)}-class mapping")
    return y


def load(dataset: str, data_dir: Path, split: str) -> Dataset:
    """Load ``dataset`` ("mnist" or "emnist47") ``split`` ("train" or "test") from ``data_dir``."""
    if split not in ("train", "test"):
        raise DataError(f"unknown split {split!r} (use train or test)")
    loaders = {"mnist": load_mnist, "emnist47": load_emnist47}
    if dataset not in loaders:
        raise DataError(f"unknown dataset {dataset!r} (use mnist or emnist47)")
    return loaders[dataset](data_dir, split)


def load_dataset(dataset: str, data_dir: Path, split: str) -> tuple:
    """``(x uint8 N x 28 x 28, y int, labels)`` for ``dataset`` and ``split``; see ``load``."""
    ds = load(dataset, data_dir, split)
    return ds.x, ds.y, ds.labels


def digits_subset(emnist_dir: Path) -> Dataset:
    """Digit images of the deduplicated EMNIST Balanced part: a cross-dataset test set."""
    ds = load_emnist47(emnist_dir, "test")
    y, keep = remap(ds.y, ds.labels, DIGITS, keep_unknown=True)
    return Dataset(ds.x[keep], y, list(DIGITS), ds.removed)


def to_ink(gray: np.ndarray) -> np.ndarray:
    """Bright-ink-on-black version of a grey crop: inverted when its border is light (paper)."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return 255 - gray if np.median(border) > 127 else gray


def folder_label(name: str) -> str:
    """The character a crop subfolder stands for (``A``, ``7``, ``a_lower``, ``U+003F``)."""
    from hwr_edge.crop_folders import folder_label as parse

    try:
        return parse(name)
    except ValueError as exc:
        raise DataError(str(exc)) from None


def load_folder(root: Path, convention, labels: list[str] | None = None) -> Dataset:
    """Crops in ``root/<char>/*.png`` normalized like runtime photo crops with ``convention``.

    With ``labels`` given, each folder's character is mapped onto them (case folding for the
    47 classes); otherwise the sorted folder names become the labels.
    """
    import cv2

    from hwr_edge.normalize import normalize_crop

    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: folder not found")
    subdirs = sorted(p for p in root.iterdir() if p.is_dir())
    chars = [folder_label(p.name) for p in subdirs]
    if labels is None:
        labels = sorted(chars)
    xs, ys = [], []
    for sub, char in zip(subdirs, chars, strict=True):
        try:
            target = labels.index(fold_char(char, labels))
        except DataError:
            raise DataError(
                f"{sub}: {char!r} is not one of the model's classes; move these crops into "
                "the folders of their true characters (or delete them)"
            ) from None
        for path in sorted(sub.iterdir()):
            if path.name.startswith("."):
                continue  # system files such as .DS_Store
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                raise DataError(f"{path}: not an image file ({', '.join(sorted(IMAGE_SUFFIXES))})")
            gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
            if gray is None or gray.size == 0:
                raise DataError(f"{path}: not a readable image")
            xs.append(normalize_crop(to_ink(gray), convention))
            ys.append(target)
    if not xs:
        raise DataError(f"{root}: no images found in one-character subfolders")
    return Dataset(np.stack(xs).astype(np.uint8), np.asarray(ys, dtype=np.int64), list(labels))
