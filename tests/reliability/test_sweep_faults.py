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

EPOCHS = 6
SWEEP: dict[str, Any] = {
    "name": "faults",
    "seeds": 1,
    "base": {
        "data": {"name": "digits"},
        "model": {"hidden": [32, 32], "latent_dim": 4},
        "train": {"epochs": EPOCHS, "batch_size": 100, "lr": 1.0e-3, "eval_samples": 2, "threads": 1},
    },
    "profiles": {"cpu": {}},
    "grid": [
        {"name": "deterministic", "objective": {"name": "deterministic"}},
        {"name": "vib", "objective": {"name": "vib", "prior_std": 1.0},
         "axes": {"objective.beta": [1.0e-3, 1.0e-2]}},
        {"name": "vim", "objective": {"name": "vim", "prior_std": 1.0},
         "axes": {"objective.beta": [1.0e-4, 1.0e-3, 1.0e-2]}},
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


def start_sweep(sweep_file: Path, results: Path, log: Path, holds: Path | None = None,
                hold_runs: str = "*") -> subprocess.Popen:
    """``vimax sweep --jobs 2`` in a new session: its workers share its process group.

    With ``holds``, a worker pauses at the end of epoch 3 of each run matching ``hold_runs``
    (``vimax.failpoints``; its checkpoint is written) and says so with a ``held-<pid>`` file
    in ``holds``: the test then acts on an event, not after a guessed time, so a fast machine
    and a slow one see the same moments.
    """
    command = [sys.executable, "-m", "vimax", "-q", "sweep", str(sweep_file), "--results", str(results),
               "--jobs", "2", "--no-evaluate"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIMAX_FAILPOINT")}
    if holds is not None:
        holds.mkdir(parents=True)
        env.update(VIMAX_FAILPOINT=f"hold@epoch_end:epoch=3,run={hold_runs}", VIMAX_FAILPOINT_DIR=str(holds))
    with open(log, "ab") as out:
        return subprocess.Popen(command, stdout=out, stderr=out, start_new_session=True, env=env)


def wait_until(condition: Callable[[], bool], process: subprocess.Popen, timeout: float = 1800) -> bool:
    """Poll ``condition`` until it holds (True) or ``process`` ends (False).

    The timeout only ends a hung test; on any machine the condition comes first.
    """
    end = time.monotonic() + timeout
    while time.monotonic() < end and process.poll() is None:
        if condition():
            return True
        time.sleep(0.01)
    return False


def held(holds: Path) -> int:
    return len(list(holds.glob("held-*")))


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


@pytest.fixture
def release_holds(tmp_path):
    """Whatever happens, let held processes of this test go (each hold also ends by itself)."""
    yield
    for folder in tmp_path.glob("holds*"):
        (folder / "release").write_text("")


@pytest.mark.slow
def test_a_sweep_survives_sigkills_of_its_process_group_and_of_a_worker(sweep_file, reference, tmp_path,
                                                                        release_holds):
    """Four starts of one sweep: group killed, a worker killed, group killed again, then to the end.

    Each kill waits for workers held at a failpoint (end of epoch 3 of chosen runs, their
    checkpoint written), so it surely lands while runs are in flight. The sweep runs its grid
    in order: deterministic, the two VIBs, the three VIMs. (One sweep for all three kills:
    every start costs ~10 s of imports in three processes.)
    """
    results, log = tmp_path / "results", tmp_path / "sweep.log"
    moments = []

    # 1. the whole process group, once both workers hold a run in flight
    process = start_sweep(sweep_file, results, log, holds=tmp_path / "holds1")
    assert wait_until(lambda: held(tmp_path / "holds1") == 2, process), log.read_text()
    kill_group(process)
    moments.append((len(finished(results)), in_flight(results)))

    # 2. one worker alone, once the restarted sweep finished a run and holds a VIM run:
    #    the pool breaks and every run not finished is recorded as failed, with the reason
    done = len(finished(results))
    process = start_sweep(sweep_file, results, log, holds=tmp_path / "holds2", hold_runs="vim_*")
    assert wait_until(lambda: held(tmp_path / "holds2") >= 1 and len(finished(results)) > done
                      and len(worker_pids(process.pid)) == 2, process), log.read_text()
    os.kill(worker_pids(process.pid)[0], signal.SIGKILL)
    assert process.wait(timeout=600) == 1, log.read_text()
    records = read_records(results / "faults" / "cpu")
    failed = {run: r["reason"] for run, r in records.items() if r["status"] == "failed"}
    assert failed and all(reason.startswith("worker process lost: BrokenProcessPool") for reason in
                          failed.values()), records
    assert sorted(failed) == sorted(set(RUNS) - set(finished(results)))  # finished, or failed with a reason
    assert all(records[run]["status"] == "done" for run in finished(results))

    # 3. the whole group again, once every run but the last finished and the last is held
    process = start_sweep(sweep_file, results, log, holds=tmp_path / "holds3", hold_runs=RUNS[-1])
    assert wait_until(lambda: held(tmp_path / "holds3") == 1 and len(finished(results)) == len(RUNS) - 1,
                      process), log.read_text()
    kill_group(process)
    moments.append((len(finished(results)), in_flight(results)))
    assert moments[0] == (0, moments[0][1]) and len(moments[0][1]) == 2  # two runs were in flight
    assert moments[1] == (len(RUNS) - 1, [RUNS[-1]])

    # 4. the last start finishes everything, once
    process = start_sweep(sweep_file, results, log)
    assert process.wait(timeout=1800) == 0, log.read_text()
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
