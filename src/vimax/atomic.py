"""Atomic file writes: write a temporary file in the same folder, flush, fsync, rename.

A kill at any moment leaves either the previous good file or the new one,
never a half-written file. The temporary file of a killed writer
(``.<name>.<host>-<pid>.<random>.tmp``) stays behind until the next write of the
same file on the same host, which removes it once its process is gone.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import torch

from vimax.failpoints import failpoint

__all__ = ["atomic_write", "atomic_write_text", "atomic_write_json", "atomic_write_jsonl", "file_mode",
           "atomic_save_checkpoint"]


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write(fileobj)`` on a temporary file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{_HOST}-{os.getpid()}.", suffix=".tmp",
                               dir=path.parent)
    try:
        os.fchmod(fd, file_mode())  # mkstemp makes 0600; results should read like any file
        failpoint("atomic_write", name=path.name, stage="opened")
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        failpoint("atomic_write", name=path.name, stage="written")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


_HOST = re.sub(r"[^A-Za-z0-9-]", "-", platform.node()) or "host"
_OWNER = re.compile(r"^(?P<host>[A-Za-z0-9-]*)-(?P<pid>[0-9]+)\.[^.]+\.tmp$")


def _remove_stale_temporaries(path: Path) -> None:
    """Delete temporaries of ``path`` left by killed writers: this host's, whose process is gone."""
    if os.name != "posix":  # os.kill(pid, 0) probes a process only on POSIX
        return
    prefix = f".{path.name}."
    try:
        entries = [e.name for e in os.scandir(path.parent) if e.name.startswith(prefix)]
    except OSError:
        return
    for name in entries:
        owner = _OWNER.match(name[len(prefix):])
        if owner is None or owner["host"] != _HOST or _alive(int(owner["pid"])):
            continue
        try:
            os.unlink(path.parent / name)
        except OSError:
            pass


def remove_stale_temporaries_in(folder: str | Path) -> None:
    """Delete every temporary in ``folder`` left by a killed writer (this host's, process gone): a
    file finished before its writer was killed mid-rewrite is never written again to clean it."""
    try:
        names = [e.name for e in os.scandir(folder) if e.name.startswith(".") and e.name.endswith(".tmp")]
    except OSError:
        return
    for name in names:
        final, sep, _ = name[1:].rpartition(f".{_HOST}-")
        if sep:
            _remove_stale_temporaries(Path(folder) / final)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (a zombie, killed but not reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: another user's process
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rpartition(b")")[2].split()[:1] != [b"Z"]
    except OSError:  # no /proc (not Linux), or it ended meanwhile
        return True


@functools.cache
def file_mode() -> int:
    """0666 less the process's umask: the mode ``open()`` would give a new file."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))


def atomic_write_json(path: str | Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON to ``path`` atomically (NaN and Inf are written as null)."""
    atomic_write_text(path, json.dumps(_finite(obj), indent=2) + "\n")


def atomic_write_jsonl(path: str | Path, rows: list[Any]) -> None:
    """Write one JSON line per row to ``path`` atomically (NaN and Inf are written as null)."""
    atomic_write_text(path, "".join(json.dumps(_finite(row)) + "\n" for row in rows))


def atomic_save_checkpoint(obj: Any, path: str | Path) -> None:
    """``torch.save`` ``obj`` to ``path`` atomically."""
    atomic_write(path, lambda handle: torch.save(obj, handle))


def _finite(obj: Any) -> Any:
    if isinstance(obj, float) and (obj != obj or obj in (float("inf"), float("-inf"))):
        return None
    if isinstance(obj, dict):
        return {key: _finite(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(value) for value in obj]
    return obj
