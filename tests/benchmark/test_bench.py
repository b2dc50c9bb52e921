"""``vimax bench``: FLOP counts, the plain loop's math, and the command's output.

Correctness only, at tiny sizes; no timing is asserted.
"""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from vimax.benchmark.config import OBJECTIVES, BenchConfig
from vimax.benchmark.flops import forward_flops, layer_flops, mmd_flops, training_step_flops
from vimax.benchmark.measure import build_run, paired_overhead
from vimax.benchmark.memory import measure_memory, training_command
from vimax.benchmark.plain_loop import PlainModel, plain_loss, train_plain
from vimax.cli import main
from vimax.models.classifier import ModelConfig, build_classifier
from vimax.objectives.config import ObjectiveConfig, build_objective


def test_linear_flops_are_two_per_multiply_add():
    layer = nn.Linear(784, 1024)
    assert layer_flops(layer, layer(torch.zeros(100, 784))) == 2 * 100 * 784 * 1024


def test_conv_flops_count_every_output_position():
    conv = nn.Conv2d(3, 8, kernel_size=4, stride=2, padding=1)
    out = conv(torch.zeros(2, 3, 32, 32))  # (2, 8, 16, 16)
    assert layer_flops(conv, out) == 2 * (2 * 8 * 16 * 16) * (3 * 4 * 4)
    assert layer_flops(nn.ReLU(), out) == 0


def test_mnist_mlp_step_flops():
    model = build_classifier(ModelConfig(latent_dim=256), (1, 28, 28), 10)
    x = torch.zeros(100, 1, 28, 28)
    forward = 2 * 100 * (784 * 1024 + 1024 * 1024 + 1024 * 512 + 256 * 10)
    assert forward_flops(model, lambda: model.decoder(model.posterior(x).mean)) == forward
    step = training_step_flops(model, lambda: model(x), mmd_samples=100, latent_dim=256)
    first_input_gradient = 2 * 100 * 784 * 1024  # not computed: the images need no gradient
    assert step == 3 * forward - first_input_gradient + 5 * (2 * 100 * 100 * 256)
    assert mmd_flops(100, 256) == 5 * (2 * 100 * 100 * 256)


@pytest.mark.parametrize("trunk, shape", [("mlp", (1, 28, 28)), ("cnn", (3, 32, 32))])
def test_step_flops_match_torchs_flop_counter(trunk, shape):
    """Cross-check against torch.utils.flop_counter over a real forward + backward."""
    from torch.utils.flop_counter import FlopCounterMode

    model = build_classifier(ModelConfig(trunk=trunk, latent_dim=16, width=0.25), shape, 10)
    x = torch.zeros(4, *shape)
    with FlopCounterMode(display=False) as counter:
        model.decoder(model.posterior(x).mean).sum().backward()
    assert training_step_flops(model, lambda: model.decoder(model.posterior(x).mean)) == (
        counter.get_total_flops())


def _twins(objective: str, latent_dim: int = 8):
    """A vimax classifier and objective, and a PlainModel with the same weights, in float64."""
    torch.manual_seed(0)
    model = build_classifier(ModelConfig(hidden=(32, 32), latent_dim=latent_dim), (1, 6, 6), 10)
    stochastic = objective != "deterministic"
    built = build_objective(ObjectiveConfig(name=objective, beta=0.5 if stochastic else None,
                                            prior_std=1.0 if stochastic else None))
    plain = PlainModel.mlp(in_features=36, hidden=(32, 32), latent_dim=latent_dim)
    plain.load_state_dict({k.removeprefix("encoder."): v for k, v in model.state_dict().items()})
    return model.double(), built, plain.double()


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_plain_loop_computes_the_vimax_loss(objective):
    model, built, plain = _twins(objective)
    x = torch.rand(20, 1, 6, 6, dtype=torch.float64)
    y = torch.randint(0, 10, (20,))
    torch.manual_seed(1)
    posterior = model.posterior(x)
    z = posterior.rsample() if built.requires_posterior else posterior.mean
    expected = built(model.decoder(z), y, posterior, z).loss
    torch.manual_seed(1)
    got = plain_loss(plain, x, y, objective, beta=0.5)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    grads = torch.autograd.grad(expected, list(model.parameters()))
    plain_grads = torch.autograd.grad(got, list(plain.parameters()))
    for a, b in zip(plain_grads, grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_plain_loop_trains_one_epoch():
    _, _, plain = _twins("vim")
    x = torch.rand(50, 1, 6, 6, dtype=torch.float64)
    losses = train_plain(plain, x, torch.randint(0, 10, (50,)), "vim", batch_size=10)
    assert len(losses) == 5 and all(isinstance(v, float) for v in losses)


def test_plain_loss_refuses_unknown_objectives():
    _, _, plain = _twins("vim")
    with pytest.raises(ValueError, match="unknown objective"):
        plain_loss(plain, torch.rand(4, 1, 6, 6, dtype=torch.float64), torch.zeros(4).long(), "xyz")


def test_memory_run_command_uses_the_configured_settings(tmp_path):
    config = BenchConfig(threads=1, data_dir="/data")
    command = training_command(config, tmp_path)
    assert command[1:4] == ["-m", "vimax", "-q"]
    assert "--data-dir" in command and "train.threads=1" in command
    assert "data.download=false" in command
    assert command[command.index("--epochs") + 1] == "1"


@pytest.mark.slow
def test_memory_is_the_child_runs_own_peak():
    ballast = torch.ones(2**28)  # 1 GiB in this process, which the child must not inherit
    memory = measure_memory(BenchConfig(memory_dataset="digits", threads=1))
    assert memory["dataset"] == "digits"
    assert 50 < memory["peak_rss_mib"] < ballast.numel() * 4 / 2**20


def test_memory_run_failure_is_reported(tmp_path):
    memory = measure_memory(BenchConfig(memory_dataset="mnist", data_dir=str(tmp_path)))
    assert "peak_rss_mib" not in memory and "MNIST" in memory["error"]


@pytest.mark.slow
def test_quick_bench_prints_json_with_every_figure(capsys):
    code = main(["-q", "bench", "--quick", "--json", "--skip-memory", "--threads", "1"])
    assert code == 0
    results = json.loads(capsys.readouterr().out)
    assert {"machine", "config", "matmul_peak_gflops", "data", "training", "ceiling", "evaluation",
            "cnn", "memory"} <= set(results)
    assert results["memory"] is None and results["matmul_peak_gflops"] > 0
    training = results["training"]
    for name in OBJECTIVES:
        row = training["objectives"][name]
        assert row["plain_samples_per_s"] > 0 and row["vimax_samples_per_s"] > 0
        assert row["ratio"] == pytest.approx(row["vimax_samples_per_s"] / row["plain_samples_per_s"])
        assert 0 < row["vimax_flop_fraction"]
    assert set(training["overhead_over_deterministic_pct"]) == {"vib", "vim"}
    plain = training["objectives"]["deterministic"]["plain_samples_per_s"]
    for name, models in (("single", 1), ("stacked", 4), ("single_with_adam", 1)):
        ceiling = results["ceiling"][name]
        assert ceiling["models"] == models
        assert ceiling["ratio_to_plain"] == pytest.approx(ceiling["samples_per_s"] / plain)
    assert results["evaluation"]["images_per_s"] > 0
    for name in ("contiguous", "channels_last"):
        assert results["cnn"][name]["samples_per_s"] > 0


def test_bench_table_is_printed(capsys):
    code = main(["-q", "bench", "--quick", "--steps", "2", "--skip-cnn", "--skip-memory"])
    assert code == 0
    table = capsys.readouterr().out
    assert "vimax/plain" in table and "overhead over deterministic" in table
    assert "matmuls alone" in table and "4 models stacked" in table and "fused Adam" in table
    assert "CIFAR-10" not in table and "peak RSS" not in table


@pytest.mark.parametrize("models", [1, 3])
def test_ceiling_products_are_the_layers_forward_and_backward(models):
    """The timed products compute what autograd computes for nn.functional.linear."""
    from vimax.benchmark.ceiling import layer_products

    torch.manual_seed(0)
    lead = (models,) if models > 1 else ()
    x, w, g = torch.randn(*lead, 3, 6), torch.randn(*lead, 5, 6), torch.randn(*lead, 3, 5)
    b = torch.randn(*lead, 1, 5) if models > 1 else torch.randn(5)
    forward, weight_grad, input_grad = (call() for call in layer_products(x, w, b, g))
    assert len(layer_products(x, w, b, g, input_gradient=False)) == 2
    for m in range(models):
        pick = (lambda t, m=m: t[m]) if models > 1 else (lambda t: t)
        xm, wm = pick(x).clone().requires_grad_(), pick(w).clone().requires_grad_()
        out = torch.nn.functional.linear(xm, wm, pick(b).reshape(-1))
        out.backward(pick(g))
        torch.testing.assert_close(pick(forward), out.detach())
        torch.testing.assert_close(pick(weight_grad), wm.grad)
        torch.testing.assert_close(pick(input_grad), xm.grad)


def test_ceiling_shapes_are_the_mlps_layers():
    from vimax.benchmark.ceiling import linear_shapes, matmul_ceiling

    model, _ = build_run("deterministic", BenchConfig(), 0)
    shapes = linear_shapes(model)
    assert shapes == [(784, 1024), (1024, 1024), (1024, 512), (256, 10)]
    figure = matmul_ceiling([(8, 4)], batch_size=2, steps=2, models=2, repeats=2)
    assert figure["models"] == 2 and len(figure["runs"]) == 2 and figure["samples_per_s"] > 0
    with pytest.raises(ValueError, match=">= 1"):
        matmul_ceiling([(8, 4)], batch_size=2, steps=0)


def test_overhead_is_paired_within_repeats():
    """Load that slows a whole repeat cancels; the medians' ratio would report ~0 here."""
    runs = {("deterministic", "vimax"): [4000.0, 3000.0, 4000.0, 3000.0, 3500.0],
            ("vib", "vimax"): [3900.0, 2925.0, 3900.0, 2925.0, 3412.5],  # 1/0.975 - 1 each repeat
            ("vim", "vimax"): [3000.0, 4000.0 / 1.1, 4000.0 / 1.1, 3000.0 / 1.1, 3500.0 / 1.1]}
    overhead = paired_overhead(runs)
    assert overhead["vib"] == pytest.approx(100 * (1 / 0.975 - 1))
    assert overhead["vim"] == pytest.approx(10.0)
