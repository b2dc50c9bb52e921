"""CIFAR-10: 50,000 training and 10,000 test colour images of 32x32 in ten classes.

Looked for in ``data_dir``, else ``$VIMAX_DATA``, else the cache, and then in
the cache, as (in this order):

a. the official python batches, a folder ``cifar-10-batches-py/``
   (read with a restricted unpickler that cannot run code);
b. the official tarball ``cifar-10-python.tar.gz`` (extracted into the cache);
c. image folders ``train/<class>/*.jpg|png`` and ``test/<class>/...``, maybe inside
   a folder ``cifar10-jpeg/`` or ``cifar10/``;
d. a tarball ``cifar10-jpeg.tar.gz`` of that layout, decoded straight from the
   tarball in one pass (extracting 60,000 small files costs far more than decoding).

Decoded images of (c) and (d) (:mod:`vimax.data.image_folder`) are cached as an
uncompressed ``.npz`` in the cache, keyed on the files' names, sizes and times (c)
or the tarball's SHA-256 (d).
Image folders are sorted by class, so their training images are shuffled with a
fixed seed so that the validation split (the last images) holds every class.

If none is there, the official tarball is downloaded into the cache.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path

import numpy as np

from vimax.data.base import DATASETS, Dataset, make_dataset
from vimax.data.download import cache_dir, sha256_of
from vimax.data.download import download as fetch
from vimax.data.image_folder import Arrays, decode_folder, decode_tar, read_cache, write_cache
from vimax.errors import DataError
from vimax.safe_files import safe_extract_tar, safe_unpickle

__all__ = ["load_cifar10", "read_batch", "CLASSES", "URL", "SHA256"]

log = logging.getLogger(__name__)

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
# From keras-team/keras, keras/datasets/cifar10.py (``file_hash=``); 170,498,071 bytes.
SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
OFFICIAL_TAR, OFFICIAL_DIR = "cifar-10-python.tar.gz", "cifar-10-batches-py"
BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)
IMAGES_TAR, IMAGES_DIR = "cifar10-jpeg.tar.gz", "cifar10-jpeg"
_SIDE = 32
_SHUFFLE_SEED = 0


def read_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Images (n, 3, 32, 32) uint8 and labels (n,) int64 of one official python batch."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            batch = safe_unpickle(handle, str(path))
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({type(exc).__name__}: {exc})") from exc
    if not isinstance(batch, dict):
        raise DataError(f"{path}: expected a pickled dict, got {type(batch).__name__}")
    data, labels = (batch.get(key.encode(), batch.get(key)) for key in ("data", "labels"))
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
            or data.shape[1] != 3 * _SIDE * _SIDE:
        what = f"{data.dtype} {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise DataError(f"{path}: 'data' must be a uint8 array (n, 3072), got {what}")
    try:
        y = np.asarray(labels) if isinstance(labels, (list, tuple, np.ndarray)) else None
    except ValueError:  # a ragged list, [[1, 2], [3]]
        y = None
    if y is None or y.dtype.kind not in "iu":
        got = " ".join(repr(labels).split())[:40]  # one line, also for an array's repr
        raise DataError(f"{path}: 'labels' must be a list of integers, got {got}")
    if y.shape != (data.shape[0],):
        raise DataError(f"{path}: expected {data.shape[0]} labels, got shape {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= len(CLASSES)):
        raise DataError(f"{path}: labels must lie in 0..9, got {y.min()}..{y.max()}")
    return data.reshape(-1, 3, _SIDE, _SIDE), y.astype(np.int64)


def _read_official(folder: Path) -> Arrays:
    parts = [read_batch(folder / name) for name in BATCHES]
    x_train = np.concatenate([x for x, _ in parts[:-1]])
    y_train = np.concatenate([y for _, y in parts[:-1]])
    return x_train, y_train, parts[-1][0], parts[-1][1]


def _official_in(folder: Path) -> bool:
    return all((folder / name).is_file() for name in BATCHES)


def _images_in(root: Path) -> Path | None:
    for folder in (root, root / IMAGES_DIR, root / "cifar10"):
        if (folder / "train").is_dir() and (folder / "test").is_dir():
            return folder
    return None


def _shuffled(arrays: Arrays) -> Arrays:
    order = np.random.default_rng(_SHUFFLE_SEED).permutation(len(arrays[1]))
    return arrays[0][order], arrays[1][order], arrays[2], arrays[3]


def _load_from(root: Path, cache: Path) -> tuple[Arrays, str] | None:
    """CIFAR-10 from ``root`` in the order of the module docstring, or None if absent."""
    for folder in (root / OFFICIAL_DIR, root / "cifar-10-python" / OFFICIAL_DIR):
        if _official_in(folder):
            return _read_official(folder), str(folder)
    tar = root / OFFICIAL_TAR
    if tar.is_file():
        folder = cache / "cifar-10-python" / OFFICIAL_DIR
        if not _official_in(folder):
            shutil.rmtree(folder.parent, ignore_errors=True)  # an incomplete earlier extraction
            safe_extract_tar(tar, folder.parent, str(tar))
            if not _official_in(folder):
                raise DataError(f"{tar}: does not hold {OFFICIAL_DIR}/ with {' '.join(BATCHES)}")
        return _read_official(folder), str(tar)
    images = _images_in(root)
    if images is not None:
        name = hashlib.sha256(str(images.resolve()).encode()).hexdigest()[:12]
        npz = cache / f"cifar10-images-{name}.npz"
        return _shuffled(decode_folder(images, npz, CLASSES, _SIDE)), str(images)
    tar = root / IMAGES_TAR
    if tar.is_file():
        key, npz = "sha256:" + sha256_of(tar), cache / f"{IMAGES_DIR}.npz"
        found = read_cache(npz, key)
        if found is None:
            found = decode_tar(tar, CLASSES, _SIDE)
            write_cache(npz, key, found)
        return _shuffled(found), str(tar)
    return None


def _wanted(folder: Path) -> str:
    return (f"put {OFFICIAL_TAR} (the official python version) or its extracted {OFFICIAL_DIR}/, "
            f"or train/<class>/ and test/<class>/ image folders or {IMAGES_TAR} holding them, "
            f"in {folder}, or point --data-dir / VIMAX_DATA at a folder that holds them")


@DATASETS.register("cifar10")
def load_cifar10(data_dir: str | None = None, val_size: int = 5000, download: bool = True) -> Dataset:
    """Load CIFAR-10 as (N, 3, 32, 32) images; the last ``val_size`` training images validate.

    Args:
        data_dir: folder holding one of the layouts of the module docstring; None
            means ``$VIMAX_DATA``, else the cache (``$VIMAX_CACHE`` or ``~/.cache/vimax``).
            Tarballs are extracted into the cache, never into ``data_dir``.
        val_size: training images held out for validation (5,000 gives 45,000 / 5,000).
        download: if nothing is found, download the official tarball into the
            cache (checked by SHA-256); if False, raise instead.

    Raises:
        DataError: nothing found (saying which files to put where), a file is
            corrupt or malformed, a pickle asks for code, or the download failed.
    """
    folder = Path(data_dir or os.environ.get("VIMAX_DATA") or cache_dir()).expanduser()
    cache = cache_dir()
    found = _load_from(folder, cache)
    if found is None and cache.resolve() != folder.resolve():
        found = _load_from(cache, cache)
    if found is None:
        if not download:
            raise DataError(f"CIFAR-10 not found in {folder} and download is off: "
                            f"{_wanted(folder)}")
        log.info("CIFAR-10 not found in %s; downloading it into %s", folder, cache)
        fetch(URL, cache / OFFICIAL_TAR, SHA256, hint=_wanted(folder))
        found = _load_from(cache, cache)
        if found is None:  # pragma: no cover - a download either lands its file or raises
            raise DataError(f"CIFAR-10 is still missing after downloading; {_wanted(folder)}")
    (x_train, y_train, x_test, y_test), source = found
    dataset = make_dataset("cifar10", x_train, y_train, x_test, y_test, len(CLASSES), val_size, source)
    log.info("loaded CIFAR-10 from %s", source)  # once checked: a refused file is one error line
    return dataset
