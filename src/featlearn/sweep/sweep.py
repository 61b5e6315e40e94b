"""`run_sweep`: expand a sweep, skip finished runs, execute the rest, collect results.parquet.

The sweep folder `<out>/<name>/` holds::

    sweep.yaml         the sweep with its base config inlined (run it again to extend or resume)
    runs/<name>-<digest[:10]>/   one run directory per grid point (DESIGN §4.2)
    results.parquet    one row per grid point: flattened config columns (teacher.d, stages.2.lam0, ...),
                       the summary fields (status, message, final_population_loss, ...), point, run_dir
    report.html, figures/*.png   the chosen metrics against each grid axis
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import pandas as pd
import yaml

from featlearn.config import ConfigError, digest
from featlearn.io import atomic_write_parquet, atomic_write_text
from featlearn.records import SUMMARY_KEYS
from featlearn.sweep.cache import cached_summary, error_message, record_failure
from featlearn.sweep.executors import InProcessExecutor, Task
from featlearn.sweep.grid import GridPoint, SweepSpec, expand, load_sweep
from featlearn.train.rundir import LazyRuns, run_dirs_in

Progress = Callable[[int, int, Optional[GridPoint], Optional[dict]], None]  # (done, total, point, summary)


@dataclass
class SweepResult:
    """What `run_sweep` returns.

    Attributes:
      spec: the sweep.
      points: the grid points, in grid order.
      summaries: summary.json content of each point (aligned with `points`).
      results: the results table (what results.parquet holds).
      folder: the sweep folder `<out>/<name>`.
      computed: how many runs were executed now (the others came from the cache).
    """

    spec: SweepSpec
    points: list
    summaries: list
    results: pd.DataFrame
    folder: Path
    computed: int

    def count(self, status: str) -> int:
        return sum(1 for s in self.summaries if s.get("status") == status)


def make_tasks(points: Sequence[GridPoint], batch_seeds: bool) -> list[Task]:
    """One task per point, or (batch_seeds) one per group of points that differ only in `seed`."""
    if not batch_seeds:
        return [Task((p.index,), (p.config_dict,)) for p in points]
    groups: dict[str, list[GridPoint]] = {}
    for p in points:
        groups.setdefault(digest(p.config.model_copy(update={"seed": 0})), []).append(p)
    return [Task(tuple(p.index for p in g), tuple(p.config_dict for p in g), batch=len(g) > 1) for g in groups.values()]


def flatten(tree, prefix: str = "") -> dict:
    """Nested config → {"teacher.d": 8, "stages.2.lam0": 0.001, ...}; lists of numbers become JSON text."""
    out = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, v in enumerate(value):
                out.update(flatten(v, f"{name}.{i}."))
        elif isinstance(value, (list, dict)):
            out[name] = json.dumps(value)
        else:
            out[name] = value
    return out


SUMMARY_COLUMNS = SUMMARY_KEYS  # every key of the Summary record, in its order


def results_frame(points: Sequence[GridPoint], summaries: Sequence[dict]) -> pd.DataFrame:
    """One row per grid point: point, run_dir, the flattened config, then the summary fields."""
    rows = []
    for p, s in zip(points, summaries):
        row = {"point": p.index, "run_dir": f"runs/{p.run_name}"}
        row.update(flatten(p.config_dict))
        for k in SUMMARY_COLUMNS:
            v = s.get(k)
            row[k] = json.dumps(v) if isinstance(v, (list, dict)) else v
        rows.append(row)
    df = pd.DataFrame(rows)
    for col in df.columns[df.dtypes == object]:  # one type per column, so parquet can store it
        kinds = {type(v) for v in df[col] if v is not None and not (isinstance(v, float) and np.isnan(v))}
        if len(kinds) > 1 and not kinds <= {int, float} and not kinds <= {bool}:
            df[col] = [None if v is None else (v if isinstance(v, str) else json.dumps(v)) for v in df[col]]
    return df


def default_jax_cache(out: Path | None = None) -> str:
    """The persistent compilation cache: $JAX_COMPILATION_CACHE_DIR if set, else the user's cache folder
    `$XDG_CACHE_HOME/featlearn/jax` (default `~/.cache/featlearn/jax`). It holds compiled code that later
    runs load, so it is never placed in an output folder others may write to."""
    if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
        return os.environ["JAX_COMPILATION_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "featlearn" / "jax")


def run_sweep(
    sweep: SweepSpec | str | Path,
    *,
    out: str | Path = "sweeps",
    executor=None,
    batch_seeds: bool = False,
    jax_cache: Optional[str] = "auto",
    progress: Optional[Progress] = None,
    writer=None,
) -> SweepResult:
    """Run every grid point of a sweep that has no finished run directory yet; write results and report.

    Args:
      sweep: a sweep file path or a parsed `SweepSpec`.
      out: parent of the sweep folder `<out>/<name>`.
      executor: `InProcessExecutor()` (default) or `DaskExecutor(...)`; entered after validation.
      batch_seeds: run points that differ only in `seed` as one vmapped computation.
      jax_cache: persistent compilation cache folder; "auto": `default_jax_cache(out)`; None: off.
      progress: callback (done, total, point, summary) after each finished point (point None at start).
      writer: draws each run's figures and report (a module-level function, so Dask can ship it);
        None: data files only. The sweep's own report is drawn by the caller (`featlearn.workflows`).

    Returns:
      `SweepResult`.

    Raises:
      ConfigError: a bad sweep file or grid point (nothing is written), or an unreachable scheduler.
    """
    spec = sweep if isinstance(sweep, SweepSpec) else load_sweep(sweep)
    points = expand(spec)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out: {out} is a file; give a folder (it is created if missing)")
    if jax_cache == "auto":
        jax_cache = default_jax_cache(out)
    folder = out / spec.name
    runs_dir = folder / "runs"
    executor = executor or InProcessExecutor()
    with executor:
        runs_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(folder / "sweep.yaml", yaml.safe_dump(spec.to_dict(), sort_keys=False))
        summaries: list[Optional[dict]] = [cached_summary(runs_dir, p.config, p.digest) for p in points]
        todo = [p for p, s in zip(points, summaries) if s is None]
        done = len(points) - len(todo)
        if progress:
            progress(done, len(points), None, None)
        for task, res in executor.map(make_tasks(todo, batch_seeds), runs_dir, jax_cache, writer):
            if isinstance(res, BaseException):
                msg = f"task lost: {error_message(res)}"
                res = [record_failure(runs_dir, points[i].config, msg) for i in task.indices]
            for i, s in zip(task.indices, res):
                summaries[i] = s
                done += 1
                if progress:
                    progress(done, len(points), points[i], s)
    df = results_frame(points, summaries)
    atomic_write_parquet(folder / "results.parquet", df)
    return SweepResult(spec, points, summaries, df, folder, len(todo))




def load_sweep_folder(folder: str | Path) -> tuple[SweepSpec, pd.DataFrame]:
    """The spec (sweep.yaml) and results table (results.parquet) of a sweep folder; a malformed folder is
    a one-line `ConfigError` naming the file."""
    from featlearn.sweep.grid import parse_sweep

    folder = Path(folder)
    for name in ("sweep.yaml", "results.parquet"):
        if not (folder / name).is_file():
            raise ConfigError(f"DIR: {folder} is not a sweep folder (missing {name})")
    try:
        spec = parse_sweep(yaml.safe_load((folder / "sweep.yaml").read_text(encoding="utf-8")), where=folder)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"DIR: {folder / 'sweep.yaml'} cannot be read ({type(exc).__name__})") from None
    try:
        df = pd.read_parquet(folder / "results.parquet")
    except (OSError, ValueError) as exc:
        raise ConfigError(f"DIR: {folder / 'results.parquet'} cannot be read ({type(exc).__name__})") from None
    return spec, df


@dataclass
class Sweep:
    """A sweep folder loaded back (`featlearn.load_sweep`).

    Attributes:
      spec: the `SweepSpec` (sweep.yaml).
      results: results.parquet: one row per grid point (point, run_dir, the flattened config, the summary).
      runs: run name → `RunResult`, each loaded on first access (`sweep.runs[row.run_dir]`).
      folder: the sweep folder.
    """

    spec: SweepSpec
    results: pd.DataFrame
    runs: LazyRuns
    folder: Path

    def run(self, point: int):
        """The `RunResult` of grid point `point` (the results table's `point` column)."""
        rows = self.results[self.results["point"] == point]
        if rows.empty:
            raise KeyError(f"point {point}: no such grid point (0 … {len(self.results) - 1})")
        return self.runs[rows["run_dir"].iloc[0]]

    @property
    def figures(self) -> dict:
        figdir = self.folder / "figures"
        return {p.stem: p for p in sorted(figdir.glob("*.png"))} if figdir.is_dir() else {}


def load_sweep_dir(folder: str | Path) -> Sweep:
    """A sweep folder as a `Sweep` (runs loaded lazily); a malformed folder is a one-line `ConfigError`
    naming the file."""
    folder = Path(folder)
    spec, df = load_sweep_folder(folder)
    return Sweep(spec, df, LazyRuns(run_dirs_in(folder / "runs")), folder)


__all__ = ["Sweep", "SweepResult", "load_sweep_dir", "flatten", "load_sweep_folder", "make_tasks", "results_frame", "run_sweep"]
