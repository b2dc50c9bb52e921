"""A run killed with SIGKILL at chosen moments and resumed ends exactly like an uninterrupted run.

The kills are not timed: the run kills itself at a failpoint (``vimax.failpoints``)
chosen from a seeded generator, so the test does the same on a fast machine and
a slow one: mid-epoch before a given step, inside the checkpoint's atomic write
(its temporary file open, or written and not yet renamed), and between two epochs
once the checkpoint is saved.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

EPOCHS = 8
ARGS = [
    "train", "--dataset", "digits", "--objective", "vim", "--epochs", str(EPOCHS), "--lr", "1e-3",
    "--latent-dim", "8", "--batch-size", "50", "--seed", "3", "--device", "cpu",
    "--set", "model.hidden=[128, 128]", "--set", "train.ema_decay=0.9",
    "--set", "train.lr_decay=exponential", "--set", "train.threads=1",
]
TIMING = {"train_seconds", "train_samples_per_s"}
STEPS_PER_EPOCH = 20  # digits' training split at batch 50 has more steps than this


def run_vimax(out: Path, *extra: str, failpoint: str | None = None) -> subprocess.Popen:
    command = [sys.executable, "-m", "vimax", *ARGS, "--out", str(out), *extra]
    env = {k: v for k, v in os.environ.items() if k != "VIMAX_FAILPOINT"}
    if failpoint:
        env["VIMAX_FAILPOINT"] = failpoint
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


def _epochs_done(run: Path) -> int:
    try:
        return len((run / "metrics.jsonl").read_text().splitlines())
    except FileNotFoundError:
        return 0


def kill_plan(rng: random.Random, done: int, kind: str) -> str:
    """A failpoint in one of the next two epochs after ``done`` finished ones."""
    epoch = min(done + rng.randint(1, 2), EPOCHS)
    if kind == "mid_epoch":
        return f"kill@train_step:epoch={epoch},step={rng.randint(1, STEPS_PER_EPOCH)}"
    if kind == "checkpoint_write":  # the checkpoint is written once per epoch, first by epoch done + 1
        stage = rng.choice(["opened", "written"])
        return f"kill@atomic_write:name=checkpoint.pt,stage={stage},hit={epoch - done}"
    return f"kill@epoch_end:epoch={min(epoch, EPOCHS - 1)}"


def final_state(run: Path) -> tuple[dict, dict]:
    metrics = json.loads((run / "metrics.json").read_text())
    weights = torch.load(run / "model.pt", weights_only=True)
    return {k: v for k, v in metrics.items() if k not in TIMING}, weights


def test_sigkill_and_resume_gives_identical_results(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    assert run_vimax(reference).wait(timeout=600) == 0
    expected_metrics, expected_weights = final_state(reference)

    crashed = tmp_path / "crashed"
    rng = random.Random(0)
    kinds = ["mid_epoch", "checkpoint_write", "between_epochs"]
    rng.shuffle(kinds)
    for kind in kinds:
        done = _epochs_done(crashed)
        plan = kill_plan(rng, done, kind)
        process = run_vimax(crashed, "--resume", failpoint=plan)
        process.wait(timeout=600)
        assert process.returncode == -signal.SIGKILL, (plan, process.returncode, process.stderr.read())
        assert _epochs_done(crashed) < EPOCHS, plan
    process = run_vimax(crashed, "--resume")
    process.wait(timeout=600)
    assert process.returncode == 0, process.stderr.read().decode()
    # one more resume of a finished run changes nothing
    assert run_vimax(crashed, "--resume").wait(timeout=600) == 0
    metrics, weights = final_state(crashed)
    assert metrics == expected_metrics
    assert weights.keys() == expected_weights.keys()
    for name, tensor in expected_weights.items():
        assert torch.equal(weights[name], tensor), name
    history = (crashed / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in history] == list(range(1, EPOCHS + 1))
    assert not list(crashed.glob(".*.tmp")), "a temporary file was left behind"
