"""The embedded default dataset: scikit-learn's 8x8 handwritten digits.

Ships with scikit-learn, so the demo and the tests run with no download.
1,797 images of 8x8 pixels with values 0..16, scaled to [0, 1].
"""

from __future__ import annotations

import numpy as np

from vimax.data.base import DATASETS, Dataset, make_dataset

__all__ = ["load_digits"]


@DATASETS.register("digits")
def load_digits(
    data_dir: str | None = None, val_size: int = 300, download: bool = False, seed: int = 0
) -> Dataset:
    """scikit-learn's digits: a fixed shuffle, 360 test images, ``val_size`` validation images.

    ``data_dir`` and ``download`` are accepted for a uniform signature and ignored.
    """
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    x = (bunch.images / 16.0).astype(np.float32)  # (1797, 8, 8)
    y = bunch.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    x, y = x[order], y[order]
    n_test = 360
    return make_dataset(
        "digits", x[n_test:], y[n_test:], x[:n_test], y[:n_test], 10, val_size, "sklearn digits"
    )
