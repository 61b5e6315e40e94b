"""Reading YAML configs safely (`yaml.safe_load`, no tags, no recursive aliases) and writing them.

Every problem raises a one-line `ConfigError` naming the file.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from featlearn.config.errors import ConfigError, one_line as _one_line

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
    data = safe_load(text, f"CONFIG: {p}")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"CONFIG: {p} must hold a mapping of config keys (name, seed, teacher, ...), got {type(data).__name__}")
    try:
        return plain(data, "CONFIG")
    except ConfigError as exc:
        raise ConfigError(f"CONFIG: {p}: {exc}" if str(exc).startswith("expands") else str(exc)) from None


MAX_BYTES = 1 << 20  # a config or sweep file larger than this is refused
MAX_VALUES = 100_000  # values after alias expansion (a "billion laughs" file expands to far more)


def _check_duplicate_keys(text: str) -> None:
    """Refuse a mapping that repeats a key (PyYAML's loaders keep the last one silently). Walks the
    composed node graph (no objects are constructed); shared alias nodes are visited once."""
    loader = yaml.SafeLoader(text)  # composes nodes only here; values come from yaml.safe_load
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    stack, seen_nodes = [root], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys = set()
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode):
                    if key_node.value in keys:
                        raise ConfigError(f"duplicate key {key_node.value!r} at line {key_node.start_mark.line + 1}; each key may appear once")
                    keys.add(key_node.value)
                stack += [key_node, value_node]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value


def safe_load(text: str, what: str):
    """Safe YAML (never executes tags: `!!python/...` is refused; duplicate keys are errors) with
    one-line errors; text over `MAX_BYTES` is refused before parsing."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ConfigError(f"{what} is larger than {MAX_BYTES >> 10} KiB; a config is a short YAML file")
    try:
        _check_duplicate_keys(text)
        return yaml.safe_load(text)
    except ConfigError as exc:
        raise ConfigError(f"{what}: {exc}") from None
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


def plain(obj, where: str, depth: int = 0, seen: tuple = (), _count: list | None = None):
    """A deep copy as plain dicts / lists / scalars (string keys); refuses recursive aliases, sets, and
    more than `MAX_VALUES` values after alias expansion (so an alias bomb fails fast, in little memory)."""
    count = [0] if _count is None else _count
    count[0] += 1
    if count[0] > MAX_VALUES:
        raise ConfigError(f"expands to more than {MAX_VALUES} values (YAML aliases repeated into a huge structure?); "
                          "a config is small")
    if depth > _MAX_DEPTH:
        raise ConfigError(f"{where}: nested too deeply to be a config")
    if isinstance(obj, (dict, list, tuple)):
        if id(obj) in seen:
            raise ConfigError(f"{where}: a recursive YAML alias (a value that contains itself) is not a valid config value")
        seen = seen + (id(obj),)
    if isinstance(obj, dict):
        return {str(k): plain(v, f"{where}.{k}" if where not in _ROOTS else str(k), depth + 1, seen, count) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v, f"{where}.{i}", depth + 1, seen, count) for i, v in enumerate(obj)]
    if isinstance(obj, (set, frozenset)):
        raise ConfigError(f"{where}: a YAML set is not a valid config value; use a list")
    return obj


def dump_yaml(data: dict) -> str:
    """YAML text of a plain mapping (key order kept, unicode as is)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


__all__ = ["SHIPPED", "dump_yaml", "plain", "read_yaml", "safe_load", "shipped_configs"]
