"""Helpers of the reliability tests (issue 6).

- ``snapshot``: a function giving every file and folder under a root with its
  bytes and modification time, to prove that a failed command changed nothing.
- ``run_cli``: a function giving ``vimax.cli.main(argv)``'s exit code, also when
  argparse exits.
- ``run_as_script``: the same, but stderr holds what the installed script would
  print there: the log lines of ``main``'s own handler (pytest's capturing
  handlers are taken off the root logger) and any Python warning, formatted.
- Every test gets its own empty download cache and no ``$VIMAX_DATA``, and the
  logging set up by ``main`` is undone afterwards.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from vimax.cli import main

Snapshot = dict[str, tuple[bytes, int] | None]


def _snapshot(root: Path) -> Snapshot:
    """Relative path -> (bytes, mtime_ns) for files, None for folders."""
    out: Snapshot = {}
    for path in sorted(root.rglob("*")):
        name = str(path.relative_to(root))
        out[name] = None if path.is_dir() else (path.read_bytes(), path.stat().st_mtime_ns)
    return out


def _run_cli(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exit_:  # argparse's usage errors
        return exit_.code


@pytest.fixture(scope="session")
def snapshot() -> Callable[[Path], Snapshot]:
    return _snapshot


@pytest.fixture(scope="session")
def run_cli() -> Callable[[list[str]], int]:
    return _run_cli


def _run_as_script(argv: list[str]) -> int:
    logging.getLogger().handlers.clear()  # so that main()'s basicConfig logs to (captured) stderr
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()  # the interpreter's default filters, not pytest's (first match wins)
        warnings.simplefilter("default")
        for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.simplefilter("ignore", category)
        code = _run_cli(argv)
    for w in caught:
        sys.stderr.write(warnings.formatwarning(w.message, w.category, w.filename, w.lineno, w.line))
    return code


@pytest.fixture(scope="session")
def run_as_script() -> Callable[[list[str]], int]:
    return _run_as_script


@pytest.fixture(autouse=True)
def _isolated_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the user's data or cache; a download would land in tmp_path/cache."""
    monkeypatch.delenv("VIMAX_DATA", raising=False)
    monkeypatch.setenv("VIMAX_CACHE", str(tmp_path / "cache"))
