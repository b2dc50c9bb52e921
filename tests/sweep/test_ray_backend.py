"""The Ray Tune backend runs the same per-run function into the same run folders."""

from __future__ import annotations

import sys
import time

import pytest

from vimax.cli import main
from vimax.errors import VimaxError
from vimax.sweep.ray_backend import import_ray
from vimax.sweep.records import read_records


def test_without_ray_one_clear_line(monkeypatch, tiny_sweep, write_sweep, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(VimaxError, match=r"pip install 'vimax\[ray\]'"):
        import_ray()
    path = write_sweep(tiny_sweep)
    assert main(["-q", "sweep", str(path), "--results", str(tmp_path), "--backend", "ray"]) == 2
    assert "pip install 'vimax[ray]'" in capsys.readouterr().err
    assert not (tmp_path / "tiny").exists()


@pytest.mark.slow
def test_ray_runs_a_two_point_grid(tiny_sweep, write_sweep, tmp_path, capsys):
    pytest.importorskip("ray.tune", reason="Ray Tune is optional: pip install 'vimax[ray]'")
    tiny_sweep["grid"] = [{"name": "vim", "objective": {"name": "vim"},
                           "axes": {"objective.beta": [1.0e-3, 1.0e-2]}}]
    path = write_sweep(tiny_sweep)
    began = time.perf_counter()
    args = ["-q", "sweep", str(path), "--results", str(tmp_path), "--backend", "ray", "--jobs", "2"]
    assert main(args) == 0
    print(f"ray sweep: {time.perf_counter() - began:.1f} s")
    records = read_records(tmp_path / "tiny" / "cpu")
    assert sorted(records) == ["vim_beta1e-02_seed0", "vim_beta1e-03_seed0"]
    assert all(r["status"] == "done" for r in records.values())
    assert all((tmp_path / "tiny" / "cpu" / run / "metrics.json").is_file() for run in records)
    capsys.readouterr()
    assert main(["-q", "sweep", str(path), "--results", str(tmp_path)]) == 0  # the local backend agrees
    assert "all 2 runs are finished" in capsys.readouterr().out
