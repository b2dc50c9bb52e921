"""The training state a checkpoint holds, and putting it back.

Everything a resumed run needs to continue exactly as an uninterrupted one:
weights, optimizer, weight average, the epoch, the history, and the random
states of torch (and CUDA), numpy and Python. The data order of an epoch is a
function of (seed, epoch) (:func:`vimax.training.loop.epoch_order`), so it
needs no state.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch
from torch import nn

from vimax.training.ema import WeightAverage

__all__ = ["seed_everything", "training_state", "restore_training_state"]


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's generators (a run's initial weights and noise)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def restore_training_state(state: dict[str, Any], model: nn.Module, optimizer: torch.optim.Optimizer,
                           average: WeightAverage | None) -> tuple[int, list[dict[str, Any]], float]:
    """Load a :func:`training_state` back; return (epochs done, history, training seconds)."""
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if average is not None:
        average.load_state_dict(state["average"])
    torch.set_rng_state(state["rng_torch"])
    if torch.cuda.is_available() and state.get("rng_cuda") is not None:
        torch.cuda.set_rng_state_all(state["rng_cuda"])
    np.random.set_state(tuple(state["rng_numpy"]))
    random.setstate(_as_tuple(state["rng_python"]))
    return int(state["epoch"]), list(state["history"]), float(state["train_seconds"])


def _as_tuple(value: Any) -> Any:
    """Lists back to tuples, nested (Python's random state went through a checkpoint)."""
    return tuple(_as_tuple(v) for v in value) if isinstance(value, (list, tuple)) else value


def training_state(epoch: int, model: nn.Module, optimizer: torch.optim.Optimizer,
                   average: WeightAverage | None, history: list[dict[str, Any]],
                   train_seconds: float) -> dict[str, Any]:
    """Everything to resume after ``epoch`` epochs, as tensors and plain values (weights_only loads it)."""
    np_state = np.random.get_state()
    return {
        "epoch": epoch,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "average": average.state_dict() if average is not None else None,
        "rng_torch": torch.get_rng_state(),
        "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
        "rng_numpy": [np_state[0], torch.from_numpy(np_state[1].copy()), *np_state[2:]],
        "rng_python": random.getstate(),
        "history": history,
        "train_seconds": train_seconds,
    }
