"""A run killed with SIGKILL at random moments and resumed ends exactly like an uninterrupted run."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

ARGS = [
    "train", "--dataset", "digits", "--objective", "vim", "--epochs", "8", "--lr", "1e-3",
    "--latent-dim", "8", "--batch-size", "50", "--seed", "3",
    "--set", "model.hidden=[128, 128]", "--set", "train.ema_decay=0.9",
    "--set", "train.lr_decay=exponential", "--set", "train.threads=1",
]
TIMING = {"train_seconds", "train_samples_per_s"}


def run_vimax(out: Path, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "vimax", *ARGS, "--out", str(out), *extra]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _epochs_done(run: Path) -> int:
    try:
        return len((run / "metrics.jsonl").read_text().splitlines())
    except FileNotFoundError:
        return 0


def final_state(run: Path) -> tuple[dict, dict]:
    metrics = json.loads((run / "metrics.json").read_text())
    weights = torch.load(run / "model.pt", weights_only=True)
    return {k: v for k, v in metrics.items() if k not in TIMING}, weights


def test_sigkill_and_resume_gives_identical_results(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    assert run_vimax(reference).wait(timeout=300) == 0
    expected_metrics, expected_weights = final_state(reference)

    crashed = tmp_path / "crashed"
    rng = random.Random(0)
    kills = 0
    for _ in range(3):
        process = run_vimax(crashed, "--resume")
        # wait until this process has finished one more epoch, then kill it at a random moment
        # of the next one (or while it writes its checkpoint)
        done = _epochs_done(crashed)
        while process.poll() is None and _epochs_done(crashed) == done:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.3))
        assert process.poll() is None, "the run ended before it was killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        kills += 1
    process = run_vimax(crashed, "--resume")
    process.wait(timeout=300)
    assert process.returncode == 0, process.stderr.read().decode()
    # one more resume of a finished run changes nothing
    assert run_vimax(crashed, "--resume").wait(timeout=120) == 0
    metrics, weights = final_state(crashed)
    assert kills == 3
    assert metrics == expected_metrics
    assert weights.keys() == expected_weights.keys()
    for name, tensor in expected_weights.items():
        assert torch.equal(weights[name], tensor), name
    history = (crashed / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in history] == list(range(1, 9))
    assert not list(crashed.glob(".*.tmp")), "a temporary file was left behind"
