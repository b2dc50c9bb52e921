"""One door from a name to an object.

Whatever a config can name (objective, trunk, dataset, attack) is registered
once under a short key and built through :meth:`Registry.build`. Tests iterate
over :meth:`Registry.names` so nothing registered goes untested.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from vimax.errors import ConfigError

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """A named table of constructors.

    Args:
        kind: what is registered, used in error messages ("objective", "trunk").
        hint: added to the error for an unknown name (how to add one).

    Example::

        OBJECTIVES = Registry("objective")

        @OBJECTIVES.register("vim")
        class VariationalInfoMax(nn.Module): ...

        OBJECTIVES.build("vim", beta=1e-3)
    """

    def __init__(self, kind: str, hint: str = "") -> None:
        self.kind = kind
        self.hint = hint
        self._table: dict[str, Callable[..., T]] = {}

    def register(self, name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator that registers a class or factory under ``name``."""

        def decorate(factory: Callable[..., T]) -> Callable[..., T]:
            if name in self._table:
                raise KeyError(f"{self.kind} {name!r} is registered twice")
            self._table[name] = factory
            return factory

        return decorate

    def get(self, name: str) -> Callable[..., T]:
        """The constructor registered under ``name``; a clear error otherwise."""
        try:
            return self._table[name]
        except KeyError:
            known = ", ".join(self.names())
            hint = f" ({self.hint})" if self.hint else ""
            raise ConfigError(f"unknown {self.kind} {name!r}; choose one of: {known}{hint}") from None

    def build(self, name: str, **kwargs: Any) -> T:
        """Build the object registered under ``name`` with keyword arguments."""
        return self.get(name)(**kwargs)

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._table)

    def __contains__(self, name: object) -> bool:
        return name in self._table
