"""Training: one plain loop, read top to bottom.

:func:`fit` builds everything from a :class:`~vimax.config.RunConfig`, trains
for the configured epochs with a checkpoint after each, and writes the final
figures. :func:`train_epoch` is the hot loop: batches are indexed from tensors
preloaded on the device and the loss terms are summed on the device, so a step
makes no host sync.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sys
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from vimax import failpoints
from vimax.config import RunConfig
from vimax.config.train import TrainConfig, learning_rate
from vimax.data.base import Dataset, Split
from vimax.data.config import load_dataset
from vimax.device import resolve_device
from vimax.errors import ConfigError, VimaxError
from vimax.metrics.accuracy import error_rates, information_plane
from vimax.metrics.diagnostics import (
    DIAGNOSTIC_KEYS,
    INACTIVE_RATIO,
    regulariser_active,
    regulariser_diagnostics,
)
from vimax.models.classifier import StochasticClassifier, build_classifier
from vimax.objectives.config import build_objective
from vimax.objectives.protocols import PriorRegularised, prior_std_of
from vimax.progress import progress_bar
from vimax.training.compiled import Forward, check_compile_mode, eager_forward, step_forward
from vimax.training.ema import WeightAverage
from vimax.training.run_folder import METRICS, TENSORBOARD, RunFolder
from vimax.training.state import restore_training_state, seed_everything, training_state
from vimax.training.tensorboard import EventLog, check_available

__all__ = ["fit", "train_epoch", "seed_everything", "TrainingDiverged"]

logger = logging.getLogger(__name__)


class TrainingDiverged(VimaxError):
    """The loss became NaN or infinite."""


# steps between the host's looks at the device-side divergence flag (one sync each)
CHECK_EVERY = 50


def _first_bad_step(first_bad: torch.Tensor, steps: int) -> int | None:
    """The 1-based step whose loss was first non-finite, or None (one host sync)."""
    step = int(first_bad)
    return None if step >= steps else step + 1


def steps_per_epoch(n: int, batch_size: int) -> int:
    """Steps of an epoch over ``n`` examples: a last batch of fewer than 2 examples is dropped."""
    return n // batch_size + (1 if n % batch_size >= 2 else 0)


def z_samples(config: TrainConfig) -> int | None:
    """The ``samples`` argument of ``rsample`` for ``train_samples``: None for one draw, z (B, K)."""
    return None if config.train_samples == 1 else config.train_samples


def epoch_order(n: int, seed: int, epoch: int, device: torch.device) -> torch.Tensor:
    """The data order of an epoch, a function of (seed, epoch) only, so a resume repeats it."""
    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(n, generator=generator).to(device)


def train_epoch(
    model: StochasticClassifier,
    objective: nn.Module,
    optimizer: torch.optim.Optimizer,
    train: Split,
    config: TrainConfig,
    epoch: int,
    average: WeightAverage | None = None,
    forward: Forward | None = None,
) -> tuple[dict[str, float], int]:
    """One pass over ``train`` (already on the model's device).

    Returns the per-example means of the objective's parts and the number of
    examples trained on. A last batch of fewer than 2 examples is dropped
    (the MMD needs two). ``forward`` is the step's forward pass
    (:func:`vimax.training.compiled.step_forward`, possibly compiled; None: eager);
    a batch of another size than ``config.batch_size`` always runs eagerly.

    Raises:
        TrainingDiverged: the loss became NaN or infinite; the message names the
            epoch and the first bad step. The step is tracked on the device and
            looked at every ``CHECK_EVERY`` steps, so the hot loop stays free of syncs.
    """
    model.train()
    device = train.images.device
    n, size = len(train), config.batch_size
    steps = steps_per_epoch(n, size)
    order = epoch_order(n, config.seed, epoch, device)
    sums: torch.Tensor | None = None
    names: list[str] = []
    show = config.progress if config.progress is not None else sys.stderr.isatty()
    bar = progress_bar(total=steps, desc=f"epoch {epoch + 1}/{config.epochs}", leave=False,
               disable=not show, mininterval=0.5)
    eager = eager_forward(model, objective, z_samples(config))
    forward = forward if forward is not None else eager
    first_bad = torch.full((), steps, dtype=torch.long, device=device)  # steps = none yet
    for step in range(steps):
        if failpoints.ARMED:  # tests only: die or pause at this exact step
            failpoints.failpoint("train_step", epoch=epoch + 1, step=step + 1)
        index = order[step * size : (step + 1) * size]
        x, y = train.images[index], train.labels[index]  # (B, C, H, W), (B,)
        out = (forward if y.shape[0] == size else eager)(x, y)
        bad_here = torch.where(torch.isfinite(out.loss.detach()), steps, step)
        torch.minimum(first_bad, bad_here, out=first_bad)
        if (step + 1) % CHECK_EVERY == 0 or step + 1 == steps:
            bad = _first_bad_step(first_bad, steps)
            if bad is not None:
                bar.close()
                raise TrainingDiverged(f"the loss became NaN or infinite at step {bad} of {steps} "
                                       f"in epoch {epoch + 1}")
        optimizer.zero_grad(set_to_none=True)
        out.loss.backward()
        optimizer.step()
        if average is not None:
            average.update(model)
        batch_sums = torch.stack(list(out.parts.values())) * y.shape[0]  # (P,)
        if sums is None:
            sums, names = batch_sums, list(out.parts)
        else:
            sums += batch_sums
        bar.update()
    bar.close()
    seen = steps * size if n % size < 2 else n
    means = (sums / seen).tolist() if sums is not None else []
    return dict(zip(names, means)), seen


def _warn_unbounded(terms: dict[str, float], epoch: int) -> None:
    """A logged, not optimised, term may be infinite: warn (it is saved as null) and go on.

    VIM does not bound q(z|x)'s variance, so a posterior std can underflow to 0
    (seen with K = 2), where the logged rate KL(q(z|x) || p(z)) is infinite
    although the loss is fine.
    """
    unbounded = [name for name, value in terms.items() if not math.isfinite(value)]
    if unbounded:
        logger.warning("epoch %d: %s not finite (logged, not optimised: a posterior std that underflowed "
                       "to 0 makes the rate KL infinite); training goes on", epoch + 1, ", ".join(unbounded))


def epoch_diagnostics(model: StochasticClassifier, objective: nn.Module, probe: Split,
                      config: TrainConfig) -> dict[str, float | None]:
    """The regulariser diagnostics on a fixed training batch with fixed noise (one host sync).

    Taken with the current weights (not the average), after the epoch's last
    step; they change neither the weights nor the random state, so a resumed
    run stays identical to an uninterrupted one.
    """
    return regulariser_diagnostics(model, objective, probe.images, probe.labels,
                                   samples=config.train_samples, seed=config.seed)


# epochs at the end of a run whose gradient ratios decide whether its regulariser acted
ACTIVE_WINDOW = 3


def diagnostics_summary(history: list[dict[str, Any]], objective: nn.Module) -> dict[str, Any]:
    """The last epoch's diagnostics and ``regulariser_active``; warns when the regulariser did nothing."""
    summary: dict[str, Any] = {key: history[-1].get(key) for key in DIAGNOSTIC_KEYS}
    window = min(ACTIVE_WINDOW, len(history))
    ratios = [row.get("regulariser_grad_ratio") for row in history[-window:]]
    summary["regulariser_active"] = active = regulariser_active(ratios, window)
    if active is False:
        logger.warning("the regulariser is inactive: ||grad beta*D|| / ||grad CE|| <= %.2g < %g over the "
                       "last %d epochs (beta = %s), so this run trains as the deterministic baseline "
                       "would; a larger beta makes the regulariser act",
                       max(ratios), INACTIVE_RATIO, window,
                       objective.beta if isinstance(objective, PriorRegularised) else "n/a")
    return summary


def _evaluation_model(model: StochasticClassifier, average: WeightAverage | None):
    """The weights to evaluate: the moving average when there is one."""
    return average.swapped_in(model) if average is not None else contextlib.nullcontext(model)


def make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    """Adam as every run uses it; fused: one kernel per parameter instead of ~10 (3.5x faster on CPU)."""
    return torch.optim.Adam(model.parameters(), lr=config.lr, betas=config.adam_betas, fused=True)


def fit(
    config: RunConfig,
    out_dir: str | Path,
    resume: bool = False,
    dataset: Dataset | None = None,
    keep_checkpoint: bool = False,
) -> dict[str, Any]:
    """Train one run into ``out_dir`` and return its final metrics.

    With ``resume``, continue from the folder's last checkpoint (the result is
    the same as an uninterrupted run); a finished run is not trained again,
    except that more ``train.epochs`` extend a run finished with
    ``keep_checkpoint``: the result is then the run trained for that many
    epochs from the start (the lr schedules depend on the epoch only, never on
    the total).
    """
    config = RunConfig.from_dict(config.to_dict())  # a config built in Python is checked as a file is
    tc = config.train
    check_compile_mode(tc.compile)
    folder = RunFolder(out_dir)
    folder.check_can_start(config.to_dict(), resume)  # also: a finished run of another config
    if resume and folder.finished:
        done = folder.read_json(METRICS)
        if done.get("epochs", tc.epochs) >= tc.epochs:
            logger.info("%s is finished already", folder.path)
            return done
        if not folder.has_checkpoint():
            raise VimaxError(f"{folder.path} finished after {done.get('epochs')} epochs without keeping its "
                             "training state (checkpoint.pt), so it cannot be extended to "
                             f"{tc.epochs}; train a new run")
        logger.info("extending %s from %s to %d epochs", folder.path, done.get("epochs"), tc.epochs)
    device = resolve_device(tc.device)
    if tc.tensorboard:
        check_available()  # before any work: one clear line when tensorboard is not installed
    if tc.threads:
        torch.set_num_threads(tc.threads)
    dataset = dataset if dataset is not None else load_dataset(config.data)
    seed_everything(tc.seed)
    objective = build_objective(config.objective, dataset.label_entropy).to(device)
    try:
        model = build_classifier(config.model, dataset.input_shape, dataset.num_classes).to(device)
    except (RuntimeError, MemoryError, ValueError) as error:  # e.g. too large to allocate
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ConfigError(f"cannot build the model: {first}") from None
    folder.start(config.to_dict(), resume, dataset_summary(dataset))  # only once all is built
    optimizer = make_optimizer(model, tc)
    average = WeightAverage(model, tc.ema_decay) if tc.ema_decay > 0 else None
    start, history, train_seconds = 0, [], 0.0
    if resume and folder.has_checkpoint():
        state = folder.load_checkpoint()
        start, history, train_seconds = restore_training_state(state, model, optimizer, average)
        logger.info("resuming %s after epoch %d", folder.path, start)
    events = EventLog(folder.path / TENSORBOARD, start) if tc.tensorboard else None  # a live view
    train, val = dataset.train.to(device), dataset.val.to(device)
    probe = Split(train.images[: tc.batch_size], train.labels[: tc.batch_size])  # fixed diagnostics batch
    forward, _ = step_forward(model, objective, z_samples(tc), tc.compile,
                              steps_per_epoch(len(train), tc.batch_size) * tc.epochs, device)
    for epoch in range(start, tc.epochs):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(tc, epoch)
        began = time.perf_counter()
        kept = (f"the last good checkpoint (epoch {epoch}) is kept in {folder.path}" if epoch
                else f"no epoch had finished, so there is no checkpoint in {folder.path}")
        try:
            terms, _ = train_epoch(model, objective, optimizer, train, tc, epoch, average, forward)
        except TrainingDiverged as error:
            raise TrainingDiverged(f"{error}; {kept}") from None
        train_seconds += time.perf_counter() - began
        if not math.isfinite(terms.get("loss", 0.0)):  # finite steps whose mean overflowed
            raise TrainingDiverged(f"the mean loss became NaN or infinite in epoch {epoch + 1}; {kept}")
        _warn_unbounded(terms, epoch)
        diagnostics = epoch_diagnostics(model, objective, probe, tc)
        with _evaluation_model(model, average) as evaluated:
            val_errors = error_rates(evaluated, val, tc.eval_samples, tc.eval_batch_size)
        row = {"epoch": epoch + 1, "lr": learning_rate(tc, epoch), **terms, **diagnostics,
               "val_error": val_errors["error"], "val_error_mean_z": val_errors["error_mean_z"]}
        history.append(row)
        logger.info("epoch %d: %s", epoch + 1,
                    ", ".join(f"{k} {v:.4g}" for k, v in row.items() if k != "epoch" and v is not None))
        if events is not None:  # before the checkpoint: a resume purges the epochs it trains again
            events.epoch(row)
        folder.write_history(history)
        folder.save_checkpoint(training_state(epoch + 1, model, optimizer, average, history, train_seconds))
        failpoints.failpoint("epoch_end", epoch=epoch + 1, run=folder.path.name)
    with _evaluation_model(model, average) as evaluated:
        metrics = final_metrics(evaluated, dataset, objective, config, history, device)
        model_state = {k: v.detach().cpu().clone() for k, v in evaluated.state_dict().items()}
    metrics.update(diagnostics_summary(history, objective))
    metrics.update(train_seconds=train_seconds, epochs=tc.epochs,
                   train_samples_per_s=(len(dataset.train) * tc.epochs) / max(train_seconds, 1e-9))
    if events is not None:
        events.finish(tc.epochs, metrics)
    folder.finish(metrics, model_state, keep_checkpoint)
    return metrics


def dataset_summary(dataset: Dataset) -> dict[str, Any]:
    """What a saved run needs to rebuild its model without loading the data."""
    return {"name": dataset.name, "input_shape": list(dataset.input_shape),
            "num_classes": dataset.num_classes, "label_entropy": dataset.label_entropy,
            "sizes": {"train": len(dataset.train), "val": len(dataset.val),
                      "test": len(dataset.test)}, **dataset.provenance()}


def final_metrics(model, dataset, objective, config, history, device) -> dict[str, Any]:
    """Validation and test errors, and the information plane on the test split."""
    tc = config.train
    test = dataset.test.to(device)
    val_errors = error_rates(model, dataset.val.to(device), tc.eval_samples, tc.eval_batch_size)
    test_errors = error_rates(model, test, tc.eval_samples, tc.eval_batch_size, seed=tc.seed)
    metrics: dict[str, Any] = {
        "test_error": test_errors["error"],
        "test_error_1_sample": test_errors["error_1_sample"],
        "test_error_mean_z": test_errors["error_mean_z"],
        "val_error": val_errors["error"],
        "val_error_mean_z": val_errors["error_mean_z"],
    }
    if objective.requires_posterior:
        prior_std = prior_std_of(objective)
        metrics.update(information_plane(model, test, prior_std, dataset.label_entropy,
                                         tc.eval_samples, tc.eval_batch_size))
    else:
        metrics.update(rate_bits=None, izy_bits=None)
    metrics["final_train_terms"] = {k: v for k, v in history[-1].items() if k != "epoch"}
    return metrics
