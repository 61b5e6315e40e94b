"""`--set key.path=value` overrides of a raw config mapping (list items by index: `stages.2.lr=0.1`)."""

from __future__ import annotations

import json
import re
from typing import Any, Iterable


from featlearn.config.errors import ConfigError, warn
from featlearn.config.yaml_io import plain as _plain
from featlearn.config.yaml_io import safe_load

def parse_override(item: str) -> tuple[list[str], Any]:
    """Split ``key.path=value``; the value is parsed as YAML (numbers, lists, booleans)."""
    if "=" not in item:
        raise ConfigError(f"--set: expected key.path=value, got {item!r}")
    path, raw = item.split("=", 1)
    parts = path.strip().split(".")
    if not path.strip() or any(not p for p in parts):
        raise ConfigError(f"--set: empty key path in {item!r}; use e.g. teacher.d=10 or stages.2.lr=0.1")
    try:
        value = _plain(safe_load(raw, "--set"), path.strip()) if raw.strip() else ""
    except ConfigError as exc:
        if "is not valid YAML" in str(exc) or "YAML tag" in str(exc):
            value = raw  # not YAML (or a tag we refuse): keep the text; validation says what is expected
        else:
            raise ConfigError(f"--set: {path.strip()}: {raw[:40]!r} is not a valid value ({exc})") from None
    return parts, value


def apply_overrides(data: dict, overrides: Iterable[str]) -> dict:
    """Apply ``--set key.path=value`` items to a raw config mapping (list items by index: stages.2.lr)."""
    data = _plain(data, "config")  # deep copy of plain data
    from featlearn.config.schema import raw_defaults

    defaults = raw_defaults()
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
                note = _kind_switch_note(parts, node, value)
                if note:
                    warn(note)
                node.clear()  # a new kind starts from that kind's defaults
            node[last] = value
        else:
            raise ConfigError(f"--set: {'.'.join(parts[:-1])} is not a section, cannot set {'.'.join(parts)}")
    return data


def _kind_switch_note(parts, old: dict, new_kind) -> str:
    """What switching a stage / init to another kind changes: keys both kinds have whose value changes to
    the new kind's default, and keys set away from the old kind's default that the new kind lacks."""
    from featlearn.config.schema import INITS
    from featlearn.config.stages import STAGES

    table = STAGES if parts[0] == "stages" else INITS
    old_kind = old.get("kind")
    if old_kind not in table or new_kind not in table:
        return ""
    old_defaults = table.model(old_kind)().model_dump(mode="json")
    new_defaults = table.model(new_kind)().model_dump(mode="json")
    changed = [f"{k} {old[k]!r} → {new_defaults[k]!r}" for k in old if k != "kind" and k in new_defaults and old[k] != new_defaults[k]]
    lost = [k for k in old if k != "kind" and k not in new_defaults and old[k] != old_defaults.get(k)]
    if not changed and not lost:
        return ""
    what = "; ".join(filter(None, [f"now the {new_kind} defaults: {', '.join(changed)}" if changed else "",
                                   f"dropped: {', '.join(lost)}" if lost else ""]))
    return f"--set {'.'.join(parts)}={new_kind}: {what} (set keys after the kind to keep them)"


def _index(node: list, part: str, parts) -> int:
    if not re.fullmatch(r"[0-9]+", part) or not (0 <= int(part) < len(node)):
        raise ConfigError(f"--set: {'.'.join(parts)}: '{part}' is not a valid index (0..{len(node) - 1})")
    return int(part)


def _descend(node, part, parts, default):
    """Step into node[part]. A missing list (stages) or kind entry (init) starts from its default, so
    `stages.2.lr=0.5` and `init.scale=0.01` work; a missing plain section starts empty (its defaults are
    the schema's, so derived defaults such as a_star follow the other keys)."""
    if isinstance(node, list):
        return node[_index(node, part, parts)]
    if isinstance(node, dict):
        if part not in node or node[part] is None:
            d = default.get(part) if isinstance(default, dict) else None
            if d is not None and not isinstance(d, (dict, list)):
                raise ConfigError(f"--set: {'.'.join(parts)} is not a section (it holds a value), cannot descend into it")
            keep = isinstance(d, list) or (isinstance(d, dict) and "kind" in d)
            node[part] = json.loads(json.dumps(d)) if keep else {}
        return node[part]
    raise ConfigError(f"--set: {'.'.join(parts[:-1])} is not a section, cannot descend into '{part}'")


__all__ = ["apply_overrides", "parse_override"]
