"""A dataset given by a path: a ``.npz`` or ``.csv`` file, or an image folder.

:func:`load_file` reads the path (:mod:`vimax.data.tabular`,
:mod:`vimax.data.class_folders`), prepares the splits and inputs
(:mod:`vimax.data.arrays`) and records where the data came from in
``Dataset.source``::

    {"path": "/abs/path/data.npz", "sha256": "<hex>", "format": "npz" | "csv" | "folder"}

The SHA-256 is that of the file, or of a folder's sorted manifest (see
:mod:`vimax.data.class_folders`). A run saves this record, so ``vimax evaluate``
reads the same path again and refuses data that changed since (one line naming
the path). The dataset's name is ``"file"``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vimax.data.arrays import prepare_arrays
from vimax.data.base import Dataset
from vimax.data.download import sha256_of
from vimax.errors import DataError

__all__ = ["load_file", "data_format", "fingerprint", "FILE_DATASET", "FORMATS"]

log = logging.getLogger(__name__)

FILE_DATASET = "file"
FORMATS = {".npz": "npz", ".csv": "csv"}


def data_format(path: Path) -> str:
    """"npz", "csv" or "folder"; a clear error for anything else or a missing path."""
    if path.is_dir():
        return "folder"
    if not path.exists():
        raise DataError(f"data path {path}: no such file or folder")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DataError(f"data path {path}: a dataset file must end in .npz or .csv "
                        "(or be a folder of class folders)")
    return fmt


def fingerprint(path: str | Path) -> str | None:
    """The SHA-256 a run records for the data at ``path`` (a folder: its manifest); None if absent."""
    path = Path(path)
    try:
        if path.is_dir():
            from vimax.data.class_folders import folder_manifest, list_images

            return folder_manifest(path, list_images(path))
        return sha256_of(path)
    except (OSError, DataError):
        return None


def _read(path: Path, fmt: str, label_column: str | None) -> tuple[dict[str, Any], str]:
    """The file's arrays and its SHA-256 (a folder's: of its manifest)."""
    if fmt == "folder":
        from vimax.data.class_folders import read_class_folders

        if label_column is not None:
            raise DataError(f"{path}: label_column is for CSV files; an image folder's labels "
                            "are its class folders")
        return read_class_folders(path)
    try:
        digest = sha256_of(path)
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({type(exc).__name__}: {exc})") from exc
    from vimax.data.tabular import read_csv, read_npz

    if fmt == "csv":
        return read_csv(path, label_column), digest
    if label_column is not None:
        raise DataError(f"{path}: label_column is for CSV files; an .npz holds its labels in y")
    return read_npz(path), digest


def load_file(
    path: str | Path,
    *,
    label_column: str | None = None,
    val_size: int | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    normalize: str = "auto",
    saved: Mapping[str, Any] | None = None,
) -> Dataset:
    """Read the dataset at ``path`` (arguments as :func:`vimax.data.arrays.prepare_arrays`).

    Args:
        saved: the dataset record of a trained run: the data must have the SHA-256
            recorded there and is standardised with the run's saved statistics.

    Raises:
        DataError: the path is missing or of an unknown kind, a file is malformed,
            or the data are not the ones ``saved`` recorded.
    """
    path = Path(path).expanduser().absolute()
    fmt = data_format(path)
    arrays, digest = _read(path, fmt, label_column)
    recorded = (saved or {}).get("source") or {}
    if recorded.get("sha256") not in (None, digest):
        raise DataError(f"{path} changed since the run was trained: its SHA-256 is {digest[:16]}..., "
                        f"the run recorded {recorded['sha256'][:16]}...")
    source = {"path": str(path), "sha256": digest, "format": fmt}
    dataset = prepare_arrays(FILE_DATASET, arrays, val_size=val_size, test_fraction=test_fraction,
                             seed=seed, normalize=normalize, where=str(path), source=source,
                             normalization=(saved or {}).get("normalization"))
    log.info("loaded %s (%s, %d/%d/%d examples, %d classes)", path, fmt, len(dataset.train),
             len(dataset.val), len(dataset.test), dataset.num_classes)
    return dataset
