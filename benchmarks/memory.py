"""Peak resident memory of a real training run, measured in a child process."""

from __future__ import annotations

import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.config import BenchConfig

__all__ = ["measure_memory", "training_command"]

logger = logging.getLogger(__name__)


def training_command(config: BenchConfig, out_dir: Path) -> list[str]:
    """``vimax train`` for one epoch of VIM on ``config.memory_dataset``, on the CPU, no download."""
    command = [sys.executable, "-m", "vimax", "-q", "train", "--dataset", config.memory_dataset,
               "--objective", "vim", "--epochs", "1", "--device", "cpu",
               "--set", "train.progress=false", "--set", "data.download=false",
               "--out", str(out_dir / "run")]
    if config.data_dir:
        command += ["--data-dir", config.data_dir]
    if config.threads:
        command += ["--set", f"train.threads={config.threads[0]}"]
    return command


# A small middle process starts the run and reports its RUSAGE_CHILDREN peak. Spawned
# straight from the benchmark, the run would inherit the benchmark's own high-water
# RSS: Linux carries the pre-exec memory's peak across exec (and vfork shares it).
_REPORTER = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")


def measure_memory(config: BenchConfig) -> dict[str, object]:
    """Run ``vimax train`` for 1 epoch in a subprocess and read its peak RSS.

    The figure is ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` read by a
    small middle process whose only child is the run (KiB on Linux, bytes on macOS).

    Returns {"dataset", "peak_rss_mib", "seconds"}, or {"dataset", "error"} when
    the run fails (e.g. no MNIST files and no network).
    """
    with tempfile.TemporaryDirectory(prefix="vimax-bench-") as tmp:
        command = training_command(config, Path(tmp))
        logger.info("peak memory: %s", " ".join(command[1:]))
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _REPORTER, *command], capture_output=True,
                              text=True, stdin=subprocess.DEVNULL)
        seconds = time.perf_counter() - began
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines or not lines[-1].isdigit():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        logger.warning("the peak-memory run failed (exit %d): %s", done.returncode, last)
        return {"dataset": config.memory_dataset, "error": last}
    peak = int(lines[-1])
    mib = peak / 1024 if sys.platform != "darwin" else peak / 2**20
    return {"dataset": config.memory_dataset, "peak_rss_mib": mib, "seconds": seconds}
