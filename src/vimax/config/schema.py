"""Reading a config dict with pydantic: strict types, unknown keys refused, declared ranges checked.

The config classes are plain dataclasses beside their components, so that
``import vimax`` needs no validation library; their fields declare ranges in
``metadata`` (``{"ge": 1}``), which pydantic reads as ``Field`` arguments. This
module, imported only when a config is read, validates a dict against them as
JSON: no string becomes a number, an int may become a float, a list becomes a
tuple, NaN and infinities are refused. The first error is one line::

    config: objective.beta: Input should be greater than or equal to 0, got -1.0
"""

from __future__ import annotations

import dataclasses
import functools
import json
import typing
from typing import Any

import pydantic

from vimax.errors import ConfigError

__all__ = ["parse"]

STRICT = pydantic.ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


def parse(cls: type, data: Any, where: str = "config", **types: type) -> Any:
    """The dataclass ``cls`` from a JSON-like mapping, checked; ``types`` replace fields' types
    (a run config's ``objective``: the config class of the objective it names)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {data!r:.80}")
    try:
        text = json.dumps(data, default=str)  # YAML's dates are strings here
    except (TypeError, ValueError) as error:  # a key that is no string or number
        raise ConfigError(f"{where}: {error}") from None
    model = _model(cls, tuple(sorted(types.items())))
    try:
        parsed = model.model_validate_json(text)
    except pydantic.ValidationError as error:
        raise ConfigError(f"{where}: {_describe(error.errors()[0], cls, types)}") from None
    try:
        return cls(**{name: getattr(parsed, name) for name in model.model_fields})
    except ConfigError as error:  # a check across sections (the class's __post_init__)
        raise ConfigError(f"{where}: {error}") from None


@functools.cache
def _model(cls: type, types: tuple[tuple[str, type], ...]) -> type[pydantic.BaseModel]:
    """A pydantic model with the fields of dataclass ``cls``; nested dataclasses share its strictness."""
    hints = {**typing.get_type_hints(cls), **dict(types)}
    fields = {f.name: (hints[f.name], _default(f)) for f in dataclasses.fields(cls) if f.init}
    return pydantic.create_model(cls.__name__, __config__=STRICT, **fields)


def _default(f: dataclasses.Field) -> Any:
    """The field's default and the ranges its metadata declares, as pydantic's ``Field``."""
    if f.default_factory is not dataclasses.MISSING:
        return pydantic.Field(default_factory=f.default_factory, **f.metadata)
    return pydantic.Field(... if f.default is dataclasses.MISSING else f.default, **f.metadata)


def _describe(error: dict[str, Any], cls: type, types: dict[str, type]) -> str:
    """One line for pydantic's error: where it is, what is wrong, the value given."""
    loc, kind = error["loc"], error["type"]
    if kind not in ("extra_forbidden", "unexpected_keyword_argument"):
        # a union's member tags (e.g. "literal['off','on','auto']") are not keys
        loc = tuple(part for part in loc if isinstance(part, int) or part.isidentifier())
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" if part.isidentifier()
                   else f".{part!r}" for part in loc).lstrip(".")
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        return f"{path}: {_unknown_key(cls, types, loc)}"
    if kind == "value_error" and isinstance(error.get("ctx", {}).get("error"), ConfigError):
        return f"{path or 'config'}: {error['ctx']['error']}"  # a check of the class itself
    if kind == "missing":
        return (f"{path.rpartition('[')[0]}: too few values" if isinstance(loc[-1], int)
                else f"{path}: missing")
    if kind in ("dataclass_type", "model_type"):
        return f"{path}: expected a mapping, got {error['input']!r:.80}"
    return f"{path}: {error['msg']}, got {error['input']!r:.80}"


def _unknown_key(cls: type, types: dict[str, type], loc: tuple) -> str:
    """"unknown key" and the keys of the dataclass reached from ``cls`` by ``loc[:-1]``."""
    node: Any = cls
    for part in loc[:-1]:
        hints = {**typing.get_type_hints(node), **types} if node is cls else typing.get_type_hints(node)
        node = next((a for a in (hints.get(part), *typing.get_args(hints.get(part)))
                     if dataclasses.is_dataclass(a)), None)
        if node is None:
            return "unknown key"
    keys = [f.name for f in dataclasses.fields(node)]
    name = typing.get_type_hints(node).get("name")
    if typing.get_origin(name) is typing.Literal:  # an objective's config
        takes = ", ".join(key for key in keys if key != "name") or "no settings"
        return f"the {typing.get_args(name)[0]!r} objective does not take it (it takes: {takes})"
    return f"unknown key; known keys: {', '.join(keys)}"
