"""Validate a raw config mapping into a `RunConfig`; read, override and validate in one call."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping

from pydantic import BaseModel, ValidationError

from featlearn.config.digest import config_to_dict
from featlearn.config.errors import ConfigError, format_validation_error
from featlearn.config.overrides import apply_overrides
from featlearn.config.schema import INITS, RunConfig
from featlearn.config.stages import STAGES
from featlearn.config.yaml_io import dump_yaml, read_yaml


def model_at(loc: tuple, data: Mapping) -> Any:
    """The config model that owns the keys at an error location of the raw mapping `data`
    (`("teacher",)` → TeacherConfig; `("stages", 2)` → the model of that stage's kind)."""
    model: Any = RunConfig
    node: Any = data
    for part in loc:
        node = node[part] if isinstance(node, (dict, list)) and _has(node, part) else None
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return None
        if part in ("stages", "init"):  # kind tables: the model follows from the entry's kind
            table = STAGES if part == "stages" else INITS
            entry = node[loc[loc.index(part) + 1]] if part == "stages" and isinstance(node, list) and len(loc) > loc.index(part) + 1 else node
            kind = entry.get("kind") if isinstance(entry, dict) else None
            model = table.model(kind) if kind in table else None
            continue
        ann = field.annotation
        model = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
    return model


def _has(node, part) -> bool:
    return (isinstance(node, dict) and part in node) or (isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node))


def validate(data: Mapping) -> RunConfig:
    """Validate a raw mapping into a `RunConfig`; every problem becomes one line of a `ConfigError`."""
    if isinstance(data, RunConfig):
        return data
    if not isinstance(data, Mapping):
        raise ConfigError(f"config: expected a mapping of config keys (name, seed, teacher, ...), got {type(data).__name__}")
    try:
        return RunConfig.model_validate(dict(data))
    except ValidationError as err:
        raise format_validation_error(err, lambda loc: model_at(loc, data)) from None
    except RecursionError:
        raise ConfigError("config: nested too deeply to be a config") from None


def load_config(path: str | Path | None = None, overrides: Iterable[str] = ()) -> RunConfig:
    """Read a YAML config (or the built-in default when `path` is None), apply overrides, validate."""
    data = read_yaml(path) if path is not None else {}
    return validate(apply_overrides(data, overrides))


def config_yaml(cfg: RunConfig) -> str:
    """config.yaml text of a resolved config (all defaults filled in)."""
    return dump_yaml(config_to_dict(cfg))


__all__ = ["config_yaml", "load_config", "model_at", "validate"]
