"""download() against a local HTTP server on 127.0.0.1 and file:// URLs: nothing leaves the machine.

download() fetches through pooch (checksums, retries) with a file:// downloader of
vimax's own (pooch has none); retries are off (tests/data/conftest.py) unless a
test turns them on.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import socket
import stat
import threading
from pathlib import Path

import pytest

from vimax.data.download import cache_dir, download, sha256_of
from vimax.errors import DataError

PAYLOAD = bytes(range(256)) * 40_000 + b"tail"  # ~10 MB: several read chunks
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()
HINT = "put blob.bin in /some/folder"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files; counts GET requests per path; answers 503 to the first ``fail_first`` of each."""

    requests: dict[str, int] = {}
    fail_first = 0

    def do_GET(self):
        seen = self.requests[self.path] = self.requests.get(self.path, 0) + 1
        if seen <= self.fail_first:
            self.send_error(503, "try again")
            return
        super().do_GET()

    def log_message(self, format, *args):
        pass


@pytest.fixture
def server(tmp_path):
    """A static file server on 127.0.0.1 (a free port) serving tmp_path/'www'."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "blob.bin").write_bytes(PAYLOAD)
    _QuietHandler.requests, _QuietHandler.fail_first = {}, 0
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def dead_url():
    """Make http URLs on 127.0.0.1 where nothing listens (connection refused).

    Each port stays bound (without listening) until the test ends, so no other
    process can take it meanwhile: a connection is refused for sure, not by luck.
    """
    sockets = []

    def make() -> str:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
        return f"http://127.0.0.1:{sock.getsockname()[1]}/blob.bin"

    yield make
    for sock in sockets:
        sock.close()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_http_happy_path(server, tmp_path):
    dest = tmp_path / "out" / "sub" / "blob.bin"
    assert download(f"{server}/blob.bin", dest, PAYLOAD_SHA) == dest
    assert dest.read_bytes() == PAYLOAD
    assert _leftovers(dest.parent) == ["blob.bin"]  # no temporary file left behind
    assert sha256_of(dest) == PAYLOAD_SHA


def test_the_downloaded_file_reads_like_any_file(server, tmp_path):
    """pooch's temporary file is 0600; the cached file gets open()'s mode (0666 less the umask)."""
    dest = tmp_path / "blob.bin"
    umask = os.umask(0o022)
    try:
        download(f"{server}/blob.bin", dest, PAYLOAD_SHA)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o644


def test_a_good_file_already_there_is_not_downloaded_again(server, tmp_path):
    dest = tmp_path / "blob.bin"
    download(f"{server}/blob.bin", dest, PAYLOAD_SHA)
    before = dest.stat().st_mtime_ns
    download(f"{server}/blob.bin", dest, PAYLOAD_SHA)
    assert _QuietHandler.requests == {"/blob.bin": 1} and dest.stat().st_mtime_ns == before


def test_a_failed_attempt_is_retried(server, tmp_path):
    """The server answers 503 once; with one retry (pooch's retry_if_failed) the file arrives."""
    _QuietHandler.fail_first = 1
    dest = tmp_path / "blob.bin"
    with pytest.raises(DataError, match="503"):
        download(f"{server}/blob.bin", dest, PAYLOAD_SHA, retries=0)
    _QuietHandler.requests = {}
    download(f"{server}/blob.bin", dest, PAYLOAD_SHA, retries=1)
    assert dest.read_bytes() == PAYLOAD and _QuietHandler.requests == {"/blob.bin": 2}


def test_mirrors_are_tried_in_order(server, tmp_path, dead_url):
    dest = tmp_path / "blob.bin"
    urls = [dead_url(), f"{server}/missing.bin", f"{server}/blob.bin"]
    download(urls, dest, PAYLOAD_SHA.upper(), timeout=5)
    assert dest.read_bytes() == PAYLOAD


def test_checksum_mismatch_leaves_no_file(server, tmp_path):
    dest = tmp_path / "out" / "blob.bin"
    wrong = "0" * 64
    with pytest.raises(DataError) as info:
        download(f"{server}/blob.bin", dest, wrong, hint=HINT)
    msg = str(info.value)
    assert wrong in msg and PAYLOAD_SHA in msg and "blob.bin" in msg and "\n" not in msg
    assert _leftovers(dest.parent) == []


def test_mismatch_keeps_existing_good_file(server, tmp_path):
    dest = tmp_path / "blob.bin"
    dest.write_bytes(b"old content")
    with pytest.raises(DataError, match="checksum mismatch"):
        download(f"{server}/blob.bin", dest, "f" * 64)
    assert dest.read_bytes() == b"old content"
    assert _leftovers(tmp_path) == sorted(["blob.bin", "www"])


def test_unreachable_url_gives_offline_error_with_hint(tmp_path, dead_url):
    dest = tmp_path / "blob.bin"
    with pytest.raises(DataError) as info:
        download([dead_url(), dead_url()], dest, PAYLOAD_SHA, timeout=5, hint=HINT)
    msg = str(info.value)
    assert "offline" in msg and HINT in msg and "2 mirror(s)" in msg and "\n" not in msg
    assert _leftovers(tmp_path) == []


def test_http_404_is_not_called_offline(server, tmp_path):
    with pytest.raises(DataError) as info:
        download(f"{server}/nope.bin", tmp_path / "nope.bin", PAYLOAD_SHA, hint=HINT)
    assert "404" in str(info.value) and "offline" not in str(info.value)


def test_timeout_gives_data_error(tmp_path):
    """A server that accepts the connection but never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/blob.bin"
        with pytest.raises(DataError, match="offline"):
            download(url, tmp_path / "blob.bin", PAYLOAD_SHA, timeout=0.5, hint=HINT)
    assert _leftovers(tmp_path) == []


def test_file_url_and_bad_urls(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"hello")
    sha = hashlib.sha256(b"hello").hexdigest()
    dest = tmp_path / "d" / "copy.bin"
    download(["not a url", (tmp_path / "absent.bin").as_uri(), src.as_uri()], dest, sha)
    assert dest.read_bytes() == b"hello"
    with pytest.raises(DataError, match="no URL"):
        download([], dest, sha)
    with pytest.raises(DataError, match="ftp-ish"):
        download("ftp-ish://x/y", tmp_path / "e.bin", sha)


def test_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("VIMAX_CACHE", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    monkeypatch.delenv("VIMAX_CACHE")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache_dir() == tmp_path / ".cache" / "vimax"
