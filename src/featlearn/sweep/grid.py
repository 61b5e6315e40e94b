"""Sweep files and grid expansion (DESIGN §4.4): a base config plus labelled axes of overrides.

A sweep file is a YAML mapping::

    name: small                       # optional; default: the file's stem (it becomes a folder name)
    base: ../default.yaml             # a config mapping, or a path to a YAML config (relative to this file)
    grid:                             # key.path -> list of values; the sweep is their cartesian product
      stages.2.lam0: [1.0e-3, 3.0e-3]
      seed: [0, 1]
    metrics: [final_population_loss, far_mass]   # optional; what the sweep report plots

Every grid point is resolved and validated before any work starts: a bad key path or value is a one-line
`ConfigError` that names the grid key. Each point is identified by the digest of its resolved config.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from featlearn.config import ConfigError, RunConfig, apply_overrides, config_to_dict, digest, read_yaml, run_dir_name, validate
from featlearn.config.yaml_io import plain, safe_load
from featlearn.records import SCALAR_KEYS

SWEEP_KEYS = ("name", "base", "grid", "metrics")
# Summary fields the sweep report can plot (numbers, or booleans shown as a fraction).
METRICS = SCALAR_KEYS
DEFAULT_METRICS = ("final_population_loss", "far_mass", "recovered", "max_angle_deg")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


@dataclass(frozen=True)
class SweepSpec:
    """A parsed sweep file.

    Attributes:
      name: the sweep's folder name (letters, digits, '_', '.', '-').
      base: the base config as a plain mapping (not yet validated).
      grid: key path -> list of values, in file order.
      metrics: summary fields for the report.
    """

    name: str
    base: dict
    grid: dict
    metrics: tuple = DEFAULT_METRICS

    def to_dict(self) -> dict:
        """The self-contained sweep file (base inlined) that is written as `sweep.yaml`."""
        return {"name": self.name, "base": self.base, "grid": self.grid, "metrics": list(self.metrics)}

    @property
    def size(self) -> int:
        n = 1
        for values in self.grid.values():
            n *= len(values)
        return n


@dataclass(frozen=True)
class GridPoint:
    """One run of a sweep: its overrides (grid key -> value), resolved config and digest."""

    index: int
    overrides: dict
    config: RunConfig = field(repr=False)
    digest: str

    @property
    def run_name(self) -> str:
        """The run directory's name, `<name>-<digest[:10]>`."""
        return run_dir_name(self.config)

    @property
    def config_dict(self) -> dict:
        return config_to_dict(self.config)


def _fail(message: str):
    raise ConfigError(" ".join(message.split()))


def parse_sweep(data: Any, *, where: Path | None = None, default_name: str = "sweep") -> SweepSpec:
    """Check a sweep mapping (from YAML) and return a `SweepSpec`; a string `base` is read relative to `where`."""
    if not isinstance(data, Mapping):
        _fail(f"SWEEP: expected a mapping with keys {', '.join(SWEEP_KEYS)}, got {type(data).__name__}")
    unknown = [k for k in data if k not in SWEEP_KEYS]
    if unknown:
        _fail(f"{unknown[0]}: unknown key in the sweep file; valid keys: {', '.join(SWEEP_KEYS)}")
    name = data.get("name", default_name)
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        _fail(f"name: {name!r} is not a valid sweep name; use letters, digits, '_', '.' and '-' (at most 80, starting with a letter or digit)")
    base = _read_base(data.get("base"), where)
    grid = _check_grid(data.get("grid"))
    metrics = data.get("metrics", list(DEFAULT_METRICS))
    if not isinstance(metrics, list) or not metrics or any(m not in METRICS for m in metrics):
        bad = metrics if not isinstance(metrics, list) else next((m for m in metrics if m not in METRICS), metrics)
        _fail(f"metrics: {bad!r} is not a list of summary fields; valid: {', '.join(METRICS)}")
    return SweepSpec(name=name, base=base, grid=grid, metrics=tuple(metrics))


def _read_base(base, where: Path | None) -> dict:
    if base is None:
        _fail("base: missing; give a config mapping (base: {teacher: {d: 8}}) or the path of a YAML config, relative to the sweep file")
    if isinstance(base, Mapping):
        return json.loads(json.dumps(base))
    if isinstance(base, str) and base.strip():
        path = Path(base)
        if not path.is_absolute() and where is not None:
            path = where / path
        try:
            return read_yaml(path)
        except ConfigError as exc:
            _fail(f"base: {str(exc).removeprefix('CONFIG: ')}")
    _fail(f"base: expected a config mapping or the path of a YAML config, got {type(base).__name__}")


def _check_grid(grid) -> dict:
    if grid is None:
        _fail("grid: missing; give key paths with lists of values, e.g. grid: {stages.2.lam0: [1.0e-3, 3.0e-3], seed: [0, 1]}")
    if not isinstance(grid, Mapping) or not grid:
        _fail("grid: expected a non-empty mapping key.path -> [values...], e.g. {seed: [0, 1, 2]}")
    out = {}
    for key, values in grid.items():
        key = str(key)
        if not re.fullmatch(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*", key):
            _fail(f"grid.{key}: not a key path; use dotted config keys such as teacher.d or stages.2.lam0")
        if not isinstance(values, list):
            _fail(f"grid.{key}: expected a list of values, got {type(values).__name__} ({_short(values)}); write [{_short(values)}] for one value")
        if not values:
            _fail(f"grid.{key}: the list of values is empty; give at least one value")
        dup = next((v for i, v in enumerate(values) if v in values[:i]), None)
        if dup is not None:
            _fail(f"grid.{key}: the value {_short(dup)} is listed twice")
        out[key] = json.loads(json.dumps(values))
    return out


def _short(x, limit: int = 40) -> str:
    text = json.dumps(x) if not isinstance(x, str) else x
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and check a sweep file (YAML, `safe_load`); errors are one-line `ConfigError`s."""
    p = Path(path)
    if not p.is_file():
        _fail(f"SWEEP: file not found: {p} (give the path of a sweep YAML file)")
    try:
        data = plain(safe_load(p.read_text(encoding="utf-8"), f"SWEEP: {p}"), "SWEEP")
    except UnicodeDecodeError:
        _fail(f"SWEEP: {p} is not a UTF-8 text file (expected a sweep YAML file)")
    default = re.sub(r"[^A-Za-z0-9_.-]", "_", p.stem).lstrip("._-") or "sweep"
    return parse_sweep(data, where=p.resolve().parent, default_name=default[:80])


def _literal(value) -> str:
    """A YAML text that `apply_overrides` parses back to exactly `value`."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10**9).strip()
    return text.removesuffix("...").strip()


def expand(spec: SweepSpec) -> list[GridPoint]:
    """The cartesian product of the grid axes (first axis slowest), each point resolved and validated.

    Raises:
      ConfigError: naming the grid key (and value) whose override is not a valid config.
    """
    keys = list(spec.grid)
    try:
        validate(spec.base)
    except ConfigError as exc:  # a problem of the base itself, unless a grid axis sets that key
        if not _blame(str(exc), {k: None for k in keys}).startswith("grid."):
            _fail(f"base: {exc}")
    points: list[GridPoint] = []
    seen: dict[str, dict] = {}
    for index, values in enumerate(itertools.product(*(spec.grid[k] for k in keys))):
        overrides = dict(zip(keys, values))
        data = spec.base
        for k, v in overrides.items():
            try:
                data = apply_overrides(data, [f"{k}={_literal(v)}"])
            except ConfigError as exc:
                _fail(f"grid.{k}: {str(exc).removeprefix('--set: ')}")
        try:
            cfg = validate(data)
        except ConfigError as exc:
            _fail(_blame(str(exc), overrides))
        dg = digest(cfg)
        if dg in seen:
            _fail(f"grid: the points {_point(seen[dg])} and {_point(overrides)} give the same config; remove the duplicate value")
        seen[dg] = overrides
        points.append(GridPoint(index, overrides, cfg, dg))
    return points


def _point(overrides: dict) -> str:
    return "{" + ", ".join(f"{k}={_short(v)}" for k, v in overrides.items()) + "}"


def _blame(message: str, overrides: dict) -> str:
    """Name the grid key a validation message is about (the longest key that is a prefix of its path)."""
    path = message.split(":", 1)[0].strip()
    hits = [k for k in overrides if path == k or path.startswith(k + ".") or k.startswith(path + ".")]
    if hits:
        k = max(hits, key=len)
        return f"grid.{k}={_short(overrides[k])}: {message}"
    return f"grid point {_point(overrides)}: {message}"


__all__ = ["DEFAULT_METRICS", "METRICS", "GridPoint", "SweepSpec", "expand", "load_sweep", "parse_sweep"]
