"""checkpoint.npz: the latest resumable state of one seed's run, written atomically (no pickled objects).

Arrays: the config digest, the stage index, the seed's status, its step offset, the parameters (a, W,
and c, v if any), the leaves of the in-progress stage's loop carry (`carry_0`, …), the logged rows and
stage records (as JSON text), the trajectory snapshots so far (`traj_*`) and the elapsed wall time. A batch of seeds writes one file per seed (in
each seed's run directory); `--resume` stacks them again.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import NamedTuple, Optional

import numpy as np

from featlearn.config import ConfigError
from featlearn.io import atomic_save_npz, load_npz

NAME = "checkpoint.npz"
_REQUIRED = {"config_digest", "stage_index", "status", "step_offset", "elapsed", "a", "W", "rows_json", "stages_json"}


class Checkpoint(NamedTuple):
    """One seed's state (unbatched arrays)."""

    config_digest: str
    stage_index: int  # first stage not finished
    params: dict  # a, W (and c, v)
    status: int
    step_offset: int
    carry_leaves: Optional[list]  # loop carry of stage `stage_index` when it is in progress
    rows: list
    stage_logs: list  # StageLog dicts
    elapsed: float
    start_loss: Optional[float] = None  # loss at the start of stage `stage_index` (mid-stage only)
    skipped: int = 0  # schedule steps of stage `stage_index` skipped by converged epochs (mid-stage only)
    trajectory: Optional[dict] = None  # the seed's trajectory snapshots so far (`Trajectory.to_arrays`)


def save(run_dir: Path, c: Checkpoint) -> None:
    arrays = {
        "config_digest": np.asarray(c.config_digest),
        "stage_index": np.asarray(c.stage_index),
        "status": np.asarray(c.status),
        "step_offset": np.asarray(c.step_offset),
        "elapsed": np.asarray(c.elapsed),
        "rows_json": np.asarray(json.dumps(c.rows)),
        "stages_json": np.asarray(json.dumps(c.stage_logs)),
        **{k: np.asarray(v) for k, v in c.params.items()},
    }
    if c.start_loss is not None:
        arrays["start_loss"] = np.asarray(c.start_loss)
    if c.skipped:
        arrays["skipped"] = np.asarray(c.skipped)
    for k, v in (c.trajectory or {}).items():
        arrays[f"traj_{k}"] = np.asarray(v)
    for i, leaf in enumerate(c.carry_leaves or []):
        arrays[f"carry_{i}"] = np.asarray(leaf)
    atomic_save_npz(Path(run_dir) / NAME, arrays)


def load(run_dir: Path, digest: str, n_stages: int) -> Optional[Checkpoint]:
    """The seed's checkpoint, or None when there is none; a file that is not a checkpoint of this config
    is a `ConfigError` naming it."""
    path = Path(run_dir) / NAME
    if not path.exists():
        return None
    hint = "delete it or run without --resume"
    try:
        z = load_npz(path)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ConfigError(f"--resume: {path} cannot be read ({type(exc).__name__}: a corrupt or empty file); {hint}") from None
    if not _REQUIRED <= set(z):
        raise ConfigError(f"--resume: {path} is not a featlearn checkpoint of this version; {hint}")
    if str(z["config_digest"]) != digest:
        raise ConfigError(f"--resume: {path} belongs to another config (digest {str(z['config_digest'])[:10]}); {hint}")
    stage_index = int(z["stage_index"])
    if not 0 <= stage_index <= n_stages:
        raise ConfigError(f"--resume: {path} names stage {stage_index}, but the config has {n_stages} stages; {hint}")
    try:
        rows, stage_logs = json.loads(str(z["rows_json"])), json.loads(str(z["stages_json"]))
    except ValueError:
        raise ConfigError(f"--resume: {path} has unreadable logs; {hint}") from None
    n_carry = sum(1 for k in z if k.startswith("carry_"))
    params = {k: z[k] for k in ("a", "W", "c", "v") if k in z}
    return Checkpoint(
        config_digest=digest,
        stage_index=stage_index,
        params=params,
        status=int(z["status"]),
        step_offset=int(z["step_offset"]),
        carry_leaves=[z[f"carry_{i}"] for i in range(n_carry)] or None,
        rows=rows,
        stage_logs=stage_logs,
        elapsed=float(z["elapsed"]),
        start_loss=float(z["start_loss"]) if "start_loss" in z else None,
        skipped=int(z["skipped"]) if "skipped" in z else 0,
        trajectory={k[5:]: z[k] for k in z if k.startswith("traj_")} or None,
    )


__all__ = ["Checkpoint", "NAME", "load", "save"]
