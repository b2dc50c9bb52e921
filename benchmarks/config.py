"""What the benchmark measures and how long: one dataclass, with a quick profile for CI."""

from __future__ import annotations

from dataclasses import dataclass, replace

from vimax.errors import ConfigError

__all__ = ["BenchConfig", "OBJECTIVES"]

OBJECTIVES = ("deterministic", "vib", "vim")


@dataclass
class BenchConfig:
    """Sizes and repeat counts of the benchmark.

    Attributes:
        steps: MNIST MLP training steps per repeat and loop (150 steps = 15,000 images);
            timed in blocks of ``chunk_steps``, so rounded down to a multiple of it.
        repeats: repeats of the interleaved training timings; every figure is a median
            over them, every fraction the median of the per-repeat ratios.
        chunk_steps: training steps per timed call (one ``train_epoch`` over that many
            batches); ``torch.utils.benchmark.Timer`` warms up with two calls.
        batch_size: examples per training step (100, as in the paper).
        latent_dim: K of the MNIST MLP (256).
        beta: beta of VIB and VIM (1e-3); the VIM prior is N(0, I).
        eval_images: test images per evaluation call (10,000 = all of MNIST's).
        eval_samples: samples of z averaged at evaluation (12).
        autorange_seconds: minimum run time of each ``blocked_autorange`` (matmul peak per
            size, the ceiling of 1 model and of stacked models); evaluation's
            ``adaptive_autorange`` stops after at most 5x this.
        cnn_steps: CIFAR-10 CNN training steps per repeat (timed one step per call).
        cnn_latent_dim: K of the CNN (64, Table 4).
        cnn_width: scale of the CNN's channels (1 = Table 4's 128-256-512-1024).
        peak_sizes: sizes of the square matmuls that measure the peak.
        data_dir: folder with mnist.npz (None: $VIMAX_DATA, then the cache).
        threads: torch intra-op thread counts (empty: torch's default). The MLP training is
            measured at each (issue 16's targets hold at 1 thread and at 2), everything else
            at the first.
        clock: "wall" (elapsed time) or "cpu" (the process's CPU time, which does not advance
            while other processes hold the cores; needs ``threads`` = 1).
        compile: also time the vimax loop with ``train.compile`` on (its compile seconds and
            its speed against the eager loop, paired, per objective).
        skip_cnn: leave out the CNN measurement.
        skip_memory: leave out the peak-memory run.
        memory_dataset: dataset of the peak-memory run ("mnist"; "digits" in quick mode).
    """

    steps: int = 150
    repeats: int = 7
    chunk_steps: int = 10
    batch_size: int = 100
    latent_dim: int = 256
    beta: float = 1e-3
    eval_images: int = 10_000
    eval_samples: int = 12
    autorange_seconds: float = 2.0
    cnn_steps: int = 10
    cnn_latent_dim: int = 64
    cnn_width: float = 1.0
    peak_sizes: tuple[int, ...] = (1024, 1536, 2048)
    data_dir: str | None = None
    threads: tuple[int, ...] = ()
    clock: str = "wall"
    compile: bool = False
    skip_cnn: bool = False
    skip_memory: bool = False
    memory_dataset: str = "mnist"

    def __post_init__(self) -> None:
        if self.threads is None:  # as before thread lists: torch's default
            self.threads = ()
        elif isinstance(self.threads, int):
            self.threads = (self.threads,)
        else:
            self.threads = tuple(self.threads)  # a JSON list

    def quick(self) -> BenchConfig:
        """Tiny sizes for a smoke run: every figure is produced, none is meaningful."""
        return replace(self, steps=3, repeats=2, chunk_steps=2, eval_images=1000, cnn_steps=1,
                       cnn_width=0.25, autorange_seconds=0.05, peak_sizes=(256,),
                       memory_dataset="digits")

    @property
    def timed_steps(self) -> int:
        """MLP steps actually timed per repeat: ``steps`` rounded down to whole chunks."""
        chunk = min(self.chunk_steps, self.steps)
        return self.steps // chunk * chunk

    def validate(self) -> BenchConfig:
        for name in ("steps", "repeats", "chunk_steps", "batch_size", "latent_dim", "eval_images",
                     "eval_samples", "cnn_steps", "cnn_latent_dim"):
            if getattr(self, name) < 1:
                raise ConfigError(f"bench {name} must be >= 1, got {getattr(self, name)}")
        if self.batch_size < 2:
            raise ConfigError(f"bench batch_size must be >= 2, got {self.batch_size}")
        if any(n < 1 for n in self.threads) or len(set(self.threads)) != len(self.threads):
            raise ConfigError(f"bench threads must be distinct counts >= 1, got {list(self.threads)}")
        if self.clock not in ("wall", "cpu"):
            raise ConfigError(f"bench clock must be wall or cpu, got {self.clock!r}")
        if self.clock == "cpu" and self.threads != (1,):
            raise ConfigError("bench clock cpu needs --threads 1: with more threads the process's CPU "
                              "time counts every thread, and their spin-waits")
        if not self.autorange_seconds > 0:
            raise ConfigError(f"bench autorange_seconds must be > 0, got {self.autorange_seconds}")
        return self
