"""Datasets: in-memory train / validation / test splits, built by name or read from a file.

Every loader registers itself in :data:`DATASETS` when its module is imported
below, so ``build_dataset("mnist", data_dir=...)`` works for any of them. A data
file or image folder is read by :func:`load_file`; your own loader is added with
:func:`register_dataset`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Importing a loader module registers it in DATASETS.
from vimax.data import cifar10, digits, mnist  # noqa: F401
from vimax.data.arrays import prepare_arrays
from vimax.data.base import DATASETS, Dataset, Split, make_dataset
from vimax.data.cifar10 import load_cifar10
from vimax.data.config import DataConfig, load_dataset
from vimax.data.digits import load_digits
from vimax.data.files import load_file
from vimax.data.mnist import load_mnist

__all__ = [
    "DATASETS", "DataConfig", "Dataset", "Split", "build_dataset", "load_cifar10", "load_dataset",
    "load_digits", "load_file", "load_mnist", "make_dataset", "prepare_arrays", "register_dataset",
]


def build_dataset(name: str, **kwargs: Any) -> Dataset:
    """Build the dataset registered under ``name`` (``"digits"``, ``"mnist"``, ...).

    Keyword arguments go to its loader (``data_dir``, ``val_size``, ``download``).
    Raises :class:`~vimax.errors.ConfigError` for an unknown name.
    """
    return DATASETS.build(name, **kwargs)


def register_dataset(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a dataset loader under ``name``, so configs and the CLI can name it.

    The loader takes any of the keyword arguments ``data_dir`` (str or None),
    ``download`` (bool) and ``val_size`` (int; omitted when the config leaves it
    unset; for a loader that builds its own splits) that it declares, and
    returns either

    * a dict of numpy arrays ``x`` (N, ...) and ``y`` (N,), with optional
      ``x_test`` and ``y_test``: prepared like a ``.npz`` file (held-out test
      and validation splits drawn with ``data.split_seed``; uint8 images scaled
      to [0, 1]; other inputs standardised with the training split's statistics,
      saved with the run), or
    * a :class:`Dataset` (e.g. from :func:`make_dataset`), used as it is.

    Example, in a module ``my_data.py``::

        import numpy as np
        import vimax

        @vimax.register_dataset("blobs")
        def load_blobs():
            rng = np.random.default_rng(0)
            y = rng.integers(0, 3, 600)
            x = rng.normal(size=(600, 5)) + y[:, None]
            return {"x": x, "y": y}

    then ``vimax --import my_data train --dataset blobs --out runs/blobs`` (or
    ``fit(RunConfig(data=DataConfig(name="blobs")), "runs/blobs")`` after
    ``import my_data``); ``vimax --import my_data evaluate runs/blobs`` loads it
    again. The module must be importable (on ``sys.path``, or given as a path
    to its ``.py`` file); sweep workers import it too.

    Raises:
        KeyError: ``name`` is registered already.
    """
    return DATASETS.register(name)
