"""Reading, overriding, validating and hashing run configs (DESIGN §4.4).

Every failure raises `ConfigError` with one line that names the key path (or the file / argument) and
what would be valid; the CLI prints it and exits with code 2.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml
from pydantic import ValidationError

from featlearn.config.schema import RunConfig


class ConfigError(ValueError):
    """A config or command-line problem, with a one-line message for the user."""


def _loc(loc) -> str:
    return ".".join(str(x) for x in loc if not (isinstance(x, str) and x in _UNION_TAGS))


_UNION_TAGS = {
    "symmetric", "random", "near_teacher", "one_step", "fit_second_layer", "anneal_weight_decay", "gd", "lazy",
    "list[float]", "list[list[float]]", "literal['ones','random_signs','alternating']", "literal['orthonormal','random']",
}


def _format(err: ValidationError) -> str:
    e = err.errors(include_url=False)[0]
    loc = _loc(e["loc"])
    msg = e["msg"].removeprefix("Value error, ")
    if e["type"] == "extra_forbidden":
        return f"{loc}: unknown key; valid keys here: {', '.join(_valid_keys(tuple(e['loc'][:-1])))}"
    if e["type"] == "union_tag_invalid":
        return f"{loc}.kind: {msg}"
    if e["type"] == "union_tag_not_found":
        return f"{loc}.kind: missing; valid: {', '.join(_tags(loc))}"
    if re.match(r"^[A-Za-z_][\w.]*: ", msg):  # our own validators already name the key path
        return msg if not loc or msg.startswith(loc) else f"{loc}.{msg}"
    got = e.get("input")
    got_txt = f" (got {got!r})" if got is not None and not isinstance(got, (dict, list)) else ""
    return f"{loc or 'config'}: {msg}{got_txt}"


def _tags(loc: str) -> list[str]:
    from featlearn.config.schema import STAGE_KINDS

    return list(STAGE_KINDS) if loc.startswith("stages") else ["symmetric", "random", "near_teacher"]


def _valid_keys(loc: tuple) -> list[str]:
    model: Any = RunConfig
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            from featlearn.config import schema

            kinds = {"one_step": schema.OneStep, "fit_second_layer": schema.FitSecondLayer, "anneal_weight_decay": schema.AnnealWeightDecay,
                     "gd": schema.GD, "lazy": schema.Lazy, "symmetric": schema.SymmetricInit, "random": schema.RandomInit,
                     "near_teacher": schema.NearTeacherInit}
            model = kinds.get(part, model)
            continue
        ann = field.annotation
        model = ann if isinstance(ann, type) and issubclass(ann, RunConfig.__mro__[1]) else _first_model(ann)
    return sorted(model.model_fields) if hasattr(model, "model_fields") else []


def _first_model(ann):
    from typing import get_args

    for a in get_args(ann):
        if hasattr(a, "model_fields"):
            return a
        inner = _first_model(a)
        if inner is not None:
            return inner
    return None


SHIPPED = Path(__file__).resolve().parent.parent / "configs"


def shipped_configs() -> list[str]:
    """Names of the configs shipped with the package (usable in place of a path: `featlearn run lazy`)."""
    return sorted(p.stem for p in SHIPPED.glob("*.yaml"))


def read_yaml(path: str | Path) -> dict:
    """Read a YAML mapping with `yaml.safe_load`; every problem becomes a one-line `ConfigError`.

    A bare name of a shipped config (`default`, `no_weight_decay`, `lazy`) reads that config."""
    p = Path(path)
    if not p.exists() and str(path) in shipped_configs():
        p = SHIPPED / f"{path}.yaml"
    if not p.exists():
        raise ConfigError(f"CONFIG: file not found: {p} (or use a shipped config: {', '.join(shipped_configs())})")
    if not p.is_file():
        raise ConfigError(f"CONFIG: not a file: {p}")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"CONFIG: {p} is not a UTF-8 text file (expected a YAML config)") from None
    except OSError as exc:
        raise ConfigError(f"CONFIG: cannot read {p}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"CONFIG: {p} is not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"CONFIG: {p} must hold a mapping of config keys (name, seed, teacher, ...), got {type(data).__name__}")
    return data


def parse_override(item: str) -> tuple[list[str], Any]:
    """Split ``key.path=value``; the value is parsed as YAML (numbers, lists, booleans)."""
    if "=" not in item:
        raise ConfigError(f"--set: expected key.path=value, got {item!r}")
    path, raw = item.split("=", 1)
    parts = path.strip().split(".")
    if not path.strip() or any(not p for p in parts):
        raise ConfigError(f"--set: empty key path in {item!r}; use e.g. teacher.d=10 or stages.2.lr=0.1")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return parts, value


def apply_overrides(data: dict, overrides: Iterable[str]) -> dict:
    """Apply ``--set key.path=value`` items to a raw config mapping (list items by index: stages.2.lr)."""
    data = json.loads(json.dumps(data))  # deep copy of plain data
    defaults = RunConfig().model_dump(mode="json")
    for item in overrides:
        parts, value = parse_override(item)
        node: Any = data
        default: Any = defaults
        for i, part in enumerate(parts[:-1]):
            node = _descend(node, part, parts[: i + 1], default)
            default = default.get(part) if isinstance(default, dict) else None
        last = parts[-1]
        if isinstance(node, list):
            idx = _index(node, last, parts)
            node[idx] = value
        elif isinstance(node, dict):
            if last == "kind" and node.get("kind") != value:
                node.clear()  # a new kind starts from that kind's defaults
            node[last] = value
        else:
            raise ConfigError(f"--set: {'.'.join(parts[:-1])} is not a section, cannot set {'.'.join(parts)}")
    return data


def _index(node: list, part: str, parts) -> int:
    if not part.lstrip("-").isdigit() or not (0 <= int(part) < len(node)):
        raise ConfigError(f"--set: {'.'.join(parts)}: '{part}' is not a valid index (0..{len(node) - 1})")
    return int(part)


def _descend(node, part, parts, default):
    """Step into node[part]; a missing section starts from its default (so init.angle_deg=3 works)."""
    if isinstance(node, list):
        return node[_index(node, part, parts)]
    if isinstance(node, dict):
        if part not in node or node[part] is None:
            d = default.get(part) if isinstance(default, dict) else None
            node[part] = json.loads(json.dumps(d)) if isinstance(d, (dict, list)) else {}
        return node[part]
    raise ConfigError(f"--set: {'.'.join(parts[:-1])} is not a section, cannot descend into '{part}'")


def validate(data: Mapping) -> RunConfig:
    """Validate a raw mapping into a `RunConfig`, raising a one-line `ConfigError`."""
    try:
        return RunConfig.model_validate(dict(data))
    except ValidationError as err:
        raise ConfigError(_format(err)) from None


def load_config(path: str | Path | None = None, overrides: Iterable[str] = ()) -> RunConfig:
    """Read a YAML config (or the built-in default when `path` is None), apply overrides, validate."""
    data = read_yaml(path) if path is not None else {}
    return validate(apply_overrides(data, overrides))


def config_to_dict(cfg: RunConfig) -> dict:
    """The resolved config as plain JSON-able data (all defaults filled in)."""
    return cfg.model_dump(mode="json")


def digest(cfg: RunConfig) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) of the resolved config."""
    canon = json.dumps(config_to_dict(cfg), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()


def run_dir_name(cfg: RunConfig) -> str:
    """``<name>-<digest[:10]>`` (the name is validated to a safe character set)."""
    return f"{cfg.name}-{digest(cfg)[:10]}"


def dump_yaml(cfg: RunConfig) -> str:
    return yaml.safe_dump(config_to_dict(cfg), sort_keys=False)
