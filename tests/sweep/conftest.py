"""Tiny sweeps on the embedded digits: a 32-32 MLP, K = 4, one epoch."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

TINY_SWEEP: dict[str, Any] = {
    "name": "tiny",
    "seeds": 1,
    "base": {
        "data": {"name": "digits"},
        "model": {"hidden": [32, 32], "latent_dim": 4},
        "train": {"epochs": 1, "batch_size": 100, "eval_samples": 2, "threads": 1},
    },
    "profiles": {"cpu": {"train": {"lr": 1.0e-3}}, "paper": {"train": {"epochs": 2}}},
    "grid": [
        {"name": "deterministic", "objective": {"name": "deterministic"}},
        {"name": "vim", "objective.name": "vim", "objective.prior_std": 1.0,
         "axes": {"objective.beta": [1.0e-3, 1.0e-2]}},
    ],
    "evaluate": False,
}


@pytest.fixture
def tiny_sweep() -> dict[str, Any]:
    """A fresh copy of the tiny sweep dict, to change freely."""
    return copy.deepcopy(TINY_SWEEP)


@pytest.fixture
def write_sweep(tmp_path: Path):
    """Write a sweep dict to a YAML file and return its path."""

    def write(data: dict[str, Any], name: str = "tiny.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data))
        return path

    return write
