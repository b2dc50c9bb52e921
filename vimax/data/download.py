"""Checked downloads into the local cache, with the standard library only.

A file is streamed into a temporary file beside its destination, its SHA-256
is checked, and only then is it renamed over the destination (``os.replace``),
so a killed or failed download never leaves a half-written or unverified file
under the final name.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from vimax.errors import DataError

__all__ = ["cache_dir", "download", "sha256_of"]

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
_USER_AGENT = "vimax (+https://pypi.org/project/vimax/)"
# Errors that mean "this mirror could not be reached or did not answer properly".
_NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError)


def cache_dir() -> Path:
    """The download cache: ``$VIMAX_CACHE`` if set, else ``~/.cache/vimax`` (not created)."""
    return Path(os.environ.get("VIMAX_CACHE") or "~/.cache/vimax").expanduser()


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def download(
    url: str | Sequence[str],
    dest_path: str | Path,
    sha256: str,
    *,
    timeout: float = 30,
    hint: str = "",
) -> Path:
    """Download ``url`` to ``dest_path`` and check its SHA-256.

    Args:
        url: one URL or a list of mirror URLs, tried in order until one gives a
            file with the right checksum (``http``, ``https`` and ``file`` work).
        dest_path: final path; its folder is created if needed.
        sha256: expected hex SHA-256 of the file.
        timeout: seconds to wait for each connection or read.
        hint: appended to the error when every mirror fails, to tell the user
            which file(s) to put where by hand.

    Returns:
        ``dest_path`` as a :class:`~pathlib.Path`.

    Raises:
        DataError: one line, when no mirror could be reached (the machine seems
            offline) or when a download's checksum does not match (the expected
            and actual hashes are named; the bad file is deleted).
    """
    urls = [url] if isinstance(url, str) else list(url)
    if not urls:
        raise DataError(f"no URL given to download {Path(dest_path).name}")
    dest = Path(dest_path)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"cannot create the download folder {dest.parent}: {_one_line(exc)}"
        raise DataError(msg) from exc
    expected = sha256.lower()
    mismatch = ""
    last_error = ""
    answered = False  # some server answered (an HTTP error), so the machine is not offline
    for source in urls:
        log.info("downloading %s to %s", source, dest)
        try:
            actual = _fetch(source, dest, expected, timeout)
        except _NETWORK_ERRORS as exc:
            answered = answered or isinstance(exc, urllib.error.HTTPError)
            last_error = f"{source}: {_one_line(exc)}"
            log.warning("download failed: %s", last_error)
            continue
        except ValueError as exc:  # a malformed URL or an unknown URL scheme
            last_error = f"{source}: {_one_line(exc)}"
            log.warning("bad download URL: %s", last_error)
            continue
        if actual == expected:
            log.info("saved %s (sha256 %s)", dest, actual)
            return dest
        mismatch = (f"checksum mismatch for {dest.name} downloaded from {source}: "
                    f"expected sha256 {expected}, got {actual}")
        log.warning("%s", mismatch)
    tail = f"; {hint}" if hint else ""
    if mismatch:
        raise DataError(f"{mismatch}; the corrupt download was deleted{tail}")
    why = "no mirror served it" if answered else "this machine seems offline"
    raise DataError(
        f"could not download {dest.name} from {len(urls)} mirror(s), {why} "
        f"(last error: {last_error}){tail}"
    )


def _fetch(url: str, dest: Path, expected: str, timeout: float) -> str:
    """Stream ``url`` into a temporary file beside ``dest``; keep it only if its hash matches.

    Returns the actual SHA-256. The temporary file is always removed unless it
    was renamed to ``dest``.
    """
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as resp:
            while chunk := resp.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if actual == expected:
            os.replace(tmp, dest)
        return actual
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"
