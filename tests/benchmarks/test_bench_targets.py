"""Issue 16's targets read from a run's figures, and ``python -m benchmarks.compare`` of two runs.

Hand-made results with known answers; nothing is timed.
"""

from __future__ import annotations

import json

import pytest

from benchmarks.compare import compare, main
from benchmarks.targets import fractions, issue_targets


def training(bound: dict[str, float], overhead: dict[str, float], ratio: float = 1.2,
             plain_bound: float = 0.75) -> dict:
    rows = {name: {"ratio": ratio, "bound_fraction": value, "plain_bound_fraction": plain_bound}
            for name, value in bound.items()}
    return {"objectives": rows,
            "overhead_over_deterministic_pct": overhead}


ONE = training({"deterministic": 0.93, "vib": 0.90, "vim": 0.86}, {"vib": 2.0, "vim": 5.5})
TWO = training({"deterministic": 0.91, "vib": 0.91, "vim": 0.905}, {"vib": 4.0, "vim": 5.0})


def run(by_threads: dict[str, dict]) -> dict:
    first = next(iter(by_threads))
    return {"machine": {"threads": int(first)}, "training": by_threads[first],
            "training_by_threads": by_threads}


def test_targets_are_read_at_each_thread_count():
    targets = issue_targets({"1": ONE, "2": TWO})
    one, two = targets["threads"]["1"], targets["threads"]["2"]
    assert one["bound_fraction"]["vib"] == {"value": 0.90, "met": True}  # >= 90%: met at exactly 90
    assert one["bound_fraction"]["vim"] == {"value": 0.86, "met": False}
    assert one["overhead_pct"]["vim"] == {"value": 5.5, "met": False}
    assert not one["met"] and two["met"]  # 2 threads: all at >= 90%, overheads <= 5% (5.0 included)
    assert targets["complete"] and not targets["met"]
    only_one = issue_targets({"1": TWO})
    assert only_one["met"] and not only_one["complete"]  # met where measured, but 2 threads missing


def test_fractions_are_in_points_per_thread_count():
    points = fractions(run({"1": ONE, "2": TWO}))
    assert points["1 thread: vim vimax/bound"] == pytest.approx(86.0)
    assert points["2 threads: deterministic vimax/plain"] == pytest.approx(120.0)
    assert points["1 thread: vib plain/bound"] == pytest.approx(75.0)
    assert points["2 threads: vim overhead %"] == 5.0
    assert len(points) == 2 * (3 * 3 + 2)
    # a run from before the thread lists: its one training figures, at the machine's threads
    assert fractions({"machine": {"threads": 2}, "training": TWO}).keys() == {
        key for key in points if key.startswith("2 threads")}


def test_two_runs_agree_when_every_fraction_is_within_the_points():
    shifted = training({"deterministic": 0.93 + 0.029, "vib": 0.90, "vim": 0.86}, {"vib": 2.0, "vim": 2.6})
    result = compare(run({"1": ONE}), run({"1": shifted}))  # within the default 3 points
    assert result["agree"] is True and result["largest_difference"] == pytest.approx(2.9)
    assert compare(run({"1": ONE}), run({"1": shifted}), points=2.0)["agree"] is False
    moved = {row["fraction"]: row["difference"] for row in result["rows"]}
    assert moved["1 thread: vim overhead %"] == pytest.approx(-2.9)
    assert moved["1 thread: deterministic vimax/bound"] == pytest.approx(2.9)


def test_compare_compares_the_thread_counts_both_runs_have(tmp_path, capsys):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(run({"1": ONE, "2": TWO})))
    second.write_text(json.dumps(run({"1": ONE})))
    assert main([str(first), str(second)]) == 0
    out = capsys.readouterr().out
    assert "1 thread: vim vimax/bound" in out and "2 threads" not in out
    assert "agree within 3 points (largest difference 0.0)" in out
    second.write_text(json.dumps(run({"1": TWO})))
    assert main([str(first), str(second), "--points", "1"]) == 1
    assert "do not agree within 1 points" in capsys.readouterr().out


@pytest.mark.parametrize("content, fragment", [(None, "cannot read"), ("{}", "is not the JSON of"),
                                               ("not json", "is not the JSON of")])
def test_compare_bad_input_is_one_line_and_exit_2(tmp_path, capsys, content, fragment):
    path = tmp_path / "run.json"
    if content is not None:
        path.write_text(content)
    assert main([str(path), str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("compare: error: ") and fragment in err[0]
