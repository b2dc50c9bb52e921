"""Run configs: typed dataclasses beside their components, read from dicts and files by one path.

A :class:`RunConfig` gathers the sections that live beside their components
(data, model, objective, train). :meth:`RunConfig.from_dict` reads a dict (a
config file, ``--set`` overrides, a sweep's run, a saved config.json) with
pydantic (:mod:`vimax.config.schema`): strict types, unknown keys refused, the
ranges the fields declare, one line per error. :meth:`RunConfig.to_dict` is
the resolved config a run saves: every default filled in, and only the
settings its objective takes. :func:`migrate` reads the config.json of older
versions.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from vimax.config.files import load_config_file
from vimax.config.overrides import apply_overrides, assign, merge, nest
from vimax.config.train import TrainConfig
from vimax.data.config import DataConfig
from vimax.errors import ConfigError
from vimax.models.classifier import ModelConfig
from vimax.objectives.config import ObjectiveConfig, VIMConfig, objective_config

__all__ = ["RunConfig", "parse", "migrate", "resolved", "load_config_file", "apply_overrides", "assign",
           "merge", "nest"]


@dataclass
class RunConfig:
    """Everything one training run needs; saved as ``config.json`` in its run folder."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    objective: ObjectiveConfig = field(default_factory=VIMConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self) -> None:
        if self.objective.name == "dropout" and self.model.dropout == 0:
            raise ConfigError("the 'dropout' objective is cross-entropy on a model with dropout: set "
                              "model.dropout (0.5 in Table 1), e.g. --set model.dropout=0.5")

    @classmethod
    def from_dict(cls, data: Any, where: str = "config") -> RunConfig:
        """The run config of a dict, checked; its objective section is the config of the
        objective it names (the default: "vim")."""
        objective = data.get("objective") if isinstance(data, dict) else None
        name = objective.get("name", VIMConfig.name) if isinstance(objective, dict) else VIMConfig.name
        try:
            kind = objective_config(str(name))
        except ConfigError as error:
            raise ConfigError(f"{where}: objective.name: {error}") from None
        return parse(cls, data, where, objective=kind)

    def to_dict(self) -> dict[str, Any]:
        """The resolved config, as JSON holds it (tuples as lists)."""
        return json.loads(json.dumps(dataclasses.asdict(self)))


def parse(cls: type, data: Any, where: str = "config", **types: type) -> Any:
    """The config dataclass ``cls`` of a dict, checked (see :mod:`vimax.config.schema`)."""
    from vimax.config import schema  # pydantic comes with the experiment tool, not with `import vimax`

    return schema.parse(cls, data, where, **types)


# every objective section saved before each objective had its own config holds this key
LEGACY_KEY = "dropout_rate"


def migrate(config: dict[str, Any]) -> dict[str, Any]:
    """A saved config (config.json's ``config``) as this version reads it.

    Before each objective had its own config, a run saved the settings of every
    objective, None where unset (``{name: deterministic, beta: null, prior_std:
    1.0, kernel: null, ..., dropout_rate: null}``), and the dropout baseline's
    rate was the objective's. Such a section keeps the settings its objective
    takes that were set; the dropout rate (0.5 when unset) moves to
    ``model.dropout``. A current config comes back as it is.
    """
    objective = config.get("objective")
    if not isinstance(objective, dict) or LEGACY_KEY not in objective:
        return config
    config = copy.deepcopy(config)
    rate = config["objective"].pop(LEGACY_KEY)
    name = config["objective"].get("name", VIMConfig.name)
    try:
        takes = {f.name for f in dataclasses.fields(objective_config(str(name)))}
    except ConfigError:  # an objective no module registered here: RunConfig.from_dict will say so
        takes = set(config["objective"])
    config["objective"] = {k: v for k, v in config["objective"].items() if k in takes and v is not None}
    if name == "dropout" and isinstance(config.get("model", {}), dict):
        config.setdefault("model", {})["dropout"] = 0.5 if rate is None else rate
    return config


def resolved(config: dict[str, Any], where: str = "config") -> dict[str, Any]:
    """A config dict (of any version) as a run's config.json holds it: two runs of the same
    settings have equal resolved configs, whichever version saved them."""
    return RunConfig.from_dict(migrate(config), where).to_dict()
