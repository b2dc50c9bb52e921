"""Labelled images in class folders, or a tarball of them, decoded into arrays.

The layout is ``{train,test}/<class>/*.jpg|jpeg|png`` (maybe under a prefix in a
tarball). Images are sorted by class, then by name, so the arrays do not depend
on the file system's order. A tarball is decoded in one streaming pass with
nothing written (extracting tens of thousands of small files costs far more than
decoding them). Decoded arrays are cached as an uncompressed ``.npz`` keyed by
the caller (the files' names, sizes and times, or the tarball's SHA-256).
"""

from __future__ import annotations

import hashlib
import io
import logging
import tarfile
import zlib
from pathlib import Path

import numpy as np

from vimax.atomic import atomic_write
from vimax.errors import DataError

__all__ = ["Arrays", "decode_folder", "decode_tar", "read_cache", "write_cache", "read_arrays",
           "write_arrays", "is_image", "EXTENSIONS"]

log = logging.getLogger(__name__)

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # x_train, y_train, x_test, y_test
EXTENSIONS = (".jpg", ".jpeg", ".png")
MAX_IMAGE_BYTES = 1 << 20  # a small PNG or JPEG is a few kB


def _check_classes(found: list[str], classes: tuple[str, ...], where: str) -> None:
    if sorted(found) != sorted(classes):
        missing = sorted(set(classes) - set(found))
        extra = sorted(set(found) - set(classes))
        raise DataError(f"{where}: class folders must be exactly {' '.join(classes)}; "
                        f"missing: {' '.join(missing) or '-'}, unexpected: {' '.join(extra) or '-'}")


def is_image(name: str) -> bool:
    return not name.startswith(".") and name.lower().endswith(EXTENSIONS)


def _list_split(folder: Path, classes: tuple[str, ...]) -> tuple[list[tuple[str, Path]], np.ndarray]:
    """Image files of ``folder/<class>/`` sorted by class then name, and their labels."""
    found = [p.name for p in folder.iterdir() if p.is_dir() and p.name[0] != "."]
    _check_classes(found, classes, str(folder))
    return _ordered({c: [(str(f), f) for f in (folder / c).iterdir() if is_image(f.name)]
                     for c in classes}, classes, str(folder))


def _ordered(by_class: dict[str, list], classes: tuple[str, ...], where: str) -> tuple[list, np.ndarray]:
    items: list = []
    labels: list[int] = []
    for label, name in enumerate(classes):
        found = sorted(by_class.get(name, []), key=lambda item: item[0])
        if not found:
            raise DataError(f"{where}/{name}: no .jpg/.jpeg/.png images")
        items += found
        labels += [label] * len(found)
    return items, np.array(labels, dtype=np.int64)


def decode(items: list[tuple[str, Path | bytes]], side: int) -> np.ndarray:
    """Decode (name, path or bytes) RGB ``side`` x ``side`` images into (n, 3, side, side) uint8."""
    from PIL import Image, UnidentifiedImageError

    out = np.empty((len(items), side, side, 3), dtype=np.uint8)
    for i, (name, item) in enumerate(items):
        try:
            with Image.open(io.BytesIO(item) if isinstance(item, bytes) else item,
                            formats=["JPEG", "PNG"]) as img:
                if img.size != (side, side) or img.mode != "RGB":
                    raise DataError(f"{name}: expected a {side}x{side} RGB image, "
                                    f"got {img.size[0]}x{img.size[1]} {img.mode}")
                out[i] = np.asarray(img)
        except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as exc:
            raise DataError(f"{name}: cannot decode image ({type(exc).__name__}: {exc})") from exc
    return out.transpose(0, 3, 1, 2)


def decode_tar(tar: Path, classes: tuple[str, ...], side: int) -> Arrays:
    """Decode ``[prefix/]{train,test}/<class>/*`` images from a tarball; nothing is written."""
    splits: dict[str, dict[str, list[tuple[str, bytes]]]] = {"train": {}, "test": {}}
    try:
        with tarfile.open(tar, "r|*") as archive:
            for member in archive:
                parts = member.name.split("/")  # tar names use "/" on every platform
                if member.isfile() and len(parts) >= 3 and parts[-3] in splits \
                        and is_image(parts[-1]):
                    if member.size > MAX_IMAGE_BYTES:
                        raise DataError(f"{tar}:{member.name}: {member.size} bytes is too "
                                        f"large for a {side}x{side} image")
                    data = archive.extractfile(member).read()  # type: ignore[union-attr]
                    splits[parts[-3]].setdefault(parts[-2], []).append((f"{tar}:{member.name}", data))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise DataError(f"{tar}: truncated or corrupt tarball ({type(exc).__name__}: {exc})") from exc
    arrays = []
    for split, by_class in splits.items():
        _check_classes(list(by_class), classes, f"{tar}:{split}")
        items, labels = _ordered(by_class, classes, f"{tar}:{split}")
        log.info("decoding %d %s images from %s", len(items), split, tar)
        arrays += [decode(items, side), labels]
    return arrays[0], arrays[1], arrays[2], arrays[3]


def read_arrays(npz: Path, key: str) -> dict[str, np.ndarray] | None:
    """The arrays of a decode cache written for ``key``, or None if absent, stale or unreadable."""
    if not npz.is_file():
        return None
    try:
        with np.load(npz, allow_pickle=False) as archive:
            if str(archive["key"]) != key:
                log.info("%s is stale; decoding the images again", npz)
                return None
            return {name: archive[name] for name in archive.files if name != "key"}
    except Exception as exc:  # noqa: BLE001 - any damage to a cache just means "decode again"
        log.warning("ignoring unreadable cache %s (%s)", npz, exc)
        return None


def write_arrays(npz: Path, key: str, arrays: dict[str, np.ndarray]) -> None:
    """Write a decode cache (uncompressed, atomically); a failure only costs decoding again."""
    try:
        atomic_write(npz, lambda f: np.savez(f, key=np.array(key), **arrays))
    except OSError as exc:
        log.warning("could not write the decode cache %s (%s)", npz, exc)


_NAMES = ("x_train", "y_train", "x_test", "y_test")


def read_cache(npz: Path, key: str) -> Arrays | None:
    """The four arrays of a decode cache written for ``key``, or None if absent, stale or unreadable."""
    found = read_arrays(npz, key)
    if found is None or any(name not in found for name in _NAMES):
        return None
    return found["x_train"], found["y_train"], found["x_test"], found["y_test"]


def write_cache(npz: Path, key: str, arrays: Arrays) -> None:
    write_arrays(npz, key, dict(zip(_NAMES, arrays)))


def decode_folder(folder: Path, npz: Path, classes: tuple[str, ...], side: int) -> Arrays:
    """Decode ``folder/{train,test}/<class>/*``, reusing and refreshing the ``npz`` cache."""
    train, y_train = _list_split(folder / "train", classes)
    test, y_test = _list_split(folder / "test", classes)
    digest = hashlib.sha256()  # names, sizes and modification times of every image
    for _, f in train + test:
        st = f.stat()
        digest.update(f"{f.relative_to(folder)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    key = "files:" + digest.hexdigest()
    found = read_cache(npz, key)
    if found is None:
        log.info("decoding %d images in %s", len(train) + len(test), folder)
        found = (decode(train, side), y_train, decode(test, side), y_test)
        write_cache(npz, key, found)
    return found
