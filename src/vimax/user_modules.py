"""Your own modules, imported before a command runs (``vimax --import MODULE``).

A module registers what files cannot express: a dataset loader
(:func:`vimax.register_dataset`), a trunk (``vimax.models.trunks.TRUNKS``) or an
objective (``vimax.objectives.OBJECTIVES``, its config read from the constructor's typed
signature). ``--import`` takes a module name
(importable from the current folder or the environment) or the path of a
``.py`` file, and may be given more than once.

Every module imported here is remembered in a form another process can import
again (:func:`imported`): a sweep passes the list with each run
(``RunSpec.imports``) and its workers import the same modules before the run,
on the local process pool and on Ray alike.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from vimax.errors import ConfigError

__all__ = ["import_modules", "imported"]

logger = logging.getLogger(__name__)

_IMPORTED: list[str] = []


def imported() -> list[str]:
    """The modules imported so far, as names or absolute ``.py`` paths another process can import."""
    return list(_IMPORTED)


def _is_path(spec: str) -> bool:
    return spec.endswith(".py") or os.sep in spec or "/" in spec


def _from_file(path: Path) -> str:
    """Import a ``.py`` file as the module named after it; the file's path is what a worker needs."""
    path = path.expanduser().absolute()
    if not path.is_file():
        raise ConfigError(f"--import {path}: no such file")
    name = path.stem
    loaded = sys.modules.get(name)
    if loaded is not None and Path(getattr(loaded, "__file__", "") or "").absolute() == path:
        return str(path)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"--import {path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return str(path)


def _by_name(name: str) -> str:
    """Import a module by name, looking in the current folder first (as ``python -m`` does)."""
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name is not None and name.startswith(error.name):
            raise ConfigError(f"--import {name}: no module named {error.name!r} in the current folder "
                              f"or the environment (give a .py file's path instead?)") from None
        raise
    file = getattr(module, "__file__", None)
    # a module found in the current folder is passed on by path: a worker may start elsewhere (Ray)
    if file and "." not in name and Path(file).parent.resolve() == Path.cwd().resolve():
        return str(Path(file).absolute())
    return name


def import_modules(specs: Iterable[str]) -> None:
    """Import each module (a name or a ``.py`` path) once; remember it for sweep workers.

    Raises:
        ConfigError: one line, for a module that is not found or that fails while importing.
    """
    for spec in specs:
        try:
            portable = _from_file(Path(spec)) if _is_path(spec) else _by_name(spec)
        except ConfigError:
            raise
        except Exception as error:  # noqa: BLE001 - the user's module may raise anything
            first = str(error).splitlines()[0] if str(error) else ""
            raise ConfigError(f"--import {spec}: importing it raised {type(error).__name__}"
                              f"{': ' + first if first else ''}") from error
        if portable not in _IMPORTED:
            _IMPORTED.append(portable)
            logger.debug("imported %s", portable)
