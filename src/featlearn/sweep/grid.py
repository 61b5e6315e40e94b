"""Sweep files and grid expansion (DESIGN §4.4): a base config plus labelled axes of overrides.

A sweep file is a YAML mapping::

    name: small                       # optional; default: the file's stem (it becomes a folder name)
    base: ../default.yaml             # a config mapping, or a path to a YAML config (relative to this file)
    grid:                             # key.path -> list of values; the sweep is their cartesian product
      stages.2.lam0: [1.0e-3, 3.0e-3]
      seed: [0, 1]
    zip:                              # optional: keys that vary together (equal-length lists), one axis
      teacher.m_star: [2, 4]          #   of the product; a list of such mappings gives several axes
      teacher.a_star: [[1, -1], [1, -1, 1, -1]]
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

SWEEP_KEYS = ("name", "base", "grid", "zip", "metrics")
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
      zips: groups of keys that vary together: each a mapping key path -> list, all of one length.
    """

    name: str
    base: dict
    grid: dict
    metrics: tuple = DEFAULT_METRICS
    zips: tuple = ()

    def to_dict(self) -> dict:
        """The self-contained sweep file (base inlined) that is written as `sweep.yaml`."""
        out = {"name": self.name, "base": self.base, "grid": self.grid}
        if self.zips:
            out["zip"] = list(self.zips) if len(self.zips) > 1 else self.zips[0]
        return {**out, "metrics": list(self.metrics)}

    @property
    def size(self) -> int:
        n = 1
        for values in self.grid.values():
            n *= len(values)
        for group in self.zips:
            n *= len(next(iter(group.values())))
        return n

    def axes(self) -> list:
        """The product's axes: one (key,) per grid key, one tuple of keys per zip group, with their values
        (a zip group's values are tuples)."""
        out = [((k,), [(v,) for v in vals]) for k, vals in self.grid.items()]
        for group in self.zips:
            keys = tuple(group)
            out.append((keys, list(zip(*(group[k] for k in keys)))))
        return out


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
    zips = _check_zips(data.get("zip"))
    grid = _check_grid(data.get("grid"), allow_empty=bool(zips))
    both = set(grid) & {k for g in zips for k in g}
    if both:
        _fail(f"zip.{sorted(both)[0]}: the key is in grid too; put it in one of them")
    metrics = data.get("metrics", list(DEFAULT_METRICS))
    if not isinstance(metrics, list) or not metrics or any(m not in METRICS for m in metrics):
        bad = metrics if not isinstance(metrics, list) else next((m for m in metrics if m not in METRICS), metrics)
        _fail(f"metrics: {bad!r} is not a list of summary fields; valid: {', '.join(METRICS)}")
    return SweepSpec(name=name, base=base, grid=grid, metrics=tuple(metrics), zips=zips)


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


def _check_zips(zips) -> tuple:
    if zips is None:
        return ()
    groups = zips if isinstance(zips, list) else [zips]
    out = []
    for g in groups:
        if not isinstance(g, Mapping) or not g:
            _fail("zip: expected a mapping key.path -> [values...] of keys that vary together (or a list of such mappings)")
        checked = _check_grid(g, where="zip")
        lengths = {k: len(v) for k, v in checked.items()}
        if len(set(lengths.values())) > 1:
            _fail(f"zip: the keys of a group vary together, so their lists need one length; got {lengths}")
        out.append(checked)
    seen = [k for g in out for k in g]
    dup = next((k for i, k in enumerate(seen) if k in seen[:i]), None)
    if dup:
        _fail(f"zip.{dup}: the key is in two zip groups")
    return tuple(out)


def _check_grid(grid, allow_empty: bool = False, where: str = "grid") -> dict:
    if grid is None and allow_empty:
        return {}
    if grid is None:
        _fail("grid: missing; give key paths with lists of values, e.g. grid: {stages.2.lam0: [1.0e-3, 3.0e-3], seed: [0, 1]}")
    if not isinstance(grid, Mapping) or not grid:
        _fail("grid: expected a non-empty mapping key.path -> [values...], e.g. {seed: [0, 1, 2]}")
    out = {}
    for key, values in grid.items():
        key = str(key)
        if not re.fullmatch(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*", key):
            _fail(f"{where}.{key}: not a key path; use dotted config keys such as teacher.d or stages.2.lam0")
        if not isinstance(values, list):
            _fail(f"{where}.{key}: expected a list of values, got {type(values).__name__} ({_short(values)}); write [{_short(values)}] for one value")
        if not values:
            _fail(f"{where}.{key}: the list of values is empty; give at least one value")
        dup = next((v for i, v in enumerate(values) if v in values[:i]), None)
        if dup is not None and where == "grid":
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
    """The cartesian product of the grid axes and zip groups (first axis slowest), each point resolved and
    validated.

    Raises:
      ConfigError: naming the grid key (and value) whose override is not a valid config.
    """
    axes = spec.axes()
    keys = [k for ks, _ in axes for k in ks]
    try:
        validate(spec.base)
    except ConfigError as exc:  # a problem of the base itself, unless a grid axis sets that key
        if not _blame(str(exc), {k: None for k in keys}).startswith("grid."):
            _fail(f"base: {exc}")
    points: list[GridPoint] = []
    seen: dict[str, dict] = {}
    for index, combo in enumerate(itertools.product(*(vals for _, vals in axes))):
        overrides = {k: v for (ks, _), vs in zip(axes, combo) for k, v in zip(ks, vs)}
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
