"""Sweeps under faults: the whole sweep SIGKILLed, one worker SIGKILLed, a run that diverges.

After the kills, a restart ends with every run recorded exactly once and the
same results as an uninterrupted sweep (timings aside); a diverging run is
recorded as failed with its reason while the others finish.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from vimax.sweep import read_records

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="needs SIGKILL, process groups and /proc")

EPOCHS = 12  # ~0.5 s of training per run: long enough to be caught in flight
SWEEP: dict[str, Any] = {
    "name": "faults",
    "seeds": 1,
    "base": {
        "data": {"name": "digits"},
        "model": {"hidden": [32, 32], "latent_dim": 4},
        "objective": {"prior_std": 1.0},
        "train": {"epochs": EPOCHS, "batch_size": 100, "lr": 1.0e-3, "eval_samples": 2, "threads": 1},
    },
    "profiles": {"cpu": {}},
    "grid": [
        {"name": "deterministic", "objective": {"name": "deterministic"}},
        {"name": "vib", "objective": {"name": "vib"}, "axes": {"objective.beta": [1.0e-3, 1.0e-2]}},
        {"name": "vim", "objective": {"name": "vim"}, "axes": {"objective.beta": [1.0e-4, 1.0e-3, 1.0e-2]}},
    ],
    "evaluate": False,
}
RUNS = ["deterministic_seed0", "vib_beta1e-03_seed0", "vib_beta1e-02_seed0", "vim_beta1e-04_seed0",
        "vim_beta1e-03_seed0", "vim_beta1e-02_seed0"]
TIMING = {"train_seconds", "train_samples_per_s"}
RUN_FILES = ["config.json", "metrics.json", "metrics.jsonl", "model.pt"]


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sweep") / "faults.yaml"
    path.write_text(yaml.safe_dump(SWEEP))
    return path


@pytest.fixture(scope="module")
def reference(sweep_file, tmp_path_factory, run_cli) -> dict[str, dict]:
    """The uninterrupted sweep's results (in this process, one run at a time)."""
    results = tmp_path_factory.mktemp("reference")
    assert run_cli(["-q", "sweep", str(sweep_file), "--results", str(results), "--no-evaluate"]) == 0
    return results_of(results)


def results_of(results: Path) -> dict[str, dict]:
    """Each finished run's metrics without the timings, by run id."""
    return {p.parent.name: {k: v for k, v in json.loads(p.read_text()).items() if k not in TIMING}
            for p in sorted((results / "faults" / "cpu").glob("*/metrics.json"))}


def start_sweep(sweep_file: Path, results: Path, log: Path) -> subprocess.Popen:
    """``vimax sweep --jobs 2`` in a new session: its workers share its process group."""
    command = [sys.executable, "-m", "vimax", "-q", "sweep", str(sweep_file), "--results", str(results),
               "--jobs", "2", "--no-evaluate"]
    with open(log, "ab") as out:
        return subprocess.Popen(command, stdout=out, stderr=out, start_new_session=True)


def wait_until(condition: Callable[[], bool], process: subprocess.Popen, timeout: float = 120) -> bool:
    """Poll ``condition`` until it holds (True) or ``process`` ends or time runs out (False)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and process.poll() is None:
        if condition():
            return True
        time.sleep(0.01)
    return False


def run_dirs(results: Path) -> list[Path]:
    folder = results / "faults" / "cpu"
    return [folder / run for run in RUNS if (folder / run).is_dir()]


def in_flight(results: Path) -> list[str]:
    """Runs training right now: a checkpoint and no final metrics."""
    return [d.name for d in run_dirs(results)
            if (d / "checkpoint.pt").is_file() and not (d / "metrics.json").is_file()]


def finished(results: Path) -> list[str]:
    return [d.name for d in run_dirs(results) if (d / "metrics.json").is_file()]


def kill_group(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def worker_pids(parent: int) -> list[int]:
    """The pool's worker processes: children of ``parent`` started by multiprocessing's spawn."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == parent and b"spawn_main" in cmdline:
            pids.append(int(stat.parent.name))
    return sorted(pids)


def assert_complete(results: Path, reference: dict[str, dict], log: Path) -> None:
    """Every run recorded once as done, whole run folders, and the reference's results."""
    folder = results / "faults" / "cpu"
    state = {run: sorted(p.name for p in (folder / run).iterdir()) for run in RUNS}
    assert sorted(p.name for p in (folder / "records").iterdir()) == sorted(f"{r}.json" for r in RUNS), (
        state, log.read_text())
    records = read_records(folder)
    assert {run: r["status"] for run, r in records.items()} == dict.fromkeys(RUNS, "done"), log.read_text()
    for run in RUNS:
        assert sorted(p.name for p in (folder / run).iterdir()) == RUN_FILES, run
        epochs = [json.loads(line)["epoch"] for line in (folder / run / "metrics.jsonl").open()]
        assert epochs == list(range(1, EPOCHS + 1)), run
    assert results_of(results) == reference


@pytest.mark.slow
def test_a_sweep_survives_sigkills_of_its_process_group_and_of_a_worker(sweep_file, reference, tmp_path):
    """Four starts of one sweep: group killed, a worker killed, group killed again, then to the end.

    (One sweep for all three kills: every start costs ~10 s of imports in three processes,
    most of it torch, scikit-learn and torch._dynamo, which the first optimizer imports.)
    """
    results, log = tmp_path / "results", tmp_path / "sweep.log"
    moments = []

    # 1. the whole process group, as soon as the first runs are training
    process = start_sweep(sweep_file, results, log)
    assert wait_until(lambda: len(in_flight(results)) > 0, process), log.read_text()
    kill_group(process)
    moments.append((len(finished(results)), in_flight(results)))

    # 2. one worker alone, once the restarted sweep finished a run and trains another:
    #    the pool breaks and every run not finished is recorded as failed, with the reason
    done = len(finished(results))
    process = start_sweep(sweep_file, results, log)
    assert wait_until(lambda: len(finished(results)) > done and len(in_flight(results)) > 0
                      and len(worker_pids(process.pid)) == 2, process), log.read_text()
    os.kill(worker_pids(process.pid)[0], signal.SIGKILL)
    assert process.wait(timeout=120) == 1, log.read_text()
    records = read_records(results / "faults" / "cpu")
    failed = {run: r["reason"] for run, r in records.items() if r["status"] == "failed"}
    assert failed and all(reason.startswith("worker process lost: BrokenProcessPool") for reason in
                          failed.values()), records
    assert sorted(failed) == sorted(set(RUNS) - set(finished(results)))  # finished, or failed with a reason
    assert all(records[run]["status"] == "done" for run in finished(results))

    # 3. the whole group again, once the next start finished more runs and trains others
    done = len(finished(results))
    process = start_sweep(sweep_file, results, log)
    assert wait_until(lambda: len(finished(results)) > done and len(in_flight(results)) > 0,
                      process), log.read_text()
    kill_group(process)
    moments.append((len(finished(results)), in_flight(results)))
    assert all(training for _, training in moments)  # both group kills hit runs in flight
    assert moments[0][0] < moments[1][0] < len(RUNS)

    # 4. the last start finishes everything, once
    process = start_sweep(sweep_file, results, log)
    assert process.wait(timeout=180) == 0, log.read_text()
    assert_complete(results, reference, log)


def test_a_diverging_run_is_recorded_as_failed_and_the_others_finish(tmp_path, capsys, run_cli):
    sweep = {**SWEEP, "grid": [
        {"name": "vim", "objective": {"name": "vim"}},
        {"name": "explodes", "objective": {"name": "vim"}, "train": {"lr": 1.0e30}},
        {"name": "deterministic", "objective": {"name": "deterministic"}},
    ]}
    sweep["base"] = {**SWEEP["base"], "train": {**SWEEP["base"]["train"], "epochs": 2}}
    path = tmp_path / "diverge.yaml"
    path.write_text(yaml.safe_dump(sweep))
    assert run_cli(["-q", "sweep", str(path), "--results", str(tmp_path), "--no-evaluate"]) == 1
    records = read_records(tmp_path / "faults" / "cpu")
    assert {run: r["status"] for run, r in records.items()} == {
        "vim_seed0": "done", "explodes_seed0": "failed", "deterministic_seed0": "done"}
    failure = records["explodes_seed0"]
    assert failure["error_type"] == "TrainingDiverged"
    assert failure["reason"].startswith("the loss became NaN or infinite at step 2 of 12 in epoch 1")
    assert ("  explodes_seed0: the loss became NaN or infinite at step 2 of 12 in epoch 1"
            in capsys.readouterr().out)
    folder = tmp_path / "faults" / "cpu"
    assert sorted(p.parent.name for p in folder.glob("*/metrics.json")) == ["deterministic_seed0",
                                                                             "vim_seed0"]
    assert sorted(p.name for p in (folder / "explodes_seed0").iterdir()) == ["config.json"]
