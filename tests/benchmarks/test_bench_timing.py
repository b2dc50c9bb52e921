"""The statistics of the benchmark: paired ratios, their IQR, interleaving, Timer's summaries.

Known answers on hand-made numbers; the timings themselves are never asserted.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.benchmark import Measurement
from torch.utils.benchmark.utils.common import TaskSpec

from benchmarks import timing
from benchmarks.timing import call_timer, merge, paired, quartiles, rate_summary, round_robin
from benchmarks.training import interleaved, overheads


def test_quartiles_are_numpys_linear_percentiles():
    values = [3.0, 1.0, 4.0, 1.5, 9.0, 2.5]
    assert quartiles(values) == pytest.approx(tuple(np.percentile(values, [25, 50, 75])))


def test_paired_ratios_take_the_median_and_iqr_of_per_repeat_ratios():
    """Load that slows both sides of one repeat cancels: every ratio here is 0.8 except one."""
    vimax = [800.0, 400.0, 720.0, 600.0, 900.0]
    bound = [1000.0, 500.0, 900.0, 750.0, 1000.0]  # ratios 0.8, 0.8, 0.8, 0.8, 0.9
    result = paired(vimax, bound)
    assert result["median"] == pytest.approx(0.8)
    assert result["iqr"] == pytest.approx(0.0)
    assert result["runs"] == pytest.approx([0.8, 0.8, 0.8, 0.8, 0.9])
    with pytest.raises(ValueError, match="same, non-zero number"):
        paired([1.0], [1.0, 2.0])


def test_overhead_is_paired_within_repeats():
    """Load that slows a whole repeat cancels; the medians' ratio would report ~0 here."""
    det = [4000.0, 3000.0, 4000.0, 3000.0, 3500.0]
    rates = {"deterministic/vimax": det,
             "vib/vimax": [d * 0.975 for d in det],  # 1/0.975 - 1 each repeat
             "vim/vimax": [3000.0, 4000.0 / 1.1, 4000.0 / 1.1, 3000.0 / 1.1, 3500.0 / 1.1]}
    overhead = overheads(rates)
    assert overhead["vib"]["median"] == pytest.approx(100 * (1 / 0.975 - 1))
    assert overhead["vib"]["iqr"] == pytest.approx(0.0, abs=1e-9)
    assert overhead["vim"]["median"] == pytest.approx(10.0)
    # per repeat: 4000/3000 - 1 = 33.3%, then 10% four times: quartiles 10, 10 -> IQR 0
    assert overhead["vim"]["runs"][0] == pytest.approx(100 / 3, rel=1e-4)
    assert overhead["vim"]["iqr"] == pytest.approx(0.0, abs=1e-9)


def _measurement(raw_times, number_per_run=1, stmt="call()"):
    return Measurement(number_per_run=number_per_run, raw_times=list(raw_times),
                       task_spec=TaskSpec(stmt=stmt, setup="pass"))


def test_rate_summary_is_items_over_timers_median_time():
    m = merge([_measurement([0.2], 2), _measurement([0.4], 2), _measurement([0.3], 2)])  # 0.1 0.2 0.15
    summary = rate_summary(m, items_per_call=100)
    assert summary["per_s"] == pytest.approx(100 / 0.15)
    assert summary["iqr_pct"] == pytest.approx(100 * (0.175 - 0.125) / 0.15)
    assert summary["runs"] == pytest.approx([1000.0, 500.0, 666.7], abs=0.05)
    with pytest.raises(ValueError, match="one task"):
        merge([_measurement([1.0]), _measurement([1.0], stmt="other()")])


def test_interleaving_builds_every_call_fresh_and_times_the_tasks_in_turn():
    events = []

    def builder(name):
        def build(repeat):
            events.append(("build", name, repeat))
            return lambda: events.append(("call", name, repeat))
        return build

    measurements = interleaved({"a": builder("a"), "b": builder("b"), "c": builder("c")}, calls=3,
                               repeats=2, threads=1)
    builds = [(name, repeat) for kind, name, repeat in events if kind == "build"]
    assert builds == [("a", 0), ("b", 0), ("c", 0), ("a", 1), ("b", 1), ("c", 1)]
    # per repeat: 2 warm-up calls of each task, then 3 rounds of one call each, reversed in odd rounds
    calls = [name for kind, name, repeat in events if kind == "call" and repeat == 1]
    assert calls == ["a", "a", "b", "b", "c", "c"] + ["a", "b", "c"] + ["c", "b", "a"] + ["a", "b", "c"]
    assert [len(measurements[n]) for n in "abc"] == [2, 2, 2]
    assert all(m.number_per_run == 1 and len(m.raw_times) == 3 for n in "abc" for m in measurements[n])


def test_round_robin_times_each_call_with_the_clock_threads_and_no_garbage_collection(monkeypatch):
    import gc

    seen = []
    before = torch.get_num_threads()

    def call():
        seen.append((torch.get_num_threads(), gc.isenabled()))

    ticks = iter(range(100))
    monkeypatch.setitem(timing.CLOCKS, "test", lambda: float(next(ticks)))  # every call lasts 1 tick
    measurements = round_robin({"a": call, "b": call}, rounds=2, threads=2, clock="test", warmup=1)
    assert measurements["a"].raw_times == [1.0, 1.0] and measurements["b"].task_spec.label == "b"
    assert seen[:2] == [(2, True), (2, True)]  # warm-up calls, collector still on
    assert set(seen[2:]) == {(2, False)} and len(seen) == 2 + 4
    assert torch.get_num_threads() == before and gc.isenabled()


def test_call_timer_runs_with_the_given_threads():
    """Timer's own default is 1 thread; the benchmark's timings run with the configured count."""
    seen = []
    before = torch.get_num_threads()
    call_timer(lambda: seen.append(torch.get_num_threads()), "threads", threads=2).timeit(1)
    assert set(seen) == {2} and torch.get_num_threads() == before


def test_cpu_clock_does_not_count_time_off_the_cpu():
    """The wall clock counts a sleep in full, the process's CPU time does not: what lets the
    cpu clock ignore the time other processes hold the cores."""
    import time

    wall = call_timer(lambda: time.sleep(0.2), "sleep", threads=1, clock="wall").timeit(1)
    cpu = call_timer(lambda: time.sleep(0.2), "sleep", threads=1, clock="cpu").timeit(1)
    assert wall.median >= 0.2 and cpu.median < 0.1
