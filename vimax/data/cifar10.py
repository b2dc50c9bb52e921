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

Decoded images of (c) and (d) are cached as an uncompressed ``.npz`` in the cache,
keyed on the files' names, sizes and times (c) or the tarball's SHA-256 (d).
Image folders are sorted by class, so their training images are shuffled with a
fixed seed so that the validation split (the last images) holds every class.

If none is there, the official tarball is downloaded into the cache.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shutil
import tarfile
import zlib
from pathlib import Path

import numpy as np

from vimax.atomic import atomic_write
from vimax.data.base import DATASETS, Dataset, make_dataset
from vimax.data.download import cache_dir, sha256_of
from vimax.data.download import download as fetch
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
_EXTENSIONS = (".jpg", ".jpeg", ".png")
_SIDE = 32
_MAX_IMAGE_BYTES = 1 << 20  # a 32x32 PNG or JPEG is a few kB
_SHUFFLE_SEED = 0
Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


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


def _check_classes(found: list[str], where: str) -> None:
    if sorted(found) != list(CLASSES):
        missing = sorted(set(CLASSES) - set(found))
        extra = sorted(set(found) - set(CLASSES))
        raise DataError(f"{where}: class folders must be exactly {' '.join(CLASSES)}; "
                        f"missing: {' '.join(missing) or '-'}, unexpected: {' '.join(extra) or '-'}")


def _is_image(name: str) -> bool:
    return not name.startswith(".") and name.lower().endswith(_EXTENSIONS)


def _list_split(folder: Path) -> tuple[list[tuple[str, Path]], np.ndarray]:
    """Image files of ``folder/<class>/`` sorted by class then name, and their labels."""
    _check_classes([p.name for p in folder.iterdir() if p.is_dir() and p.name[0] != "."], str(folder))
    return _ordered({c: [(str(f), f) for f in (folder / c).iterdir() if _is_image(f.name)]
                     for c in CLASSES}, str(folder))


def _ordered(by_class: dict[str, list], where: str) -> tuple[list, np.ndarray]:
    items: list = []
    labels: list[int] = []
    for label, name in enumerate(CLASSES):
        found = sorted(by_class.get(name, []), key=lambda item: item[0])
        if not found:
            raise DataError(f"{where}/{name}: no .jpg/.jpeg/.png images")
        items += found
        labels += [label] * len(found)
    return items, np.array(labels, dtype=np.int64)


def _decode(items: list[tuple[str, Path | bytes]]) -> np.ndarray:
    """Decode (name, path or bytes) RGB 32x32 images into (n, 3, 32, 32) uint8."""
    from PIL import Image, UnidentifiedImageError

    out = np.empty((len(items), _SIDE, _SIDE, 3), dtype=np.uint8)
    for i, (name, item) in enumerate(items):
        try:
            with Image.open(io.BytesIO(item) if isinstance(item, bytes) else item,
                            formats=["JPEG", "PNG"]) as img:
                if img.size != (_SIDE, _SIDE) or img.mode != "RGB":
                    raise DataError(f"{name}: expected a {_SIDE}x{_SIDE} RGB image, "
                                    f"got {img.size[0]}x{img.size[1]} {img.mode}")
                out[i] = np.asarray(img)
        except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as exc:
            raise DataError(f"{name}: cannot decode image ({type(exc).__name__}: {exc})") from exc
    return out.transpose(0, 3, 1, 2)


def _decode_tar(tar: Path) -> Arrays:
    """Decode ``[prefix/]{train,test}/<class>/*`` images from a tarball; nothing is written."""
    splits: dict[str, dict[str, list[tuple[str, bytes]]]] = {"train": {}, "test": {}}
    try:
        with tarfile.open(tar, "r|*") as archive:
            for member in archive:
                parts = member.name.split("/")  # tar names use "/" on every platform
                if member.isfile() and len(parts) >= 3 and parts[-3] in splits \
                        and _is_image(parts[-1]):
                    if member.size > _MAX_IMAGE_BYTES:
                        raise DataError(f"{tar}:{member.name}: {member.size} bytes is too "
                                        f"large for a {_SIDE}x{_SIDE} image")
                    data = archive.extractfile(member).read()  # type: ignore[union-attr]
                    splits[parts[-3]].setdefault(parts[-2], []).append((f"{tar}:{member.name}", data))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise DataError(f"{tar}: truncated or corrupt tarball ({type(exc).__name__}: {exc})") from exc
    arrays = []
    for split, by_class in splits.items():
        _check_classes(list(by_class), f"{tar}:{split}")
        items, labels = _ordered(by_class, f"{tar}:{split}")
        log.info("decoding %d CIFAR-10 %s images from %s", len(items), split, tar)
        arrays += [_decode(items), labels]
    return arrays[0], arrays[1], arrays[2], arrays[3]


def _images_in(root: Path) -> Path | None:
    for folder in (root, root / IMAGES_DIR, root / "cifar10"):
        if (folder / "train").is_dir() and (folder / "test").is_dir():
            return folder
    return None


def _cached(npz: Path, key: str) -> Arrays | None:
    """Arrays from a decode cache written for ``key``, or None if absent, stale or unreadable."""
    if not npz.is_file():
        return None
    try:
        with np.load(npz, allow_pickle=False) as archive:
            if str(archive["key"]) != key:
                log.info("%s is stale; decoding the images again", npz)
                return None
            return tuple(archive[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    except Exception as exc:  # noqa: BLE001 - any damage to a cache just means "decode again"
        log.warning("ignoring unreadable cache %s (%s)", npz, exc)
        return None


def _save(npz: Path, key: str, arrays: Arrays) -> None:
    names = ("x_train", "y_train", "x_test", "y_test")
    try:
        atomic_write(npz, lambda f: np.savez(f, key=np.array(key), **dict(zip(names, arrays))))
    except OSError as exc:
        log.warning("could not write the decode cache %s (%s)", npz, exc)


def _decode_folder(folder: Path, npz: Path) -> Arrays:
    """Decode ``folder/{train,test}/<class>/*``, reusing and refreshing the ``npz`` cache."""
    train, y_train = _list_split(folder / "train")
    test, y_test = _list_split(folder / "test")
    digest = hashlib.sha256()  # names, sizes and modification times of every image
    for _, f in train + test:
        st = f.stat()
        digest.update(f"{f.relative_to(folder)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    key = "files:" + digest.hexdigest()
    found = _cached(npz, key)
    if found is None:
        log.info("decoding %d CIFAR-10 images in %s", len(train) + len(test), folder)
        found = (_decode(train), y_train, _decode(test), y_test)
        _save(npz, key, found)
    return found


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
        return _shuffled(_decode_folder(images, cache / f"cifar10-images-{name}.npz")), str(images)
    tar = root / IMAGES_TAR
    if tar.is_file():
        key, npz = "sha256:" + sha256_of(tar), cache / f"{IMAGES_DIR}.npz"
        found = _cached(npz, key)
        if found is None:
            found = _decode_tar(tar)
            _save(npz, key, found)
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
