"""The failpoint spec parser and matcher (the kill/hold actions are exercised by the crash tests)."""

from __future__ import annotations

import pytest

from vimax import failpoints


@pytest.fixture(autouse=True)
def _disarmed():
    yield
    failpoints.disarm()


def test_parse_filters_and_hit():
    spec = failpoints._parse("kill@atomic_write:name=checkpoint.pt, stage=written,hit=2")
    assert (spec.action, spec.point, spec.filters, spec.hit) == (
        "kill", "atomic_write", {"name": "checkpoint.pt", "stage": "written"}, 2)


@pytest.mark.parametrize("text", ["boom@x", "kill", "kill@", "kill@x:epoch"])
def test_malformed_spec_is_refused(text):
    with pytest.raises(ValueError, match="VIMAX_FAILPOINT"):
        failpoints._parse(text)


def test_hold_fires_only_on_the_matching_hit(tmp_path, monkeypatch):
    monkeypatch.setenv(failpoints.DIR_ENV, str(tmp_path))
    (tmp_path / "release").write_text("")  # the hold returns at once
    failpoints.arm("hold@epoch_end:run=vib_*,hit=2")
    assert failpoints.ARMED
    failpoints.failpoint("epoch_end", epoch=1, run="vim_seed0")  # no match
    failpoints.failpoint("train_step", epoch=1, run="vib_seed0")  # another point
    failpoints.failpoint("epoch_end", epoch=1, run="vib_seed0")  # first match: not the hit
    assert not list(tmp_path.glob("held-*"))
    failpoints.failpoint("epoch_end", epoch=2, run="vib_seed0")  # second match: holds
    assert len(list(tmp_path.glob("held-*"))) == 1
    failpoints.failpoint("epoch_end", epoch=3, run="vib_seed0")
    assert len(list(tmp_path.glob("held-*"))) == 1


def test_alternatives(tmp_path, monkeypatch):
    monkeypatch.setenv(failpoints.DIR_ENV, str(tmp_path))
    (tmp_path / "release").write_text("")
    failpoints.arm("hold@epoch_end:run=vib_*|deterministic_*")
    failpoints.failpoint("epoch_end", run="vim_seed0")
    assert not list(tmp_path.glob("held-*"))
    failpoints.failpoint("epoch_end", run="deterministic_seed0")
    assert len(list(tmp_path.glob("held-*"))) == 1
