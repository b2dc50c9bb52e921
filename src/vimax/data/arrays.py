"""Arrays to a :class:`~vimax.data.base.Dataset`: splits, labels, scaling, standardisation.

The one path for every dataset given as arrays (a ``.npz`` or ``.csv`` file, an
image folder, or a registered loader that returns arrays):

1. **Test split**: ``x_test``/``y_test`` when given, else a held-out fraction
   ``test_fraction`` of the examples, drawn with ``seed``.
2. **Validation split**: the training part is shuffled with ``seed`` and its last
   ``val_size`` examples validate (as MNIST's last 5,000 do), so a class-sorted
   file still gives a validation split holding every class. The split depends on
   ``seed`` alone, never on the training seed, so every run of a sweep sees the
   same splits.
3. **Labels**: integers in [0, C) are kept (C = the largest label + 1); anything
   else (strings) are class names, numbered in sorted order.
4. **Inputs**: ``uint8`` is an image, scaled by 1/255 into [0, 1]; (N, H, W)
   gains a channel axis and (N, H, W, C) becomes (N, C, H, W). Any other dtype
   is a feature, standardised per element, x' = (x - mean) / std, with the mean
   and standard deviation of the **training split** (a constant feature keeps
   std 1); these statistics are returned with the dataset, saved with the run,
   and applied unchanged when the run is evaluated. ``normalize="none"`` keeps
   the values as they are; ``"standardize"`` standardises uint8 too.

Inputs that end up in [0, 1] are *bounded* (``Dataset.bounds == (0, 1)``);
standardised features are not (``None``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from vimax.data.base import Dataset, Split
from vimax.errors import DataError

__all__ = ["NORMALIZE", "prepare_arrays", "standardization", "default_val_size"]

NORMALIZE = ("auto", "standardize", "none")


def default_val_size(n_train: int) -> int:
    """10 % of the training part, at least 1."""
    return max(1, round(0.1 * n_train))


def _split_test(x: np.ndarray, y: np.ndarray, fraction: float, rng: np.random.Generator,
                where: str) -> tuple[np.ndarray, ...]:
    n_test = round(fraction * len(y))
    if not 0 < n_test < len(y):
        raise DataError(f"{where}: a test fraction of {fraction:g} of {len(y)} examples leaves "
                        f"{n_test} test examples; give x_test/y_test or more examples")
    order = rng.permutation(len(y))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def _labels(y_train: np.ndarray, y_test: np.ndarray, where: str
            ) -> tuple[np.ndarray, np.ndarray, int, tuple[str, ...] | None]:
    """Labels as int64 indices, the number of classes and the class names (None for integers)."""
    for name, y in (("y", y_train), ("y_test", y_test)):
        if y.ndim != 1:
            raise DataError(f"{where}: {name} must have shape (N,), got {y.shape}")
    if y_train.dtype.kind in "iu" and y_test.dtype.kind in "iu":
        both = np.concatenate([y_train, y_test]).astype(np.int64)
        if both.size and both.min() < 0:
            raise DataError(f"{where}: integer labels must be >= 0, got {both.min()}")
        num_classes = int(both.max()) + 1 if both.size else 0
        classes = None
    elif y_train.dtype.kind in "US" and y_test.dtype.kind in "US":
        classes = tuple(sorted({str(v) for v in y_train}))
        unknown = sorted({str(v) for v in y_test} - set(classes))
        if unknown:
            raise DataError(f"{where}: test label {unknown[0]!r} does not occur in the training data")
        index = {name: i for i, name in enumerate(classes)}
        y_train = np.array([index[str(v)] for v in y_train], dtype=np.int64)
        y_test = np.array([index[str(v)] for v in y_test], dtype=np.int64)
        num_classes = len(classes)
    else:
        raise DataError(f"{where}: labels must be integers or strings, got {y_train.dtype} "
                        f"(and {y_test.dtype} for the test labels)")
    if num_classes < 2:
        raise DataError(f"{where}: the labels hold {num_classes} class(es); at least 2 are needed")
    return y_train.astype(np.int64), y_test.astype(np.int64), num_classes, classes


def _image_layout(x: np.ndarray) -> np.ndarray:
    """(N, H, W) -> (N, 1, H, W); channel-last (N, H, W, C) with C in 1, 3, 4 -> (N, C, H, W)."""
    if x.ndim == 3:
        return x[:, None]
    if x.ndim == 4 and x.shape[-1] in (1, 3, 4) and x.shape[1] not in (1, 3, 4):
        return x.transpose(0, 3, 1, 2)
    return x


def standardization(x_train: np.ndarray) -> dict[str, Any]:
    """Per-element mean and std (population) of the training inputs; a std of 0 becomes 1."""
    flat = x_train.reshape(len(x_train), -1).astype(np.float64)  # (N, D)
    mean = flat.mean(axis=0)
    std = flat.std(axis=0)
    std[std == 0] = 1.0
    return {"mean": mean.tolist(), "std": std.tolist()}


def _standardize(x: np.ndarray, stats: Mapping[str, Any], where: str) -> np.ndarray:
    mean, std = (np.asarray(stats[k], dtype=np.float64) for k in ("mean", "std"))
    flat = x.reshape(len(x), -1).astype(np.float64)
    if mean.shape != flat.shape[1:] or std.shape != flat.shape[1:]:
        raise DataError(f"{where}: the saved standardisation has {mean.size} features, "
                        f"the data {flat.shape[1]}")
    return ((flat - mean) / std).reshape(x.shape).astype(np.float32)


def _check_inputs(x: np.ndarray, x_test: np.ndarray, where: str) -> None:
    if x.ndim < 1 or x_test.ndim < 1:
        raise DataError(f"{where}: x must have shape (N, ...), got {x.shape}")
    if x.shape[1:] != x_test.shape[1:]:
        raise DataError(f"{where}: x {x.shape[1:]} and x_test {x_test.shape[1:]} differ in the shape "
                        "of one example")
    for name, arr in (("x", x), ("x_test", x_test)):
        if arr.dtype.kind not in "buif":
            raise DataError(f"{where}: {name} must hold numbers, got {arr.dtype}")
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise DataError(f"{where}: {name} holds NaN or infinite values")


def _inputs(x: np.ndarray, x_test: np.ndarray, train_rows: np.ndarray, normalize: str,
            saved: Mapping[str, Any] | None, where: str
            ) -> tuple[np.ndarray, np.ndarray, tuple[float, float] | None, dict[str, Any] | None]:
    """Scaled or standardised float32 inputs, their bounds and the statistics used."""
    _check_inputs(x, x_test, where)
    if x.ndim == 1:  # one feature per example
        x, x_test = x[:, None], x_test[:, None]
    image = x.dtype == np.uint8 and x_test.dtype == np.uint8
    if saved is not None or normalize == "standardize" or (normalize == "auto" and not image):
        stats = dict(saved) if saved is not None else standardization(x[train_rows])
        return _standardize(x, stats, where), _standardize(x_test, stats, where), None, stats
    if image:
        x, x_test = (_image_layout(a).astype(np.float32) / 255.0 for a in (x, x_test))
        return x, x_test, (0.0, 1.0), None
    x, x_test = x.astype(np.float32), x_test.astype(np.float32)  # normalize == "none"
    inside = all(a.size == 0 or (a.min() >= 0.0 and a.max() <= 1.0) for a in (x, x_test))
    return x, x_test, ((0.0, 1.0) if inside else None), None


def prepare_arrays(
    name: str,
    arrays: Mapping[str, np.ndarray],
    *,
    val_size: int | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
    normalize: str = "auto",
    normalization: Mapping[str, Any] | None = None,
    where: str = "",
    source: dict[str, Any] | None = None,
) -> Dataset:
    """Build a :class:`Dataset` from ``x``, ``y`` and optional ``x_test``, ``y_test`` (module docstring).

    Args:
        arrays: ``x`` (N, ...) and ``y`` (N,); ``x_test`` and ``y_test`` together or not at all.
        val_size: training examples held out for validation (None: 10 %).
        test_fraction: the share of examples held out for testing when there is no ``x_test``.
        seed: draws the held-out test split and the validation split.
        normalize: "auto", "standardize" or "none" (module docstring).
        normalization: saved statistics to apply instead of computing them (a
            run being evaluated); their presence means "standardise".
        where: names the data in errors (a file's path).
        source: recorded as ``Dataset.source``.

    Raises:
        DataError: one line naming ``where`` for missing arrays, bad shapes, dtypes or labels.
    """
    where = where or name
    if normalize not in NORMALIZE:
        raise DataError(f"{where}: normalize must be one of {', '.join(NORMALIZE)}, got {normalize!r}")
    missing = [k for k in ("x", "y") if k not in arrays]
    if missing or (("x_test" in arrays) != ("y_test" in arrays)):
        raise DataError(f"{where}: needs arrays x and y, and x_test with y_test or neither; "
                        f"got {', '.join(sorted(arrays)) or 'none'}")
    x, y = np.asarray(arrays["x"]), np.asarray(arrays["y"])
    if x.ndim < 1 or y.shape[:1] != x.shape[:1]:
        raise DataError(f"{where}: x {x.shape} and y {y.shape} must hold the same number of examples")
    rng = np.random.default_rng(seed)
    if "x_test" in arrays:
        x_test, y_test = np.asarray(arrays["x_test"]), np.asarray(arrays["y_test"])
        if x_test.ndim < 1 or y_test.shape[:1] != x_test.shape[:1]:
            raise DataError(f"{where}: x_test {x_test.shape} and y_test {y_test.shape} must hold the "
                            "same number of examples")
    else:
        x, y, x_test, y_test = _split_test(x, y, test_fraction, rng, where)
    y, y_test, num_classes, classes = _labels(y, y_test, where)
    val_size = default_val_size(len(y)) if val_size is None else val_size
    if not 0 < val_size < len(y):
        raise DataError(f"{where}: val_size must lie in (0, {len(y)}), got {val_size}")
    order = rng.permutation(len(y))
    train_rows, val_rows = order[: len(y) - val_size], order[len(y) - val_size:]
    x, x_test, bounds, stats = _inputs(x, x_test, train_rows, normalize, normalization, where)
    tensors = [torch.from_numpy(np.ascontiguousarray(a)) for a in (x, y, x_test, y_test)]
    rows = [torch.from_numpy(r) for r in (train_rows, val_rows)]
    train, val = (Split(tensors[0][r], tensors[1][r]) for r in rows)
    return Dataset(name, train, val, Split(tensors[2], tensors[3]), num_classes, bounds=bounds,
                   classes=classes, normalization=stats, source=source)
