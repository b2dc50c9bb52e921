"""Checked downloads into the local cache, through pooch.

:func:`download` tries a list of mirror URLs in order; each is fetched by
`pooch <https://www.fatiando.org/pooch/>`_, which streams the file into a
temporary file beside its destination, checks its SHA-256, and only then moves
it to the destination, so a killed or failed download never leaves a half-written
or unverified file under the final name, and a file already there with the right
checksum is not downloaded again. A failed attempt is retried ``retries`` times
(pooch's ``retry_if_failed``, waiting 1 s, 2 s, ... between tries) before the
next mirror is tried.

What pooch does not do, and this module adds (pooch 1.9):

* ``file://`` URLs (pooch has no downloader for them: fatiando/pooch#429), with
  a small downloader of our own;
* the downloaded file's mode: pooch's temporary file is a ``NamedTemporaryFile``
  (mode 0600), which it moves into place as it is; ours is set to what
  ``open()`` would give (0644 with the usual umask) before the move;
* one error line that says whether the machine seems offline, the checksums of
  a mismatch, and what to put where by hand.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from vimax.atomic import file_mode
from vimax.errors import DataError

__all__ = ["cache_dir", "download", "sha256_of", "RETRIES"]

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
_USER_AGENT = "vimax (+https://pypi.org/project/vimax/)"
RETRIES = 1  # extra tries of each mirror; pooch waits 1 s before the first


def cache_dir() -> Path:
    """The download cache: ``$VIMAX_CACHE`` if set, else the user cache (``~/.cache/vimax`` on Linux).

    The folder is not created. The default is pooch's ``os_cache("vimax")``
    (platformdirs: ``$XDG_CACHE_HOME/vimax`` when that is set, ``~/Library/Caches/vimax`` on macOS).
    """
    env = os.environ.get("VIMAX_CACHE")
    if env:
        return Path(env).expanduser()
    import pooch

    return Path(pooch.os_cache("vimax")).expanduser()


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_file_url(url: str, output_file: str, pooch: Any) -> None:
    """A pooch downloader for ``file://`` URLs: copy the local file."""
    with urllib.request.urlopen(url) as source, open(output_file, "wb") as out:
        shutil.copyfileobj(source, out, _CHUNK)


class _Checked:
    """Wraps a pooch downloader: fsyncs the temporary file, sets its mode and notes its SHA-256.

    The mode and fsync happen before pooch moves the file into place; the hash
    lets a mismatch be reported with the actual checksum.
    """

    def __init__(self, downloader: Any) -> None:
        self.downloader = downloader
        self.sha256: str | None = None

    def __call__(self, url: str, output_file: str, pooch: Any) -> None:
        self.sha256 = None
        self.downloader(url, output_file, pooch)
        with open(output_file, "rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(output_file, file_mode())
        self.sha256 = sha256_of(output_file)


@contextlib.contextmanager
def _quiet_pooch() -> Iterator[None]:
    """pooch logs each download at INFO through a handler of its own; this module logs them instead."""
    import pooch

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _downloader(url: str, timeout: float, progress: bool) -> _Checked:
    """The downloader for ``url``'s scheme; ValueError for a scheme we do not fetch."""
    import pooch

    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme in ("http", "https"):
        return _Checked(pooch.HTTPDownloader(progressbar=progress, timeout=timeout,
                                             headers={"User-Agent": _USER_AGENT}))
    if scheme == "file":
        return _Checked(_copy_file_url)
    if scheme in ("ftp", "sftp", "doi"):
        return _Checked(pooch.choose_downloader(url, progressbar=progress))
    raise ValueError(f"unsupported URL {url!r} (use http, https, ftp or file)")


def download(
    url: str | Sequence[str],
    dest_path: str | Path,
    sha256: str,
    *,
    timeout: float = 30,
    hint: str = "",
    retries: int | None = None,
    progress: bool | None = None,
) -> Path:
    """Download ``url`` to ``dest_path`` and check its SHA-256.

    Args:
        url: one URL or a list of mirror URLs, tried in order until one gives a
            file with the right checksum (``http``, ``https``, ``ftp`` and ``file`` work).
        dest_path: final path; its folder is created if needed. A file there
            with the right checksum is kept and not downloaded again.
        sha256: expected hex SHA-256 of the file.
        timeout: seconds to wait for each connection or read.
        hint: appended to the error when every mirror fails, to tell the user
            which file(s) to put where by hand.
        retries: extra tries of each mirror (None: :data:`RETRIES`).
        progress: show a progress bar (None: when stderr is a terminal).

    Returns:
        ``dest_path`` as a :class:`~pathlib.Path`.

    Raises:
        DataError: one line, when no mirror could be reached (the machine seems
            offline) or when a download's checksum does not match (the expected
            and actual hashes are named; the bad file is deleted).
    """
    import pooch
    import requests

    urls = [url] if isinstance(url, str) else list(url)
    if not urls:
        raise DataError(f"no URL given to download {Path(dest_path).name}")
    dest = Path(dest_path).expanduser().absolute()
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the download folder {dest.parent}: {_one_line(exc)}") from exc
    expected = sha256.lower()
    retries = RETRIES if retries is None else retries
    progress = sys.stderr.isatty() if progress is None else progress
    mismatch = last_error = ""
    answered = False  # some server answered (an HTTP error), so the machine is not offline
    for source in urls:
        try:
            downloader = _downloader(source, timeout, progress)
        except ValueError as exc:
            last_error = f"{source}: {exc}"
            log.warning("bad download URL: %s", last_error)
            continue
        fetcher = pooch.create(path=dest.parent, base_url="", registry={dest.name: f"sha256:{expected}"},
                               urls={dest.name: source}, retry_if_failed=retries)
        log.info("downloading %s to %s", source, dest)
        try:
            with _quiet_pooch():
                fetcher.fetch(dest.name, downloader=downloader)
        except ValueError as exc:  # pooch's checksum mismatch (or a URL requests cannot parse)
            if downloader.sha256 is None or downloader.sha256 == expected:
                last_error = f"{source}: {_one_line(exc)}"
                log.warning("download failed: %s", last_error)
                continue
            mismatch = (f"checksum mismatch for {dest.name} downloaded from {source}: "
                        f"expected sha256 {expected}, got {downloader.sha256}")
            log.warning("%s", mismatch)
            continue
        except (requests.exceptions.RequestException, OSError) as exc:
            answered = answered or isinstance(exc, requests.exceptions.HTTPError)
            last_error = f"{source}: {_one_line(exc)}"
            log.warning("download failed: %s", last_error)
            continue
        log.info("saved %s (sha256 %s)", dest, expected)
        return dest
    tail = f"; {hint}" if hint else ""
    if mismatch:
        raise DataError(f"{mismatch}; the corrupt download was deleted{tail}")
    why = "no mirror served it" if answered else "this machine seems offline"
    raise DataError(f"could not download {dest.name} from {len(urls)} mirror(s), {why} "
                    f"(last error: {last_error}){tail}")


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"
