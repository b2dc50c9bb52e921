"""Is the regulariser doing anything? Three numbers for an encoder, an objective and a batch.

VIB's loss, Eq. (10), and VIM's, Eq. (18), are a task cross-entropy plus
beta times a divergence D (the KL of q(z|x) to the prior for VIB, the squared
MMD of q(z) to the prior for VIM). The same beta means regularisers of very
different strength: MMD^2 with the bounded IMQ kernel stays below 2, VIB's KL
is summed over K dimensions and unbounded. :func:`regulariser_diagnostics`
measures the balance directly, so a user can see whether their beta acts
before training for hours:

- ``regulariser_grad_ratio``: ||grad beta*D|| / ||grad CE||, the gradients taken
  with respect to the posterior's parameters (mean, std) of the batch.
- ``latent_scale``: E||z||^2 / (K sigma^2) over the sampled z; 1 when q(z) is
  the prior N(0, sigma^2 I).
- ``posterior_std_median``: the median posterior std over the batch and the K
  dimensions (the encoder's noise; softplus(-5) ~ 0.0067 at initialisation).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch import nn

from vimax.models.encoder import GaussianPosterior
from vimax.objectives.output import classification_loss
from vimax.objectives.protocols import prior_std_of

__all__ = ["DIAGNOSTIC_KEYS", "INACTIVE_RATIO", "regulariser_active", "regulariser_diagnostics"]

DIAGNOSTIC_KEYS = ("regulariser_grad_ratio", "latent_scale", "posterior_std_median")

# below this ratio the regulariser's pull on q(z|x) is lost in the task's
INACTIVE_RATIO = 1e-3


def _encoder_and_decoder(model: Any) -> tuple[nn.Module, nn.Module]:
    if isinstance(model, (tuple, list)) and len(model) == 2:
        return model[0], model[1]
    if hasattr(model, "encoder") and hasattr(model, "decoder"):
        return model.encoder, model.decoder
    raise TypeError("regulariser_diagnostics needs a StochasticClassifier (with .encoder and .decoder) "
                    f"or an (encoder, decoder) pair, got {type(model).__name__}")


@contextlib.contextmanager
def _eval_mode(modules: Sequence[nn.Module]) -> Iterator[None]:
    """Every submodule in eval mode (no dropout, BatchNorm statistics untouched), then back as it was."""
    modes = [(m, m.training) for module in modules for m in module.modules()]
    for module in modules:
        module.eval()
    try:
        yield
    finally:
        for m, training in modes:
            m.training = training


@contextlib.contextmanager
def _seeded_forked_rng(devices: set[torch.device], seed: int) -> Iterator[None]:
    """The global generators of the CPU and of the CUDA ``devices`` seeded, and restored afterwards."""
    cuda = sorted({d.index if d.index is not None else torch.cuda.current_device()
                   for d in devices if d.type == "cuda"})
    with torch.random.fork_rng(devices=cuda, device_type="cuda"):
        torch.random.default_generator.manual_seed(seed)
        for index in cuda:
            with torch.cuda.device(index):
                torch.cuda.manual_seed(seed)
        yield


def _median(values: torch.Tensor) -> torch.Tensor:
    """The median of all entries (the mean of the two middle ones for an even count)."""
    ordered = values.detach().flatten().sort().values
    n = ordered.numel()
    return (ordered[(n - 1) // 2] + ordered[n // 2]) / 2


def _norm(grads: Sequence[torch.Tensor | None], like: Sequence[torch.Tensor]) -> torch.Tensor:
    """||(g_mean, g_std)||, the two gradients concatenated; a gradient autograd left out is 0."""
    squares = [(g if g is not None else torch.zeros_like(t)).pow(2).sum() for g, t in zip(grads, like)]
    return torch.stack(squares).sum().sqrt()


def regulariser_diagnostics(
    model: Any,
    objective: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    samples: int = 1,
    seed: int = 0,
    noise: torch.Tensor | None = None,
) -> dict[str, float | None]:
    """How strongly the objective's regulariser acts on q(z|x) for one batch (Eqs. (10) and (18)).

    The objective's loss is split as loss = CE + R, where CE is the task
    cross-entropy E_q(z|x)[-log p(y|z)] (recomputed from the same logits with
    :func:`~vimax.objectives.output.classification_loss`) and R = loss - CE is
    the rest: beta * KL for VIB (Eq. (10)), beta * MMD^2 for VIM (Eq. (18)),
    and whatever else an objective adds (label smoothing, a confidence penalty).

    ``regulariser_grad_ratio`` = ||grad R|| / ||grad CE||, with the gradients
    taken with respect to the posterior's parameters, the (B, K) mean and std
    concatenated. This is what "grad_z" means here, through the
    reparameterisation z = mean + std * eps: VIB's KL is analytic in (mean, std)
    and does not depend on the sampled z, so its gradient with respect to z is
    identically zero, while CE, the KL and the MMD all depend on (mean, std).
    A ratio well below :data:`INACTIVE_RATIO` means the regulariser barely moves
    the encoder: the run trains as the deterministic baseline would.

    ``latent_scale`` = E||z||^2 / (K sigma^2) over the sampled z, with sigma the
    objective's ``prior_std`` (1 when it has none): 1 when q(z) matches the
    prior's scale. ``posterior_std_median`` is the median posterior std over
    the batch and the K dimensions.

    Nothing outside the call changes: the encoder and decoder run in eval mode
    (no dropout, BatchNorm's running statistics kept) and are put back in their
    modes; gradients come from :func:`torch.autograd.grad` on the posterior's
    parameters, so no parameter's ``.grad`` is touched; the global random
    generators (CPU and the CUDA devices of the batch and the model) are forked
    and restored. Inside the fork they are seeded with ``seed``, so the
    objective's own draws (VIM's prior samples, taken first) repeat, and eps
    comes from a separate generator seeded with ``seed``: the same weights and
    batch give the same numbers.

    Args:
        model: a :class:`~vimax.models.StochasticClassifier`, or an (encoder, decoder)
            pair whose encoder maps x to an object with ``mean`` and ``std`` (B, K)
            (e.g. :class:`~vimax.models.GaussianEncoder`) and whose decoder maps z
            (B, K) or (L, B, K) to logits.
        objective: the training objective, called as ``objective(logits, y, posterior, z)``.
        x: (B, ...) inputs, on the model's device.
        y: (B,) int64 labels.
        samples: L, draws of z per example (as in training); ignored when ``noise`` is given.
        seed: seeds eps and the objective's draws.
        noise: eps of shape (B, K) or (L, B, K), to fix the draws by hand; None draws it.

    Returns:
        ``{"regulariser_grad_ratio", "latent_scale", "posterior_std_median"}`` as
        floats, all None for an objective without a posterior
        (``objective.requires_posterior`` False: the deterministic baselines).
        The ratio is inf when CE's gradient is exactly 0 and R's is not.

    Example::

        model = vimax.build_classifier(vimax.models.ModelConfig(latent_dim=256), (1, 28, 28), 10)
        objective = vimax.VariationalInfoMax(beta=1e-3)
        vimax.regulariser_diagnostics(model, objective, x[:100], y[:100])
        # {'regulariser_grad_ratio': 2.1e-05, 'latent_scale': 0.03, 'posterior_std_median': 0.0067}
    """
    if not getattr(objective, "requires_posterior", True):
        return dict.fromkeys(DIAGNOSTIC_KEYS)
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    encoder, decoder = _encoder_and_decoder(model)
    devices = {x.device} | {p.device for m in (encoder, decoder) for p in m.parameters()}
    with _seeded_forked_rng(devices, seed), _eval_mode([encoder, decoder]):
        with torch.no_grad():
            posterior = encoder(x)
        mean = posterior.mean.detach().requires_grad_(True)  # (B, K)
        std = posterior.std.detach().requires_grad_(True)  # (B, K)
        if noise is None:
            shape = mean.shape if samples == 1 else (samples, *mean.shape)
            generator = torch.Generator(device=mean.device).manual_seed(seed)
            noise = torch.randn(shape, generator=generator, dtype=mean.dtype, device=mean.device)
        with torch.enable_grad():
            z = mean + std * noise  # (B, K) or (L, B, K)
            logits = decoder(z)  # (B, C) or (L, B, C)
            out = objective(logits, y, GaussianPosterior(mean, std), z)
            task = classification_loss(logits, y)
            grad_task = torch.autograd.grad(task, (mean, std), retain_graph=True, allow_unused=True)
            rest = out.loss - task
            grad_rest = (torch.autograd.grad(rest, (mean, std), allow_unused=True)
                         if rest.requires_grad else (None, None))
        ratio = _norm(grad_rest, (mean, std)) / _norm(grad_task, (mean, std))
        prior_std = prior_std_of(objective)
        scale = z.detach().pow(2).mean() / prior_std**2  # E||z||^2 / (K sigma^2)
        values = torch.stack([ratio, scale, _median(std)]).tolist()  # one host sync
    return dict(zip(DIAGNOSTIC_KEYS, values))


def regulariser_active(ratios: Sequence[float | None], last: int = 3,
                       threshold: float = INACTIVE_RATIO) -> bool | None:
    """Whether the regulariser acted over the last ``last`` epochs' gradient ratios.

    False when each of the last ``last`` ratios (or all of them, when fewer) is
    below ``threshold``; True when one is not; None when there is none, or one
    of them is missing or not a finite number (no posterior, a std that underflowed).
    """
    window = list(ratios)[-last:]
    if not window or any(r is None or not math.isfinite(r) for r in window):
        return None
    return any(r >= threshold for r in window)
