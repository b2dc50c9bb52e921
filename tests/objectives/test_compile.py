"""Every registered objective trains under torch.compile: a compiled step gives the eager step's losses.

One training step is the whole of it: encoder, reparameterised sampling, decoder,
objective, backward and an Adam step. Dynamo breaks the graph at ``backward()``
and inside the optimizer as it does for any PyTorch training step; the forward
(and so the objective, VIM's hand-written MMD gradient included) is one graph.

Two backends: ``aot_eager`` runs Dynamo and AOTAutograd's functionalization,
where VIM's in-place backward used to fail, in a few seconds; ``inductor``, the
default, also generates and compiles C++ kernels (about a minute on a cold
cache, hence ``slow``). Inductor's random numbers equal eager's only with
``fallback_random``, which the fixture sets.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pytest
import torch
import torch._dynamo
import torch._inductor.config

from vimax.models import ModelConfig, build_classifier
from vimax.objectives import OBJECTIVES, build_objective, objective_config

STEPS, SAMPLES, CLASSES = 3, 2, 4

# torch's own notices while compiling (torch.jit deprecations, inductor's use of a deprecated helper)
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning:torch.*"),
              pytest.mark.filterwarnings("ignore::FutureWarning:torch.*")]


@pytest.fixture(scope="module")
def batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return torch.rand(6, 1, 4, 4, generator=g), torch.randint(0, CLASSES, (6,), generator=g)


@pytest.fixture
def fresh_dynamo() -> Iterator[None]:
    """Each objective compiles from scratch (the same ``step`` code object would otherwise
    pile up recompilations towards Dynamo's limit), with eager-equal random numbers."""
    torch._dynamo.reset()
    with torch._inductor.config.patch(fallback_random=True):
        yield
    torch._dynamo.reset()


def _objective(name: str, **settings: float):
    """Objective ``name`` built with those of ``settings`` it takes."""
    config = objective_config(name)
    takes = {f.name for f in dataclasses.fields(config)}
    return build_objective(config(**{k: v for k, v in settings.items() if k in takes}))


def _training_step(name: str) -> tuple[torch.nn.Module, Callable]:
    """A tiny classifier, its objective and an Adam step, all built from seed 0."""
    torch.manual_seed(0)
    objective = _objective(name, beta=0.1)
    config = ModelConfig(latent_dim=3, hidden=(8,), dropout=0.5 if name == "dropout" else 0.0)
    model = build_classifier(config, (1, 4, 4), CLASSES).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

    def step(x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        posterior = model.posterior(x)
        z = posterior.rsample(SAMPLES) if objective.requires_posterior else posterior.mean  # (L, B, K)
        out = objective(model.decoder(z), y, posterior, z)
        optimizer.zero_grad(set_to_none=True)
        out.loss.backward()
        optimizer.step()
        return out.parts

    return model, step


def _run(name: str, batch: tuple[torch.Tensor, torch.Tensor], backend: str | None):
    model, step = _training_step(name)
    initial = [p.detach().clone() for p in model.parameters()]
    if backend is not None:
        step = torch.compile(step, backend=backend)
    torch.manual_seed(5)  # the same noise, dropout masks and prior samples in both runs
    parts = [step(*batch) for _ in range(STEPS)]
    return parts, initial, [p.detach().clone() for p in model.parameters()]


def _check_compiled_equals_eager(name: str, batch, backend: str) -> None:
    eager_parts, initial, eager_params = _run(name, batch, None)
    compiled_parts, compiled_initial, compiled_params = _run(name, batch, backend)
    for step, (eager, compiled) in enumerate(zip(eager_parts, compiled_parts)):
        assert set(compiled) == set(eager)
        for key in eager:
            torch.testing.assert_close(compiled[key], eager[key], msg=f"{name}, step {step}, {key}")
    # both started from the same weights, and the Adam steps moved them, alike
    assert all(torch.equal(a, b) for a, b in zip(initial, compiled_initial))
    assert all(not torch.equal(a, b) for a, b in zip(initial, eager_params))
    for eager, compiled in zip(eager_params, compiled_params):
        torch.testing.assert_close(compiled, eager)


@pytest.mark.parametrize("name", OBJECTIVES.names())
def test_a_step_compiled_by_dynamo_and_aot_autograd_equals_the_eager_step(name, batch, fresh_dynamo):
    _check_compiled_equals_eager(name, batch, "aot_eager")


@pytest.mark.slow
@pytest.mark.parametrize("name", OBJECTIVES.names())
def test_a_step_compiled_by_inductor_equals_the_eager_step(name, batch, fresh_dynamo):
    _check_compiled_equals_eager(name, batch, "inductor")
