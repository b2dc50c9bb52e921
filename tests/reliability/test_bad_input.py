"""Bad input to every command: exit code 2, one ``vimax: error:`` line, nothing changed on disk.

Each case runs ``vimax.cli.main`` in a workspace holding a finished run (and,
for some cases, broken copies of it or hand-made data files). Before and after,
every file's bytes and modification time are compared: a refused command
creates, changes and deletes nothing. Malicious files (pickled code, YAML
object tags) carry a payload that would create a marker file; it must not.
"""

from __future__ import annotations

import gzip
import json
import pickle
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from payloads import CodePayload, SystemPayload

from vimax.config import RunConfig
from vimax.config.train import TrainConfig
from vimax.data.config import DataConfig
from vimax.data.mnist import IDX_FILES
from vimax.models.classifier import ModelConfig
from vimax.training.loop import fit

MARKER = "PWNED"
TINY = ModelConfig(hidden=(32, 32), latent_dim=4)
TRAIN = TrainConfig(epochs=1, eval_samples=2, device="cpu", threads=1, progress=False)


# ---------------------------------------------------------------- files (payloads: tests/payloads.py)


def _mnist_arrays(n_train: int = 12, n_test: int = 5) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            "y_train": np.arange(n_train) % 10,
            "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            "y_test": np.arange(n_test) % 10}


def _idx(arr: np.ndarray) -> bytes:
    head = (2051 if arr.ndim == 3 else 2049).to_bytes(4, "big")
    return head + b"".join(d.to_bytes(4, "big") for d in arr.shape) + arr.astype(np.uint8).tobytes()


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def finished_runs(tmp_path_factory) -> dict[str, Path]:
    """A finished digits run and a finished MNIST run (on a 12-image mnist.npz), trained once."""
    root = tmp_path_factory.mktemp("finished")
    digits = root / "digits"
    fit(RunConfig(model=TINY, train=TRAIN), digits)
    data = root / "mnist_data"
    data.mkdir()
    np.savez(data / "mnist.npz", **_mnist_arrays())
    mnist = root / "mnist"
    fit(RunConfig(data=DataConfig(name="mnist", data_dir=str(data), val_size=2, download=False),
                  model=TINY, train=TRAIN), mnist)
    return {"digits": digits, "mnist": mnist}


@pytest.fixture
def workspace(tmp_path, finished_runs) -> Path:
    """tmp_path with ``run`` (the finished digits run), ``mnist_run`` and ``run.json`` (run's config)."""
    shutil.copytree(finished_runs["digits"], tmp_path / "run")
    shutil.copytree(finished_runs["mnist"], tmp_path / "mnist_run")
    config = json.loads((tmp_path / "run" / "config.json").read_text())["config"]
    (tmp_path / "run.json").write_text(json.dumps(config))
    return tmp_path


# ---------------------------------------------------------------- workspace changes


def write(name: str, content: str | bytes) -> Callable[[Path], None]:
    def setup(ws: Path) -> None:
        path = ws / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.replace("{ws}", str(ws)).encode())
    return setup


def write_yaml(name: str, data: object) -> Callable[[Path], None]:
    return write(name, yaml.safe_dump(data))


def in_run(name: str, change: Callable[[Path], None], source: str = "run") -> Callable[[Path], None]:
    """A copy ``name`` of the finished run, changed by ``change(folder)``."""
    def setup(ws: Path) -> None:
        shutil.copytree(ws / source, ws / name)
        change(ws / name)
    return setup


def broken(change: Callable[[Path], None]) -> Callable[[Path], None]:
    return in_run("broken", change)


def truncate(file: str, keep: int) -> Callable[[Path], None]:
    return lambda d: (d / file).write_bytes((d / file).read_bytes()[:keep])


def replace(file: str, content: bytes) -> Callable[[Path], None]:
    return lambda d: (d / file).write_bytes(content)


def torch_save(file: str, make: Callable[[Path], object]) -> Callable[[Path], None]:
    return lambda d: torch.save(make(d), d / file)


def edit_config(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def edit(d: Path) -> None:
        saved = json.loads((d / "config.json").read_text())
        change(saved)
        (d / "config.json").write_text(json.dumps(saved))
    return edit


def unfinished(checkpoint: Callable[[Path], None]) -> Callable[[Path], None]:
    """A copy ``unfinished`` of the run, stopped after an epoch; ``checkpoint`` writes its checkpoint.pt."""
    def change(d: Path) -> None:
        (d / "metrics.json").unlink()
        (d / "model.pt").unlink()
        checkpoint(d)
    return in_run("unfinished", change)


def mnist_npz(**changes: np.ndarray) -> Callable[[Path], None]:
    def setup(ws: Path) -> None:
        (ws / "data").mkdir()
        np.savez(ws / "data" / "mnist.npz", **{**_mnist_arrays(), **changes})
    return setup


def mnist_idx(corrupt: Callable[[bytes], bytes], stem: str = "train-images-idx3-ubyte",
              gz: bool = True) -> Callable[[Path], None]:
    def setup(ws: Path) -> None:
        (ws / "data").mkdir()
        arrays = _mnist_arrays()
        for name, key in zip(IDX_FILES, ("x_train", "y_train", "x_test", "y_test"), strict=True):
            data = _idx(arrays[key])
            data = corrupt(data) if name == stem else data
            (ws / "data" / (name + (".gz" if gz else ""))).write_bytes(gzip.compress(data) if gz else data)
    return setup


def cifar_batches(first: Callable[[Path], bytes]) -> Callable[[Path], None]:
    """The official python layout with six tiny valid batches, data_batch_1 replaced."""
    def setup(ws: Path) -> None:
        folder = ws / "data" / "cifar-10-batches-py"
        folder.mkdir(parents=True)
        batch = {b"data": np.zeros((10, 3072), np.uint8), b"labels": list(range(10))}
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            (folder / name).write_bytes(pickle.dumps(batch, 2))
        (folder / "data_batch_1").write_bytes(first(ws))
    return setup


def two_profiles(ws: Path) -> None:
    for profile in ("cpu", "gpu"):  # `paper` beside one other profile is reported in its own section
        write_run = ws / "results" / "table1" / profile / "vim_seed0"
        write_run.mkdir(parents=True)
        (write_run / "config.json").write_text(json.dumps({"config": {}}))


SWEEP = {"name": "bad", "base": {"model": {"hidden": [32, 32], "latent_dim": 4}, "train": {"epochs": 1}},
         "profiles": {"cpu": {}}, "grid": [{"name": "vim", "objective": {"name": "vim"}}]}


def sweep_with(**changes: object) -> Callable[[Path], None]:
    return write_yaml("sweep.yaml", {**SWEEP, **changes})


def sweep_variant(**entry: object) -> Callable[[Path], None]:
    return sweep_with(grid=[{"name": "vim", **entry}])


# ---------------------------------------------------------------- the cases


@dataclass
class Case:
    argv: str  # split on spaces; {ws} is the workspace
    fragment: str  # in the error line
    setup: Callable[[Path], None] | None = None
    malicious: bool = False  # the input carries a payload that would create {ws}/PWNED


DATA = "--data-dir {ws}/data --set data.download=false --out {ws}/new"
MNIST = "train --dataset mnist --set data.val_size=2 " + DATA
CIFAR = "train --dataset cifar10 --set data.val_size=5 " + DATA
EVALUATE = "--no-attack --samples 2"
BROKEN = "evaluate {ws}/broken " + EVALUATE  # a broken copy of the finished run
SWEEP_CMD = "sweep {ws}/sweep.yaml --results {ws}/results"
NON_UTF8 = b"\xff\xfe\x00train:\x00 epochs\x9f"
GARBAGE = np.random.default_rng(7).bytes(5000)

CASES: dict[str, Case] = {
    # ---- train: wrong types and out-of-range values
    "train/int flag given a float": Case("train --latent-dim 2.5 --out {ws}/new", "invalid int value: '2.5'"),
    "train/float flag given a word": Case("train --lr fast --out {ws}/new", "invalid float value: 'fast'"),
    "train/batch size 1": Case(
        "train --batch-size 1 --out {ws}/new",
        "train.batch_size: Input should be greater than or equal to 2, got 1"),
    "train/latent dim 0": Case(
        "train --latent-dim 0 --out {ws}/new",
        "model.latent_dim: Input should be greater than or equal to 1, got 0"),
    "train/negative seed": Case(
        "train --seed -1 --out {ws}/new",
        "config: train.seed: Input should be greater than or equal to 0, got -1"),
    "train/infinite lr": Case(
        "train --lr inf --out {ws}/new", "config: train.lr: Input should be a finite number, got inf"),
    "train/nan lr": Case(
        "train --set train.lr=.nan --out {ws}/new",
        "config: train.lr: Input should be a finite number, got nan"),
    "train/zero hidden width": Case("train --set model.hidden=[32,0] --out {ws}/new",
                                    "config: model: hidden sizes must be >= 1, got [32, 0]"),
    "train/ema decay 1": Case(
        "train --set train.ema_decay=1 --out {ws}/new",
        "config: train.ema_decay: Input should be less than 1, got 1"),
    "train/negative threads": Case(
        "train --set train.threads=-1 --out {ws}/new",
        "config: train.threads: Input should be greater than or equal to 0"),
    "train/unknown device": Case(
        "train --device gpu --out {ws}/new",
        "device: String should match pattern '^(auto|cpu|cuda(:[0-9]+)?)$', got 'gpu'"),
    "train/val size too large": Case("train --set data.val_size=100000 --out {ws}/new",
                                     "val_size must lie in (0, 1437), got 100000"),
    "train/hidden not a list": Case("train --set model.hidden=wide --out {ws}/new",
                                    "config: model.hidden: Input should be a valid array, got 'wide'"),
    "train/section given a value": Case("train --set train=3 --out {ws}/new",
                                        "config: train: expected a mapping, got 3"),
    "train/value given a section": Case("train --set train.lr.x=1 --out {ws}/new",
                                        "config: train.lr: Input should be a valid number, got {'x': 1}"),
    "train/--set an impossible date": Case("train --set train.lr=2001-13-45 --out {ws}/new",
                                           "config: train.lr: Input should be a valid number, got '2001-13"),
    "train/--set a 400-digit number": Case("train --set train.lr=1" + "0" * 400 + " --out {ws}/new",
                                           "config: train.lr: Input should be a finite number, got 10000"),
    # ---- train: unknown keys, in --set and in config files
    "train/unknown --set key": Case(
        "train --set train.epoch=3 --out {ws}/new",
        "config: train.epoch: unknown key; known keys: epochs, batch_size"),
    "train/unknown --set section": Case(
        "train --set optim.lr=1 --out {ws}/new",
        "config: optim: unknown key; known keys: data, model, objective, train"),
    "train/empty --set section": Case(
        "train --set .lr=1 --out {ws}/new", "'.lr' is not a dotted key like train.lr"),
    "train/unknown key in yaml": Case("train --config {ws}/c.yaml --out {ws}/new",
                                      "config: model.latentdim: unknown key; known keys: trunk, latent_dim",
                                      write_yaml("c.yaml", {"model": {"latentdim": 3}})),
    "train/unknown key in toml": Case(
        "train --config {ws}/c.toml --out {ws}/new", "config: optimizer: unknown key",
                                      write("c.toml", '[optimizer]\nlr = 1\n')),
    "train/unknown key in json": Case(
        "train --config {ws}/c.json --out {ws}/new", "config: seed: unknown key",
                                      write("c.json", '{"seed": 1}')),
    # ---- train: config files that are missing or not config files
    "train/missing config": Case("train --config {ws}/nope.yaml --out {ws}/new",
                                 "cannot read config file"),
    "train/config is a folder": Case("train --config {ws}/run --out {ws}/new", "Is a directory"),
    "train/config not utf-8": Case("train --config {ws}/c.yaml --out {ws}/new", "not a text file",
                                   write("c.yaml", NON_UTF8)),
    "train/config a yaml list": Case("train --config {ws}/c.yaml --out {ws}/new",
                                     "the top level must be a mapping", write("c.yaml", "- 1\n")),
    "train/config truncated json": Case("train --config {ws}/c.json --out {ws}/new", "not valid JSON",
                                        write("c.json", '{"train": {"epochs": 1')),
    "train/config yaml date": Case("train --config {ws}/c.yaml --out {ws}/new",
                                   "config: train.lr: Input should be a valid number, got '2001-12-14'",
                                   write("c.yaml", "train:\n  lr: 2001-12-14\n")),
    "train/config yaml object tag": Case(
        "train --config {ws}/c.yaml --out {ws}/new",
        "not valid YAML: line 1, column 8: could not determine a constructor",
        write("c.yaml", "train: !!python/object/apply:os.system ['touch {ws}/PWNED']\n"), malicious=True),
    # ---- train: run folders
    "train/out is a file": Case("train --out {ws}/run/model.pt", "exists and is not a folder"),
    "train/out below a file": Case("train --out {ws}/run/model.pt/new", "model.pt is not a folder"),
    "train/out a finished run": Case("train --config {ws}/run.json --out {ws}/run", "is not empty"),
    "train/resume another config": Case(
        "train --config {ws}/run.json --seed 9 --resume --out {ws}/unfinished",
        "holds a run with other settings: train.seed is 0 in the run, 9 given", unfinished(lambda d: None)),
    "train/resume corrupt config.json": Case(
        "train --config {ws}/run.json --resume --out {ws}/unfinished", "cannot read",
        unfinished(replace("config.json", b"{\"config\": {"))),
    "train/resume truncated checkpoint": Case(
        "train --config {ws}/run.json --resume --out {ws}/unfinished", "truncated or corrupt checkpoint",
        unfinished(lambda d: (torch.save({"w": torch.ones(1000)}, d / "checkpoint.pt"),
                              truncate("checkpoint.pt", 700)(d)))),
    "train/resume garbage checkpoint": Case(
        "train --config {ws}/run.json --resume --out {ws}/unfinished", "checkpoint.pt",
        unfinished(replace("checkpoint.pt", GARBAGE[:4096]))),
    "train/resume checkpoint running a command": Case(
        "train --config {ws}/run.json --resume --out {ws}/unfinished", "refused",
        unfinished(torch_save("checkpoint.pt", lambda d: {"epoch": 1,
                                                                 "x": SystemPayload(d.parent / MARKER)})),
        malicious=True),
    # ---- train: data files given as --data-dir
    "data/no files, no download": Case(MNIST, "MNIST not found", lambda ws: (ws / "data").mkdir()),
    "data/npz truncated": Case(MNIST, "corrupt or unreadable .npz",
                               lambda ws: (mnist_npz()(ws), truncate("mnist.npz", 400)(ws / "data"))),
    "data/npz garbage": Case(
        MNIST, "mnist.npz",
        lambda ws: (mnist_npz()(ws), replace("mnist.npz", GARBAGE[:2000])(ws / "data"))),
    "data/npz wrong image shape": Case(MNIST, "x_train must have shape (N, 28, 28), got (12, 28, 27)",
                                       mnist_npz(x_train=np.zeros((12, 28, 27), np.uint8))),
    "data/npz colour images": Case(
        MNIST, "got (12, 28, 28, 3)", mnist_npz(x_train=np.zeros((12, 28, 28, 3), np.uint8))),
    "data/npz int32 images": Case(MNIST, "images must be uint8 or float, got int32",
                                  mnist_npz(x_test=np.zeros((5, 28, 28), np.int32))),
    "data/npz float images 0-255": Case(MNIST, "float images must lie in [0, 1]",
                                        mnist_npz(x_test=np.full((5, 28, 28), 255.0, np.float32))),
    "data/npz nan images": Case(MNIST, "float images must lie in [0, 1]",
                                mnist_npz(x_test=np.full((5, 28, 28), np.nan, np.float32))),
    "data/npz object labels": Case(
        MNIST, "mnist.npz", mnist_npz(y_test=np.array([1, "a", None, 2, 3], object))),
    "data/npz label 10": Case(
        MNIST, "labels must lie in [0, 10), got 0..10", mnist_npz(y_test=np.array([0, 1, 2, 3, 10]))),
    "data/npz negative label": Case(
        MNIST, "labels must lie in [0, 10), got -1..", mnist_npz(y_train=np.arange(12) - 1)),
    "data/npz float labels": Case(
        MNIST, "labels must be integers, got float64", mnist_npz(y_train=np.arange(12) / 2)),
    "data/npz too few labels": Case(MNIST, "expected 5 labels of shape (5,), got shape (4,)",
                                    mnist_npz(y_test=np.arange(4))),
    "data/idx truncated": Case(MNIST, "train-images-idx3-ubyte", mnist_idx(lambda b: b[:-100])),
    "data/idx wrong magic": Case(MNIST, "bad IDX magic number", mnist_idx(lambda b: b"\0\0\x08\x04" + b[4:])),
    "data/idx gzip cut": Case(MNIST, "train-labels-idx1-ubyte.gz", lambda ws: (
        mnist_idx(lambda b: b, stem="")(ws),
        truncate("train-labels-idx1-ubyte.gz", 20)(ws / "data"))),
    "data/idx header lies": Case(
        MNIST, "implies", mnist_idx(lambda b: b[:4] + (99).to_bytes(4, "big") + b[8:],
                                    stem="t10k-labels-idx1-ubyte", gz=False)),
    "data/cifar batch running a command": Case(
        CIFAR, "data_batch_1: refused to load: the pickle asks for",
        cifar_batches(lambda ws: pickle.dumps({b"data": SystemPayload(ws / MARKER)}, 2)), malicious=True),
    "data/cifar batch truncated": Case(CIFAR, "corrupt or truncated pickle", cifar_batches(
        lambda ws: pickle.dumps({b"data": np.zeros((10, 3072), np.uint8), b"labels": [0] * 10}, 2)[:500])),
    "data/cifar batch label 10": Case(CIFAR, "labels must lie in 0..9", cifar_batches(
        lambda ws: pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 10]}, 2))),
    # ---- evaluate
    "evaluate/missing folder": Case("evaluate {ws}/nope " + EVALUATE, "is not a run folder"),
    "evaluate/a file": Case("evaluate {ws}/run.json " + EVALUATE, "is not a run folder"),
    "evaluate/not a run": Case("evaluate {ws}/junk " + EVALUATE, "junk/config.json",
                               write("junk/notes.txt", "hello")),
    "evaluate/unfinished run": Case("evaluate {ws}/unfinished " + EVALUATE, "has not finished training",
                                    unfinished(torch_save("checkpoint.pt", lambda d: {"epoch": 1}))),
    "evaluate/model.pt truncated": Case(BROKEN, "truncated or corrupt checkpoint",
                                        broken(truncate("model.pt", 3000))),
    "evaluate/model.pt empty": Case(BROKEN, "truncated or corrupt checkpoint",
                                    broken(replace("model.pt", b""))),
    "evaluate/model.pt garbage": Case(BROKEN, "model.pt",
                                      broken(replace("model.pt", GARBAGE[:5000]))),
    "evaluate/model.pt zip garbage": Case(BROKEN, "truncated or corrupt checkpoint",
                                          broken(replace("model.pt", b"PK\x03\x04" + GARBAGE[:500]))),
    "evaluate/model.pt missing": Case(BROKEN, "checkpoint not found",
                                      broken(lambda d: (d / "model.pt").unlink())),
    "evaluate/model.pt pickled code": Case(
        BROKEN, "refused: the checkpoint holds objects that are not plain",
        broken(lambda d: (d / "model.pt").write_bytes(pickle.dumps(CodePayload(d.parent / MARKER)))),
        malicious=True),
    "evaluate/model.pt code in a state dict": Case(
        BROKEN, "refused",
        broken(torch_save("model.pt", lambda d: {"encoder.w": torch.ones(2),
                                                       "x": CodePayload(d.parent / MARKER)})),
        malicious=True),
    "evaluate/model.pt running a command": Case(
        BROKEN, "refused",
        broken(torch_save("model.pt", lambda d: [SystemPayload(d.parent / MARKER)])), malicious=True),
    "evaluate/model.pt a list": Case(BROKEN, "does not fit the run's model",
                                     broken(torch_save("model.pt", lambda d: [torch.zeros(3)]))),
    "evaluate/model.pt wrong shapes": Case(
        BROKEN, "does not fit the run's model",
        broken(torch_save("model.pt", lambda d: {k: torch.zeros(3) for k in
                                                           torch.load(d / "model.pt", weights_only=True)}))),
    "evaluate/config.json garbage": Case(BROKEN, "cannot read",
                                         broken(replace("config.json", b"\x89PNG\r\n\x1a\n" + bytes(100)))),
    "evaluate/config.json truncated": Case(BROKEN, "cannot read",
                                           broken(truncate("config.json", 100))),
    "evaluate/config.json a list": Case(BROKEN, "is not a vimax run config",
                                        broken(replace("config.json", b"[1, 2]"))),
    "evaluate/config.json no dataset": Case(BROKEN, "missing 'dataset'",
                                            broken(edit_config(lambda c: c.pop("dataset")))),
    "evaluate/config.json dataset a number": Case(
        BROKEN, "the dataset summary needs input_shape",
        broken(edit_config(lambda c: c.update(dataset=5)))),
    "evaluate/config.json shape a word": Case(
        BROKEN, "the dataset summary needs input_shape",
        broken(edit_config(lambda c: c["dataset"].update(input_shape="abc")))),
    "evaluate/config.json negative classes": Case(
        BROKEN, "num_classes >= 2",
        broken(edit_config(lambda c: c["dataset"].update(num_classes=-3)))),
    "evaluate/config.json huge images": Case(
        BROKEN, "cannot build its model",
        broken(edit_config(lambda c: c["dataset"].update(input_shape=[1, 10 ** 6, 10 ** 6])))),
    "evaluate/config.json unknown key": Case(
        BROKEN, "config.json: model.depth: unknown key; known keys: trunk",
        broken(edit_config(lambda c: c["config"]["model"].update(depth=3)))),
    "evaluate/config.json latent dim 0": Case(
        BROKEN, "config.json: model.latent_dim: Input should be greater than or equal to 1, got 0",
        broken(edit_config(lambda c: c["config"]["model"].update(latent_dim=0)))),
    "evaluate/samples 0": Case(
        "evaluate {ws}/run --samples 0",
        "evaluate: samples: Input should be greater than or equal to 1, got 0"),
    "evaluate/samples a word": Case(
        "evaluate {ws}/run --samples many", "argument --samples: invalid int value: 'many'"),
    "evaluate/source class 10": Case(
        "evaluate {ws}/run --source 10", "attack source must lie in [0, 10), got 10"),
    "evaluate/target negative": Case(
        "evaluate {ws}/run --target -1",
        "evaluate: target: Input should be greater than or equal to 0, got -1"),
    "evaluate/attack step size nan": Case("evaluate {ws}/run --attack-stepsize nan",
                                          "carlini_wagner.stepsize: Input should be a finite number"),
    "evaluate/unknown device": Case(
        "evaluate {ws}/run --device gpu " + EVALUATE,
        "device: String should match pattern '^(auto|cpu|cuda(:[0-9]+)?)$', got 'gpu'"),
    "evaluate/bad data dir": Case("evaluate {ws}/mnist_run --data-dir {ws}/data " + EVALUATE,
                                  "x_test must have shape (N, 28, 28), got (5, 28, 20)",
                                  mnist_npz(x_test=np.zeros((5, 28, 20), np.uint8))),
    "evaluate/empty data dir": Case("evaluate {ws}/mnist_run --data-dir {ws}/data " + EVALUATE,
                                    "MNIST not found", lambda ws: (ws / "data").mkdir()),
    # ---- sweep
    "sweep/missing file": Case("sweep {ws}/nope.yaml", "cannot read config file"),
    "sweep/not utf-8": Case(SWEEP_CMD, "not a text file", write("sweep.yaml", NON_UTF8)),
    "sweep/broken yaml": Case(SWEEP_CMD, "not valid YAML", write("sweep.yaml", "name: [\n")),
    "sweep/object tag": Case(SWEEP_CMD, "could not determine a constructor", write(
        "sweep.yaml", "name: !!python/object/apply:os.system ['touch {ws}/PWNED']\n"),
                             malicious=True),
    "sweep/unknown top key": Case(SWEEP_CMD, "unknown key 'colour'", sweep_with(colour="red")),
    "sweep/unknown top keys of two types": Case(
        SWEEP_CMD, "unknown key 1", write_yaml("sweep.yaml", {**SWEEP, 1: 2, "zz": 3})),
    "sweep/unknown key in a variant": Case(
        SWEEP_CMD, "variant 'vim', run vim_seed0: config: model.depth: unknown key",
        sweep_variant(model={"depth": 3})),
    "sweep/unknown key in base": Case(SWEEP_CMD, "run vim_seed0: config: train.epoch: unknown key",
                                      sweep_with(base={"train": {"epoch": 1}})),
    "sweep/bad variant value": Case(
        SWEEP_CMD,
        "variant 'vim', run vim_seed0: config: objective.beta: Input should be greater than or equal to 0",
        sweep_variant(objective={"beta": -1.0})),
    "sweep/variant value of a wrong type": Case(
        SWEEP_CMD, "config: train.epochs: Input should be a valid integer, got 'two'",
                                                sweep_variant(train={"epochs": "two"})),
    "sweep/axis not a list": Case(SWEEP_CMD, "axis 'objective.beta' must be a non-empty list, got 0.1",
                                  sweep_variant(axes={"objective.beta": 0.1})),
    "sweep/axis value of a wrong type": Case(
        SWEEP_CMD, "config: objective.beta: Input should be a valid number, got 'big'",
                                             sweep_variant(axes={"objective.beta": [1.0e-3, "big"]})),
    "sweep/axis not dotted": Case(SWEEP_CMD, "must be a dotted key", sweep_variant(axes={"beta": [1]})),
    "sweep/base section a number": Case(SWEEP_CMD, "config.train: expected a mapping, got 5",
                                        sweep_with(base={"train": 5})),
    "sweep/profile names an unknown variant": Case(
        SWEEP_CMD, "'variants' names 'vib', which is not in the grid",
        sweep_with(profiles={"cpu": {"variants": {"vib": {}}}})),
    "sweep/bad value in a profile's variant": Case(
        SWEEP_CMD, "config: train.epochs: Input should be greater than or equal to 1, got 0", sweep_with(
        profiles={"cpu": {"variants": {"vim": {"train": {"epochs": 0}}}}})),
    "sweep/evaluate a number": Case(
        SWEEP_CMD, "evaluate must be true, false or a mapping", sweep_with(evaluate=3)),
    "sweep/evaluate unknown key": Case(
        SWEEP_CMD,
        "evaluate: attacks: unknown key; known keys: samples", sweep_with(evaluate={"attacks": True})),
    "sweep/evaluate key a number": Case(
        SWEEP_CMD, "evaluate: unknown key 1", sweep_with(evaluate={1: 2, "plot": False})),
    "sweep/evaluate yaml date": Case(
        SWEEP_CMD, "evaluate: samples: Input should be a valid integer, got '2001-01-01'",
        write("sweep.yaml", yaml.safe_dump(SWEEP) + "evaluate: {samples: 2001-01-01}\n")),
    "sweep/evaluate unknown device": Case(
        SWEEP_CMD, "device: String should match pattern '^(auto|cpu|cuda(:[0-9]+)?)$', got 'gpu'",
                                          sweep_with(evaluate={"device": "gpu"})),
    "sweep/unsafe name": Case(SWEEP_CMD, "'name' must be a word", sweep_with(name="../../etc")),
    "sweep/repeated seeds": Case(SWEEP_CMD, "seeds repeat", sweep_with(seeds=[1, 1])),
    "sweep/empty grid": Case(SWEEP_CMD, "'grid' must be a non-empty list", sweep_with(grid=[])),
    "sweep/variant without a name": Case(SWEEP_CMD, "grid entry 1 must be a mapping with a 'name'",
                                         sweep_with(grid=[{"objective": {"name": "vib"}}])),
    "sweep/unknown profile": Case(SWEEP_CMD + " --profile gpu", "has no profile 'gpu'", sweep_with()),
    "sweep/unknown --only variant": Case(SWEEP_CMD + " --only vib", "has no variant 'vib'", sweep_with()),
    "sweep/jobs 0": Case(SWEEP_CMD + " --jobs 0", "argument --jobs: must be >= 1, got 0", sweep_with()),
    "sweep/seeds a word": Case(
        SWEEP_CMD + " --seeds three", "invalid positive_int value: 'three'", sweep_with()),
    "sweep/unknown backend": Case(SWEEP_CMD + " --backend spark", "invalid choice: 'spark'", sweep_with()),
    "sweep/results a file": Case("sweep {ws}/sweep.yaml --results {ws}/run.json", "run.json is not a folder",
                                 sweep_with()),
    "sweep/results below a file": Case("sweep {ws}/sweep.yaml --results {ws}/run/model.pt/results",
                                       "model.pt is not a folder", sweep_with()),
    "sweep/bad --device": Case(
        SWEEP_CMD + " --device tpu",
        "train.device: String should match pattern '^(auto|cpu|cuda(:[0-9]+)?)$', got 'tpu'",
                               sweep_with()),
    # ---- report
    "report/missing folder": Case("report {ws}/nope", "results folder {ws}/nope does not exist"),
    "report/results a file": Case("report {ws}/run.json", "does not exist"),
    "report/out below a file": Case(
        "report {ws} --out {ws}/run/model.pt/REPORT.md", "cannot create the report's folder"),
    "report/out a folder": Case("report {ws} --out {ws}/run", "is a folder; give a file name"),
    "report/two profiles, none chosen": Case(
        "report {ws}/results", "several profiles (cpu, gpu)", two_profiles),
    # ---- demo
    "demo/epochs 0": Case("demo --epochs 0 --out {ws}/demo", "argument --epochs: must be >= 1, got 0"),
    "demo/epochs a word": Case("demo --epochs ten --out {ws}/demo", "invalid positive_int value: 'ten'"),
    "demo/unknown device": Case(
        "demo --device gpu --out {ws}/demo",
        "device: String should match pattern '^(auto|cpu|cuda(:[0-9]+)?)$', got 'gpu'"),
    "demo/out below a file": Case("demo --out {ws}/run/model.pt", "model.pt is not a folder"),
    "demo/corrupt earlier result": Case("demo --out {ws}/demo", "cannot read",
                                        write("demo/deterministic/metrics.json", "{\"test_error\": 0.")),
    "demo/corrupt earlier config": Case("demo --out {ws}/demo", "cannot read",
                                        write("demo/deterministic/config.json", b"\x00\x01")),
    # ---- no command, unknown command
    "cli/unknown command": Case("fit --out {ws}/new", "invalid choice: 'fit'"),
}


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_one_error_line_and_changes_nothing(name, workspace, snapshot, run_as_script, capsys):
    case = CASES[name]
    if case.setup is not None:
        case.setup(workspace)
    argv = [arg.replace("{ws}", str(workspace)) for arg in case.argv.split(" ")]
    before = snapshot(workspace)
    code = run_as_script(argv)
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert code == 2, captured.err
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("vimax: error: "), lines[0]
    assert case.fragment.replace("{ws}", str(workspace)) in lines[0], lines[0]
    assert "Traceback" not in captured.out
    assert snapshot(workspace) == before  # nothing created, changed or deleted (a payload's marker neither)
    assert not (workspace / MARKER).exists()


def test_the_cases_cover_every_command_and_the_payloads():
    commands = {name.split("/")[0] for name in CASES}
    assert commands == {"train", "data", "evaluate", "sweep", "report", "demo", "cli"}
    assert sum(case.malicious for case in CASES.values()) == 7
    assert len(CASES) == 135
