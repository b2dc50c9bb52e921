"""``vimax sweep --evaluate-only``: new evaluations from saved weights, training nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import vimax.training.loop
from vimax.cli import main

EVALUATE = {"attack": False, "plot": False, "samples": 2}


def sweep(path: Path, results: Path, *extra: str) -> int:
    return main(["-q", "sweep", str(path), "--profile", "cpu", "--results", str(results), *extra])


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {name: ((folder / name).read_bytes(), (folder / name).stat().st_mtime_ns)
            for name in ("metrics.json", "model.pt", "config.json", "metrics.jsonl")}


def evaluation(folder: Path) -> dict:
    return json.loads((folder / "evaluation.json").read_text())


@pytest.fixture
def finished(tiny_sweep, write_sweep, tmp_path):
    """The tiny sweep trained and evaluated, and a training counter from then on."""
    tiny_sweep["evaluate"] = EVALUATE
    path = write_sweep(tiny_sweep)
    assert sweep(path, tmp_path) == 0
    return tiny_sweep, path, tmp_path / "tiny/cpu"


@pytest.fixture
def trainings(monkeypatch):
    calls: list[str] = []
    real_fit = vimax.training.loop.fit

    def counting_fit(config, out_dir, *args, **kwargs):
        calls.append(Path(out_dir).name)
        return real_fit(config, out_dir, *args, **kwargs)

    monkeypatch.setattr(vimax.training.loop, "fit", counting_fit)
    return calls


def test_evaluate_only_evaluates_again_without_touching_the_training(finished, write_sweep, tmp_path,
                                                                     trainings, capsys):
    tiny, _, folder = finished
    runs = sorted(p for p in folder.iterdir() if p.name != "records")
    before = {run.name: (snapshot(run), evaluation(run)) for run in runs}
    tiny["evaluate"] = {**EVALUATE, "samples": 3}  # a new evaluation setting, e.g. a new metric
    assert sweep(write_sweep(tiny), tmp_path, "--evaluate-only") == 0
    assert trainings == []
    out = capsys.readouterr().out
    assert "3 with weights to evaluate" in out and "3 evaluated" in out
    for run in runs:
        files, old = before[run.name]
        new = evaluation(run)
        assert snapshot(run) == files  # metrics.json, model.pt, ... unchanged, bytes and times
        assert old["accuracy"]["samples"] == 2 and new["accuracy"]["samples"] == 3
        assert new["representation"] == old["representation"]  # the same weights
        assert not list(run.parent.glob(f".{run.name}*"))  # no scratch or temporary files left


def test_runs_without_weights_are_listed_and_retrained_bit_for_bit(finished, tmp_path, trainings, capsys):
    _, path, folder = finished
    run = folder / "vim_beta1e-03_seed0"
    weights, files = (run / "model.pt").read_bytes(), snapshot(run)
    old = evaluation(run)
    (run / "model.pt").unlink()
    assert sweep(path, tmp_path, "--evaluate-only") == 0
    out = capsys.readouterr().out
    assert "vim_beta1e-03_seed0: no weights" in out and "1 trained without weights" in out
    assert "--retrain-missing" in out and evaluation(run) == old and trainings == []
    assert sweep(path, tmp_path, "--evaluate-only", "--retrain-missing") == 0
    assert "vim_beta1e-03_seed0: retrained and evaluated" in capsys.readouterr().out
    assert trainings == [".vim_beta1e-03_seed0.retrain"]  # that run only, in a scratch folder
    assert (run / "model.pt").read_bytes() == weights
    assert {k: v for k, v in snapshot(run).items() if k != "model.pt"} == \
        {k: v for k, v in files.items() if k != "model.pt"}
    assert evaluation(run)["representation"] == old["representation"]
    assert not (folder / ".vim_beta1e-03_seed0.retrain").exists()


def test_retraining_that_does_not_reproduce_installs_nothing(finished, tmp_path, capsys):
    _, path, folder = finished
    run = folder / "deterministic_seed0"
    (run / "model.pt").unlink()
    metrics = json.loads((run / "metrics.json").read_text())
    (run / "metrics.json").write_text(json.dumps({**metrics, "test_error": metrics["test_error"] + 0.5}))
    assert sweep(path, tmp_path, "--evaluate-only", "--retrain-missing") == 1
    out = capsys.readouterr().out
    assert "deterministic_seed0: failed" in out and "does not reproduce metrics.json (test_error" in out
    assert not (run / "model.pt").exists() and not (folder / ".deterministic_seed0.retrain").exists()


def test_untrained_runs_and_sweeps_without_evaluation(tiny_sweep, write_sweep, tmp_path, trainings, capsys):
    path = write_sweep(tiny_sweep)  # evaluate: false
    assert sweep(path, tmp_path, "--evaluate-only") == 0
    assert "0 with weights to evaluate" in capsys.readouterr().out and trainings == []
    tiny_sweep["evaluate"] = EVALUATE
    assert sweep(write_sweep(tiny_sweep), tmp_path, "--evaluate-only", "--dry-run") == 0
    assert "deterministic_seed0: not trained" in capsys.readouterr().out
    assert not (tmp_path / "tiny").exists() or not list((tmp_path / "tiny").rglob("metrics.json"))


@pytest.mark.parametrize("flags", [["--retrain-missing"], ["--evaluate-only", "--no-evaluate"]])
def test_contradictory_flags_exit_2(tiny_sweep, write_sweep, tmp_path, flags, capsys):
    assert sweep(write_sweep(tiny_sweep), tmp_path, *flags) == 2
    assert capsys.readouterr().err.startswith("vimax: error:")


def test_cross_check_on_chosen_runs(finished, write_sweep, tmp_path):
    tiny, _, folder = finished
    tiny["evaluate"] = {**EVALUATE, "attack": True, "attack_images": 1,
                        "carlini_wagner": {"steps": 5, "binary_search_steps": 1}}
    path = write_sweep(tiny)
    assert sweep(path, tmp_path, "--evaluate-only", "--match", "vim_beta1e-03_*", "--cross-check") == 0
    section = evaluation(folder / "vim_beta1e-03_seed0")["robustness"]
    assert set(section) == {"mean", "averaged", "cross_check"}
    assert set(section["cross_check"]) == {"mean", "averaged"}
    assert section["cross_check"]["mean"]["engines"] == ["adv_lib", "foolbox"]
    assert evaluation(folder / "vim_beta1e-02_seed0")["robustness"] is None  # not matched: as it was
