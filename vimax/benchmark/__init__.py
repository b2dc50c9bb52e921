"""Speed measurements: the vimax training loop against a plain PyTorch loop (``vimax bench``)."""

from vimax.benchmark.config import BenchConfig
from vimax.benchmark.flops import forward_flops, layer_flops, matmul_peak, training_step_flops
from vimax.benchmark.plain_loop import PlainModel, plain_loss, train_plain
from vimax.benchmark.suite import run_bench

__all__ = [
    "BenchConfig",
    "PlainModel",
    "forward_flops",
    "layer_flops",
    "matmul_peak",
    "plain_loss",
    "run_bench",
    "train_plain",
    "training_step_flops",
]
