"""Failpoints: named places where a test can make this process die or pause, at an exact moment.

Tests of crash safety must not guess when a process is "in the middle" of
something: on a fast machine an 8-epoch run is over in 0.1 s, on a slow one it
takes seconds. Instead the code under test calls :func:`failpoint` at the
places that matter, and a test arms one of them through the environment
(inherited by subprocesses and sweep workers) or :func:`arm`::

    VIMAX_FAILPOINT="kill@train_step:epoch=3,step=5"       # SIGKILL before that step
    VIMAX_FAILPOINT="kill@atomic_write:name=checkpoint.pt,stage=written,hit=2"
    VIMAX_FAILPOINT="hold@epoch_end:run=vib_*"             # pause (see below) and wait

``<action>@<point>[:<key>=<pattern>,...]``. The filters are ``fnmatch``
patterns compared with the attributes the call passes (as strings), ``a|b``
matching either; ``hit=N``
fires on the N-th matching call of this process only. Actions:

- ``kill``: SIGKILL this process, as a power cut or the OOM killer would.
- ``hold``: write ``held-<pid>`` into ``$VIMAX_FAILPOINT_DIR`` (default: the
  current folder), then wait until a file ``release`` appears there or an hour
  passes, then go on. A test waits for the marker (an event), then acts.

Unarmed (the normal case) a call costs one global lookup: the hot training loop
guards it with ``if failpoints.ARMED``. The pattern is the fail points of
FreeBSD's ``fail(9)`` and etcd's ``gofail``; no maintained Python library
offers it for plain processes, so it is these few lines.
"""

from __future__ import annotations

import fnmatch
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ARMED", "arm", "disarm", "failpoint"]

ENV = "VIMAX_FAILPOINT"
DIR_ENV = "VIMAX_FAILPOINT_DIR"
HOLD_LIMIT_S = 3600.0


@dataclass
class _Spec:
    action: str
    point: str
    filters: dict[str, str] = field(default_factory=dict)
    hit: int | None = None
    seen: int = 0


def _parse(text: str) -> _Spec:
    """``kill@train_step:epoch=3,step=5`` -> a spec; a malformed text raises ValueError."""
    action, at, rest = text.strip().partition("@")
    point, _, filters_text = rest.partition(":")
    if not at or action not in ("kill", "hold") or not point:
        raise ValueError(f"{ENV}={text!r}: expected '<kill|hold>@<point>[:key=value,...]'")
    filters = {}
    for item in filter(None, filters_text.split(",")):
        key, eq, value = item.partition("=")
        if not eq:
            raise ValueError(f"{ENV}={text!r}: filter {item!r} is not key=value")
        filters[key.strip()] = value.strip()
    hit = filters.pop("hit", None)
    return _Spec(action, point, filters, int(hit) if hit is not None else None)


_SPEC: _Spec | None = _parse(os.environ[ENV]) if os.environ.get(ENV) else None
ARMED: bool = _SPEC is not None


def arm(text: str) -> None:
    """Arm one failpoint in this process (as ``$VIMAX_FAILPOINT`` would)."""
    global _SPEC, ARMED
    _SPEC, ARMED = _parse(text), True


def disarm() -> None:
    """Disarm the failpoint of this process."""
    global _SPEC, ARMED
    _SPEC, ARMED = None, False


def failpoint(point: str, **attributes: object) -> None:
    """Fire the armed failpoint if it names ``point`` and its filters match ``attributes``."""
    spec = _SPEC
    if spec is None or spec.point != point:
        return
    for key, pattern in spec.filters.items():
        value = str(attributes.get(key, ""))
        if key not in attributes or not any(fnmatch.fnmatchcase(value, p) for p in pattern.split("|")):
            return
    spec.seen += 1
    if spec.hit is not None and spec.seen != spec.hit:
        return
    if spec.action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    _hold()


def _hold() -> None:
    folder = Path(os.environ.get(DIR_ENV, "."))
    marker = folder / f"held-{os.getpid()}"
    marker.write_text(f"{os.getpid()}\n")
    end = time.monotonic() + HOLD_LIMIT_S
    while time.monotonic() < end and not (folder / "release").exists():
        time.sleep(0.05)
