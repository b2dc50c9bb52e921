"""The peak-memory run: the command it starts and the figure it reads."""

from __future__ import annotations

import pytest
import torch

from benchmarks.config import BenchConfig
from benchmarks.memory import measure_memory, training_command


def test_memory_run_command_uses_the_configured_settings(tmp_path):
    config = BenchConfig(threads=1, data_dir="/data")
    command = training_command(config, tmp_path)
    assert command[1:4] == ["-m", "vimax", "-q"]
    assert "--data-dir" in command and "train.threads=1" in command
    assert "data.download=false" in command
    assert command[command.index("--epochs") + 1] == "1"


@pytest.mark.slow
def test_memory_is_the_child_runs_own_peak():
    ballast = torch.ones(2**28)  # 1 GiB in this process, which the child must not inherit
    memory = measure_memory(BenchConfig(memory_dataset="digits", threads=1))
    assert memory["dataset"] == "digits"
    assert 50 < memory["peak_rss_mib"] < ballast.numel() * 4 / 2**20


def test_memory_run_failure_is_reported(tmp_path):
    memory = measure_memory(BenchConfig(memory_dataset="mnist", data_dir=str(tmp_path)))
    assert "peak_rss_mib" not in memory and "MNIST" in memory["error"]
