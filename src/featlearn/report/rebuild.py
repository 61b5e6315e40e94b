"""Rebuild a run directory's figures and report.html from its files (`featlearn report DIR`)."""

from __future__ import annotations

import json
from pathlib import Path

import jax.numpy as jnp
import pandas as pd

from featlearn.config import ConfigError, read_yaml, validate
from featlearn.io import load_npz
from featlearn.model import Params


def load_run(run_dir: Path):
    """Read a finished run directory back into a `RunResult`."""
    from featlearn.train.run import RunResult

    run_dir = Path(run_dir)
    for name in ("config.yaml", "summary.json", "metrics.parquet", "final.npz"):
        if not (run_dir / name).is_file():
            raise ConfigError(f"DIR: {run_dir} is not a finished run directory (missing {name})")
    cfg = validate(read_yaml(run_dir / "config.yaml"))
    z = load_npz(run_dir / "final.npz")
    params = Params(jnp.asarray(z["a"]), jnp.asarray(z["W"]))
    if "head_c" in z:
        params = params._replace(c=jnp.asarray(z["head_c"]), v=jnp.asarray(z["head_v"]))
    teacher = Params(jnp.asarray(z["teacher_a"]), jnp.asarray(z["teacher_W"]))
    summary = json.loads((run_dir / "summary.json").read_text())
    return RunResult(cfg, summary, params, teacher, pd.read_parquet(run_dir / "metrics.parquet"), run_dir)


def rebuild(directory: Path) -> Path:
    """Rebuild figures and report.html of a run directory; returns the report's path."""
    from featlearn.report.run_report import write_run_figures_and_report

    directory = Path(directory)
    if not directory.is_dir():
        raise ConfigError(f"DIR: not a directory: {directory}")
    if (directory / "results.parquet").is_file() and (directory / "sweep.yaml").is_file():  # a sweep folder
        from featlearn.report.sweep_report import write_sweep_report

        return write_sweep_report(directory)
    result = load_run(directory)
    write_run_figures_and_report(directory, result)
    return directory / "report.html"
