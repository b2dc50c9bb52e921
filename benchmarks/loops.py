"""What the benchmark times: the vimax loop, the plain loop and the bound, each as a call.

Each builder takes a seed, builds a fresh model and optimizer (not timed) and
returns a call that trains one chunk of steps, for
:func:`benchmarks.timing.round_robin` to time. A chunk is one
:func:`vimax.training.loop.train_epoch` (or one epoch of the plain loop) over
``chunk_steps`` batches; successive calls cycle through the chunks of the
timed images, so the timer's warm-up calls and the timed calls train the same
model on.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import time
from collections.abc import Callable

import torch
from torch import nn

from benchmarks.ceiling import ceiling_step, linear_shapes
from benchmarks.config import BenchConfig
from benchmarks.plain_loop import PlainModel, train_plain
from vimax.config.train import TrainConfig
from vimax.data.base import Split
from vimax.models.classifier import ModelConfig, StochasticClassifier, build_classifier
from vimax.objectives.config import build_objective, objective_config
from vimax.training.compiled import Forward, step_forward
from vimax.training.loop import make_optimizer, train_epoch

__all__ = ["random_split", "subset", "chunked", "build_run", "vimax_loop", "plain_loop", "bound_step",
           "CompiledRuns"]


class _Discard(io.TextIOBase):
    """A text stream that drops what is written (the progress bar's /dev/null)."""

    def write(self, text: str) -> int:
        return len(text)


def random_split(n: int, shape: tuple[int, ...], num_classes: int = 10, seed: int = 0) -> Split:
    """``n`` uniform random images of ``shape`` with random labels (speed ignores pixel values)."""
    generator = torch.Generator().manual_seed(seed)
    return Split(torch.rand(n, *shape, generator=generator),
                 torch.randint(0, num_classes, (n,), generator=generator))


def subset(split: Split, n: int) -> Split:
    """The first ``n`` examples of ``split``, repeating it when ``n`` > its length."""
    index = torch.arange(n) % len(split)
    return Split(split.images[index], split.labels[index])


def chunked(split: Split, size: int) -> list[Split]:
    """``split`` cut into consecutive chunks of ``size`` examples (views; a short tail is dropped)."""
    return [Split(split.images[i : i + size], split.labels[i : i + size])
            for i in range(0, len(split) - size + 1, size)]


def build_run(objective: str, config: BenchConfig, seed: int, trunk: str = "mlp",
              input_shape: tuple[int, ...] = (1, 28, 28)) -> tuple[StochasticClassifier, nn.Module]:
    """A fresh model and objective as ``vimax train`` builds them (beta and prior N(0, I))."""
    torch.manual_seed(seed)
    stochastic = objective != "deterministic"
    settings = {"beta": config.beta, "prior_std": 1.0} if stochastic else {}
    built = build_objective(objective_config(objective)(**settings))
    if trunk == "mlp":
        model_config = ModelConfig(trunk="mlp", latent_dim=config.latent_dim)
    else:
        model_config = ModelConfig(trunk=trunk, latent_dim=config.cnn_latent_dim, width=config.cnn_width)
    return build_classifier(model_config, input_shape, 10), built


def vimax_loop(model: StochasticClassifier, objective: nn.Module, chunks: list[Split],
               batch_size: int, seed: int, forward: Forward | None = None) -> Callable[[], None]:
    """One :func:`train_epoch` per call over the next chunk, as ``vimax train`` runs it: the
    optimizer as ``fit`` builds it (fused Adam), the progress bar on, its output dropped;
    ``forward``: the step's forward pass (None: eager, ``train.compile`` off)."""
    train = TrainConfig(epochs=1, batch_size=batch_size, seed=seed, progress=True)
    optimizer = make_optimizer(model, train)
    counter = itertools.count()

    def call() -> None:
        k = next(counter)
        with contextlib.redirect_stderr(_Discard()):
            train_epoch(model, objective, optimizer, chunks[k % len(chunks)], train, epoch=k, forward=forward)

    return call


class CompiledRuns:
    """The vimax loop with ``train.compile`` on, one objective: a fresh initialisation per repeat.

    The model, objective and compiled forward pass are built once and reused, the weights
    reset to the repeat's fresh initialisation: a new model per repeat would compile again
    (Dynamo guards on the modules the forward pass closes over) and soon reach Dynamo's
    recompile limit. ``compile_seconds`` is the wall time of the first forward and backward
    pass, which compile both (inductor's cache may be warm from earlier runs, which makes it
    shorter); the weights are not changed by it.
    """

    def __init__(self, objective: str, chunks: list[Split], config: BenchConfig) -> None:
        self.objective, self.chunks, self.config = objective, chunks, config
        self.built: tuple[StochasticClassifier, nn.Module, Forward] | None = None
        self.compile_seconds: float | None = None

    def __call__(self, seed: int) -> Callable[[], None]:
        model, objective = build_run(self.objective, self.config, seed)
        if self.built is None:
            forward, _ = step_forward(model, objective, None, "on", 0, torch.device("cpu"))
            began = time.perf_counter()
            forward(self.chunks[0].images[: self.config.batch_size],
                    self.chunks[0].labels[: self.config.batch_size]).loss.backward()
            self.compile_seconds = time.perf_counter() - began
            model.zero_grad(set_to_none=True)
            self.built = (model, objective, forward)
        else:
            self.built[0].load_state_dict(model.state_dict())
        model, objective, forward = self.built
        return vimax_loop(model, objective, self.chunks, self.config.batch_size, seed, forward)


def plain_loop(objective: str, chunks: list[Split], config: BenchConfig, seed: int) -> Callable[[], None]:
    """One epoch of the plain loop (:mod:`benchmarks.plain_loop`) per call over the next chunk."""
    torch.manual_seed(seed)
    model = PlainModel.mlp(latent_dim=config.latent_dim)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.5, 0.999))
    counter = itertools.count()

    def call() -> None:
        chunk = chunks[next(counter) % len(chunks)]
        train_plain(model, chunk.images, chunk.labels, objective, config.batch_size, beta=config.beta,
                    optimizer=optimizer)

    return call


def bound_step(config: BenchConfig, seed: int, steps: int = 1) -> Callable[[], None]:
    """The bound of training steps: the MNIST MLP's matmuls and the fused Adam step that
    ``vimax train`` runs (:func:`benchmarks.ceiling.ceiling_step`), ``steps`` steps per call
    (as many as a loop's call trains, so that the two compare call by call)."""
    model, _ = build_run("deterministic", config, seed)
    for parameter in model.parameters():
        parameter.grad = torch.randn_like(parameter)
    optimizer = make_optimizer(model, TrainConfig())
    step = ceiling_step(linear_shapes(model), config.batch_size, 1, optimizer.step)
    if steps == 1:
        return step

    def call() -> None:
        for _ in range(steps):
            step()

    return call
