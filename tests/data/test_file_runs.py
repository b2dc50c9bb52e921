"""Training and evaluating on a data file or a registered dataset, from the command line.

Each file format trains 2 epochs with ``vimax train --dataset PATH`` and is
evaluated by ``vimax evaluate`` (the attack is skipped for standardised data,
turned off for the image folder); ``--import`` of a module written here
registers a dataset for train, evaluate and a 2-run sweep with ``--jobs 2``.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vimax.cli import build_parser, main
from vimax.config import RunConfig
from vimax.data import DATASETS, prepare_arrays
from vimax.data.download import sha256_of
from vimax.errors import DataError, VimaxError

SMALL = ["--latent-dim", "4", "--set", "model.hidden=[16]", "--epochs", "2", "--batch-size", "32",
         "--set", "train.eval_samples=2", "--device", "cpu"]
EVALUATE = ["--samples", "2"]
SKIPPED = "skipping the Carlini-Wagner attack: it measures distances in [0, 1] pixel units, and these inputs"


def run_cli(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exit_:  # argparse's usage errors
        return exit_.code


def _blobs(n: int = 150, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    return (rng.normal(size=(n, 4)) + 2.0 * y[:, None]).astype(np.float32), y


def write_npz(path: Path) -> Path:
    x, y = _blobs()
    np.savez(path, x=x, y=y)
    return path


def write_csv(path: Path) -> Path:
    x, y = _blobs()
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["f1", "f2", "f3", "f4", "kind"])
        writer.writerows([*x[i].tolist(), ["ant", "bee", "cow"][y[i]]] for i in range(len(y)))
    return path


def write_folder(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for split, count in (("train", 20), ("test", 4)):
        for label, name in enumerate(("dark", "light")):
            (root / split / name).mkdir(parents=True)
            for i in range(count):
                pixels = rng.integers(0, 128, (6, 6), dtype=np.uint8) + 127 * label
                Image.fromarray(pixels.astype(np.uint8), "L").save(root / split / name / f"{i}.png")
    return root


def _summary(run: Path) -> dict:
    return json.loads((run / "config.json").read_text())["dataset"]


# ---------------------------------------------------------------- every format, train then evaluate


def test_npz_from_the_command_line(tmp_path):
    """``python -m vimax train --dataset file.npz``, then ``vimax evaluate``, as separate processes."""
    data, run = write_npz(tmp_path / "blobs.npz"), tmp_path / "run"
    env = {**os.environ, "VIMAX_CACHE": str(tmp_path / "cache"), "MPLBACKEND": "Agg"}
    train = subprocess.run([sys.executable, "-m", "vimax", "train", "--dataset", str(data), *SMALL,
                            "--out", str(run)], capture_output=True, text=True, timeout=900, env=env)
    assert train.returncode == 0, train.stderr
    summary = _summary(run)
    assert summary["source"] == {"path": str(data), "sha256": sha256_of(data), "format": "npz"}
    assert summary["input_shape"] == [4] and summary["bounds"] is None and summary["num_classes"] == 3
    assert len(summary["normalization"]["mean"]) == 4
    saved = json.loads((run / "config.json").read_text())["config"]["data"]
    assert saved["name"] == "file" and saved["path"] == str(data)
    evaluate = subprocess.run([sys.executable, "-m", "vimax", "evaluate", str(run), *EVALUATE],
                              capture_output=True, text=True, timeout=900, env=env)
    assert evaluate.returncode == 0, evaluate.stderr
    assert evaluate.stderr.count(SKIPPED) == 1 and "test error" in evaluate.stdout
    result = json.loads((run / "evaluation.json").read_text())
    assert result["robustness"] is None and result["settings"]["attack"] is False
    assert 0.0 <= result["accuracy"]["test_error"] <= 1.0


@pytest.mark.parametrize("fmt", ["csv", "folder"])
def test_csv_and_image_folder_train_and_evaluate(tmp_path, fmt, caplog):
    data = write_csv(tmp_path / "d.csv") if fmt == "csv" else write_folder(tmp_path / "pics")
    run = tmp_path / "run"
    extra = ["--set", "data.label_column=kind"] if fmt == "csv" else []
    assert run_cli(["train", "--dataset", str(data), *extra, *SMALL, "--out", str(run)]) == 0
    summary = _summary(run)
    if fmt == "csv":
        assert summary["classes"] == ["ant", "bee", "cow"] and summary["bounds"] is None
    else:
        assert summary["classes"] == ["dark", "light"] and summary["input_shape"] == [1, 6, 6]
        assert summary["bounds"] == [0.0, 1.0] and "normalization" not in summary
        assert summary["sizes"]["test"] == 8
    attack = ["--no-attack"] if fmt == "folder" else []
    caplog.clear()
    assert run_cli(["evaluate", str(run), *EVALUATE, *attack]) == 0
    skipped = [r for r in caplog.records if SKIPPED in r.getMessage()]
    assert len(skipped) == (1 if fmt == "csv" else 0)
    assert json.loads((run / "evaluation.json").read_text())["robustness"] is None


def test_bounded_images_keep_the_attack(tmp_path):
    """uint8 images are in [0, 1], so evaluation attacks them as it does MNIST."""
    from vimax.evaluate.carlini_wagner import CarliniWagnerConfig
    from vimax.evaluate.run import EvaluationConfig, evaluate_run

    data, run = write_folder(tmp_path / "pics"), tmp_path / "run"
    assert run_cli(["train", "--dataset", str(data), *SMALL, "--out", str(run)]) == 0
    settings = EvaluationConfig(samples=2, attack_images=1, plot=False, progress=False,
                                carlini_wagner=CarliniWagnerConfig(steps=2, binary_search_steps=1))
    assert evaluate_run(run, settings)["robustness"] is not None


def test_a_config_file_names_the_data_by_path(tmp_path, monkeypatch):
    """A relative path is the current folder's, kept absolute (so a later evaluation finds it)."""
    from vimax.commands.options import run_config_from_args

    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.yaml").write_text("data:\n  path: some/d.csv\n  label_column: kind\n")
    args = build_parser().parse_args(["train", "--config", "c.yaml", "--out", "x"])
    data = run_config_from_args(args).data
    assert (data.name, data.path, data.label_column) == ("file", str(tmp_path / "some" / "d.csv"), "kind")


def test_help_says_a_path_is_accepted(capsys):
    assert run_cli(["train", "--help"]) == 0
    assert "path of a .npz or .csv file or of an image folder" in " ".join(capsys.readouterr().out.split())


# ---------------------------------------------------------------- errors: one line, exit 2


def test_a_changed_data_file_is_refused_by_evaluate(tmp_path, capsys):
    data, run = write_npz(tmp_path / "d.npz"), tmp_path / "run"
    assert run_cli(["train", "--dataset", str(data), *SMALL, "--out", str(run)]) == 0
    x, y = _blobs()
    x[3, 1] += 0.5
    np.savez(data, x=x, y=y)
    capsys.readouterr()
    assert run_cli(["evaluate", str(run), *EVALUATE]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"vimax: error: {data} changed since the run was trained") and err.count("\n") == 1
    assert not (run / "evaluation.json").exists()


def test_resuming_on_changed_data_is_refused(tmp_path):
    from vimax.training.run_folder import RunFolder

    folder = RunFolder(tmp_path / "run")
    summary = {"name": "file", "source": {"path": "/d.npz", "sha256": "a" * 64, "format": "npz"}}
    config = RunConfig().to_dict()
    folder.start(config, False, summary)
    folder.start(config, True, summary)  # the same data: fine
    changed = {**summary, "source": {**summary["source"], "sha256": "b" * 64}}
    with pytest.raises(VimaxError, match=r"/d\.npz changed since .* started"):
        folder.start(config, True, changed)


BAD_PATHS = {
    "a file as data dir": (["--dataset", "digits", "--data-dir", "{tmp}/d.npz"],
                           "data_dir {tmp}/d.npz is a file, not a folder; to train on a data file give it "
                           "as the dataset (--dataset {tmp}/d.npz"),
    "a missing data dir": (["--data-dir", "/nonexistent"], "data_dir /nonexistent: no such folder"),
    "mnist from a missing dir": (["--dataset", "mnist", "--data-dir", "{tmp}/missing"],
                                 "data_dir {tmp}/missing: no such folder (data_dir / --data-dir is the "
                                 "folder that holds the mnist files)"),
    "a missing data file": (["--dataset", "{tmp}/missing.npz"],
                            "--dataset {tmp}/missing.npz: not a registered dataset (cifar10, digits, mnist"),
    "an unknown suffix": (["--dataset", "{tmp}/d.txt"], "a dataset file must end in .npz or .csv"),
}


@pytest.mark.parametrize("case", BAD_PATHS)
def test_bad_data_paths_are_one_line_and_exit_2(case, tmp_path, capsys, monkeypatch):
    from vimax.data import mnist

    monkeypatch.setattr(mnist, "fetch", lambda *a, **k: pytest.fail("tried to download"))
    write_npz(tmp_path / "d.npz")
    (tmp_path / "d.txt").write_text("a,b\n1,2\n")
    flags, fragment = BAD_PATHS[case]
    flags = [flag.format(tmp=tmp_path) for flag in flags]
    assert run_cli(["train", *flags, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vimax: error: ") and err.count("\n") == 1
    assert fragment.format(tmp=tmp_path) in err
    assert not (tmp_path / "run").exists()


# ---------------------------------------------------------------- --import and registration


@pytest.fixture
def user_state(monkeypatch):
    """Undo what importing a user module changes: the dataset table, sys.modules, the import list."""
    from vimax import user_modules

    monkeypatch.setattr(DATASETS, "_table", dict(DATASETS._table))
    monkeypatch.setattr(user_modules, "_IMPORTED", [])
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.startswith("user_data_"):
            del sys.modules[name]


def _user_module(folder: Path) -> tuple[Path, str]:
    """A module registering a dataset; both named uniquely, so no two tests share them."""
    tag = uuid.uuid4().hex[:8]
    module, dataset = folder / f"user_data_{tag}.py", f"blobs_{tag}"
    module.write_text(
        "import numpy as np\nimport vimax\n\n\n"
        f"@vimax.register_dataset({dataset!r})\n"
        "def load():\n"
        "    rng = np.random.default_rng(0)\n"
        "    y = np.arange(120) % 3\n"
        "    return {'x': rng.normal(size=(120, 4)) + y[:, None], 'y': y}\n")
    return module, dataset


def test_import_a_module_for_train_and_evaluate(tmp_path, user_state):
    module, dataset = _user_module(tmp_path)
    run = tmp_path / "run"
    assert run_cli(["--import", str(module), "train", "--dataset", dataset, *SMALL, "--out", str(run)]) == 0
    assert _summary(run)["name"] == dataset and _summary(run)["sizes"] == {"train": 86, "val": 10, "test": 24}
    # --import may also follow the command
    assert run_cli(["evaluate", str(run), "--import", str(module), *EVALUATE]) == 0


def test_an_unregistered_dataset_asks_for_import(tmp_path, capsys):
    (tmp_path / "c.json").write_text(json.dumps({"data": {"name": "not_imported_data"}}))
    assert run_cli(["train", "--config", str(tmp_path / "c.json"), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "unknown dataset 'not_imported_data'" in err and "--import MODULE" in err and err.count("\n") == 1


@pytest.mark.parametrize("spec, fragment", [
    ("no_such_module_xyz", "--import no_such_module_xyz: no module named 'no_such_module_xyz'"),
    ("{tmp}/broken.py", "--import {tmp}/broken.py: importing it raised ZeroDivisionError: division by zero"),
    ("{tmp}/absent.py", "no such file"),
])
def test_import_errors_are_one_line(tmp_path, capsys, user_state, spec, fragment):
    (tmp_path / "broken.py").write_text("x = 1 / 0\n")
    assert run_cli(["--import", spec.format(tmp=tmp_path), "train", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert fragment.format(tmp=tmp_path) in err and err.count("\n") == 1


@pytest.mark.slow
def test_import_reaches_the_workers_of_a_sweep(tmp_path, user_state, monkeypatch):
    """A module imported by name from the current folder; two runs in two spawned worker processes."""
    module, dataset = _user_module(tmp_path)
    monkeypatch.chdir(tmp_path)
    sweep = {"name": "own", "profiles": {"cpu": {}}, "evaluate": False,
             "base": {"data": {"name": dataset}, "model": {"latent_dim": 4, "hidden": [16]},
                      "train": {"epochs": 2, "batch_size": 32, "eval_samples": 2, "device": "cpu"}},
             "grid": [{"name": "vim", "axes": {"objective.beta": [1e-3, 1e-2]}}]}
    (tmp_path / "sweep.json").write_text(json.dumps(sweep))
    argv = ["--import", module.stem, "sweep", "sweep.json", "--results", str(tmp_path / "results"),
            "--jobs", "2"]
    assert run_cli(argv) == 0
    folder = tmp_path / "results" / "own" / "cpu" / "records"
    records = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]
    assert [r["status"] for r in records] == ["done", "done"]
    assert all(r["pid"] != os.getpid() for r in records)  # trained in the spawned workers
    for record in records:
        assert _summary(Path(record["out_dir"]))["name"] == dataset


def test_python_route_with_a_dataset_object(tmp_path):
    from vimax import RunConfig, evaluate_run, fit
    from vimax.evaluate.run import EvaluationConfig

    x, y = _blobs()
    data = prepare_arrays("object_only_blobs", {"x": x, "y": y})
    config = RunConfig.from_dict({"model": {"latent_dim": 4, "hidden": [16]},
                                   "train": {"epochs": 1, "batch_size": 32, "eval_samples": 2,
                                             "device": "cpu"}})
    fit(config, tmp_path / "run", dataset=data)
    settings = EvaluationConfig(samples=2, attack=False, plot=False)
    with pytest.raises(DataError, match=r"vimax.register_dataset\('object_only_blobs'\) in a module"):
        evaluate_run(tmp_path / "run", settings)
    result = evaluate_run(tmp_path / "run", settings, dataset=data)
    assert result["accuracy"]["samples"] == 2


def test_a_sweep_copies_a_finished_run_only_while_its_data_file_is_unchanged(tmp_path):
    from vimax.config import RunConfig
    from vimax.sweep.grid import RunSpec
    from vimax.sweep.reuse import find_twin

    data = write_npz(tmp_path / "d.npz")
    config = {"data": {"path": str(data)}, "train": {"epochs": 1}}
    twin = tmp_path / "results" / "a" / "cpu" / "run"
    twin.mkdir(parents=True)
    source = {"path": str(data), "sha256": sha256_of(data), "format": "npz"}
    saved = {"config": RunConfig.from_dict(config).to_dict(), "dataset": {"name": "file", "source": source}}
    (twin / "config.json").write_text(json.dumps(saved))
    for name in ("metrics.jsonl", "model.pt", "metrics.json"):
        (twin / name).write_text("{}")
    spec = RunSpec("b", "cpu", "v", "run", 0, config, str(tmp_path / "results" / "b" / "cpu" / "run"))
    assert find_twin(spec) == twin
    x, y = _blobs()
    np.savez(data, x=x + 1, y=y)
    assert find_twin(spec) is None


def test_evaluate_a_run_trained_on_a_dataset_object_through_import(tmp_path, user_state):
    """fit(config, out, dataset=obj) saves obj's name; ``--import`` of a module registering it lets
    ``vimax evaluate`` load it (the config still names the default digits)."""
    from vimax import RunConfig, fit

    module, dataset = _user_module(tmp_path)
    rng = np.random.default_rng(0)
    y = np.arange(120) % 3
    data = prepare_arrays(dataset, {"x": rng.normal(size=(120, 4)) + y[:, None], "y": y})
    config = RunConfig.from_dict({"model": {"latent_dim": 4, "hidden": [16]},
                                   "train": {"epochs": 1, "batch_size": 32, "eval_samples": 2,
                                             "device": "cpu"}})
    fit(config, tmp_path / "run", dataset=data)
    assert run_cli(["--import", str(module), "evaluate", str(tmp_path / "run"), *EVALUATE]) == 0
    assert json.loads((tmp_path / "run" / "evaluation.json").read_text())["robustness"] is None
