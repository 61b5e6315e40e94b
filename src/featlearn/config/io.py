"""Reading, overriding, validating and hashing run configs (DESIGN §4.4).

Every failure raises `ConfigError` with one line that names the key path (or the file / argument) and
what would be valid; the CLI prints it and exits with code 2.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml
from pydantic import ValidationError

from featlearn.config import schema
from featlearn.config.schema import RunConfig


_CONTROL = {c: f"\\x{c:02x}" for c in range(32)} | {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", 127: "\\x7f"}


class ConfigError(ValueError):
    """A config or command-line problem, with a one-line message for the user (control characters, e.g.
    a newline inside a key, are shown escaped)."""

    def __init__(self, message: str = ""):
        super().__init__(str(message).translate(_CONTROL))


def _loc(loc) -> str:
    return ".".join(str(x) for x in loc if not (isinstance(x, str) and x in _UNION_TAGS))


# pydantic puts the tag of a union member into an error's location; these are dropped from key paths.
_UNION_TAGS = {
    *schema.STAGE_MODELS, *schema.INIT_MODELS,
    "list[float]", "list[list[float]]", "literal['ones','random_signs','alternating']", "literal['orthonormal','random']",
}


def _format(err: ValidationError) -> str:
    errs = err.errors(include_url=False)
    e = errs[0]
    loc = _loc(e["loc"])
    msg = e["msg"].removeprefix("Value error, ")
    if e["type"] == "extra_forbidden":
        where = ".".join(str(x) for x in (_loc(e["loc"][:-1]), e["loc"][-1]) if x != "")
        valid = _valid_keys(tuple(e["loc"][:-1]))
        close = difflib.get_close_matches(str(e["loc"][-1]), valid, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return f"{where}: unknown key; {hint}valid keys here: {', '.join(valid)}"
    if e["type"] == "union_tag_invalid":
        return f"{loc}.kind: {msg}"
    if e["type"] == "union_tag_not_found":
        return f"{loc}.kind: missing; valid: {', '.join(_tags(loc))}"
    if e["type"] == "literal_error" and any(isinstance(x, str) and x.startswith("list[") for y in errs for x in y["loc"]):
        return _format_choice_or_list(errs)
    if e["type"] == "string_pattern_mismatch" and loc == "name":
        return (f"name: {_short(e.get('input'))} is not a valid run name; use letters, digits, '_', '.' and '-' only, "
                "starting with a letter or digit (it becomes a folder name, so no '/', '..' or spaces)")
    if e["type"] == "too_short" and loc == "stages":
        return f"stages: needs at least one stage, e.g. [{{kind: gd}}]; valid kinds: {', '.join(schema.STAGE_KINDS)}"
    if re.match(r"^[A-Za-z_][\w.]*: ", msg):  # our own validators already name the key path
        return msg if not loc or msg.startswith(loc) else f"{loc}.{msg}"
    got = e.get("input")
    got_txt = f" (got {_short(got)})" if got is not None and not isinstance(got, (dict, list)) else ""
    return _one_line(f"{loc or 'config'}: {msg}{got_txt}")


def _format_choice_or_list(errs) -> str:
    """A union `choice | list of numbers` (a_star, directions): report the branch that fits the input."""
    e = errs[0]
    loc = _loc(e["loc"])
    choices = e.get("ctx", {}).get("expected", "")
    got = e.get("input")
    if isinstance(got, list):
        inner = next((x for x in errs if any(isinstance(p, str) and p.startswith("list[") for p in x["loc"])), None)
        if inner is not None:
            where = _loc(inner["loc"])
            return _one_line(f"{where}: {inner['msg']} (got {_short(inner.get('input'))}); "
                             f"{loc} must be {_LIST_SHAPES.get(loc, 'a list of numbers')} or one of {choices}")
    return _one_line(f"{loc}: must be one of {choices} or {_LIST_SHAPES.get(loc, 'a list of numbers')} (got {_short(got)})")


_LIST_SHAPES = {"teacher.a_star": "a list of m_star numbers", "teacher.directions": "an m_star × d list of lists of numbers"}


def _short(x, limit: int = 60) -> str:
    text = repr(x)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _tags(loc: str) -> list[str]:
    return list(schema.STAGE_MODELS if loc.startswith("stages") else schema.INIT_MODELS)


def _valid_keys(loc: tuple) -> list[str]:
    model: Any = RunConfig
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:  # a union tag (stage or init kind) in the error location
            model = {**schema.STAGE_MODELS, **schema.INIT_MODELS}.get(part, model)
            continue
        ann = field.annotation
        model = ann if isinstance(ann, type) and issubclass(ann, schema.Strict) else _first_model(ann)
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
    if "\x00" in str(path):
        raise ConfigError(f"CONFIG: {str(path)!r} is not a valid path (it contains a NUL character)")
    if not p.exists() and str(path) in shipped_configs():
        p = SHIPPED / f"{path}.yaml"
    if not p.exists():
        raise ConfigError(f"CONFIG: file not found: {p} (give the path of a YAML config, or a shipped config: {', '.join(shipped_configs())})")
    if not p.is_file():
        raise ConfigError(f"CONFIG: not a file: {p} (give the path of a YAML config)")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"CONFIG: {p} is not a UTF-8 text file (expected a YAML config)") from None
    except OSError as exc:
        raise ConfigError(f"CONFIG: cannot read {p}: {exc.strerror}") from None
    if "\x00" in text:
        raise ConfigError(f"CONFIG: {p} is a binary file, not a YAML config")
    data = _safe_load(text, f"CONFIG: {p}")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"CONFIG: {p} must hold a mapping of config keys (name, seed, teacher, ...), got {type(data).__name__}")
    return _plain(data, "CONFIG")


def _safe_load(text: str, what: str):
    """`yaml.safe_load` (never executes tags: `!!python/...` is refused) with one-line errors."""
    try:
        return yaml.safe_load(text)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        tag = re.search(r"tag '([^']*)'", exc.problem or "")
        tag_txt = f"the YAML tag {tag.group(1).replace('tag:yaml.org,2002:', '!!')!r}" if tag else "a YAML tag"
        raise ConfigError(f"{what}: {tag_txt}{where} is not allowed; use plain YAML (mappings, lists, numbers, strings)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None)
        raise ConfigError(_one_line(f"{what} is not valid YAML{where}" + (f": {problem}" if problem else ""))) from None
    except (RecursionError, MemoryError):
        raise ConfigError(f"{what} is nested too deeply to be a config") from None


_MAX_DEPTH = 50
_ROOTS = ("CONFIG", "config")  # labels of a whole config: its keys are named without a prefix


def _plain(obj, where: str, depth: int = 0, seen: tuple = ()):
    """A deep copy as plain dicts / lists / scalars (string keys); refuses recursive aliases and sets."""
    if depth > _MAX_DEPTH:
        raise ConfigError(f"{where}: nested too deeply to be a config")
    if isinstance(obj, (dict, list, tuple)):
        if id(obj) in seen:
            raise ConfigError(f"{where}: a recursive YAML alias (a value that contains itself) is not a valid config value")
        seen = seen + (id(obj),)
    if isinstance(obj, dict):
        return {str(k): _plain(v, f"{where}.{k}" if where not in _ROOTS else str(k), depth + 1, seen) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v, f"{where}.{i}", depth + 1, seen) for i, v in enumerate(obj)]
    if isinstance(obj, (set, frozenset)):
        raise ConfigError(f"{where}: a YAML set is not a valid config value; use a list")
    return obj


def parse_override(item: str) -> tuple[list[str], Any]:
    """Split ``key.path=value``; the value is parsed as YAML (numbers, lists, booleans)."""
    if "=" not in item:
        raise ConfigError(f"--set: expected key.path=value, got {item!r}")
    path, raw = item.split("=", 1)
    parts = path.strip().split(".")
    if not path.strip() or any(not p for p in parts):
        raise ConfigError(f"--set: empty key path in {item!r}; use e.g. teacher.d=10 or stages.2.lr=0.1")
    try:
        value = _plain(yaml.safe_load(raw), path.strip()) if raw.strip() else ""
    except (yaml.YAMLError, RecursionError, MemoryError):
        value = raw  # not YAML (or a tag we refuse): keep the text; validation says what is expected
    except ConfigError:
        raise ConfigError(f"--set: {path.strip()}: {raw[:40]!r} is not a valid value (nested too deeply, recursive or a set)") from None
    return parts, value


def apply_overrides(data: dict, overrides: Iterable[str]) -> dict:
    """Apply ``--set key.path=value`` items to a raw config mapping (list items by index: stages.2.lr)."""
    data = _plain(data, "config")  # deep copy of plain data
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
    if not re.fullmatch(r"[0-9]+", part) or not (0 <= int(part) < len(node)):
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
    if not isinstance(data, Mapping):
        raise ConfigError(f"config: expected a mapping of config keys (name, seed, teacher, ...), got {type(data).__name__}")
    try:
        return RunConfig.model_validate(dict(data))
    except ValidationError as err:
        raise ConfigError(_format(err)) from None
    except RecursionError:
        raise ConfigError("config: nested too deeply to be a config") from None


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
