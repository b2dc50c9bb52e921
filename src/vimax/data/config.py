"""The dataset's config and its builders: a registered dataset by name, or a data file by path."""

from __future__ import annotations

import dataclasses
import inspect
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from vimax.data.arrays import prepare_arrays
from vimax.data.base import DATASETS, Dataset
from vimax.data.files import FILE_DATASET, load_file
from vimax.errors import ConfigError, DataError

__all__ = ["DataConfig", "load_dataset", "load_run_dataset"]

log = logging.getLogger(__name__)


@dataclass
class DataConfig:
    """Which dataset and where its files are.

    Attributes:
        name: a registered dataset ("digits", "mnist", "cifar10", or one of your
            own, see :func:`vimax.register_dataset`); "file" when ``path`` is set.
        data_dir: folder holding a registered dataset's files; None means
            $VIMAX_DATA, then the cache.
        val_size: training examples held out for validation; None means the
            dataset's default (5,000 for MNIST and CIFAR-10, 10 % for a file).
        download: download missing files into the cache (with checksums).
        path: a ``.npz`` or ``.csv`` file or an image folder to read the dataset
            from (see :mod:`vimax.data.files`); setting it makes ``name`` "file".
            A relative path is taken from the current folder and kept absolute.
        label_column: the CSV column holding the labels (None: the last one).
        test_fraction: the share held out as the test split when the data have
            no test split of their own (a file without ``x_test``).
        split_seed: draws the held-out test and validation splits of data given
            as arrays; independent of the training seed, so runs share splits.
        normalize: "auto" (uint8 images scaled to [0, 1], other inputs
            standardised with the training split's statistics), "standardize"
            or "none" (see :mod:`vimax.data.arrays`).

    The ranges in the fields' metadata are checked when a config is read (:mod:`vimax.config`).
    """

    name: str = "digits"
    data_dir: str | None = None
    val_size: int | None = field(default=None, metadata={"ge": 1})
    download: bool = True
    path: str | None = None
    label_column: str | None = None
    test_fraction: float = field(default=0.2, metadata={"gt": 0, "lt": 1})
    split_seed: int = field(default=0, metadata={"ge": 0})
    normalize: Literal["auto", "standardize", "none"] = "auto"

    def __post_init__(self) -> None:
        if self.path is None:
            if self.name == FILE_DATASET:
                raise ConfigError("data.name 'file' needs data.path: a .npz or .csv file or an image folder")
            DATASETS.get(self.name)  # a ConfigError naming the registered datasets
            return
        # a relative path is the caller's (the current folder); saved absolute, so an evaluation
        # or a sweep worker started elsewhere reads the same file
        self.path = str(Path(self.path).expanduser().absolute())
        if self.name == "digits":  # the default name: the file names the data
            self.name = FILE_DATASET
        if self.name != FILE_DATASET:
            raise ConfigError(f"data.path is set, so the data come from {self.path}: leave data.name "
                              f"out (or set it to 'file'), not {self.name!r}")
        if self.data_dir is not None:
            raise ConfigError("data.data_dir (--data-dir) is the folder of a named dataset; "
                              "a data file or image folder is given by data.path (--dataset PATH)")


def _check_data_dir(config: DataConfig) -> None:
    """A given data folder must exist and be a folder (not a data file)."""
    if config.data_dir is None:
        return
    folder = Path(config.data_dir).expanduser()
    if folder.is_file():
        raise DataError(f"data_dir {folder} is a file, not a folder; to train on a data file give it as "
                        f"the dataset (--dataset {folder}, or data.path in a config file)")
    if not folder.is_dir():
        why = ("the digits ship with scikit-learn and need none" if config.name == "digits"
               else f"data_dir / --data-dir is the folder that holds the {config.name} files")
        raise DataError(f"data_dir {folder}: no such folder ({why})")
    if config.name == "digits":
        log.warning("the digits ship with scikit-learn: data_dir %s is not used", folder)


def _from_arrays(config: DataConfig, arrays: Mapping[str, Any], saved: Mapping[str, Any] | None) -> Dataset:
    return prepare_arrays(config.name, arrays, val_size=config.val_size, test_fraction=config.test_fraction,
                          seed=config.split_seed, normalize=config.normalize,
                          normalization=(saved or {}).get("normalization"))


def load_dataset(config: DataConfig, saved: Mapping[str, Any] | None = None) -> Dataset:
    """Load the dataset a :class:`DataConfig` names: a data file, or a registered loader.

    A registered loader gets the keyword arguments it accepts of ``data_dir``,
    ``download`` and ``val_size``, and returns a :class:`Dataset` or a mapping of
    arrays (``x``, ``y`` and optional ``x_test``, ``y_test``) that is prepared
    like a data file.

    Args:
        saved: the dataset summary of a trained run (its ``config.json``): a data
            file must be unchanged (SHA-256) and inputs are standardised with the
            run's saved statistics.
    """
    if config.path is not None:
        return load_file(config.path, label_column=config.label_column, val_size=config.val_size,
                         test_fraction=config.test_fraction, seed=config.split_seed,
                         normalize=config.normalize, saved=saved)
    _check_data_dir(config)
    loader = DATASETS.get(config.name)
    kwargs: dict[str, Any] = {"data_dir": config.data_dir, "download": config.download}
    if config.val_size is not None:
        kwargs["val_size"] = config.val_size
    accepted = inspect.signature(loader).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in accepted}
    result = loader(**kwargs)
    if isinstance(result, Dataset):
        return result
    if isinstance(result, Mapping):
        return _from_arrays(config, result, saved)
    raise DataError(f"the loader of dataset {config.name!r} returned a {type(result).__name__}; it must "
                    "return a vimax Dataset or a dict of arrays x, y (and x_test, y_test)")


def load_run_dataset(config: DataConfig, summary: Mapping[str, Any], data_dir: str | None = None) -> Dataset:
    """The dataset a run was trained on, from its saved data config and dataset summary.

    A data file is read from the path the run recorded (``data_dir``, when given,
    is its new location) and must be unchanged. A dataset object that was given
    to ``fit()`` is loaded by its name when a loader is registered under it.
    """
    source = summary.get("source") if isinstance(summary.get("source"), Mapping) else None
    if config.path is not None or source is not None:
        path = data_dir or (source or {}).get("path") or config.path
        return load_dataset(dataclasses.replace(config, name=FILE_DATASET, path=path, data_dir=None),
                            saved=summary)
    name = summary.get("name", config.name)
    if name != config.name:
        if name not in DATASETS:
            raise DataError(f"the run was trained on a dataset {name!r} given to fit() as an object, not on "
                            f"its config's {config.name!r}: register its loader with "
                            f"vimax.register_dataset({name!r}) in a module and pass --import MODULE, "
                            "or pass the dataset to evaluate_run(..., dataset=...)")
        config = dataclasses.replace(config, name=name)
    if data_dir is not None:
        config = dataclasses.replace(config, data_dir=data_dir)
    return load_dataset(config, saved=summary)
