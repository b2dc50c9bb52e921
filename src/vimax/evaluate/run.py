"""Evaluate a finished run: every figure of §4.1 into ``evaluation.json``.

:func:`evaluate_run` loads a run folder's model and dataset and writes, beside
them, ``evaluation.json`` and ``latent.png``; nothing else in the folder is
touched. The JSON holds (null where a figure is undefined)::

    run             the run folder
    accuracy        test_error (softmax averaged over `samples` draws of z, seeded by the run's seed
                    as training's final test error is, so the two agree),
                    test_error_1_sample, test_error_mean_z, samples      (Table 1)
    robustness      CW-L2 targeted attack per mode (mean, averaged) and the
                    engines' cross-check, see attack_modes               (Table 2)
    representation  ari, cluster_accuracy, nmi, hoyer (+ its variants), kmeans
                                                                         (Table 3)
    information     rate_bits, izy_bits (null for deterministic baselines)
    diagnostics     regulariser_grad_ratio, latent_scale, posterior_std_median,
                    regulariser_active, source (see vimax.metrics.diagnostics)
    plots           file names written in the run folder                (Fig. 2)
    seconds         wall time of the whole evaluation
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from vimax.atomic import atomic_write_json
from vimax.config import parse
from vimax.data.base import Dataset
from vimax.data.config import load_run_dataset
from vimax.device import DEVICE, resolve_device
from vimax.errors import DataError
from vimax.evaluate.attack_engines import check_available, other_engine
from vimax.evaluate.attack_modes import ATTACK_MODES, AttackMode, check_modes, robustness_modes
from vimax.evaluate.carlini_wagner import CarliniWagnerConfig, check_attack_classes
from vimax.evaluate.latent_plot import latent_plot
from vimax.evaluate.representation import mean_embeddings, representation_quality
from vimax.metrics.accuracy import error_rates, information_plane
from vimax.metrics.diagnostics import DIAGNOSTIC_KEYS, regulariser_active, regulariser_diagnostics
from vimax.objectives.config import build_objective
from vimax.objectives.protocols import prior_std_of
from vimax.training.load import load_run, load_run_config
from vimax.training.run_folder import EVALUATION, METRICS, MODEL, RunFolder

__all__ = ["EvaluationConfig", "evaluation_config", "evaluate_run", "EVALUATION", "LATENT_PLOT"]

logger = logging.getLogger(__name__)

LATENT_PLOT = "latent.png"


@dataclass
class EvaluationConfig:
    """What :func:`evaluate_run` measures and how.

    Attributes:
        samples: L, draws of z whose softmax is averaged for the test error.
        attack: run the Carlini-Wagner attack (Table 2).
        attack_images: the first this many test images of class ``source``.
        source: the class attacked (0 in the paper).
        target: the class the adversarial must reach (1 in the paper).
        attack_modes: "mean" attacks the classifier at z = mean, "averaged" the
            softmax averaged over ``samples`` fixed draws of z (stochastic
            models only; a deterministic one gets "mean" alone).
        attack_cross_check: attack every mode again with the other engine and
            report the agreement (``robustness.cross_check``).
        fresh_noise_draws: fresh sets of draws of z under which each adversarial
            of the averaged prediction is checked again.
        carlini_wagner: the attack's own settings (its ``engine`` included).
        n_clusters: k of k-means; None: the number of classes (10 in the paper).
        kmeans_n_init: k-means restarts.
        random_state: seed of k-means.
        seed: seeds torch before the sampled figures, so they repeat.
        data_dir: overrides the data folder saved in the run's config (for a
            run trained on a data file: the file's or image folder's new path).
        device: "auto", "cpu" or "cuda".
        batch_size: images per evaluation batch.
        plot: write the latent plot (Fig. 2).
        progress: progress bar over attacked images (None: when stderr is a terminal).

    The ranges in the fields' metadata are checked when the settings are read (:mod:`vimax.config`).
    """

    samples: int = field(default=12, metadata={"ge": 1})
    attack: bool = True
    attack_images: int = field(default=10, metadata={"ge": 1})
    source: int = field(default=0, metadata={"ge": 0})
    target: int = field(default=1, metadata={"ge": 0})
    attack_modes: tuple[AttackMode, ...] = ATTACK_MODES
    attack_cross_check: bool = False
    fresh_noise_draws: int = field(default=20, metadata={"ge": 1})
    carlini_wagner: CarliniWagnerConfig = field(default_factory=CarliniWagnerConfig)
    n_clusters: int | None = field(default=None, metadata={"ge": 1})
    kmeans_n_init: int = field(default=10, metadata={"ge": 1})
    random_state: int = field(default=0, metadata={"ge": 0})
    seed: int = field(default=0, metadata={"ge": 0})
    data_dir: str | None = None
    device: str = field(default="auto", metadata=DEVICE)
    batch_size: int = field(default=1000, metadata={"ge": 1})
    plot: bool = True
    progress: bool | None = None

    def __post_init__(self) -> None:
        check_modes(self.attack_modes)


def evaluation_config(data: dict[str, Any], where: str = "evaluate") -> EvaluationConfig:
    """Evaluation settings from a dict (``vimax evaluate``'s options, a sweep file's ``evaluate:``),
    checked, and the attack engines they use installed."""
    settings = parse(EvaluationConfig, data, where)
    if settings.attack:
        check_available(settings.carlini_wagner.engine)
        if settings.attack_cross_check:
            check_available(other_engine(settings.carlini_wagner.engine))
    return settings


def _load_data(config, summary: dict[str, Any], data_dir: str | None) -> Dataset:
    """The run's dataset from its saved config; refuse one that does not fit the model."""
    dataset = load_run_dataset(config.data, summary, data_dir)  # a data file: same path, same SHA-256
    saved = (summary.get("name"), list(summary.get("input_shape", [])), summary.get("num_classes"))
    found = (dataset.name, list(dataset.input_shape), dataset.num_classes)
    if saved != found:
        raise DataError(f"the dataset loaded ({found}) is not the one the run was trained on ({saved})")
    return dataset


def _diagnostics(saved: dict[str, Any], model, objective, config, dataset: Dataset,
                 device: torch.device) -> dict[str, Any]:
    """The regulariser diagnostics: from the run's metrics.json, or computed for an older run.

    A run trained before the diagnostics existed gets them from its saved model
    (the weights evaluated, the average when the run kept one) on the same fixed
    batch training uses: the first ``batch_size`` training examples, noise seeded
    with the run's seed; ``regulariser_active`` then rests on that one value.
    """
    if all(key in saved for key in DIAGNOSTIC_KEYS):
        return {**{key: saved[key] for key in DIAGNOSTIC_KEYS},
                "regulariser_active": saved.get("regulariser_active"), "source": METRICS}
    tc, train = config.train, dataset.train
    values = regulariser_diagnostics(model, objective.to(device), train.images[: tc.batch_size].to(device),
                                     train.labels[: tc.batch_size].to(device),
                                     samples=tc.train_samples, seed=tc.seed)
    return {**values, "regulariser_active": regulariser_active([values["regulariser_grad_ratio"]]),
            "source": MODEL}


def _title(config, accuracy: dict[str, Any], representation: dict[str, Any]) -> str:
    """The latent plot's title: the objective with its beta and sigma, if it takes them."""
    settings = dataclasses.asdict(config.objective)  # only the settings this objective takes
    named = (("beta", "beta"), ("prior_std", "sigma"))
    hyper = ", ".join(f"{label}={settings[key]:g}" for key, label in named if settings.get(key) is not None)
    name = config.objective.name.upper() + (f" ({hyper})" if hyper else "")
    return (f"{name}: test error {100 * accuracy['test_error']:.2f}%, "
            f"ARI {representation['ari']:.3f}, Hoyer {representation['hoyer']:.3f}")


def evaluate_run(
    run_dir: str | Path, settings: EvaluationConfig | None = None, dataset: Dataset | None = None
) -> dict[str, Any]:
    """Evaluate the finished run in ``run_dir`` and write ``evaluation.json`` there (atomically).

    ``dataset`` skips loading the run's dataset (it must be the same one).
    Returns the dict written; see the module docstring for its keys.
    """
    settings = evaluation_config(dataclasses.asdict(settings or EvaluationConfig()))
    began = time.perf_counter()
    run_dir = Path(run_dir)
    config, summary = load_run_config(run_dir)
    device = resolve_device(settings.device)
    model = load_run(run_dir, device)
    dataset = dataset if dataset is not None else _load_data(config, summary, settings.data_dir)
    test = dataset.test
    if settings.attack and dataset.bounds is None:  # CW-L2 is measured in pixel units of [0, 1] images
        logger.warning("skipping the Carlini-Wagner attack: it measures distances in [0, 1] pixel units, "
                       "and these inputs are unbounded (standardised) features, not images in [0, 1]")
        settings = dataclasses.replace(settings, attack=False)
    if settings.attack:  # before any work, so a bad class leaves the folder untouched
        check_attack_classes(dataset.num_classes, settings.source, settings.target,
                             settings.attack_images)
    torch.manual_seed(settings.seed)

    errors = error_rates(model, test, settings.samples, settings.batch_size, seed=config.train.seed)
    accuracy = {"test_error": errors["error"], "test_error_1_sample": errors["error_1_sample"],
                "test_error_mean_z": errors["error_mean_z"], "samples": settings.samples}
    logger.info("test error %.2f%% (%d samples)", 100 * accuracy["test_error"], settings.samples)

    objective = build_objective(config.objective, summary.get("label_entropy"))
    information: dict[str, Any] = {"rate_bits": None, "izy_bits": None}
    if objective.requires_posterior:
        label_entropy = summary.get("label_entropy", dataset.label_entropy)
        information = information_plane(model, test, prior_std_of(objective),
                                        label_entropy, settings.samples, settings.batch_size)

    diagnostics = _diagnostics(RunFolder(run_dir).read_json(METRICS), model, objective, config, dataset,
                               device)

    embeddings = mean_embeddings(model, test, settings.batch_size)  # (N, K)
    k = settings.n_clusters or dataset.num_classes
    representation = representation_quality(embeddings, test.labels, k, settings.random_state,
                                             settings.kmeans_n_init, prior_std_of(objective))
    logger.info("ARI %.3f, cluster accuracy %.3f, Hoyer %.3f", representation["ari"],
                representation["cluster_accuracy"], representation["hoyer"])

    plots = []
    if settings.plot:
        latent_plot(embeddings, test.labels, run_dir / LATENT_PLOT,
                    _title(config, accuracy, representation))
        plots.append(LATENT_PLOT)

    attack = None
    if settings.attack:
        attack = robustness_modes(model, test, settings.carlini_wagner, settings.attack_modes,
                                  objective.requires_posterior, settings.samples, settings.source,
                                  settings.target, settings.attack_images, settings.attack_cross_check,
                                  settings.fresh_noise_draws, settings.progress)

    result = {
        "run": str(run_dir),
        "objective": config.objective.name,
        "accuracy": accuracy,
        "robustness": attack,
        "representation": representation,
        "information": {"rate_bits": information["rate_bits"], "izy_bits": information["izy_bits"]},
        "diagnostics": diagnostics,
        "plots": plots,
        "settings": dataclasses.asdict(settings),
        "seconds": time.perf_counter() - began,
    }
    atomic_write_json(run_dir / EVALUATION, result)
    logger.info("wrote %s", run_dir / EVALUATION)
    return result
