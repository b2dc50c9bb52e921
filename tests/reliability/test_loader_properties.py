"""Property tests: damaged files and random configs give a result or a one-line vimax error.

Random bytes, truncations, flipped bytes and inserted junk in a valid
``mnist.npz``, IDX file, CIFAR-10 python batch and ``model.pt`` must load or raise
:class:`DataError` / :class:`CheckpointError`; random ``--set`` overrides and
random sweep files must give runs or a :class:`ConfigError`. Nothing else, ever.
(Random RunConfig dicts are tests/test_config.py's; random IDX headers are
tests/data/test_mnist.py's.)
"""

from __future__ import annotations

import copy
import datetime
import gzip
import io
import pickle
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from vimax.config import RunConfig, apply_overrides
from vimax.config.train import TrainConfig
from vimax.data.base import Dataset
from vimax.data.cifar10 import BATCHES, load_cifar10, read_batch
from vimax.data.mnist import IDX_FILES, load_mnist
from vimax.errors import CheckpointError, ConfigError, DataError
from vimax.models.classifier import ModelConfig, StochasticClassifier
from vimax.sweep import check_evaluation, expand, parse_sweep
from vimax.training.load import load_run
from vimax.training.loop import fit

FEW = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


def one_line(error: Exception) -> None:
    assert str(error) and "\n" not in str(error), repr(error)


# ---------------------------------------------------------------- damage


def _flip(valid: bytes, flips: list[tuple[int, int]]) -> bytes:
    data = bytearray(valid)
    for position, mask in flips:
        data[position % len(data)] ^= mask
    return bytes(data)


def damaged(valid: bytes) -> st.SearchStrategy[bytes]:
    """Random bytes, a truncation, a few flipped bytes or a burst of junk inserted into ``valid``."""
    n = len(valid)
    return st.one_of(
        st.binary(max_size=512),
        st.integers(0, n - 1).map(lambda cut: valid[:cut]),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(1, 255)), min_size=1, max_size=6)
        .map(lambda flips: _flip(valid, flips)),
        st.tuples(st.integers(0, n), st.binary(min_size=1, max_size=64))
        .map(lambda junk: valid[:junk[0]] + junk[1] + valid[junk[0]:]),
    )


def _mnist_arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8), "y_train": np.arange(6),
            "x_test": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8), "y_test": np.arange(3)}


def _npz(compressed: bool) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **_mnist_arrays())
    return buffer.getvalue()


def _idx(arr: np.ndarray) -> bytes:
    head = (2051 if arr.ndim == 3 else 2049).to_bytes(4, "big")
    return head + b"".join(d.to_bytes(4, "big") for d in arr.shape) + arr.tobytes()


NPZ, NPZ_COMPRESSED = _npz(False), _npz(True)
IDX = {stem: _idx(_mnist_arrays()[key].astype(np.uint8))
       for stem, key in zip(IDX_FILES, ("x_train", "y_train", "x_test", "y_test"), strict=True)}
BATCH = pickle.dumps({b"batch_label": b"training batch 1 of 5", b"labels": [3, 8],
                      b"data": np.arange(2 * 3072, dtype=np.uint8).reshape(2, 3072),
                      b"filenames": [b"a.png", b"b.png"]}, 2)


@pytest.fixture
def folder():
    """A fresh folder per example (a fixture's tmp_path would be shared by all examples)."""
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def load_or_data_error(load) -> Dataset | None:
    try:
        dataset = load()
    except DataError as error:
        one_line(error)
        return None
    assert isinstance(dataset, Dataset)
    return dataset


# ---------------------------------------------------------------- MNIST


@FEW
@given(data=st.one_of(damaged(NPZ), damaged(NPZ_COMPRESSED)))
def test_a_damaged_mnist_npz_loads_or_is_a_data_error(data, tmp_path):
    with tempfile.TemporaryDirectory(dir=tmp_path) as name:
        (Path(name) / "mnist.npz").write_bytes(data)
        dataset = load_or_data_error(lambda: load_mnist(name, val_size=2, download=False))
    if dataset is not None:
        assert dataset.input_shape == (1, 28, 28)


@FEW
@given(stem=st.sampled_from(list(IDX_FILES)), gz=st.booleans(), after_gzip=st.booleans(), data=st.data())
def test_a_damaged_idx_file_loads_or_is_a_data_error(stem, gz, after_gzip, data, tmp_path):
    valid = gzip.compress(IDX[stem], mtime=0) if gz and after_gzip else IDX[stem]
    broken = data.draw(damaged(valid))
    if gz and not after_gzip:
        broken = gzip.compress(broken, mtime=0)
    with tempfile.TemporaryDirectory(dir=tmp_path) as name:
        for other, content in IDX.items():
            (Path(name) / other).write_bytes(content)
        (Path(name) / stem).unlink()
        (Path(name) / (stem + (".gz" if gz else ""))).write_bytes(broken)
        dataset = load_or_data_error(lambda: load_mnist(name, val_size=2, download=False))
    if dataset is not None:
        assert dataset.input_shape == (1, 28, 28)


# ---------------------------------------------------------------- CIFAR-10 python batches


@FEW
@given(data=damaged(BATCH), which=st.sampled_from(["data_batch_1", "test_batch"]))
def test_a_damaged_cifar_batch_loads_or_is_a_data_error(data, which, tmp_path):
    with tempfile.TemporaryDirectory(dir=tmp_path) as name:
        batches = Path(name) / "cifar-10-batches-py"
        batches.mkdir()
        for batch in BATCHES:
            (batches / batch).write_bytes(data if batch == which else BATCH)
        dataset = load_or_data_error(lambda: load_cifar10(name, val_size=2, download=False))
    if dataset is not None:
        assert dataset.input_shape == (3, 32, 32)


_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-300, 300), st.floats(), st.binary(max_size=8),
                    st.text(max_size=8),
                    st.builds(lambda shape, dtype: np.zeros(shape, dtype),
                              st.lists(st.integers(0, 3), max_size=3).map(tuple) | st.just((2, 3072)),
                              st.sampled_from([np.uint8, np.int64, np.float32, np.bool_])))
_OBJECTS = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.sampled_from([b"data", b"labels", "data", "labels", 1]), inner,
                                          max_size=3), max_leaves=10)


@FEW
@given(obj=_OBJECTS, protocol=st.sampled_from([2, 4]))
def test_any_pickled_structure_as_a_batch_is_read_or_a_data_error(obj, protocol, tmp_path):
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps(obj, protocol))
    try:
        images, labels = read_batch(path)
    except DataError as error:
        one_line(error)
        return
    assert images.shape == (len(labels), 3, 32, 32) and labels.dtype == np.int64


# ---------------------------------------------------------------- checkpoints


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, tiny_digits) -> Path:
    run = tmp_path_factory.mktemp("run") / "run"
    fit(RunConfig(model=ModelConfig(hidden=(32, 32), latent_dim=4),
                  train=TrainConfig(epochs=1, eval_samples=2, device="cpu", threads=1, progress=False)),
        run, dataset=tiny_digits)
    return run


@FEW
@given(data=st.data())
def test_a_damaged_model_pt_loads_or_is_a_checkpoint_error(data, finished_run, tmp_path):
    broken = data.draw(damaged((finished_run / "model.pt").read_bytes()))
    with tempfile.TemporaryDirectory(dir=tmp_path) as name:
        run = Path(name) / "run"
        shutil.copytree(finished_run, run)
        (run / "model.pt").write_bytes(broken)
        try:
            model = load_run(run)
        except CheckpointError as error:
            one_line(error)
            return
    assert isinstance(model, StochasticClassifier)


# ---------------------------------------------------------------- --set overrides

_KEYS = st.one_of(st.sampled_from(["train.lr", "train.epochs", "model.hidden", "objective.beta", "data.name",
                                   "train.adam_betas", "train", "model.latent_dim", "data.download"]),
                  st.text(max_size=12))
_TRICKY = ["2001-13-45", "2001-12-14", "1e999", "-1e999", ".nan", "[1, 2", "{a: 1}", "[64, 64]", "[0.9, 2]",
           "~", "0x10", "1" + "0" * 400, "true", "!!binary aGk=", "!!python/object/apply:os.system ['true']",
           "&a [*a]", "'quoted"]
_TEXTS = st.sampled_from(_TRICKY) | st.text(max_size=12)


@FEW
@given(overrides=st.lists(st.tuples(_KEYS, _TEXTS).map("=".join) | st.text(max_size=10), max_size=4))
def test_random_overrides_give_a_config_or_a_config_error(overrides):
    try:
        config = RunConfig.from_dict(apply_overrides({}, overrides))
    except ConfigError as error:
        one_line(error)
        return
    assert isinstance(config, RunConfig)


# ---------------------------------------------------------------- sweep files

_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from([10 ** 400, 2 ** 64]),
                     st.floats(), st.text(max_size=6), st.dates(datetime.date(2000, 1, 1)),
                     st.sampled_from(["vim", "vib", "deterministic", "digits", "objective.beta", "a.b"]))
_ANY = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=6) | st.integers(0, 3), inner, max_size=3), max_leaves=8)
_DOTTED = st.sampled_from(["objective.beta", "objective.prior_std", "train.lr", "model.latent_dim", "beta",
                           "train.epochs", "objective.name", "model.hidden"])
_SECTIONS = st.dictionaries(
    st.sampled_from(["objective", "train", "model", "data", "objective.beta", "train.lr", "train.epochs"])
    | st.text(max_size=6), _ANY, max_size=3)
_AXES = st.dictionaries(_DOTTED | st.text(max_size=6), st.lists(_SCALARS, max_size=3) | _SCALARS, max_size=2)
_EVALUATE = st.one_of(st.booleans(), st.none(), _ANY,
                      st.dictionaries(st.sampled_from(["samples", "attack", "plot", "device", "attacks"]),
                                      _SCALARS, max_size=2))


def _with(required: dict, optional: dict, extra: st.SearchStrategy = _ANY) -> st.SearchStrategy:
    return st.builds(lambda fixed, more: {**more, **fixed},
                     st.fixed_dictionaries(required, optional=optional),
                     st.dictionaries(st.text(max_size=6), extra, max_size=1))


_VARIANT = _with({"name": st.sampled_from(["vim", "vib", "v.2", "../x", ""]) | _ANY},
                 {"objective": _SECTIONS | _ANY, "train": _SECTIONS, "axes": _AXES | _ANY,
                  "evaluate": _EVALUATE, "objective.name": st.sampled_from(["vim", "vib", "nope"])})
_PROFILE = _with({}, {"train": _SECTIONS, "axes": _AXES | _ANY, "evaluate": _EVALUATE,
                      "variants": st.dictionaries(st.sampled_from(["vim", "vib", "other"]),
                                                  _with({}, {"axes": _AXES, "train": _SECTIONS}) | _ANY,
                                                  max_size=2) | _ANY})
_SWEEPS = _with(
    {"name": st.sampled_from(["tiny", "t.1", "../up", ""]) | _ANY,
     "grid": st.lists(_VARIANT, max_size=3) | _ANY},
    {"seeds": st.integers(-1, 3) | st.lists(st.integers(-1, 3), max_size=3) | _ANY,
     "base": _SECTIONS | _ANY, "evaluate": _EVALUATE, "description": _ANY,
     "profiles": st.dictionaries(st.sampled_from(["cpu", "paper"]) | st.integers(0, 2), _PROFILE | _ANY,
                                 max_size=2) | _ANY},
)


VALID_SWEEP = {
    "name": "tiny", "seeds": 2,
    "base": {"model": {"hidden": [8], "latent_dim": 2}, "train": {"epochs": 1}},
    "profiles": {"cpu": {"train": {"lr": 1.0e-3}, "axes": {"objective.beta": [1.0e-3]},
                         "variants": {"vim": {"axes": {"objective.prior_std": [1.0, 2.0]}}}},
                 "paper": {"evaluate": {"samples": 2, "attack": False}}},
    "grid": [{"name": "deterministic", "objective": {"name": "deterministic"}},
             {"name": "vim", "objective.name": "vim",
              "axes": {"objective.beta": [1.0e-3, 1.0e-2], "objective.prior_std": [1.0]}}],
    "evaluate": False,
}
_PATHS = [
    ("name",), ("seeds",), ("base",), ("base", "train"), ("base", "train", "epochs"), ("base", "train.lr"),
    ("profiles",), ("profiles", "cpu"), ("profiles", "cpu", "axes"), ("profiles", "cpu", "axes", "train.lr"),
    ("profiles", "cpu", "variants"), ("profiles", "cpu", "variants", "vim"),
    ("profiles", "cpu", "variants", "vim", "axes", "objective.prior_std"), ("profiles", "paper", "evaluate"),
    ("profiles", "paper", "evaluate", "samples"), ("grid",), ("grid", 0), ("grid", 0, "name"),
    ("grid", 1, "axes"), ("grid", 1, "axes", "objective.beta"), ("grid", 1, "evaluate"),
    ("grid", 1, "objective"), ("grid", 1, "model.latent_dim"), ("evaluate",), ("description",), ("colour",),
]
_PLAUSIBLE = st.sampled_from([
    1.0e-3, 0.5, 2, 0, -1, 3, True, False, None, "vib", "vim", "x", [1.0e-3, 1.0e-2], [1, 2], [], {},
    {"name": "vib"}, {"samples": 3}, {"lr": 1.0e-2}, {"objective.beta": [0.1]},
    {"name": "vib", "axes": {"train.lr": [0.1, 0.2]}}, [{"name": "extra"}],
])


def _mutated(mutations: list[tuple[tuple, object]]) -> dict:
    """VALID_SWEEP with each (path, value) set where the path's parent exists."""
    sweep = copy.deepcopy(VALID_SWEEP)
    for path, value in mutations:
        node = sweep
        for part in path[:-1]:
            node = node.get(part) if isinstance(node, dict) else _item(node, part)
        if isinstance(node, dict) or _item(node, path[-1]) is not None:
            node[path[-1]] = value
    return sweep


def _item(node: object, index: object) -> object:
    ok = isinstance(node, list) and isinstance(index, int) and index < len(node)
    return node[index] if ok else None


_NEAR_VALID = st.lists(st.tuples(st.sampled_from(_PATHS), _PLAUSIBLE | _ANY), max_size=2).map(_mutated)


def test_the_valid_sweep_expands():
    sweep = parse_sweep(VALID_SWEEP)
    assert [len(expand(sweep, profile, "/results")) for profile in ("cpu", "paper")] == [6, 6]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.one_of(_NEAR_VALID, _NEAR_VALID, _SWEEPS))  # mostly one or two changes
def test_random_sweep_files_give_runs_or_a_config_error(data, tmp_path):
    try:
        sweep = parse_sweep(data)
        for profile in sweep.profiles:
            specs = expand(sweep, profile, tmp_path)
            check_evaluation(specs)
            assert {spec.profile for spec in specs} == {profile}
            assert all(RunConfig.from_dict(spec.config) for spec in specs)
            event("a profile expanded into runs")
    except ConfigError as error:
        one_line(error)
        event("a config error")
