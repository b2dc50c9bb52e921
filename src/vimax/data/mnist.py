"""MNIST: 60,000 training and 10,000 test images of 28x28 handwritten digits.

Read from a folder holding either the Keras-layout ``mnist.npz`` or the four
original IDX files (gzipped or not). The folder is ``data_dir``, else
``$VIMAX_DATA``, else the download cache; missing files are downloaded into the
cache with checked SHA-256 sums when ``download`` is true.
"""

from __future__ import annotations

import gzip
import logging
import os
import zlib
from pathlib import Path

import numpy as np

from vimax.data.base import DATASETS, Dataset, make_dataset
from vimax.data.download import cache_dir
from vimax.data.download import download as fetch
from vimax.errors import DataError

__all__ = ["load_mnist", "read_idx", "IDX_FILES", "NPZ_NAME"]

log = logging.getLogger(__name__)

NPZ_NAME = "mnist.npz"
NPZ_URLS = ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",)
# From keras/src/datasets/mnist.py (``file_hash=``), keras-team/keras.
NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

IDX_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
# SHA-256 of the gzipped IDX files (the ``.gz`` as served by the mirrors above);
# the same values are published by many independent MNIST loaders.
IDX_FILES = {
    "train-images-idx3-ubyte": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
_MAGIC = {1: 2049, 3: 2051}  # IDX magic: 0x0000 0x08 (unsigned byte) then the number of dims
_SIDE = 28


def read_idx(path: str | Path, ndim: int) -> np.ndarray:
    """Read one uint8 IDX file (``.gz`` or plain) of ``ndim`` dimensions (1 labels, 3 images).

    Checks the magic number (2049 for labels, 2051 for images), the big-endian
    dimensions and the exact file length. Raises :class:`DataError` naming the
    file when it is unreadable, truncated or malformed.
    """
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as handle:
                data = handle.read()
        else:
            data = path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read IDX file ({type(exc).__name__}: {exc})") from exc
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{path}: truncated IDX file ({len(data)} bytes, header needs {header})")
    magic = int.from_bytes(data[:4], "big")
    if magic != _MAGIC[ndim]:
        raise DataError(f"{path}: bad IDX magic number {magic}, expected {_MAGIC[ndim]}")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if ndim == 3 and dims[1:] != (_SIDE, _SIDE):
        raise DataError(f"{path}: images must be {_SIDE}x{_SIDE}, got {dims[1]}x{dims[2]}")
    expected = header + int(np.prod(dims, dtype=object))
    if len(data) != expected:
        raise DataError(f"{path}: IDX file has {len(data)} bytes, its header {dims} "
                        f"implies {expected} (truncated or corrupt)")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims).copy()


def _load_npz(path: Path) -> tuple[np.ndarray, ...]:
    """x_train, y_train, x_test, y_test from a Keras-layout ``mnist.npz``."""
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise DataError(f"{path}: not an .npz archive (a single array?)")
        with archive:
            missing = [k for k in keys if k not in archive.files]
            if missing:
                raise DataError(f"{path}: missing array(s) {', '.join(missing)}; "
                                f"expected the Keras layout {', '.join(keys)}")
            arrays = tuple(archive[k] for k in keys)
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - numpy's parser of a damaged file raises many kinds
        # (OSError, ValueError, BadZipFile, zlib.error, SyntaxError, tokenize.TokenError, ...);
        # with allow_pickle=False none of them can come from running the file's code
        why = " ".join(str(exc).split())
        msg = f"{path}: corrupt or unreadable .npz ({type(exc).__name__}: {why})"
        raise DataError(msg) from exc
    for key, arr in zip(keys, arrays, strict=True):
        want = 3 if key.startswith("x") else 1
        if arr.ndim != want or (want == 3 and arr.shape[1:] != (_SIDE, _SIDE)):
            shape = f"(N, {_SIDE}, {_SIDE})" if want == 3 else "(N,)"
            raise DataError(f"{path}: {key} must have shape {shape}, got {arr.shape}")
    return arrays


def _find_idx(folder: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _load_folder(folder: Path) -> tuple[tuple[np.ndarray, ...], str] | None:
    """The four arrays and a description of their source, or None if the files are absent."""
    npz = folder / NPZ_NAME
    if npz.is_file():
        return _load_npz(npz), str(npz)
    paths = [_find_idx(folder, stem) for stem in IDX_FILES]
    if any(p is None for p in paths):
        return None
    arrays = tuple(read_idx(p, 3 if "images" in p.name else 1) for p in paths)
    return arrays, f"MNIST IDX files in {folder}"


def _wanted(folder: Path) -> str:
    idx = ", ".join(IDX_FILES)
    return (f"put {NPZ_NAME} (Keras layout) or the four IDX files {idx} (plain or .gz) "
            f"in {folder}, or point --data-dir / VIMAX_DATA at a folder that holds them")


def _download_into(folder: Path) -> tuple[tuple[np.ndarray, ...], str]:
    """Download ``mnist.npz``, falling back to the IDX files, into ``folder`` and load them."""
    hint = _wanted(folder)
    try:
        fetch(NPZ_URLS, folder / NPZ_NAME, NPZ_SHA256, hint=hint)
    except DataError as exc:
        log.warning("%s; trying the IDX files instead", exc)
        for stem, sha in IDX_FILES.items():
            if _find_idx(folder, stem) is None:
                urls = [mirror + stem + ".gz" for mirror in IDX_MIRRORS]
                fetch(urls, folder / (stem + ".gz"), sha, hint=hint)
    found = _load_folder(folder)
    if found is None:  # pragma: no cover - a download either lands its files or raises
        raise DataError(f"MNIST files are still missing after downloading; {hint}")
    return found


@DATASETS.register("mnist")
def load_mnist(data_dir: str | None = None, val_size: int = 5000, download: bool = True) -> Dataset:
    """Load MNIST; the last ``val_size`` training images form the validation split.

    Args:
        data_dir: folder with ``mnist.npz`` or the four IDX files; None means
            ``$VIMAX_DATA``, else the cache (``$VIMAX_CACHE`` or ``~/.cache/vimax``).
        val_size: training images held out for validation (5,000 gives 55,000 / 5,000).
        download: if the files are not found, download them into the cache
            (checked by SHA-256); if False, raise instead.

    Raises:
        DataError: files missing (saying which files to put in which folder),
            unreadable, corrupt or of the wrong shape, or the download failed.
    """
    env = os.environ.get("VIMAX_DATA")
    folder = Path(data_dir or env or cache_dir()).expanduser()
    found = _load_folder(folder)
    if found is None and download:
        cache = cache_dir()
        found = _load_folder(cache) if cache != folder else None
        if found is None:
            log.info("MNIST not found in %s; downloading it into %s", folder, cache)
            found = _download_into(cache)
    if found is None:
        raise DataError(f"MNIST not found in {folder} and download is off: {_wanted(folder)}")
    (x_train, y_train, x_test, y_test), source = found
    dataset = make_dataset("mnist", x_train, y_train, x_test, y_test, 10, val_size, source)
    log.info("loaded MNIST from %s", source)  # once checked: a refused file is one error line
    return dataset
