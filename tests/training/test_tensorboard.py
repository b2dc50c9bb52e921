"""``--tensorboard``: per-epoch events beside metrics.jsonl, no change to the result, resumable."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from vimax.cli import main
from vimax.training.run_folder import RunFolder
from vimax.training.tensorboard import MISSING, epoch_scalars

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

EPOCHS = 4
ARGS = ["train", "--dataset", "digits", "--objective", "vim", "--epochs", str(EPOCHS), "--lr", "1e-3",
        "--latent-dim", "4", "--batch-size", "100", "--seed", "1", "--device", "cpu",
        "--set", "model.hidden=[32, 32]", "--set", "train.eval_samples=2", "--set", "train.threads=1",
        "--set", "train.ema_decay=0.9"]
TIMING = {"train_seconds", "train_samples_per_s"}


def run_vimax(out: Path, *extra: str, failpoint: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "VIMAX_FAILPOINT"}
    if failpoint:
        env["VIMAX_FAILPOINT"] = failpoint
    return subprocess.run([sys.executable, "-m", "vimax", *ARGS, "--out", str(out), *extra], env=env,
                          capture_output=True, text=True, timeout=600)


def events(run: Path) -> EventAccumulator:
    accumulator = EventAccumulator(str(run / "tensorboard"))
    accumulator.Reload()
    return accumulator


def result(run: Path) -> tuple[dict, dict]:
    metrics = json.loads((run / "metrics.json").read_text())
    weights = torch.load(run / "model.pt", weights_only=True)
    return {k: v for k, v in metrics.items() if k not in TIMING}, weights


def test_events_hold_each_epoch_of_metrics_jsonl(tmp_path):
    run = tmp_path / "run"
    assert main([*ARGS, "--out", str(run), "--tensorboard"]) == 0
    history = RunFolder(run).read_history()
    accumulator = events(run)
    tags = set(accumulator.Tags()["scalars"])
    expected = {"lr", "train/loss", "train/task", "train/mmd", "train/rate_bits", "train/izy_bits",
                "val/error", "val/error_mean_z", "diagnostics/regulariser_grad_ratio",
                "diagnostics/latent_scale", "diagnostics/posterior_std_median", "final/test_error",
                "final/val_error"}
    assert expected <= tags
    for tag in ("val/error", "train/loss", "diagnostics/latent_scale", "lr"):
        scalars = accumulator.Scalars(tag)
        assert [s.step for s in scalars] == list(range(1, EPOCHS + 1))
        wanted = [epoch_scalars(row)[tag] for row in history]
        assert [s.value for s in scalars] == pytest.approx(wanted, rel=1e-6)  # stored as float32
    metrics = json.loads((run / "metrics.json").read_text())
    (final,) = accumulator.Scalars("final/test_error")
    assert final.step == EPOCHS and final.value == pytest.approx(metrics["test_error"], rel=1e-6)
    assert (run / "curves.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")
def test_events_change_nothing_and_a_resume_purges_the_epoch_it_trains_again(tmp_path):
    reference = tmp_path / "reference"
    assert main([*ARGS, "--out", str(reference)]) == 0  # one torch thread, as in the subprocesses
    assert not (reference / "tensorboard").exists()

    crashed = tmp_path / "crashed"
    # killed while writing epoch 2's checkpoint: epoch 2's events are written, its checkpoint is not
    killed = run_vimax(crashed, "--tensorboard",
                       failpoint="kill@atomic_write:name=checkpoint.pt,stage=opened,hit=2")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert [s.step for s in events(crashed).Scalars("val/error")] == [1, 2]
    resumed = run_vimax(crashed, "--tensorboard", "--resume")
    assert resumed.returncode == 0, resumed.stderr

    metrics, weights = result(crashed)
    expected_metrics, expected_weights = result(reference)
    assert metrics == expected_metrics
    assert weights.keys() == expected_weights.keys()
    assert all(torch.equal(weights[name], tensor) for name, tensor in expected_weights.items())
    scalars = events(crashed).Scalars("val/error")  # epoch 2 trained twice, shown once
    assert [s.step for s in scalars] == list(range(1, EPOCHS + 1))
    assert [s.value for s in scalars] == pytest.approx([row["val_error"] for row in
                                                        RunFolder(crashed).read_history()], rel=1e-6)


def test_a_run_started_without_events_may_be_resumed_with_them(tmp_path):
    """train.tensorboard is how a run is watched, not what it computes: it does not block a resume."""
    folder = RunFolder(tmp_path / "run")
    config = {"train": {"epochs": 2, "tensorboard": False}, "model": {"latent_dim": 4}}
    folder.start(config, resume=False, dataset={})
    folder.check_can_start({**config, "train": {"epochs": 2, "tensorboard": True}}, resume=True)
    with pytest.raises(Exception, match="model.latent_dim is 4 in the run, 8 given"):
        folder.check_can_start({**config, "model": {"latent_dim": 8}}, resume=True)


def test_missing_tensorboard_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # as if tensorboard were not installed
    out = tmp_path / "run"
    assert main([*ARGS, "--epochs", "1", "--out", str(out), "--tensorboard"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"vimax: error: {MISSING}"
    assert "pip install 'vimax[tensorboard]'" in err
    assert not out.exists()  # refused before any work
