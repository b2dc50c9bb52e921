"""Progress bars: tqdm's when the experiment tool's extras are installed, none otherwise.

The library installs with torch and numpy alone (``pip install vimax``); tqdm comes
with ``vimax[tool]``. Without it a training loop still runs, silently.
"""

from __future__ import annotations

from typing import Any

__all__ = ["progress_bar"]


class _NoBar:
    """Stands in for a tqdm bar: every call does nothing."""

    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def set_postfix_str(self, text: str, refresh: bool = True) -> None:
        pass


def progress_bar(**kwargs: Any) -> Any:
    """``tqdm.auto.tqdm(**kwargs)``, or a bar that does nothing when tqdm is not installed."""
    try:
        from tqdm.auto import tqdm
    except ModuleNotFoundError:
        return _NoBar()
    return tqdm(**kwargs)
