"""The run directory (DESIGN §4.2): config.yaml, summary.json, metrics.parquet, final.npz, init.npz,
checkpoint.npz, error.txt (a failed run), and what a writer adds (figures/*.png, report.html).
Every file is written atomically; `load_run` reads a finished run directory back.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from collections.abc import Mapping
from typing import Callable, Iterator, Optional

import jax.numpy as jnp
import numpy as np
import pandas as pd

from featlearn.config import ConfigError, RunConfig, config_yaml, read_yaml, run_dir_name, validate
from featlearn.io import advisory_lock, atomic_save_npz, atomic_write_json, atomic_write_parquet, atomic_write_text, load_npz
from featlearn.model import Params
from featlearn.records import Summary
from featlearn.train import checkpoint
from featlearn.train.trajectory import Trajectory

# Called with (run_dir, RunResult) after the data files are written: draws figures and report.html.
Writer = Callable[[Path, "object"], None]
FILES = ("config.yaml", "summary.json", "metrics.parquet", "final.npz")
TRAJECTORY = "trajectory.npz"  # when metrics.trajectory_every > 0 (featlearn.train.trajectory)


LOCK = ".lock"


@contextlib.contextmanager
def locked_run_dir(cfg: RunConfig, out, resume: bool) -> Iterator[Path]:
    """`prepare_run_dir` under an advisory lock (`fcntl.flock` on `<run dir>/.lock`) held until the
    block ends: a second process writing the same run directory is refused with a one-line
    `ConfigError` before it touches anything, and the temp files this process removes can only be
    left-overs of a dead writer."""
    run_dir = _make_run_dir(cfg, out)
    with advisory_lock(run_dir / LOCK) as held:
        if not held:
            raise ConfigError(f"--out: {run_dir} is being written by another featlearn process (it holds {run_dir / LOCK}); "
                              "wait for it to finish, or give another --out")
        prepare_run_dir(cfg, out, resume)
        yield run_dir


def _make_run_dir(cfg: RunConfig, out) -> Path:
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
    return run_dir


def prepare_run_dir(cfg: RunConfig, out, resume: bool) -> Path:
    """Create `out/<name>-<digest[:10]>` and write config.yaml; a fresh run drops an old checkpoint
    (call it through `locked_run_dir` when a run will write there).

    An `out` that is a file (or lies under one) or cannot be created is a `ConfigError` naming --out."""
    run_dir = _make_run_dir(cfg, out)
    for stale in run_dir.rglob(".*.tmp"):  # left by a process killed in the middle of an atomic write
        stale.unlink(missing_ok=True)
    if not resume:
        (run_dir / checkpoint.NAME).unlink(missing_ok=True)
    atomic_write_text(run_dir / "config.yaml", config_yaml(cfg))
    return run_dir


def params_arrays(p: Params, prefix: str = "") -> dict:
    arrays = {f"{prefix}a": p.a, f"{prefix}W": p.W}
    if p.c is not None:
        arrays.update({f"{prefix}c" if prefix else "head_c": p.c, f"{prefix}v" if prefix else "head_v": p.v})
    return {k: np.asarray(v) for k, v in arrays.items()}


def final_arrays(result) -> dict:
    """final.npz: a, W, teacher_a, teacher_W (+ head_c, head_v)."""
    return {**params_arrays(result.params), "teacher_a": np.asarray(result.teacher.a), "teacher_W": np.asarray(result.teacher.W)}


def write_run_dir(run_dir: Path, result, writer: Optional[Writer] = None) -> None:
    """Write a finished run's data files, then (optionally) its figures and report through `writer`."""
    run_dir = Path(run_dir)
    atomic_write_parquet(run_dir / "metrics.parquet", result.metrics)
    atomic_save_npz(run_dir / "final.npz", final_arrays(result))
    traj = getattr(result, "trajectory", None)
    if traj is not None:
        atomic_save_npz(run_dir / TRAJECTORY, traj.to_arrays())
    if result.traceback:
        atomic_write_text(run_dir / "error.txt", result.traceback)
    atomic_write_json(run_dir / "summary.json", result.summary.to_dict())
    if writer is not None:  # figures come after the results: a figure that fails does not undo a finished run
        try:
            writer(run_dir, result)
        except Exception as exc:  # noqa: BLE001 - said on stderr and in report_error.txt; the run stays as it ended
            import sys
            import traceback

            atomic_write_text(run_dir / "report_error.txt", "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
            print(f"featlearn: warning: the figures of {run_dir} failed ({type(exc).__name__}: {' '.join(str(exc).split())}); "
                  f"the results are written; see report_error.txt", file=sys.stderr)


def _params(z: dict, prefix: str = "") -> Params:
    p = Params(jnp.asarray(z[f"{prefix}a"]), jnp.asarray(z[f"{prefix}W"]))
    if "head_c" in z and not prefix:
        p = p._replace(c=jnp.asarray(z["head_c"]), v=jnp.asarray(z["head_v"]))
    return p


def load_run(run_dir) -> "object":
    """Read a finished run directory back into a `RunResult` (refuses a malformed folder with one line
    naming the file)."""
    from featlearn.train.run import RunResult

    run_dir = Path(run_dir)
    for name in FILES:
        if not (run_dir / name).is_file():
            raise ConfigError(f"DIR: {run_dir} is not a finished run directory (missing {name})")
    cfg = validate(read_yaml(run_dir / "config.yaml"))
    try:
        z = load_npz(run_dir / "final.npz")
        params, teacher = _params(z), Params(jnp.asarray(z["teacher_a"]), jnp.asarray(z["teacher_W"]))
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise ConfigError(f"DIR: {run_dir / 'final.npz'} cannot be read ({type(exc).__name__})") from None
    m, d = cfg.student.m, cfg.teacher.d
    if params.W.shape != (m, d) or params.a.shape != (m,) or teacher.W.shape != (cfg.teacher.m_star, d):
        raise ConfigError(f"DIR: {run_dir / 'final.npz'} has shapes a {params.a.shape}, W {params.W.shape}, teacher_W {teacher.W.shape}; "
                          f"config.yaml says m = {m}, d = {d}, m_star = {cfg.teacher.m_star}")
    try:
        summary = Summary.from_dict(json.loads((run_dir / "summary.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(f"DIR: {run_dir / 'summary.json'} is not a featlearn summary ({' '.join(str(exc).split())})") from None
    try:
        metrics = pd.read_parquet(run_dir / "metrics.parquet")
    except (OSError, ValueError) as exc:
        raise ConfigError(f"DIR: {run_dir / 'metrics.parquet'} cannot be read ({type(exc).__name__})") from None
    init = None
    if (run_dir / "init.npz").is_file():
        init = _params(load_npz(run_dir / "init.npz"))
    traj = None
    if (run_dir / TRAJECTORY).is_file():
        try:
            traj = Trajectory.from_arrays(load_npz(run_dir / TRAJECTORY))
        except (OSError, ValueError, KeyError, EOFError) as exc:
            raise ConfigError(f"DIR: {run_dir / TRAJECTORY} cannot be read ({type(exc).__name__})") from None
        if traj.W.ndim != 3 or traj.W.shape[1:] != (m, d) or traj.a.shape != traj.W.shape[:2] or traj.step.shape != traj.W.shape[:1]:
            raise ConfigError(f"DIR: {run_dir / TRAJECTORY} has W of shape {traj.W.shape}; config.yaml says m = {m}, d = {d}")
    figdir = run_dir / "figures"
    figures = {p.stem: p for p in sorted(figdir.iterdir()) if p.suffix in (".png", ".gif", ".svg")} if figdir.is_dir() else {}
    return RunResult(cfg, summary, params, teacher, metrics, out_dir=run_dir, init=init, trajectory=traj, figures=figures)


class LazyRuns(Mapping):
    """Run directories by name (`<name>-<digest[:10]>`), each loaded with `load_run` on first access and
    then kept: a sweep or experiment of many runs loads only the ones asked for."""

    def __init__(self, dirs):
        self._dirs = {Path(d).name: Path(d) for d in dirs}
        self._loaded: dict = {}

    def __getitem__(self, name: str):
        name = Path(str(name)).name  # also accepts a results table's "runs/<name>"
        if name not in self._dirs:
            raise KeyError(f"{name!r}: no such run; runs: {', '.join(list(self._dirs)[:5])}{', …' if len(self._dirs) > 5 else ''}")
        if name not in self._loaded:
            self._loaded[name] = load_run(self._dirs[name])
        return self._loaded[name]

    def __iter__(self):
        return iter(self._dirs)

    def __len__(self) -> int:
        return len(self._dirs)

    def __repr__(self) -> str:
        return f"LazyRuns({len(self)} runs, {len(self._loaded)} loaded)"


def run_dirs_in(folder: Path) -> list[Path]:
    """The finished run directories directly inside `folder` (sorted by name)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(d for d in folder.iterdir() if d.is_dir() and all((d / f).is_file() for f in FILES))


__all__ = ["FILES", "LazyRuns", "run_dirs_in", "LOCK", "Writer", "final_arrays", "load_run", "locked_run_dir", "params_arrays", "prepare_run_dir", "write_run_dir"]
