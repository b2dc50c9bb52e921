"""Datasets: in-memory train / validation / test splits, built by name.

Every loader registers itself in :data:`DATASETS` when its module is imported
below, so ``build_dataset("mnist", data_dir=...)`` works for any of them.
"""

from __future__ import annotations

from typing import Any

# Importing a loader module registers it in DATASETS.
from vimax.data import cifar10, digits, mnist  # noqa: F401
from vimax.data.base import DATASETS, Dataset, Split
from vimax.data.cifar10 import load_cifar10
from vimax.data.digits import load_digits
from vimax.data.mnist import load_mnist

__all__ = [
    "DATASETS", "Dataset", "Split", "build_dataset", "load_cifar10", "load_digits", "load_mnist",
]


def build_dataset(name: str, **kwargs: Any) -> Dataset:
    """Build the dataset registered under ``name`` (``"digits"``, ``"mnist"``, ...).

    Keyword arguments go to its loader (``data_dir``, ``val_size``, ``download``).
    Raises :class:`~vimax.errors.ConfigError` for an unknown name.
    """
    return DATASETS.build(name, **kwargs)
