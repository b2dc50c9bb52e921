"""The training loop's config."""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from typing import Literal

from vimax.device import DEVICE
from vimax.errors import ConfigError

__all__ = ["TrainConfig", "LR_DECAYS", "learning_rate"]

LrDecay = Literal["none", "exponential", "step"]
Compile = Literal["off", "on", "auto"]
LR_DECAYS = typing.get_args(LrDecay)


@dataclass
class TrainConfig:
    """Optimisation and evaluation settings.

    Defaults follow the reference VIB recipe (Alemi et al., 2016): Adam with lr
    1e-4 and beta1 = 0.5, batches of 100, one sample of z per example in
    training and the softmax averaged over 12 samples at evaluation.

    Attributes:
        epochs: passes over the training split.
        batch_size: examples per step.
        lr: Adam's learning rate.
        adam_betas: Adam's (beta1, beta2).
        lr_decay: "none", "exponential" (lr * rate ** (epoch / every)) or
            "step" (lr * rate ** floor(epoch / every)).
        lr_decay_rate: the decay factor (0.97 every 2 epochs in the VIB recipe).
        lr_decay_every: epochs per decay factor.
        ema_decay: decay of an exponential moving average of the weights, used
            for evaluation; 0 turns it off (the VIB recipe uses 0.999).
        train_samples: L, samples of z per example in training.
        eval_samples: samples of z whose softmax is averaged at evaluation.
        eval_batch_size: examples per evaluation batch.
        seed: seeds torch, numpy and Python's random, and the data order.
        device: "auto" (CUDA when present), "cpu" or "cuda".
        threads: torch intra-op threads; 0 keeps torch's default.
        progress: show a progress bar (None: only when stderr is a terminal).
        tensorboard: also write each epoch's numbers as TensorBoard events into the run's
            ``tensorboard/`` folder (needs ``pip install 'vimax[tensorboard]'``); it changes
            nothing in the training, and a resumed run may turn it on or off.
        compile: "off" (eager), "on" (``torch.compile`` of the training step's forward and backward)
            or "auto" (compiled only when the run is long enough to pay the compile time back;
            ``vimax/training/compiled.py``). Compiled steps draw the same random numbers but round
            differently in the last bits, so a run equals its eager twin to float tolerance only.
            YAML's true and false (what it reads ``on`` and ``off`` as) mean "on" and "off".
    """

    epochs: int = field(default=10, metadata={"ge": 1})
    batch_size: int = field(default=100, metadata={"ge": 2})
    lr: float = field(default=1e-4, metadata={"gt": 0})
    adam_betas: tuple[float, float] = (0.5, 0.999)
    lr_decay: LrDecay = "none"
    lr_decay_rate: float = field(default=0.97, metadata={"gt": 0, "le": 1})
    lr_decay_every: int = field(default=2, metadata={"ge": 1})
    ema_decay: float = field(default=0.0, metadata={"ge": 0, "lt": 1})
    train_samples: int = field(default=1, metadata={"ge": 1})
    eval_samples: int = field(default=12, metadata={"ge": 1})
    eval_batch_size: int = field(default=1000, metadata={"ge": 1})
    seed: int = field(default=0, metadata={"ge": 0})
    device: str = field(default="auto", metadata=DEVICE)
    threads: int = field(default=0, metadata={"ge": 0})
    progress: bool | None = None
    tensorboard: bool = False
    compile: Compile | bool = "off"

    def __post_init__(self) -> None:
        if isinstance(self.compile, bool):  # YAML 1.1, and so --set, reads on and off as true and false
            self.compile = "on" if self.compile else "off"
        if not all(0 <= b < 1 for b in self.adam_betas):
            raise ConfigError(f"adam_betas must lie in [0, 1), got {list(self.adam_betas)}")


def learning_rate(config: TrainConfig, epoch: int) -> float:
    """The learning rate for 0-based ``epoch`` under the configured decay."""
    if config.lr_decay == "exponential":
        return config.lr * config.lr_decay_rate ** (epoch / config.lr_decay_every)
    if config.lr_decay == "step":
        return config.lr * config.lr_decay_rate ** (epoch // config.lr_decay_every)
    return config.lr
