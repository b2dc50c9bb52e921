"""Robustness to the Carlini-Wagner L2 targeted attack (Table 2, §4.1).

The paper attacks "the first ten zero digits in the test set with adversary
target the label one" with the L2 attack of Carlini and Wagner (2017), and
reports the mean L2, L1 and L-infinity distance between each image and its
successful adversarial. The attack itself comes from one of two libraries
(:mod:`vimax.evaluate.attack_engines`: adv-lib or foolbox); this module picks
the images, wraps the model and measures.

A stochastic classifier can be attacked two ways: at z = mean (``forward``,
what a deterministic reading of the model sees) or through its actual
prediction, the softmax averaged over L draws of z (:class:`AveragedLogits`,
with the draws fixed so the attack optimises a deterministic function). An
adversarial of the averaged prediction is then checked against fresh draws
of z: ``fresh_noise_success_rate`` is the fraction of (adversarial, redraw)
pairs still classified as the target.

Success is decided here, from the attacked model's prediction on what the
engine returned, never from the engine's own flag.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from vimax.config import parse
from vimax.data.base import Split
from vimax.errors import ConfigError, VimaxError
from vimax.evaluate.attack_engines import DEFAULT_ENGINE, Engine, run_engine
from vimax.models.classifier import StochasticClassifier
from vimax.progress import progress_bar

__all__ = ["CarliniWagnerConfig", "AveragedLogits", "carlini_wagner_l2", "check_attack_classes",
           "perturbation_norms", "robustness", "fresh_noise_success", "UNITS_NOTE"]

logger = logging.getLogger(__name__)

UNITS_NOTE = (
    "l2, l1, linf are in [0, 1] pixel units and l1_255 is L1 in 0-255 units; averages are over "
    "successful adversarials only. The paper's Table 2 L1 column (~700) cannot be in the same "
    "units as its L2 (~3.7): in [0, 1] units L1 <= sqrt(784) * L2 ~ 104, and in 0-255 units "
    "700 / 255 ~ 2.7 would be below L2, while L1 >= L2 always. It may be a count of changed "
    "pixels (L0); l0 here counts pixels changed by more than half a grey level (0.5 / 255)."
)


@dataclass
class CarliniWagnerConfig:
    """Settings of the CW-L2 attack (either engine) and how images are batched.

    The defaults are cut down from Carlini and Wagner's (9 binary search steps
    of 10,000 Adam steps at 1e-2, c from 1e-3) so that 10 MNIST images against
    the paper's 784-1024-1024-512 MLP take under a minute on 2 shared CPU
    cores (35 s measured with foolbox under a load of 4-5; 40-48 s per mode
    with adv-lib under a load of 6-10): 6 x 500 Adam steps at 5e-2, c from
    0.1. On a 1-epoch VIM MNIST model they found (with foolbox) a mean L2 1.2%
    above that of a 6 x 1000-step attack (3.50 vs 3.46). Both engines read the
    same settings the same way.

    Attributes:
        engine: "adv_lib" or "foolbox" (see :mod:`vimax.evaluate.attack_engines`).
        steps: Adam steps per binary search step.
        binary_search_steps: steps of the search over the constant c.
        stepsize: Adam's step size in tanh space.
        confidence: logit margin kappa the target must win by.
        initial_const: the first c tried.
        abort_early: stop a search step once the loss stops falling (foolbox: the
            batch's summed loss; adv-lib: every image's).
        batch_size: images attacked together.
        threads: torch intra-op threads during the attack (restored after);
            a batch of 10 small images gains little from more, and on shared
            cores 2 threads measured 10x slower than 1. 0 keeps torch's setting.

    The ranges in the fields' metadata are checked when the settings are read (:mod:`vimax.config`).
    """

    engine: Engine = DEFAULT_ENGINE
    steps: int = field(default=500, metadata={"ge": 1})
    binary_search_steps: int = field(default=6, metadata={"ge": 1})
    stepsize: float = field(default=5e-2, metadata={"gt": 0})
    confidence: float = field(default=0.0, metadata={"ge": 0})
    initial_const: float = field(default=0.1, metadata={"gt": 0})
    abort_early: bool = True
    batch_size: int = field(default=10, metadata={"ge": 1})
    threads: int = field(default=1, metadata={"ge": 0})


class AveragedLogits(nn.Module):
    """log of the softmax averaged over L fixed draws of z: the prediction of Table 1.

    The noise eps (L, K) is drawn once from ``seed``, so the module is a
    deterministic, differentiable function the attack can optimise.
    """

    def __init__(self, model: StochasticClassifier, samples: int = 12, seed: int = 0) -> None:
        super().__init__()
        self.model = model
        generator = torch.Generator().manual_seed(seed)
        param = next(model.parameters())
        eps = torch.randn(samples, model.latent_dim, generator=generator, dtype=param.dtype)
        self.register_buffer("eps", eps.to(param.device))  # (L, K)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        posterior = self.model.posterior(x)
        z = posterior.mean + posterior.std * self.eps[:, None, :]  # (L, B, K)
        log_probs = self.model.decoder(z).log_softmax(-1)  # (L, B, C)
        return log_probs.logsumexp(0) - math.log(self.eps.shape[0])  # (B, C)


@contextlib.contextmanager
def _threads(count: int) -> Iterator[None]:
    """torch's intra-op thread count set to ``count`` (0: unchanged), restored after."""
    before = torch.get_num_threads()
    if count:
        torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def _frozen(model: nn.Module) -> Iterator[nn.Module]:
    """Eval mode and no parameter gradients (the attack needs input gradients only)."""
    was_training = model.training
    flags = [p.requires_grad for p in model.parameters()]
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    try:
        yield model
    finally:
        for p, flag in zip(model.parameters(), flags):
            p.requires_grad_(flag)
        model.train(was_training)


def carlini_wagner_l2(
    model: nn.Module,
    images: torch.Tensor,
    targets: torch.Tensor,
    config: CarliniWagnerConfig,
    on_step: Callable[[], None] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Targeted CW-L2 adversarials of ``images`` (B, ...) in [0, 1] towards ``targets`` (B,).

    ``config.engine`` picks the implementation. ``on_step`` is called after
    every forward pass of the model (one per Adam step), e.g. to move a
    progress bar.

    Returns the adversarials (B, ...) and success (B,) bool: the model predicts
    the target on the adversarial (and the engine found one).
    """
    config = parse(CarliniWagnerConfig, asdict(config), "attack")

    def step_hook(*_: Any) -> None:  # a hook returning a value would replace the output
        on_step()

    hook = model.register_forward_hook(step_hook) if on_step is not None else None
    try:
        with _frozen(model), _threads(config.threads):
            adversarials, found = run_engine(config.engine, model, images, targets, config)
    finally:
        if hook is not None:
            hook.remove()
    with _frozen(model), torch.no_grad():
        predicted = model(adversarials).argmax(-1)  # (B,)
    return adversarials, (predicted == targets) & found


def perturbation_norms(images: torch.Tensor, adversarials: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-image L2, L1, L-infinity (in [0, 1] units) and L0 (pixels moved > 0.5/255), each (B,)."""
    delta = (adversarials.double() - images.double()).flatten(1)  # (B, D)
    return {
        "l2": delta.norm(dim=1),
        "l1": delta.abs().sum(1),
        "linf": delta.abs().amax(1),
        "l0": (delta.abs() > 0.5 / 255).sum(1).double(),
    }


def check_attack_classes(num_classes: int, source: int, target: int, count: int = 1) -> None:
    """Refuse a source or target outside [0, num_classes), equal classes, or no images."""
    for name, value in (("source", source), ("target", target)):
        if not 0 <= value < num_classes:
            raise ConfigError(f"attack {name} must lie in [0, {num_classes}), got {value}")
    if source == target:
        raise ConfigError(f"attack source and target must differ, got {source} twice")
    if count < 1:
        raise ConfigError(f"attack images must be >= 1, got {count}")


def _attack_all(attacked: nn.Module, images: torch.Tensor, target: int, config: CarliniWagnerConfig,
                show: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Attack ``images`` (N, C, H, W) in batches; the adversarials (N, C, H, W) and success (N,)."""
    parts, wins = [], []
    bar = progress_bar(total=len(images), desc=f"CW-L2 attack ({config.engine})", disable=not show,
                       leave=False, bar_format="{l_bar}{bar}| {n:.1f}/{total} images [{elapsed}<{remaining}]")
    for start in range(0, len(images), config.batch_size):
        x = images[start : start + config.batch_size]  # (b, C, H, W)
        targets = torch.full((len(x),), target, dtype=torch.long, device=x.device)
        step = len(x) / (config.steps * config.binary_search_steps + 1)
        adversarials, success = carlini_wagner_l2(attacked, x, targets, config,
                                                  on_step=lambda step=step: bar.update(step))
        bar.n = start + len(x)  # abort_early may have skipped steps
        bar.refresh()
        parts.append(adversarials)
        wins.append(success)
    bar.close()
    if not parts:
        return images.clone(), torch.zeros(0, dtype=torch.bool)
    return torch.cat(parts), torch.cat(wins)


def fresh_noise_success(model: StochasticClassifier, adversarials: torch.Tensor, target: int,
                        samples: int, draws: int, seed: int) -> torch.Tensor:
    """Per adversarial (N,), the fraction of ``draws`` fresh sets of ``samples`` draws of z under
    which the averaged prediction is still ``target``. The sets come from seeds seed, seed + 1, ...
    """
    hits = torch.zeros(len(adversarials), dtype=torch.float64)
    for draw in range(draws):
        averaged = AveragedLogits(model, samples, seed + draw)
        with _frozen(averaged), torch.no_grad():
            hits += (averaged(adversarials).argmax(-1) == target).double().cpu()  # (N,)
    return hits / draws


def _per_image(x: torch.Tensor, adversarials: torch.Tensor, success: torch.Tensor,
               fresh: torch.Tensor | None) -> list[dict[str, Any]]:
    """One dict of success and distances (None where the attack failed) per attacked image."""
    norms = perturbation_norms(x, adversarials)
    rows = []
    for i, ok in enumerate(success.tolist()):
        row = {key: float(values[i]) if ok else None for key, values in norms.items()}
        row = {"success": ok, **row, "l1_255": row["l1"] * 255 if ok else None}
        if fresh is not None:
            row["fresh_noise_success"] = float(fresh[i]) if ok else None
        rows.append(row)
    return rows


FRESH_SEED = 1000  # fresh draws of z: seeds FRESH_SEED, FRESH_SEED + 1, ... (the attacked set uses 0)


def robustness(
    model: StochasticClassifier,
    split: Split,
    config: CarliniWagnerConfig,
    source: int = 0,
    target: int = 1,
    count: int = 10,
    averaged_samples: int | None = None,
    progress: bool | None = None,
    fresh_noise_draws: int = 20,
) -> dict[str, Any]:
    """Table 2: attack the first ``count`` images of class ``source`` towards ``target``.

    Only images the attacked model classifies as ``source`` are attacked. The
    attacked model is ``model.forward`` (z = mean) or, with
    ``averaged_samples``, :class:`AveragedLogits` over that many draws (seed 0);
    then each successful adversarial is also classified under
    ``fresh_noise_draws`` fresh sets of draws (``fresh_noise_success_rate``).

    Returns one attack mode's part of the ``robustness`` section of ``evaluation.json``.
    """
    config = parse(CarliniWagnerConfig, asdict(config), "attack")
    check_attack_classes(model.decoder.out_features, source, target, count)
    indices = (split.labels == source).nonzero().flatten()[:count].tolist()
    if not indices:
        raise VimaxError(f"the test split holds no image of class {source}")
    attacked = AveragedLogits(model, averaged_samples) if averaged_samples else model
    images = split.images[indices].to(next(model.parameters()).device)  # (N, C, H, W)
    with _frozen(attacked), torch.no_grad():
        correct = (attacked(images).argmax(-1) == source).tolist()  # (N,)
    chosen = [i for i, ok in enumerate(correct) if ok]
    began = time.perf_counter()
    show = progress if progress is not None else sys.stderr.isatty()
    adversarials, success = _attack_all(attacked, images[chosen], target, config, show)
    seconds = time.perf_counter() - began
    fresh = (fresh_noise_success(model, adversarials, target, averaged_samples, fresh_noise_draws,
                                 FRESH_SEED) if averaged_samples else None)
    results = iter(_per_image(images[chosen], adversarials, success, fresh))
    empty = {"success": None, "l2": None, "l1": None, "linf": None, "l0": None, "l1_255": None,
             **({"fresh_noise_success": None} if averaged_samples else {})}
    per_image = [{"test_index": index, "attacked": ok, **(next(results) if ok else empty)}
                 for index, ok in zip(indices, correct)]
    wins = [entry for entry in per_image if entry["success"]]
    logger.info("CW-L2 %d -> %d (%s, %s): %d of %d attacked images fooled in %.1f s", source, target,
                "averaged" if averaged_samples else "z = mean", config.engine, len(wins), len(chosen),
                seconds)
    means = {key: sum(e[key] for e in wins) / len(wins) if wins else None
             for key in ("l2", "l1", "l1_255", "linf", "l0")}
    result = {
        "attack": {"name": ATTACK_NAMES[config.engine], **asdict(config)},
        "attacked_model": "averaged" if averaged_samples else "mean_z",
        "averaged_samples": averaged_samples,
        "source": source,
        "target": target,
        "images_considered": len(indices),
        "images_attacked": len(chosen),
        "success_rate": len(wins) / len(chosen) if chosen else None,
        **means,
        "per_image": per_image,
        "seconds": seconds,
        "units_note": UNITS_NOTE,
    }
    if averaged_samples:
        result.update(fresh_noise_draws=fresh_noise_draws, fresh_noise_seed=FRESH_SEED,
                      fresh_noise_success_rate=(sum(e["fresh_noise_success"] for e in wins) / len(wins)
                                                if wins else None))
    return result


ATTACK_NAMES = {"foolbox": "foolbox.L2CarliniWagnerAttack", "adv_lib": "adv_lib.carlini_wagner_l2"}
