"""The training step's forward pass, eager or compiled by ``torch.compile`` (the ``train.compile`` setting).

The forward pass of a step is everything from the batch to the objective's
output: the encoder's q(z|x), the reparameterised sample of z, the decoder and
the objective (its divergence and the logged terms). :func:`step_forward`
returns it eager, or compiled by ``torch.compile`` (inductor) as one graph,
whose backward AOTAutograd compiles too; the optimizer's step stays eager (the
fused Adam step is one kernel already).

``train.compile``:

- ``off`` (the default): eager, exactly as before the setting existed.
- ``on``: compiled, whatever the run's length.
- ``auto``: compiled only when the run is long enough for the compile time to
  pay back: the objective samples z (VIB, VIM: the fused sampling, divergence
  and rate are where compiling saves time; the deterministic baselines gained
  nothing measurable) and the run trains at least :data:`AUTO_MIN_STEPS` steps
  in all (``train.epochs`` x steps per epoch, so a resumed run decides as it did
  at its start), and a C++ compiler is on the PATH (inductor needs one on CPU).

What compiling changes in the results: the random numbers are eager's
(``fallback_random``: the noise, the prior samples and dropout masks are drawn
by the same aten calls from the same generator), but inductor fuses the
element-wise operations and reductions into its own kernels, whose float32
rounding differs from eager's in the last bits. A compiled run therefore
equals an eager run of the same seed to float tolerance after one step, not
bit for bit, and the two drift apart over training as any two roundings do.
With the same setting a run reproduces: a compiled run killed and resumed
ends with the weights of an uninterrupted compiled run, bit for bit (tested).
Extending a finished run to more epochs may cross :data:`AUTO_MIN_STEPS`, so
under ``auto`` its new epochs can be compiled while its first ones were not.

Batches of another size than ``train.batch_size`` (an epoch's last, short
batch) run eagerly: a new shape would compile the graph again.
"""

from __future__ import annotations

import itertools
import logging
import shutil
import time
import types
from collections.abc import Callable

import torch
from torch import nn

from vimax.errors import ConfigError
from vimax.models.classifier import StochasticClassifier
from vimax.objectives.output import ObjectiveOutput

__all__ = ["COMPILE_MODES", "AUTO_MIN_STEPS", "Forward", "check_compile_mode", "eager_forward",
           "should_compile", "step_forward"]

logger = logging.getLogger(__name__)

COMPILE_MODES = ("off", "on", "auto")

# ``auto`` compiles runs of at least this many training steps (100 MNIST epochs at batch 100). Measured on
# the project's 2-core machine under load (benchmarks/README.md, session 5; 1 thread, process CPU time,
# 105 paired rounds): compiled / eager steps/s 1.031 for VIB, 1.039 for VIM (~0.7-0.9 ms of a ~22 ms
# step), 1.005 for deterministic; the first step, forward and backward, took 27-45 s to compile with
# inductor's cache cold and 0.4-3.4 s warm. A cold compile of VIB or VIM pays back after ~40,000-60,000
# steps: a 10-epoch MNIST run (6,000 steps) stays eager, the paper's 200-epoch schedule (120,000) compiles.
AUTO_MIN_STEPS = 60_000

# torch.compile's backend; the tests swap in "aot_eager", which compiles in a second and generates no code
BACKEND = "inductor"

# The forward pass of a training step: a batch (x, y) to the objective's output
Forward = Callable[[torch.Tensor, torch.Tensor], ObjectiveOutput]


def check_compile_mode(mode: str) -> None:
    """Raise a one-line ConfigError unless ``mode`` is one of :data:`COMPILE_MODES`."""
    if mode not in COMPILE_MODES:
        raise ConfigError(f"train.compile must be one of {', '.join(COMPILE_MODES)}, got {mode!r}")


def eager_forward(model: StochasticClassifier, objective: nn.Module, samples: int | None) -> Forward:
    """The step's forward pass, eager: q(z|x), z (the mean for objectives without a posterior), p(y|z)
    and the objective; ``samples`` draws of z per example (None: one, shape (B, K))."""

    def forward(x: torch.Tensor, y: torch.Tensor) -> ObjectiveOutput:
        posterior = model.posterior(x)
        z = posterior.rsample(samples) if objective.requires_posterior else posterior.mean  # (B, K)
        return objective(model.decoder(z), y, posterior, z)

    return forward


def _cpp_compiler() -> str | None:
    """The C++ compiler inductor would find on the PATH, or None."""
    return next((name for name in ("g++", "c++", "clang++") if shutil.which(name)), None)


def should_compile(mode: str, objective: nn.Module, total_steps: int,
                   device: torch.device) -> tuple[bool, str]:
    """Whether to compile the step under ``train.compile = mode``, and why (for the log).

    Raises:
        ConfigError: ``on`` on a CPU without a C++ compiler, or an unknown mode.
    """
    check_compile_mode(mode)
    if mode == "off":
        return False, "train.compile is off"
    needs_compiler = device.type == "cpu" and _cpp_compiler() is None
    if mode == "on":
        if needs_compiler:
            raise ConfigError("train.compile is on, but torch.compile needs a C++ compiler on the PATH "
                              "(g++ or clang++) to compile for the CPU; install one or set train.compile off")
        return True, "train.compile is on"
    if not objective.requires_posterior:
        return False, "auto: the objective samples no z, compiling saves nothing measurable"
    if total_steps < AUTO_MIN_STEPS:
        return False, f"auto: {total_steps} steps < {AUTO_MIN_STEPS}, too few to pay the compile time back"
    if needs_compiler:
        return False, "auto: no C++ compiler on the PATH for torch.compile on the CPU"
    return True, f"auto: {total_steps} steps >= {AUTO_MIN_STEPS}"


_copies = itertools.count()


def _own_code(function: Forward) -> Forward:
    """``function`` with a code object of its own.

    Dynamo keeps compiled code, and counts recompilations against its limit (8), per code
    object. Every run's forward pass is the same code (:func:`eager_forward`'s inner
    function), and a run whose objective reads another constant (another beta) compiles it
    again: without a copy, the 9th such run in one process (a sweep's worker) would silently
    run eagerly, so its numbers would depend on the runs before it. With a copy, each run
    compiles its own, and its compiled code goes with it.
    """
    code = function.__code__
    copy = code.replace(co_name=f"{code.co_name}_{next(_copies)}")
    return types.FunctionType(copy, function.__globals__, copy.co_name, function.__defaults__,
                              function.__closure__)


class _Compiled:
    """A compiled forward that logs how long its first call took: the forward's compilation (the
    backward's follows at the first backward pass)."""

    def __init__(self, forward: Forward) -> None:
        # fallback_random: draw random numbers with eager's aten calls, so the random stream is eager's
        options = {"fallback_random": True} if BACKEND == "inductor" else None
        self._compiled = torch.compile(_own_code(forward), backend=BACKEND, dynamic=False, options=options)
        self.compile_seconds: float | None = None

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> ObjectiveOutput:
        if self.compile_seconds is not None:
            return self._compiled(x, y)
        began = time.perf_counter()
        out = self._compiled(x, y)
        self.compile_seconds = time.perf_counter() - began
        logger.info("compiled the training step's forward in %.1f s (its backward compiles at the first "
                    "backward pass)", self.compile_seconds)
        return out


def step_forward(model: StochasticClassifier, objective: nn.Module, samples: int | None, mode: str,
                 total_steps: int, device: torch.device) -> tuple[Forward, bool]:
    """The step's forward pass for ``train.compile = mode``, and whether it is compiled.

    Args:
        samples: draws of z per example (None: one, z of shape (B, K)).
        mode: "off", "on" or "auto" (see the module docstring).
        total_steps: the run's training steps over all its epochs (``auto`` compares them with
            :data:`AUTO_MIN_STEPS`).
    """
    compile_it, reason = should_compile(mode, objective, total_steps, device)
    forward = eager_forward(model, objective, samples)
    if mode != "off":
        logger.info("training step %s (%s)", "compiled" if compile_it else "eager", reason)
    return (_Compiled(forward), True) if compile_it else (forward, False)
