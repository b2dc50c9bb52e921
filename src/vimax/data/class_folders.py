"""A labelled image folder with any class names: ``<class>/*.png``, maybe under ``train/`` and ``test/``.

Layouts (``root`` is the folder given as the dataset):

* ``root/<class>/*.jpg|jpeg|png``: every image is for training; the test split
  is held out of them (:mod:`vimax.data.arrays`);
* ``root/train/<class>/...`` and, optionally, ``root/test/<class>/...``: when
  the only sub-folders of ``root`` are ``train`` (and ``test``).

Classes are the sub-folder names in sorted order (label 0 is the first); the
test split may lack a class but not add one. Every image must have the same
size; greyscale images stay one channel unless some image has colour, in which
case all become RGB. Images are not resized: a folder of mixed sizes is refused
with the name of the first odd one.

The folder's fingerprint is the SHA-256 of its sorted manifest, one line
``<relative path> <SHA-256 of the file>`` per image, so renaming, adding,
removing or changing an image changes it; the decoded arrays are cached under
that fingerprint in the download cache.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

from vimax.data.download import cache_dir, sha256_of
from vimax.data.image_folder import is_image, read_arrays, write_arrays
from vimax.errors import DataError

__all__ = ["read_class_folders", "folder_manifest", "list_images"]

log = logging.getLogger(__name__)

GREY = ("1", "L", "LA", "I", "I;16", "F")


def _subfolders(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _splits(root: Path) -> dict[str, Path]:
    """{"train": folder[, "test": folder]} of class folders."""
    names = _subfolders(root)
    if names in (["train"], ["test", "train"]):
        return {name: root / name for name in reversed(names)}
    return {"train": root}


def list_images(root: Path) -> dict[str, dict[str, list[Path]]]:
    """{split: {class: sorted image files}}; refuses an empty class or a test-only class."""
    found: dict[str, dict[str, list[Path]]] = {}
    for split, folder in _splits(root).items():
        classes = _subfolders(folder)
        if len(classes) < 2 and split == "train":
            raise DataError(f"{folder}: an image folder needs one sub-folder per class (at least 2), "
                            f"found {len(classes)}")
        found[split] = {}
        for name in classes:
            images = sorted(p for p in (folder / name).iterdir() if p.is_file() and is_image(p.name))
            if not images:
                raise DataError(f"{folder / name}: no .jpg/.jpeg/.png images")
            found[split][name] = images
    extra = sorted(set(found.get("test", {})) - set(found["train"]))
    if extra:
        raise DataError(f"{root}: test class {extra[0]!r} has no training folder")
    return found


def folder_manifest(root: Path, images: dict[str, dict[str, list[Path]]]) -> str:
    """SHA-256 of the sorted lines ``<relative path> <SHA-256 of the file>``, one per image."""
    lines = sorted(f"{p.relative_to(root).as_posix()} {sha256_of(p)}\n"
                   for by_class in images.values() for files in by_class.values() for p in files)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def _decode(files: list[Path]) -> np.ndarray:
    """(n, C, H, W) uint8 with C = 1 when every image is greyscale, else 3."""
    from PIL import Image, UnidentifiedImageError

    decoded, size = [], None
    for path in files:
        try:
            with Image.open(path, formats=["JPEG", "PNG"]) as img:
                if size is None:
                    size = img.size
                elif img.size != size:
                    raise DataError(f"{path}: {img.size[0]}x{img.size[1]} pixels, but {files[0].name} "
                                    f"has {size[0]}x{size[1]}; every image must have the same size")
                decoded.append(np.asarray(img.convert("L" if img.mode in GREY else "RGB")))
        except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as exc:
            raise DataError(f"{path}: cannot decode image ({type(exc).__name__}: {exc})") from exc
    if any(a.ndim == 3 for a in decoded):
        decoded = [np.repeat(a[:, :, None], 3, axis=2) if a.ndim == 2 else a for a in decoded]
        return np.stack(decoded).transpose(0, 3, 1, 2)
    return np.stack(decoded)[:, None]


def read_class_folders(root: Path) -> tuple[dict[str, np.ndarray], str]:
    """The arrays (``x``, ``y`` as class names, maybe ``x_test``, ``y_test``) and the folder's fingerprint."""
    images = list_images(root)
    digest = folder_manifest(root, images)
    npz = cache_dir() / f"folder-{digest[:16]}.npz"
    arrays = read_arrays(npz, digest)
    if arrays is None:
        arrays = {}
        count = sum(len(files) for by_class in images.values() for files in by_class.values())
        log.info("decoding %d images in %s", count, root)
        for split, by_class in images.items():
            files = [p for name in sorted(by_class) for p in by_class[name]]
            labels = np.array([name for name in sorted(by_class) for _ in by_class[name]])
            x = _decode(files)
            suffix = "" if split == "train" else "_test"
            arrays["x" + suffix], arrays["y" + suffix] = x, labels
        if "x_test" in arrays and arrays["x_test"].shape[1:] != arrays["x"].shape[1:]:
            if arrays["x_test"].shape[2:] != arrays["x"].shape[2:]:
                raise DataError(f"{root}: test images {arrays['x_test'].shape[2:]} and training images "
                                f"{arrays['x'].shape[2:]} differ in size")
            channels = max(arrays["x"].shape[1], arrays["x_test"].shape[1])  # greyscale vs colour
            for key in ("x", "x_test"):
                arrays[key] = np.repeat(arrays[key], channels // arrays[key].shape[1], axis=1)
        write_arrays(npz, digest, arrays)
    return arrays, digest
