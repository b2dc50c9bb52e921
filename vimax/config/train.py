"""The training loop's config."""

from __future__ import annotations

from dataclasses import dataclass

from vimax.errors import ConfigError

__all__ = ["TrainConfig", "LR_DECAYS", "learning_rate"]

LR_DECAYS = ("none", "exponential", "step")


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

    epochs: int = 10
    batch_size: int = 100
    lr: float = 1e-4
    adam_betas: tuple[float, float] = (0.5, 0.999)
    lr_decay: str = "none"
    lr_decay_rate: float = 0.97
    lr_decay_every: int = 2
    ema_decay: float = 0.0
    train_samples: int = 1
    eval_samples: int = 12
    eval_batch_size: int = 1000
    seed: int = 0
    device: str = "auto"
    threads: int = 0
    progress: bool | None = None
    tensorboard: bool = False
    compile: str | bool = "off"

    def __post_init__(self) -> None:
        if isinstance(self.compile, bool):  # YAML 1.1, and so --set, reads on and off as true and false
            self.compile = "on" if self.compile else "off"

    def validate(self) -> None:
        checks = [
            (self.epochs >= 1, f"epochs must be >= 1, got {self.epochs}"),
            (self.batch_size >= 2, f"batch_size must be >= 2, got {self.batch_size}"),
            (0 < self.lr < float("inf"), f"lr must be > 0, got {self.lr}"),
            (all(0 <= b < 1 for b in self.adam_betas),
             f"adam_betas must lie in [0, 1), got {self.adam_betas}"),
            (self.lr_decay in LR_DECAYS,
             f"lr_decay must be one of {', '.join(LR_DECAYS)}, got {self.lr_decay!r}"),
            (0 < self.lr_decay_rate <= 1, f"lr_decay_rate must lie in (0, 1], got {self.lr_decay_rate}"),
            (self.lr_decay_every >= 1, f"lr_decay_every must be >= 1, got {self.lr_decay_every}"),
            (0 <= self.ema_decay < 1, f"ema_decay must lie in [0, 1), got {self.ema_decay}"),
            (self.train_samples >= 1, f"train_samples must be >= 1, got {self.train_samples}"),
            (self.eval_samples >= 1, f"eval_samples must be >= 1, got {self.eval_samples}"),
            (self.eval_batch_size >= 1, f"eval_batch_size must be >= 1, got {self.eval_batch_size}"),
            (self.seed >= 0, f"seed must be >= 0, got {self.seed}"),
            (self.device in ("auto", "cpu", "cuda") or self.device.startswith("cuda:"),
             f"device must be auto, cpu or cuda, got {self.device!r}"),
            (self.threads >= 0, f"threads must be >= 0, got {self.threads}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)


def learning_rate(config: TrainConfig, epoch: int) -> float:
    """The learning rate for 0-based ``epoch`` under the configured decay."""
    if config.lr_decay == "exponential":
        return config.lr * config.lr_decay_rate ** (epoch / config.lr_decay_every)
    if config.lr_decay == "step":
        return config.lr * config.lr_decay_rate ** (epoch // config.lr_decay_every)
    return config.lr
