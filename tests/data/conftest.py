"""Fixtures of the data tests.

- Downloads are tried once per mirror (no retries, which wait 1 s first), except
  where a test asks for retries itself.
- Every test gets its own empty download cache and no ``$VIMAX_DATA``, so a
  decoded image folder or a download lands in ``tmp_path/cache``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vimax.data import download


@pytest.fixture(autouse=True)
def _no_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(download, "RETRIES", 0)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIMAX_DATA", raising=False)
    monkeypatch.setenv("VIMAX_CACHE", str(tmp_path / "cache"))
