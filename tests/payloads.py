"""Malicious pickle payloads for the safe-loading tests: each would create ``marker`` if run."""

from __future__ import annotations

import builtins
import marshal
import os
from pathlib import Path

__all__ = ["SystemPayload", "EvalPayload", "CodePayload", "Plain"]


class SystemPayload:
    """Unpickling this would run a shell command that creates ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch '{self.marker}'",)


class EvalPayload:
    """Unpickling this would eval code that creates ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return builtins.eval, (f"open({str(self.marker)!r}, 'w').close()",)


class CodePayload:
    """Unpickles to a code object (via marshal.loads) that would create ``marker`` if run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        code = compile(f"open({str(self.marker)!r}, 'w').close()", "<payload>", "exec")
        return marshal.loads, (marshal.dumps(code),)


class Plain:
    """An innocent custom class: still not a tensor or a container."""

    def __init__(self) -> None:
        self.value = 3
