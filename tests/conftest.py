"""Fixtures shared by the whole test suite.

- ``mnist_dir``: the folder holding the real ``mnist.npz`` ($VIMAX_DATA, else the
  repo-relative ``../shared/data``); the test is skipped with a reason otherwise.
- ``digits_dataset``: scikit-learn's 8x8 digits as a :class:`vimax.data.Dataset`.
- ``tiny_digits``: a small slice of it (200 train / 100 val / 100 test) for quick fits.
- ``brute_force_mmd``: the squared MMD by pure Python loops over pairs, the
  trusted reference for :func:`vimax.objectives.divergences.mmd`.

Torch runs on one thread during the tests: the two CPU cores are shared, and
two contending intra-op threads make small models several times slower.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch

from vimax.data import Dataset, Split, load_digits

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread() -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """main() configures logging and some commands quieten vimax.training: undo both."""
    root, training = logging.getLogger(), logging.getLogger("vimax.training")
    handlers, levels = list(root.handlers), (root.level, training.level)
    yield
    root.handlers[:] = handlers
    root.setLevel(levels[0])
    training.setLevel(levels[1])


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder holding the real mnist.npz, or skip."""
    env = os.environ.get("VIMAX_DATA")
    candidates = ([Path(env)] if env else []) + [SHARED_DATA]
    for folder in candidates:
        if (folder / "mnist.npz").is_file():
            return folder
    pytest.skip(f"real MNIST not available: no mnist.npz in $VIMAX_DATA ({env or 'unset'}) "
                f"nor in {SHARED_DATA}")


@pytest.fixture(scope="session")
def digits_dataset() -> Dataset:
    """scikit-learn's digits: 1,137 train / 300 validation / 360 test images of (1, 8, 8)."""
    return load_digits()


def _head(split: Split, n: int) -> Split:
    return Split(split.images[:n].clone(), split.labels[:n].clone())


@pytest.fixture(scope="session")
def tiny_digits(digits_dataset: Dataset) -> Dataset:
    """The first 200 / 100 / 100 images of the digits splits: a fit takes a fraction of a second."""
    d = digits_dataset
    return Dataset("digits", _head(d.train, 200), _head(d.val, 100), _head(d.test, 100), 10)


def _brute_force_mmd(
    x: torch.Tensor, y: torch.Tensor, kernel: str = "imq", scale: float | None = None,
    unbiased: bool = True,
) -> float:
    """Squared MMD by explicit loops over pairs, in Python floats (double precision)."""
    xs, ys = x.tolist(), y.tolist()
    c = float(len(xs[0])) if scale is None else float(scale)

    def k(a: list[float], b: list[float]) -> float:
        d = sum((ai - bi) ** 2 for ai, bi in zip(a, b))
        return c / (c + d) if kernel == "imq" else math.exp(-d / c)

    n, m = len(xs), len(ys)
    if unbiased:
        xx = sum(k(xs[i], xs[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
        yy = sum(k(ys[i], ys[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    else:
        xx = sum(k(a, b) for a in xs for b in xs) / (n * n)
        yy = sum(k(a, b) for a in ys for b in ys) / (m * m)
    xy = sum(k(a, b) for a in xs for b in ys) / (n * m)
    return xx + yy - 2.0 * xy


@pytest.fixture(scope="session")
def brute_force_mmd() -> Callable[..., float]:
    return _brute_force_mmd
