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
from featlearn.io import atomic_save_figure, atomic_write_json, atomic_write_parquet, atomic_write_text

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
    """Claims, the results table and the figures (name → matplotlib Figure) of one experiment."""

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


def write_experiment(out_dir: Path, res: ExperimentResult, spec: dict) -> None:
    """Write results.parquet, figures, claims.json and report.html into the experiment folder."""
    from featlearn.report.experiment_report import render_experiment_report

    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_parquet(out_dir / "results.parquet", res.table)
    figdir = out_dir / "figures"
    figdir.mkdir(exist_ok=True)
    for name, fig in res.figures.items():
        atomic_save_figure(figdir / f"{name}.png", fig)
    atomic_write_json(out_dir / "claims.json", {
        "id": res.id, "title": res.title, "size": res.size, "passed": res.passed, "seconds": res.seconds,
        "claims": [c.as_dict() for c in res.claims], "captions": res.captions,
    })
    atomic_write_text(out_dir / "report.html", render_experiment_report(out_dir, res, spec))


def timed(fn: Callable[[], ExperimentResult]) -> ExperimentResult:
    t = time.perf_counter()
    res = fn()
    res.seconds = time.perf_counter() - t
    return res


def run_config(base: dict, sets: list[str], out: Optional[Path]):
    """Run one training config (a mapping plus `--set`-style overrides) and return its `RunResult`."""
    from featlearn.config import apply_overrides, validate
    from featlearn.train import run

    return run(validate(apply_overrides(base, sets)), out=out)
