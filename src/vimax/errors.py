"""User-facing errors.

Every error a user can cause (bad config, missing data, corrupt file) is a
:class:`VimaxError`. The command line turns it into one line on stderr and exit
code 2; library callers can catch it.
"""

from __future__ import annotations

__all__ = ["VimaxError", "ConfigError", "DataError", "CheckpointError"]


class VimaxError(Exception):
    """Base class of errors caused by the user's input, not by a bug."""


class ConfigError(VimaxError, ValueError):
    """An invalid hyper-parameter, config key or command-line value."""


class DataError(VimaxError):
    """Missing, corrupt or malformed data files."""


class CheckpointError(VimaxError):
    """A checkpoint or run folder that cannot be loaded safely."""
