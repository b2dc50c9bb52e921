"""The experiment tool's optional dependencies, and one clear line when they are missing.

``pip install vimax`` installs the library (torch and numpy); the command line,
evaluation, reports and data downloads need ``pip install 'vimax[tool]'``.
"""

from __future__ import annotations

import importlib.util

from vimax.errors import VimaxError

__all__ = ["TOOL_MODULES", "require_tool"]

# import name -> distribution name, as pyproject's "tool" extra lists them
TOOL_MODULES = {"sklearn": "scikit-learn", "scipy": "scipy", "tqdm": "tqdm", "yaml": "pyyaml",
                "matplotlib": "matplotlib", "PIL": "pillow", "pooch": "pooch", "foolbox": "foolbox",
                "pydantic": "pydantic"}


def require_tool(what: str = "the vimax command") -> None:
    """Raise a one-line :class:`VimaxError` naming the missing packages of the ``tool`` extra."""
    missing = [dist for module, dist in TOOL_MODULES.items() if importlib.util.find_spec(module) is None]
    if missing:
        raise VimaxError(f"{what} needs the experiment tool's extras, missing here: {', '.join(missing)}; "
                         "install them with: pip install 'vimax[tool]'")
