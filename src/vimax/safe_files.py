"""Reading files other people made without running their code.

* :func:`safe_unpickle` reads the official CIFAR-10 python batches with an
  unpickler that only admits numpy's array reconstruction: a pickle asking for
  anything else (``os.system``, ``builtins.eval``, a custom class) is refused.
* :func:`safe_extract_tar` extracts a tarball through the standard library's
  ``"data"`` filter (:func:`tarfile.data_filter`, Python >= 3.10.12 / 3.11.4,
  the floor vimax requires), refuses outright members that would land outside
  the destination (where the filter would only strip a leading ``/``), and
  renames a fully extracted temporary folder into place, so a half-extracted
  tree never shows up under the final name.
* :func:`load_checkpoint` reads a checkpoint with ``torch.load(weights_only=True)``.

The atomic writers of :mod:`vimax.atomic` are re-exported here for convenience.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import secrets
import shutil
import tarfile
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import IO, Any

import numpy as np
import torch

from vimax.atomic import atomic_save_checkpoint, atomic_write, atomic_write_json, atomic_write_text
from vimax.errors import CheckpointError, DataError

__all__ = [
    "RestrictedUnpickler",
    "safe_unpickle",
    "safe_extract_tar",
    "load_checkpoint",
    "atomic_write",
    "atomic_write_text",
    "atomic_write_json",
    "atomic_save_checkpoint",
]

log = logging.getLogger(__name__)


def _latin1_encode(text: str, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    """``_codecs.encode`` as Python 3 pickles of ``bytes`` (protocol < 3) use it: latin-1 only."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "iso-8859-1"):
        raise pickle.UnpicklingError(f"_codecs.encode only with latin1, not {encoding!r}")
    return text.encode("latin1", errors)


def _empty_bytes(*args: Any) -> bytes:
    """``bytes()`` as protocol-2 pickles of ``b""`` use it; any argument is refused."""
    if args:
        raise pickle.UnpicklingError("bytes(...) with arguments is not allowed")
    return b""


def _allowed_globals() -> dict[tuple[str, str], Any]:
    # numpy >= 2 moved numpy.core to numpy._core; old pickles (like CIFAR's) name numpy.core.
    try:
        from numpy._core.multiarray import _reconstruct
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct
    return {
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        # Python 3 writes bytes as _codecs.encode(str, "latin1") under protocol 2.
        ("_codecs", "encode"): _latin1_encode,
        ("builtins", "bytes"): _empty_bytes,
        ("__builtin__", "bytes"): _empty_bytes,  # Python 3 protocol 2 names builtins so
    }


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that only builds numpy arrays, dicts, lists, strings, bytes and numbers.

    ``find_class`` is the only way a pickle can reach code, so refusing every
    global not in the allow-list means loading cannot run anything.
    """

    def __init__(self, file: IO[bytes], source: str, **kwargs: Any) -> None:
        super().__init__(file, **kwargs)
        self.source = source
        self._allowed = _allowed_globals()

    def find_class(self, module: str, name: str) -> Any:
        """Return an allow-listed global; raise :class:`DataError` for anything else."""
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise DataError(
                f"{self.source}: refused to load: the pickle asks for {module}.{name}"
            ) from None


def safe_unpickle(fileobj_or_bytes: IO[bytes] | bytes, source: str) -> Any:
    """Unpickle with :class:`RestrictedUnpickler` (``encoding="bytes"`` for Python 2 pickles).

    Args:
        fileobj_or_bytes: a binary file object or the pickle's bytes.
        source: the file's name, for error messages.

    Raises:
        DataError: the pickle asks for a forbidden global, or is truncated or corrupt.
    """
    handle = (
        io.BytesIO(fileobj_or_bytes)
        if isinstance(fileobj_or_bytes, (bytes, bytearray, memoryview))
        else fileobj_or_bytes
    )
    try:
        return RestrictedUnpickler(handle, source, encoding="bytes").load()
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged pickle breaks the unpickler in many ways
        # (UnpicklingError, EOFError, OverflowError, KeyError, ...); find_class admits no code
        why = " ".join(str(exc).split()) or type(exc).__name__
        raise DataError(f"{source}: corrupt or truncated pickle ({why})") from exc


def _check_member(member: tarfile.TarInfo, source: str) -> None:
    """Refuse a member that could write outside the extraction folder, in one line."""
    name = member.name
    path = PurePosixPath(name)
    if name.startswith(("/", "\\")) or path.is_absolute() or os.path.isabs(name):
        raise DataError(f"{source}: refused member {name!r}: absolute path")
    if ".." in path.parts:
        raise DataError(f"{source}: refused member {name!r}: '..' in its path")
    if member.issym() or member.islnk():
        link = PurePosixPath(member.linkname)
        if link.is_absolute() or member.linkname.startswith("\\"):
            raise DataError(f"{source}: refused link {name!r} -> {member.linkname!r}: "
                            "absolute target")
        # A symlink's target is relative to its own folder, a hard link's to the archive root.
        base = path.parent if member.issym() else PurePosixPath()
        target = os.path.normpath(str(base / link))
        if target == ".." or target.startswith("../"):
            raise DataError(f"{source}: refused link {name!r} -> {member.linkname!r}: "
                            "target outside the extraction folder")
    elif not (member.isfile() or member.isdir()):
        raise DataError(f"{source}: refused member {name!r}: not a file, folder or link")


def _filter(source: str) -> Callable[[tarfile.TarInfo, str], tarfile.TarInfo | None]:
    """Our refusals (one line naming the member), then the standard library's ``"data"`` filter."""

    def check(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
        _check_member(member, source)
        return tarfile.data_filter(member, dest)

    return check


def safe_extract_tar(tar_path: str | Path, dest_dir: str | Path, source: str = "") -> Path:
    """Extract ``tar_path`` (any compression) into the new folder ``dest_dir``.

    Members are extracted into a temporary folder beside ``dest_dir`` which is
    renamed to ``dest_dir`` only once extraction finished. Absolute paths,
    ``..`` components, links pointing outside the folder and special files are
    refused, then every member passes the standard library's ``"data"`` filter
    (which also refuses device files and clears setuid bits).

    Returns:
        ``dest_dir``. If another process created it meanwhile, that one is kept.

    Raises:
        DataError: ``dest_dir`` exists already, a member is refused (named in the
            message), or the tarball is missing, truncated or corrupt.
    """
    tar_path, dest = Path(tar_path), Path(dest_dir)
    source = source or str(tar_path)
    if dest.exists():
        raise DataError(f"{source}: cannot extract into {dest}: it exists already")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.{secrets.token_hex(6)}.extracting"
    tmp.mkdir()  # not mkdtemp: the tree gets the usual permissions, not 0700
    try:
        with tarfile.open(tar_path, "r:*") as tar:
            tar.extractall(tmp, filter=_filter(source))
        try:
            os.rename(tmp, dest)
        except OSError:
            if not dest.is_dir():
                raise
            log.info("%s was extracted by another process meanwhile; keeping it", dest)
            shutil.rmtree(tmp, ignore_errors=True)
    except DataError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, tarfile.FilterError):
            name = getattr(getattr(exc, "tarinfo", None), "name", "?")
            raise DataError(f"{source}: refused member {name!r}: {exc}") from exc
        if isinstance(exc, (tarfile.TarError, EOFError, zlib.error, OSError)):
            why = " ".join(str(exc).split()) or type(exc).__name__
            raise DataError(f"{source}: cannot extract (truncated or corrupt tarball?): "
                            f"{type(exc).__name__}: {why}") from exc
        raise
    log.info("extracted %s into %s", source, dest)
    return dest


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> Any:
    """``torch.load`` with ``weights_only=True``: tensors, numbers, strings and containers only.

    Raises:
        CheckpointError: one line, when the file is missing, truncated or corrupt,
            or holds other objects (classes, functions, code), which are refused
            without running anything.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        with warnings.catch_warnings():  # a raw pickle (not torch's zip format) warns of its protocol
            warnings.filterwarnings("ignore", message="Detected pickle protocol", category=UserWarning)
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        if "weights only" in str(exc).lower() or "weights_only" in str(exc):
            raise CheckpointError(
                f"{path}: refused: the checkpoint holds objects that are not plain "
                "tensors/containers (loading it could run code)"
            ) from exc
        raise CheckpointError(f"{path}: corrupt checkpoint ({_first_line(exc)})") from exc
    except Exception as exc:  # noqa: BLE001 - a damaged file breaks torch.load in many ways
        # (RuntimeError, EOFError, IndexError, KeyError, struct.error, ...); weights_only=True
        # means none of them comes from running the file's code
        raise CheckpointError(
            f"{path}: truncated or corrupt checkpoint ({_first_line(exc)})"
        ) from exc


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")
