"""Issue 13's plan of CIFAR-10 runs (§4.2 of the paper): which runs each claim needs, which are missing.

The plan is the ``cpu`` profile of ``configs/cifar10.yaml`` (the grid variants ``vim``, ``vib``,
``deterministic``, ``fig4b_vim``, ``fig4b_vib``), run in four parts:

1. the σ claim at the paper's β = 1e-3: VIM and VIB at σ ∈ {0.5, 1, 2.5}, seeds 0-2;
2. Fig. 3 and Fig. 4a: both σ ∈ {0.5, 2.5} of each objective over β, VIM up to β = 100, seed 0;
3. Fig. 4b: β = 1, σ ∈ {0.5, 1, 1.5, 2, 2.5, 3}, seed 0;
4. each objective's best (β, σ) on validation, and the deterministic baseline, seeds 0-2.

A planned run is a :class:`Point` (objective, σ, β, seed); it is found among the saved runs by
its config, not by its folder's name, and a missing one is named by the run id the sweep gives it
(:func:`run_id`). A sweep drops a run whose config repeats an earlier one's, so the β = 1 runs of
Fig. 4b at a σ of the ``vim``/``vib`` grid are that grid's runs (``vim_sigma2.5_beta1e+00_seed0``),
the others ``fig4b_vim_sigma1.5_seed0``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from vimax.report.collect import RunResult, select
from vimax.report.format import fmt_beta
from vimax.report.layout import representation_value
from vimax.sweep.grid import run_id as sweep_run_id

__all__ = ["Point", "PLAN_PROFILE", "SWEEP", "SWEEP_FILE", "PAPER_BETA", "SEEDS", "FIG3_SIGMAS",
           "CLAIM_SIGMAS", "FIG4B_SIGMAS", "BETAS", "GRID_SIGMAS", "PLAN_PARTS", "run_id",
           "sigma_claim_points", "figure_points", "fig4b_points", "setting_points", "baseline_points",
           "candidate_points", "finished", "missing", "names", "command", "label"]

SWEEP = "cifar10"
SWEEP_FILE = "configs/cifar10.yaml"
PLAN_PROFILE = "cpu"  # the profile whose run ids the plan names
PAPER_BETA = 1e-3
SEEDS = (0, 1, 2)
CLAIM_SIGMAS = (0.5, 1.0, 2.5)  # part 1
FIG3_SIGMAS = (0.5, 2.5)  # part 2: both σ of each objective in Fig. 3 and 4a
FIG4B_SIGMAS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)  # part 3, at β = 1
# the cpu profile's axes of the grid variants vim and vib, in the sweep file's order
BETAS = {"vim": (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0), "vib": (1e-4, 1e-3, 1e-2, 1e-1, 1.0)}
GRID_SIGMAS = {"vim": (2.5, 0.5, 1.0), "vib": (0.5, 2.5, 1.0)}
# the --match patterns of each part, as configs/cifar10.yaml's comment gives them
PLAN_PARTS = (
    ("1. σ at β = 1e-3, 3 seeds", ("vim_sigma*_beta1e-03_*", "vib_sigma*_beta1e-03_*")),
    ("2. Fig. 3 and 4a, one seed", ("vim_sigma2.5_*_seed0", "vib_sigma0.5_*_seed0", "vim_sigma0.5_*_seed0",
                                    "vib_sigma2.5_*_seed0")),
    ("3. Fig. 4b (β = 1), one seed", ("fig4b_*_seed0",)),
    ("4. best (β, σ) of each, 3 seeds, and the baseline", ("deterministic_*",)),
)


@dataclass(frozen=True, order=True)
class Point:
    """One planned run: an objective at (σ, β) with a seed; σ and β None for the baseline."""

    objective: str
    prior_std: float | None
    beta: float | None
    seed: int

    @property
    def setting(self) -> tuple[float | None, float | None]:
        """(β, σ), as :func:`vimax.report.mnist_figures.best_setting` keys them."""
        return self.beta, self.prior_std


def _among(value: float, values: tuple[float, ...]) -> bool:
    return any(math.isclose(value, v, rel_tol=1e-9) for v in values)


def run_id(point: Point) -> str:
    """The id ``vimax sweep configs/cifar10.yaml --profile cpu`` gives the run of ``point``."""
    if point.objective == "deterministic":
        return sweep_run_id("deterministic", {}, point.seed)
    if _among(point.prior_std, GRID_SIGMAS[point.objective]) and _among(point.beta, BETAS[point.objective]):
        return sweep_run_id(point.objective, {"objective.prior_std": point.prior_std,
                                              "objective.beta": point.beta}, point.seed)
    if math.isclose(point.beta, 1.0) and _among(point.prior_std, FIG4B_SIGMAS):
        return sweep_run_id(f"fig4b_{point.objective}", {"objective.prior_std": point.prior_std}, point.seed)
    raise ValueError(f"{point} is not a run of the {PLAN_PROFILE} profile of {SWEEP_FILE}")


def label(point: Point) -> str:
    """"VIM σ = 2.5, β = 1e-3, seed 1": a planned run named without the plan's run ids."""
    if point.objective == "deterministic":
        return f"deterministic, seed {point.seed}"
    return f"{point.objective.upper()} σ = {point.prior_std:g}, β = {fmt_beta(point.beta)}, seed {point.seed}"


def sigma_claim_points(objective: str) -> list[Point]:
    """Part 1: ``objective`` at β = 1e-3 and σ ∈ {0.5, 1, 2.5}, 3 seeds."""
    return [Point(objective, s, PAPER_BETA, seed) for s in CLAIM_SIGMAS for seed in SEEDS]


def figure_points(objective: str) -> list[Point]:
    """Part 2: ``objective`` at σ ∈ {0.5, 2.5} over its β grid, seed 0."""
    return [Point(objective, s, b, 0) for s in FIG3_SIGMAS for b in BETAS[objective]]


def fig4b_points(objective: str) -> list[Point]:
    """Part 3: ``objective`` at β = 1 over Fig. 4b's σ, seed 0."""
    return [Point(objective, s, 1.0, 0) for s in FIG4B_SIGMAS]


def setting_points(objective: str, setting: tuple[float, float]) -> list[Point]:
    """Part 4: the 3 seeds of one (β, σ) setting."""
    beta, sigma = setting
    return [Point(objective, sigma, beta, seed) for seed in SEEDS]


def baseline_points() -> list[Point]:
    return [Point("deterministic", None, None, seed) for seed in SEEDS]


def candidate_points(objective: str) -> list[Point]:
    """Parts 1-3 of ``objective``: the settings its best (β, σ) is chosen among."""
    return sorted(set(sigma_claim_points(objective) + figure_points(objective) + fig4b_points(objective)))


def _runs_of(runs: list[RunResult], point: Point) -> list[RunResult]:
    if point.objective == "deterministic":
        chosen = select(runs, SWEEP, objective="deterministic")
    else:
        chosen = select(runs, SWEEP, objective=point.objective, prior_std=point.prior_std, beta=point.beta)
    return [run for run in chosen if run.seed == point.seed]


def finished(runs: list[RunResult], point: Point, representation: bool = False) -> bool:
    """A run of ``point`` has finished (metrics.json), and, with ``representation``, been evaluated."""
    found = _runs_of(runs, point)
    if representation:
        found = [run for run in found if representation_value(run, "hoyer") is not None]
    return bool(found)


def missing(runs: list[RunResult], points: list[Point], representation: bool = False) -> list[Point]:
    """The points of ``points`` without a finished run, each once, in order."""
    out: list[Point] = []
    for point in points:
        if point not in out and not finished(runs, point, representation):
            out.append(point)
    return out


def names(points: list[Point], profile: str) -> tuple[str, ...]:
    """The runs' ids under the plan's profile, their labels under another."""
    return tuple(run_id(p) if profile == PLAN_PROFILE else label(p) for p in points)


def command(points: list[Point], profile: str) -> str:
    """The command that trains (and evaluates) exactly ``points``; "" when there are none.

    ``vimax sweep`` skips finished runs and runs again one whose evaluation is missing.
    Under another profile than the plan's the run ids are not known, so no command is given.
    """
    if not points or profile != PLAN_PROFILE:
        return ""
    ids = " ".join(f"'{run_id(p)}'" for p in points)
    return f"vimax sweep {SWEEP_FILE} --profile {profile} --seeds {len(SEEDS)} --jobs 2 --match {ids}"
