"""The embedded scikit-learn digits dataset and the dataset registry."""

from __future__ import annotations

import math

import pytest
import torch

from vimax.data import DATASETS, Dataset, build_dataset, load_digits
from vimax.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def digits() -> Dataset:
    return load_digits()


def test_sizes_and_types(digits):
    assert digits.name == "digits" and digits.num_classes == 10
    assert (len(digits.train), len(digits.val), len(digits.test)) == (1797 - 360 - 300, 300, 360)
    assert digits.input_shape == (1, 8, 8)
    for split in (digits.train, digits.val, digits.test):
        assert split.images.dtype == torch.float32 and split.labels.dtype == torch.int64
        assert split.images.shape[0] == split.labels.shape[0]
        assert split.images.min() >= 0.0 and split.images.max() <= 1.0
        assert split.labels.min() >= 0 and split.labels.max() <= 9


def test_every_class_present_and_entropy(digits):
    assert set(digits.train.labels.tolist()) == set(range(10))
    assert set(digits.test.labels.tolist()) == set(range(10))
    assert 0.95 * math.log(10) < digits.label_entropy <= math.log(10) + 1e-9


def test_splits_cover_every_image(digits):
    flat = [s.images.flatten(1) for s in (digits.train, digits.val, digits.test)]
    everything = torch.cat(flat)
    # sklearn digits hold a few exact duplicates, so count rows rather than demand uniqueness
    assert everything.shape[0] == 1797


def test_seeded_shuffle_is_deterministic():
    a, b, c = load_digits(seed=0), load_digits(seed=0), load_digits(seed=1)
    assert torch.equal(a.train.images, b.train.images)
    assert torch.equal(a.test.labels, b.test.labels)
    assert not torch.equal(a.test.labels, c.test.labels)


def test_val_size_and_bad_val_size():
    ds = load_digits(val_size=100)
    assert (len(ds.train), len(ds.val)) == (1337, 100)
    for bad in (0, 1437, 5000):
        with pytest.raises(DataError, match="val_size"):
            load_digits(val_size=bad)


def test_registry_and_build_dataset(digits):
    assert {"digits", "mnist"} <= set(DATASETS.names())
    built = build_dataset("digits", data_dir="/ignored", download=True)
    assert torch.equal(built.train.images, digits.train.images)
    with pytest.raises(ConfigError, match="unknown dataset"):
        build_dataset("no-such-dataset")


def test_to_device(digits):
    moved = digits.val.to("cpu")
    assert torch.equal(moved.images, digits.val.images) and len(moved) == 300
