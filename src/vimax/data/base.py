"""In-memory datasets: the containers every loader returns.

Inputs are kept as one preloaded float32 tensor of shape (N, ...) and labels as
int64 (N,), so the training loop indexes batches directly instead of collating
samples one by one. Images are (N, C, H, W) with pixels in [0, 1]; features read
from a file may have any shape and be standardised (then they have no bounds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from vimax.errors import DataError
from vimax.registry import Registry

__all__ = ["Split", "Dataset", "DATASETS", "make_dataset", "split_validation"]

DATASETS: Registry[Any] = Registry(
    "dataset", hint="a dataset registered by your own module needs --import MODULE; "
                    "a data file is given by its path")


@dataclass(frozen=True)
class Split:
    """One split of a dataset.

    Attributes:
        images: (N, ...) float32: images (N, C, H, W) in [0, 1], or features of any shape.
        labels: (N,) int64 in [0, num_classes).
    """

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def to(self, device: torch.device | str) -> Split:
        return Split(self.images.to(device), self.labels.to(device))


@dataclass(frozen=True)
class Dataset:
    """Train / validation / test splits of one dataset.

    The validation split is held out of the official training set and is the
    only split used for model selection; the test split is for final figures.

    Attributes:
        bounds: the range of every input value, (0, 1) for images; None for
            unbounded (standardised) features, which an attack measured in pixel
            units cannot use.
        classes: the class names, when the data named them (CSV labels, folders).
        normalization: the training split's statistics the inputs were
            standardised with (see :mod:`vimax.data.arrays`), or None.
        source: where the data came from, for a dataset read from a file:
            ``{"path", "sha256", "format"}`` (see :mod:`vimax.data.files`).
    """

    name: str
    train: Split
    val: Split
    test: Split
    num_classes: int
    bounds: tuple[float, float] | None = (0.0, 1.0)
    classes: tuple[str, ...] | None = None
    normalization: dict[str, Any] | None = None
    source: dict[str, Any] | None = None

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one input: (C, H, W) for images, any shape for features."""
        return tuple(self.train.images.shape[1:])

    def provenance(self) -> dict[str, Any]:
        """What a run saves beside its dataset summary to find and prepare the same data again."""
        extra: dict[str, Any] = {"bounds": None if self.bounds is None else list(self.bounds)}
        for key in ("classes", "normalization", "source"):
            value = getattr(self, key)
            if value is not None:
                extra[key] = list(value) if key == "classes" else value
        return extra

    @property
    def label_entropy(self) -> float:
        """H(Y) of the training labels in nats (the constant in I(Z;Y) >= H(Y) - CE)."""
        counts = torch.bincount(self.train.labels, minlength=self.num_classes).double()
        p = counts[counts > 0] / counts.sum()
        return float(-(p * p.log()).sum())


def _as_images(x: np.ndarray, name: str) -> torch.Tensor:
    """uint8 (N, H, W) or (N, H, W, C) or float in [0, 1] -> float32 (N, C, H, W)."""
    if x.ndim == 3:
        x = x[:, None, :, :]
    elif x.ndim == 4 and x.shape[-1] in (1, 3) and x.shape[1] not in (1, 3):
        x = x.transpose(0, 3, 1, 2)
    if x.ndim != 4:
        raise DataError(f"{name}: images must have 3 or 4 dimensions, got shape {x.shape}")
    if x.dtype == np.uint8:
        return torch.from_numpy(np.ascontiguousarray(x)).float().div_(255.0)
    if not np.issubdtype(x.dtype, np.floating):
        raise DataError(f"{name}: images must be uint8 or float, got {x.dtype}")
    if x.size and (np.isnan(x).any() or x.min() < 0.0 or x.max() > 1.0):  # NaN first: no warnings
        raise DataError(f"{name}: float images must lie in [0, 1]")
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))


def _as_labels(y: np.ndarray, n: int, num_classes: int, name: str) -> torch.Tensor:
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != n:
        raise DataError(f"{name}: expected {n} labels of shape ({n},), got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise DataError(f"{name}: labels must be integers, got {y.dtype}")
    if n and (y.min() < 0 or y.max() >= num_classes):
        raise DataError(f"{name}: labels must lie in [0, {num_classes}), got {y.min()}..{y.max()}")
    return torch.from_numpy(y.astype(np.int64))


def split_validation(train: Split, val_size: int) -> tuple[Split, Split]:
    """Hold the last ``val_size`` training examples out as the validation split."""
    n = len(train)
    if not 0 < val_size < n:
        raise DataError(f"val_size must lie in (0, {n}), got {val_size}")
    cut = n - val_size
    return (
        Split(train.images[:cut], train.labels[:cut]),
        Split(train.images[cut:], train.labels[cut:]),
    )


def make_dataset(
    name: str,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    num_classes: int,
    val_size: int,
    source: str = "",
) -> Dataset:
    """Check arrays and build a :class:`Dataset` with a held-out validation split.

    Raises :class:`~vimax.errors.DataError` naming ``source`` on any bad shape,
    dtype or label.
    """
    where = source or name
    tr = _as_images(np.asarray(x_train), f"{where} (train)")
    te = _as_images(np.asarray(x_test), f"{where} (test)")
    if tr.shape[1:] != te.shape[1:]:
        raise DataError(f"{where}: train images {tuple(tr.shape[1:])} and test images "
                        f"{tuple(te.shape[1:])} differ in shape")
    ytr = _as_labels(y_train, tr.shape[0], num_classes, f"{where} (train)")
    yte = _as_labels(y_test, te.shape[0], num_classes, f"{where} (test)")
    train, val = split_validation(Split(tr, ytr), val_size)
    return Dataset(name, train, val, Split(te, yte), num_classes)


def entropy_bits(nats: float) -> float:
    return nats / math.log(2.0)
