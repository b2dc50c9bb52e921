"""The dataset's config and its builder."""

from __future__ import annotations

import inspect
from dataclasses import dataclass

from vimax.data.base import DATASETS, Dataset
from vimax.errors import ConfigError

__all__ = ["DataConfig", "load_dataset"]


@dataclass
class DataConfig:
    """Which dataset and where its files are.

    Attributes:
        name: a registered dataset ("digits", "mnist", "cifar10").
        data_dir: folder holding the files; None means $VIMAX_DATA, then the cache.
        val_size: training examples held out for validation; None means the
            dataset's default (5,000 for MNIST and CIFAR-10).
        download: download missing files into the cache (with checksums).
    """

    name: str = "digits"
    data_dir: str | None = None
    val_size: int | None = None
    download: bool = True

    def validate(self) -> None:
        DATASETS.get(self.name)
        if self.val_size is not None and self.val_size < 1:
            raise ConfigError(f"val_size must be >= 1, got {self.val_size}")


def load_dataset(config: DataConfig) -> Dataset:
    """Load the dataset a :class:`DataConfig` names."""
    config.validate()
    loader = DATASETS.get(config.name)
    kwargs = {"data_dir": config.data_dir, "download": config.download}
    if config.val_size is not None:
        kwargs["val_size"] = config.val_size
    accepted = inspect.signature(loader).parameters
    return loader(**{k: v for k, v in kwargs.items() if k in accepted})
