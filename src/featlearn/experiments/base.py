"""What every experiment shares: its spec (a shipped YAML), claims, and the experiment folder.

An experiment folder holds its runs (`runs/`), `results.parquet`, `figures/*.png`, `claims.json` (each
claim: the criterion, the measured value and pass/fail) and a self-contained `report.html`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import pandas as pd
import yaml

from featlearn.config import ConfigError
from featlearn.io import atomic_write_json, atomic_write_parquet

SPEC_DIR = Path(__file__).resolve().parent
SIZES = ("small", "full")


@dataclass
class Claim:
    """One pass criterion: `name`, the `criterion` in words, the measured `value` and whether it `passed`."""

    name: str
    criterion: str
    value: object
    passed: bool

    def as_dict(self) -> dict:
        return {"name": self.name, "criterion": self.criterion, "value": self.value, "passed": bool(self.passed)}


@dataclass
class ExperimentResult:
    """Claims, the results table and the figures (name → `PlotSpec`, drawn by the report) of one experiment."""

    id: str
    title: str
    size: str
    claims: list
    table: pd.DataFrame
    figures: dict
    captions: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.claims)


def load_spec(exp_id: str) -> dict:
    """The shipped YAML of an experiment (`experiments/E1.yaml`, ...), read with safe_load."""
    path = SPEC_DIR / f"{exp_id}.yaml"
    if not path.is_file():
        raise ConfigError(f"experiment: unknown id {exp_id!r}")
    return yaml.safe_load(path.read_text())


def sized(spec: dict, size: str) -> dict:
    """The spec's `common` settings overlaid with those of `size` (small | full)."""
    if size not in SIZES:
        raise ConfigError(f"--size: unknown size {size!r}; valid: small, full")
    out = dict(spec.get("common", {}))
    out.update(spec.get(size, {}))
    return out


def write_experiment(out_dir: Path, res: ExperimentResult) -> None:
    """Write the experiment's data: results.parquet and claims.json (figures and report.html are drawn
    from `res` by the report layer)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_parquet(out_dir / "results.parquet", res.table)
    atomic_write_json(out_dir / "claims.json", {
        "id": res.id, "title": res.title, "size": res.size, "passed": res.passed, "seconds": res.seconds,
        "claims": [c.as_dict() for c in res.claims], "captions": res.captions,
    })


@dataclass
class Experiment:
    """An experiment folder loaded back (`featlearn.load_experiment`): id, title, size, passed, seconds,
    claims (`Claim`s), results (results.parquet), runs (run name → `RunResult`, loaded on first access),
    figures (name → path) and the folder."""

    id: str
    title: str
    size: str
    passed: bool
    seconds: float
    claims: list
    results: pd.DataFrame
    runs: object
    figures: dict
    folder: Path
    captions: dict = field(default_factory=dict)


def load_experiment(folder: str | Path) -> Experiment:
    """An experiment folder (`featlearn reproduce E… --out DIR` writes `DIR/E…`) as an `Experiment`; a
    malformed folder is a one-line `ConfigError` naming the file."""
    import json

    from featlearn.train.rundir import LazyRuns, run_dirs_in

    folder = Path(folder)
    for name in ("claims.json", "results.parquet"):
        if not (folder / name).is_file():
            raise ConfigError(f"DIR: {folder} is not an experiment folder (missing {name})")
    try:
        meta = json.loads((folder / "claims.json").read_text(encoding="utf-8"))
        claims = [Claim(c["name"], c["criterion"], c["value"], bool(c["passed"])) for c in meta["claims"]]
        head = (str(meta["id"]), str(meta["title"]), str(meta["size"]), bool(meta["passed"]), float(meta.get("seconds") or 0.0))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ConfigError(f"DIR: {folder / 'claims.json'} is not a featlearn claims file ({type(exc).__name__}: {exc})") from None
    try:
        table = pd.read_parquet(folder / "results.parquet")
    except (OSError, ValueError) as exc:
        raise ConfigError(f"DIR: {folder / 'results.parquet'} cannot be read ({type(exc).__name__})") from None
    figdir = folder / "figures"
    figures = {p.stem: p for p in sorted(figdir.glob("*.png"))} if figdir.is_dir() else {}
    return Experiment(*head, claims, table, LazyRuns(run_dirs_in(folder / "runs")), figures, folder, dict(meta.get("captions") or {}))


def timed(fn: Callable[[], ExperimentResult]) -> ExperimentResult:
    t = time.perf_counter()
    res = fn()
    res.seconds = time.perf_counter() - t
    return res


@dataclass
class Context:
    """Where an experiment's training runs go: `out/runs/`, each written with `run_writer` (figures and
    report of every run; None: data only)."""

    out: Path
    run_writer: Optional[Callable] = None
    progress: Optional[Callable] = None  # name → a context manager yielding a run's progress callback (or None)

    def run(self, config: dict):
        """Run one training config (a mapping) into `out/runs/`, with its figures, and return its `RunResult`."""
        from featlearn.config import validate

        cfg = validate(config)
        return self.run_seeds(cfg, [cfg.seed], figures=True)[0]

    def run_seeds(self, config: dict, seeds, figures: bool = False) -> list:
        """Run one training config for many seeds in one batched computation into `out/runs/` (one run
        directory per seed; data only unless `figures`) and return their `RunResult`s."""
        import contextlib

        from featlearn.config import validate
        from featlearn.train import run_seeds

        cfg = validate(config)
        with (self.progress(cfg.name) if self.progress else contextlib.nullcontext()) as cb:
            return run_seeds(cfg, seeds, out=Path(self.out) / "runs", writer=self.run_writer if figures else None, progress=cb)
