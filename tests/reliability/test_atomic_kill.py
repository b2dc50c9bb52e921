"""Atomic writes under SIGKILL: the file on disk is always one whole version, never a torn one.

A child process (forked, so it starts at once) rewrites one large file over and
over, alternating two contents, and is killed at random moments; every other
child is held at a failpoint inside a write (its temporary file just opened, or
written and not yet renamed) and killed there, so some kills surely land inside
a write whatever the machine's speed.
After every kill the file must load and equal one of the two contents; a killed
writer may leave its one temporary file, which the next write removes, and
nothing else.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from vimax import atomic, failpoints
from vimax.atomic import atomic_save_checkpoint, atomic_write_json
from vimax.safe_files import load_checkpoint

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="needs fork and SIGKILL")

KILLS = 6


def _tensors(value: float) -> dict[str, Any]:
    """~56 MB of float64 in three tensors, and a plain value."""
    return {"w": torch.full((4_000_000,), value, dtype=torch.float64),
            "b": torch.full((2_000, 500), value, dtype=torch.float64),
            "v": torch.full((1_000_000,), value, dtype=torch.float64), "epoch": int(value)}


def _json(value: int) -> dict[str, Any]:
    """~20 MB of JSON, mostly long strings (cheap to encode, so most of the time goes into writing)."""
    line = f"{value}" * 2_000
    return {"version": value, "losses": [value + i / 7 for i in range(1_000)],
            "log": [f"{i}:{line}" for i in range(10_000)]}


CHECKPOINTS = (_tensors(1.0), _tensors(2.0))
DOCUMENTS = (_json(1), _json(2))


def _same_checkpoint(loaded: Any, expected: dict[str, Any]) -> bool:
    return (isinstance(loaded, dict) and loaded.keys() == expected.keys()
            and loaded["epoch"] == expected["epoch"]
            and all(torch.equal(loaded[k], expected[k]) for k in ("w", "b", "v")))


def _write_forever(write: Callable[[Any, Path], None], contents: tuple, path: Path, writes,
                   hold: str | None) -> None:
    """The child: write the two contents in turn until killed, counting finished writes.

    With ``hold`` (a failpoint stage), the second write pauses at that stage of its atomic write.
    """
    i = 0
    while True:
        write(contents[i % 2], path)
        i += 1
        with writes.get_lock():
            writes.value += 1
        if hold is not None and i == 1:
            os.environ[failpoints.DIR_ENV] = str(path.parent / "holds")
            failpoints.arm(f"hold@atomic_write:name={path.name},stage={hold}")


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def kill_repeatedly(write: Callable[[Any, Path], None], contents: tuple, path: Path,
                    read: Callable[[Path], Any], same: Callable[[Any, Any], bool]) -> dict[str, int]:
    """Kill a rewriting child ``KILLS`` times; check the file after each kill. Returns counts."""
    context = multiprocessing.get_context("fork")
    rng = random.Random(6)
    write(contents[0], path)
    began = time.perf_counter()
    write(contents[1], path)
    one_write = time.perf_counter() - began
    counts = {"kills": 0, "torn_writes_left": 0, "first_version": 0, "second_version": 0}
    dead = []
    holds = path.parent / "holds"
    holds.mkdir()
    for kill in range(KILLS):
        hold = rng.choice(["opened", "written"]) if kill % 2 else None
        writes = context.Value("i", 0)
        child = context.Process(target=_write_forever, args=(write, contents, path, writes, hold),
                                daemon=True)
        child.start()
        while writes.value < 1:  # its first write has removed the temporaries of earlier kills
            assert child.is_alive()
            time.sleep(0.005)
        if hold:  # every other kill lands inside a write, held there: an event, not a guess
            while not (holds / f"held-{child.pid}").exists():
                assert child.is_alive()
                time.sleep(0.001)
        else:
            time.sleep(rng.uniform(0.0, 2.0 * one_write))
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        dead.append(child.pid)
        counts["kills"] += 1
        loaded = read(path)
        matches = [same(loaded, content) for content in contents]
        assert matches.count(True) == 1, f"after kill {counts['kills']} the file is neither version"
        counts["first_version" if matches[0] else "second_version"] += 1
        left = _temporaries(path.parent)
        assert len(left) <= 1, left
        assert left or not hold, "a kill held inside a write left no temporary file"
        assert all(name.startswith(f".{path.name}.") and f"-{child.pid}." in name for name in left), left
        counts["torn_writes_left"] += len(left)
    return counts | {"dead_pid": dead[-1]}


def check_cleanup(write: Callable[[Any, Path], None], content: Any, path: Path, dead_pid: int) -> None:
    """The next write removes dead writers' temporaries of this file, and nothing else."""
    host = atomic._HOST
    keep = [f".{path.name}.{host}-{os.getpid()}.live1234.tmp",  # a live writer's (this process)
            f".{path.name}.otherhost-{dead_pid}.abcd1234.tmp",  # another host's (shared storage)
            f".other.pt.{host}-{dead_pid}.abcd1234.tmp",  # another file's
            f".{path.name}.notes", "unrelated.tmp"]
    stale = f".{path.name}.{host}-{dead_pid}.zz991234.tmp"
    for name in [*keep, stale]:
        (path.parent / name).write_bytes(b"x")
    write(content, path)
    assert sorted(p.name for p in path.parent.iterdir()) == sorted([*keep, path.name, "holds"])


def test_checkpoint_survives_kills(tmp_path):
    path = tmp_path / "model.pt"
    counts = kill_repeatedly(atomic_save_checkpoint, CHECKPOINTS, path, load_checkpoint, _same_checkpoint)
    assert counts["kills"] == KILLS
    assert counts["torn_writes_left"] >= 1, "no kill landed inside a write: the test proved nothing"
    check_cleanup(atomic_save_checkpoint, CHECKPOINTS[0], path, counts["dead_pid"])
    assert _same_checkpoint(load_checkpoint(path), CHECKPOINTS[0])


def test_json_survives_kills(tmp_path):
    path = tmp_path / "metrics.json"
    counts = kill_repeatedly(lambda obj, p: atomic_write_json(p, obj), DOCUMENTS, path,
                             lambda p: json.loads(p.read_text()), lambda a, b: a == b)
    assert counts["kills"] == KILLS
    assert counts["torn_writes_left"] >= 1, "no kill landed inside a write: the test proved nothing"
    check_cleanup(lambda obj, p: atomic_write_json(p, obj), DOCUMENTS[1], path, counts["dead_pid"])
    assert json.loads(path.read_text()) == DOCUMENTS[1]


def test_a_folder_sweep_removes_the_temporaries_of_dead_writers_only(tmp_path):
    """A record finished before its writer was killed mid-rewrite is never written again, so the
    sweep's start clears the folder: a dead writer's temporary goes, a live one's stays."""
    import os
    import subprocess

    from vimax.atomic import _HOST, remove_stale_temporaries_in

    (tmp_path / "run.json").write_text("{}")
    gone = subprocess.Popen(["true"])
    gone.wait()
    dead = tmp_path / f".run.json.{_HOST}-{gone.pid}.x1.tmp"
    live = tmp_path / f".run.json.{_HOST}-{os.getpid()}.x2.tmp"
    for path in (dead, live):
        path.write_text("torn")
    remove_stale_temporaries_in(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, "run.json"])
