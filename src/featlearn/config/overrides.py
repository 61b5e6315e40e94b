"""`--set key.path=value` overrides of a raw config mapping (list items by index: `stages.2.lr=0.1`)."""

from __future__ import annotations

import json
import re
from typing import Any, Iterable

import yaml

from featlearn.config.errors import ConfigError
from featlearn.config.yaml_io import plain as _plain

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
    from featlearn.config.schema import RunConfig

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


__all__ = ["apply_overrides", "parse_override"]
