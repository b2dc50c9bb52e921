"""The statistics of the benchmark: paired ratios, their IQR, interleaving, Timer's summaries.

Known answers on hand-made numbers; the timings themselves are never asserted.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.benchmark import Measurement
from torch.utils.benchmark.utils.common import TaskSpec

from benchmarks.timing import call_timer, merge, paired, quartiles, rate_summary
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


def test_interleaving_alternates_the_order_and_builds_every_call_fresh():
    events = []

    def builder(name):
        def build(repeat):
            events.append(("build", name, repeat))
            return lambda: events.append(("call", name, repeat))
        return build

    measurements = interleaved({"a": builder("a"), "b": builder("b")}, {"a": 3, "b": 1}, repeats=3,
                               threads=1)
    builds = [(name, repeat) for kind, name, repeat in events if kind == "build"]
    assert builds == [("a", 0), ("b", 0), ("b", 1), ("a", 1), ("a", 2), ("b", 2)]
    # Timer.timeit(n) warms up with 2 calls, then times n: all on the call built for that repeat
    calls = [(name, repeat) for kind, name, repeat in events if kind == "call"]
    assert calls.count(("a", 1)) == 2 + 3 and calls.count(("b", 1)) == 2 + 1
    assert [len(measurements[n]) for n in ("a", "b")] == [3, 3]
    assert all(m.number_per_run == 3 for m in measurements["a"])


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
