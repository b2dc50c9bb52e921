"""Running sweeps: resuming after an interruption, failures recorded, evaluation skipped when done."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import vimax.training.loop
from vimax.cli import main
from vimax.errors import ConfigError
from vimax.sweep import expand, parse_sweep, pending_runs, read_records, run_status

TIMING = {"train_seconds", "train_samples_per_s"}
RUNS = ["deterministic_seed0", "vim_beta1e-03_seed0", "vim_beta1e-02_seed0"]


def sweep(path: Path, results: Path, *extra: str) -> int:
    return main(["-q", "sweep", str(path), "--profile", "cpu", "--results", str(results), *extra])


def results_of(results: Path) -> dict[str, dict]:
    """Each finished run's metrics without the timings, by run id."""
    folder = results / "tiny" / "cpu"
    return {p.parent.name: {k: v for k, v in json.loads(p.read_text()).items() if k not in TIMING}
            for p in sorted(folder.glob("*/metrics.json"))}


def test_max_runs_then_resume_equals_uninterrupted(tiny_sweep, write_sweep, tmp_path, capsys):
    path = write_sweep(tiny_sweep)
    assert sweep(path, tmp_path / "whole") == 0
    pieces = tmp_path / "pieces"
    assert sweep(path, pieces, "--max-runs", "2") == 0
    assert sorted(results_of(pieces)) == RUNS[:2]
    first = {run: (pieces / "tiny/cpu" / run / "metrics.json").stat().st_mtime_ns for run in RUNS[:2]}
    capsys.readouterr()
    assert sweep(path, pieces, "--dry-run") == 0
    listing = capsys.readouterr().out
    assert "vim_beta1e-02_seed0  pending" in listing and "2 done, 1 pending" in listing
    assert sweep(path, pieces) == 0
    assert {run: (pieces / "tiny/cpu" / run / "metrics.json").stat().st_mtime_ns for run in RUNS[:2]} == first
    assert results_of(pieces) == results_of(tmp_path / "whole")
    assert sorted(read_records(pieces / "tiny/cpu")) == sorted(RUNS)
    assert sweep(path, pieces) == 0 and "all 3 runs are finished" in capsys.readouterr().out


def test_keyboard_interrupt_then_resume(tiny_sweep, write_sweep, tmp_path, monkeypatch):
    path = write_sweep(tiny_sweep)
    real_fit = vimax.training.loop.fit
    calls = []

    def interrupted_fit(config, out_dir, resume=False, dataset=None):
        calls.append(Path(out_dir).name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_fit(config, out_dir, resume=resume, dataset=dataset)

    monkeypatch.setattr(vimax.training.loop, "fit", interrupted_fit)
    assert sweep(path, tmp_path) == 130
    assert sorted(results_of(tmp_path)) == RUNS[:1]
    assert sorted(read_records(tmp_path / "tiny/cpu")) == RUNS[:1]  # no record for the interrupted run
    assert sweep(path, tmp_path) == 0
    assert calls == [RUNS[0], RUNS[1], RUNS[1], RUNS[2]]
    assert sorted(results_of(tmp_path)) == sorted(RUNS)


def test_failed_run_is_recorded_and_others_finish(tiny_sweep, write_sweep, tmp_path, monkeypatch, capsys):
    path = write_sweep(tiny_sweep)
    real_fit = vimax.training.loop.fit

    def fit(config, out_dir, resume=False, dataset=None):
        if config.objective.name == "deterministic":
            raise RuntimeError("out of memory")
        if config.objective.beta == 1e-3:
            raise vimax.training.loop.TrainingDiverged("the loss became NaN in epoch 1")
        return real_fit(config, out_dir, resume=resume, dataset=dataset)

    monkeypatch.setattr(vimax.training.loop, "fit", fit)
    assert sweep(path, tmp_path) == 1
    records = read_records(tmp_path / "tiny/cpu")
    assert records["vim_beta1e-03_seed0"]["status"] == "failed"
    assert records["vim_beta1e-03_seed0"]["error_type"] == "TrainingDiverged"
    assert "NaN" in records["vim_beta1e-03_seed0"]["reason"]
    assert records["deterministic_seed0"]["reason"] == "RuntimeError: out of memory"
    assert "Traceback" in records["deterministic_seed0"]["traceback"]
    assert records["vim_beta1e-02_seed0"]["status"] == "done"
    assert "vim_beta1e-03_seed0: the loss became NaN" in capsys.readouterr().out
    specs = expand(parse_sweep(tiny_sweep), "cpu", tmp_path)
    assert [run_status(s)[0] for s in specs] == ["failed", "failed", "done"]
    assert len(pending_runs(specs, retry_failed=False)) == 0
    monkeypatch.setattr(vimax.training.loop, "fit", real_fit)
    assert sweep(path, tmp_path, "--skip-failed") == 0  # nothing to do
    assert sweep(path, tmp_path) == 0  # retried, now they pass; one record per run, replaced
    assert {r["status"] for r in read_records(tmp_path / "tiny/cpu").values()} == {"done"}
    assert len(list((tmp_path / "tiny/cpu/records").iterdir())) == 3


def test_process_pool_records_a_real_failure(tiny_sweep, write_sweep, tmp_path):
    tiny_sweep["grid"] = [
        {"name": "vib", "objective": {"name": "vib"}, "axes": {"objective.beta": [1.0e-3, 1.0e-2]}},
        {"name": "broken", "objective": {"name": "vim"}, "data": {"val_size": 5000}},  # fails on loading
    ]
    path = write_sweep(tiny_sweep)
    assert sweep(path, tmp_path, "--jobs", "2") == 1
    records = read_records(tmp_path / "tiny/cpu")
    assert records["broken_seed0"]["status"] == "failed" and "val_size" in records["broken_seed0"]["reason"]
    assert records["vib_beta1e-03_seed0"]["status"] == records["vib_beta1e-02_seed0"]["status"] == "done"
    assert records["vib_beta1e-02_seed0"]["threads"] >= 1


def test_evaluation_runs_once_after_training(tiny_sweep, write_sweep, tmp_path):
    pytest.importorskip("vimax.evaluate.run", reason="the evaluation is not written yet")
    tiny_sweep["grid"] = [{"name": "vim", "objective": {"name": "vim"}}]
    tiny_sweep["evaluate"] = {"attack": False, "plot": False, "samples": 2}
    path = write_sweep(tiny_sweep)
    assert sweep(path, tmp_path, "--no-evaluate") == 0
    run = tmp_path / "tiny/cpu/vim_seed0"
    assert (run / "metrics.json").is_file() and not (run / "evaluation.json").exists()
    spec = expand(parse_sweep(tiny_sweep), "cpu", tmp_path)[0]
    assert run_status(spec) == ("partial", "trained, not evaluated")
    trained = (run / "metrics.json").stat().st_mtime_ns
    assert sweep(path, tmp_path) == 0
    evaluation = json.loads((run / "evaluation.json").read_text())
    assert evaluation["robustness"] is None and 0 <= evaluation["representation"]["ari"] <= 1
    assert (run / "metrics.json").stat().st_mtime_ns == trained
    assert run_status(spec) == ("done", "")


def test_bad_evaluation_settings_fail_before_running(tiny_sweep, write_sweep, tmp_path, capsys):
    pytest.importorskip("vimax.evaluate.run", reason="the evaluation is not written yet")
    tiny_sweep["evaluate"] = {"attacks": True}
    assert sweep(write_sweep(tiny_sweep), tmp_path) == 2
    assert "attacks" in capsys.readouterr().err and not (tmp_path / "tiny").exists()


def test_sweep_file_without_profiles_runs_under_its_implicit_profile(tiny_sweep, write_sweep, tmp_path):
    del tiny_sweep["profiles"]
    tiny_sweep["grid"] = tiny_sweep["grid"][:1]
    path = write_sweep(tiny_sweep)
    results = tmp_path / "results"
    assert main(["-q", "sweep", str(path), "--results", str(results)]) == 0  # no --profile
    assert (results / "tiny" / "default" / "deterministic_seed0" / "metrics.json").is_file()
    assert main(["-q", "sweep", str(path), "--results", str(results), "--profile", "default"]) == 0


def test_empty_profiles_is_refused(tiny_sweep):
    tiny_sweep["profiles"] = {}
    with pytest.raises(ConfigError, match="'profiles' is empty; leave it out"):
        parse_sweep(tiny_sweep)
