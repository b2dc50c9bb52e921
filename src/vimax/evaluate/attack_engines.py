"""Two implementations of the targeted Carlini-Wagner L2 attack behind one call.

Both minimise ||x' - x||² + c · max(max_{j≠t} f_j(x') - f_t(x') + κ, 0) with
Adam in tanh space and a binary search over c (Carlini and Wagner, 2017,
Eq. (6) with their f_6), and take the same settings (:class:`CarliniWagnerConfig`):

``foolbox``
    foolbox 3.3.4's ``L2CarliniWagnerAttack`` (last release March 2024; its
    eagerpy layer was last released in 2021). ``abort_early`` watches the loss
    summed over the batch, so images attacked together stop together; an image
    without an adversarial comes back as all zeros.
``adv_lib``
    ``adv_lib.attacks.carlini_wagner_l2`` of adv-lib 0.2.8 (June 2026, J. Rony;
    with a test suite of minimal-norm attacks against known answers). Its
    ``abort_early`` stops only when every image of the batch has stalled; an
    image without an adversarial comes back unchanged. Versions before 0.2.8
    optimised the wrong sign in the targeted case: 0.2.8 is required.

adv-lib's package metadata asks for torchvision (imported only by its LPIPS
distance) and visdom (imported by its optional live-plot callback); neither is
needed by the attacks used here, and torchvision from PyPI does not import beside
the pinned CPU torch, so adv-lib is installed with ``pip install --no-deps
adv-lib==0.2.8`` and :func:`import_adv_lib` loads the three attack files it needs
without running ``adv_lib/attacks/__init__.py`` (which imports every attack,
LPIPS included). visdom, when absent, is replaced by an empty stand-in only while
those files load; no callback is ever passed, so it is never touched.

The default is ``adv_lib`` (:data:`DEFAULT_ENGINE`), on this evidence (the
default settings, 6 x 500 steps, 10 zeros of MNIST towards one, 784-1024-1024-512
MLP with K = 256 trained 2 epochs, 2 CPU cores under a load of 6-10):

- distances: adv-lib's are smaller or equal on 27 of 30 image-attacks (VIB at
  z = mean and averaged, deterministic at z = mean), by 0.1-0.4 % in the mean
  and at most 2.4 % on one image; foolbox's were smaller on 3, by at most 0.1 %.
  foolbox stops a batch when the summed loss stalls, adv-lib only when every
  image has stalled, so adv-lib keeps improving the images still moving. (FMN-L2,
  adv-lib's minimal-norm attack, 1,000 steps: 0.7-1.2 % above both.)
- speed: the same order; 27-41 s per 10 images and mode for foolbox, 40-48 s
  for adv-lib on the loaded machine (the extra steps above); on the 8x8 digits
  with a 256-256 MLP, 4-8 s per mode for either engine.
- upkeep: adv-lib had releases in 2025-2026 and tests of its attacks against
  known answers, and fixed its targeted CW in 0.2.8; foolbox's last release
  is from 2024 and its eagerpy layer from 2021.

foolbox stays available (``engine: foolbox``), and a cross-check runs the other.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import types
import typing
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import torch
from torch import nn

from vimax.errors import ConfigError, VimaxError

if TYPE_CHECKING:
    from vimax.evaluate.carlini_wagner import CarliniWagnerConfig

__all__ = ["ENGINES", "Engine", "DEFAULT_ENGINE", "run_engine", "import_adv_lib", "other_engine",
           "check_available"]

Engine = Literal["foolbox", "adv_lib"]
ENGINES: tuple[str, ...] = typing.get_args(Engine)
DEFAULT_ENGINE = "adv_lib"
ADV_LIB_FILES = {"carlini_wagner_l2": "carlini_wagner/l2.py", "ddn": "decoupled_direction_norm.py",
                 "fmn": "fast_minimum_norm.py"}
_loaded: dict[str, Callable[..., torch.Tensor]] = {}


def other_engine(engine: str) -> str:
    """The engine that is not ``engine`` (the cross-check's)."""
    check_engine(engine)
    return next(name for name in ENGINES if name != engine)


def check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise ConfigError(f"attack engine must be one of {', '.join(ENGINES)}, got {engine!r}")


def check_available(engine: str) -> None:
    """Refuse an engine whose library is not installed (before a sweep trains for hours)."""
    check_engine(engine)
    if importlib.util.find_spec("foolbox" if engine == "foolbox" else "adv_lib") is None:
        install = "pip install foolbox" if engine == "foolbox" else "pip install --no-deps adv-lib==0.2.8"
        raise ConfigError(f"the {engine} attack engine is not installed: {install} "
                          f"(or choose the engine {other_engine(engine)})")


@contextlib.contextmanager
def _visdom_stand_in() -> Iterator[None]:
    """An empty ``visdom`` module while adv-lib's files import it, when the real one is absent."""
    if importlib.util.find_spec("visdom") is not None:
        yield
        return
    sys.modules["visdom"] = types.ModuleType("visdom")
    try:
        yield
    finally:
        sys.modules.pop("visdom", None)


def import_adv_lib(name: str = "carlini_wagner_l2") -> Callable[..., torch.Tensor]:
    """adv-lib's attack function ``name`` (carlini_wagner_l2, ddn or fmn), loaded from its own file.

    Raises VimaxError with the install line when adv-lib 0.2.8+ is not installed.
    """
    if name in _loaded:
        return _loaded[name]
    spec = importlib.util.find_spec("adv_lib")
    if spec is None or spec.origin is None:
        raise VimaxError("the adv_lib attack engine needs adv-lib: pip install --no-deps adv-lib==0.2.8")
    import adv_lib

    version = tuple(int(part) for part in adv_lib.__version__.split(".")[:3] if part.isdigit())
    if version < (0, 2, 8):
        raise VimaxError(f"adv-lib {adv_lib.__version__} attacks the wrong way in the targeted case; "
                         "pip install --no-deps adv-lib==0.2.8")
    path = Path(spec.origin).parent / "attacks" / ADV_LIB_FILES[name]
    module_spec = importlib.util.spec_from_file_location(f"vimax._adv_lib_{name}", path)
    module = importlib.util.module_from_spec(module_spec)
    with _visdom_stand_in():
        module_spec.loader.exec_module(module)
    _loaded[name] = getattr(module, name)
    return _loaded[name]


def _foolbox(model: nn.Module, images: torch.Tensor, targets: torch.Tensor,
             config: CarliniWagnerConfig) -> tuple[torch.Tensor, torch.Tensor]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import foolbox as fb

    attack = fb.attacks.L2CarliniWagnerAttack(
        binary_search_steps=config.binary_search_steps, steps=config.steps,
        stepsize=config.stepsize, confidence=config.confidence,
        initial_const=config.initial_const, abort_early=config.abort_early)
    criterion = fb.criteria.TargetedMisclassification(targets)
    fmodel = fb.PyTorchModel(model, bounds=(0, 1), device=images.device)
    adversarials = attack.run(fmodel, images, criterion).detach()  # (B, ...)
    found = adversarials.flatten(1).abs().amax(1) > 0  # foolbox returns zeros when it fails
    return adversarials, found


def _adv_lib(model: nn.Module, images: torch.Tensor, targets: torch.Tensor,
             config: CarliniWagnerConfig) -> tuple[torch.Tensor, torch.Tensor]:
    attack = import_adv_lib("carlini_wagner_l2")
    # adv-lib 0.2.8 checks for a stall every steps // 10 steps, a division by zero below 10 steps
    abort_early = config.abort_early and config.steps >= 10
    adversarials = attack(model, images, targets, targeted=True, confidence=config.confidence,
                          learning_rate=config.stepsize, initial_const=config.initial_const,
                          binary_search_steps=config.binary_search_steps, max_iterations=config.steps,
                          abort_early=abort_early).detach()  # (B, ...)
    found = (adversarials != images).flatten(1).any(1)  # adv-lib returns the input when it fails
    return adversarials, found


RUNNERS: dict[str, Callable[..., tuple[torch.Tensor, torch.Tensor]]] = {
    "foolbox": _foolbox, "adv_lib": _adv_lib}


def run_engine(engine: str, model: nn.Module, images: torch.Tensor, targets: torch.Tensor,
               config: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Adversarials (B, ...) of ``images`` in [0, 1] towards ``targets`` (B,), and found (B,) bool.

    ``found`` says the engine returned something other than its failure value;
    whether the model really predicts the target is for the caller to check.
    The model must be in eval mode with parameter gradients off.
    """
    check_engine(engine)
    return RUNNERS[engine](model, images, targets, config)
