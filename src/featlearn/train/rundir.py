"""The run directory (DESIGN §4.2): config.yaml, summary.json, metrics.parquet, final.npz,
checkpoint.npz, figures/*.png, report.html. Every file is written atomically."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from featlearn.config import ConfigError, RunConfig, dump_yaml, run_dir_name
from featlearn.io import atomic_save_npz, atomic_write_json, atomic_write_parquet, atomic_write_text
from featlearn.train import checkpoint


def prepare_run_dir(cfg: RunConfig, out, resume: bool) -> Path:
    """Create `out/<name>-<digest[:10]>` and write config.yaml; a fresh run drops an old checkpoint.

    An `out` that is a file (or lies under one) or cannot be created is a `ConfigError` naming --out."""
    out = Path(out)
    if "\x00" in str(out):
        raise ConfigError(f"--out: {str(out)!r} is not a valid folder name (it contains a NUL character)")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out: {out} is a file; give a folder (it is created if missing)")
    run_dir = out / run_dir_name(cfg)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"--out: cannot create the run folder {run_dir}: {exc.strerror}; give a writable folder") from None
    for stale in run_dir.rglob(".*.tmp"):  # left by a process killed in the middle of an atomic write
        stale.unlink(missing_ok=True)
    if not resume:
        (run_dir / checkpoint.NAME).unlink(missing_ok=True)
    atomic_write_text(run_dir / "config.yaml", dump_yaml(cfg))
    return run_dir


def final_arrays(result) -> dict:
    p, t = result.params, result.teacher
    arrays = {"a": p.a, "W": p.W, "teacher_a": t.a, "teacher_W": t.W}
    if p.c is not None:
        arrays.update(head_c=p.c, head_v=p.v)
    return {k: np.asarray(v) for k, v in arrays.items()}


def write_run_dir(run_dir: Path, result) -> None:
    """Write the results of a finished run (the checkpoint is kept as the latest state)."""
    from featlearn.report.run_report import write_run_figures_and_report

    atomic_write_parquet(run_dir / "metrics.parquet", result.metrics)
    atomic_save_npz(run_dir / "final.npz", final_arrays(result))
    write_run_figures_and_report(run_dir, result)
    atomic_write_json(run_dir / "summary.json", result.summary)
