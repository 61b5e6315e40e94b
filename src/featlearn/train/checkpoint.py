"""checkpoint.npz: the latest resumable state of a run, written atomically (no pickled objects).

Arrays: the stage index, per-seed status, the step offset, the parameters (a, W, and c, v if any), the
leaves of the in-progress stage's loop carry (`carry_0`, …), the logged rows and stage records (as JSON
text) and the elapsed wall time.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import NamedTuple, Optional

import jax.numpy as jnp
import numpy as np

from featlearn.config import ConfigError
from featlearn.io import atomic_save_npz, load_npz
from featlearn.model import Params

NAME = "checkpoint.npz"


class Checkpoint(NamedTuple):
    stage_index: int  # first stage not finished
    params: Params  # batched over seeds
    status: np.ndarray
    step_offset: int
    carry_leaves: Optional[list]  # loop carry of stage `stage_index` when it is in progress
    rows: list
    stage_logs: list
    elapsed: float
    start_loss: Optional[np.ndarray] = None  # per-seed loss at the start of stage `stage_index` (mid-stage only)


def save(out_dir: Path, c: Checkpoint) -> None:
    arrays = {
        "stage_index": np.asarray(c.stage_index),
        "status": np.asarray(c.status),
        "step_offset": np.asarray(c.step_offset),
        "elapsed": np.asarray(c.elapsed),
        "a": np.asarray(c.params.a),
        "W": np.asarray(c.params.W),
        "rows_json": np.asarray(json.dumps(c.rows)),
        "stages_json": np.asarray(json.dumps(c.stage_logs)),
    }
    if c.params.c is not None:
        arrays["head_c"], arrays["head_v"] = np.asarray(c.params.c), np.asarray(c.params.v)
    if c.start_loss is not None:
        arrays["start_loss"] = np.asarray(c.start_loss)
    for i, leaf in enumerate(c.carry_leaves or []):
        arrays[f"carry_{i}"] = np.asarray(leaf)
    atomic_save_npz(Path(out_dir) / NAME, arrays)


def load(out_dir: Path) -> Optional[Checkpoint]:
    path = Path(out_dir) / NAME
    if not path.exists():
        return None
    try:
        z = load_npz(path)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise ConfigError(f"--resume: {path} cannot be read ({type(exc).__name__}); delete it or run without --resume") from None
    if not {"stage_index", "status", "step_offset", "elapsed", "a", "W", "rows_json", "stages_json"} <= set(z):
        raise ConfigError(f"--resume: {path} is not a featlearn checkpoint; delete it or run without --resume")
    n_carry = sum(1 for k in z if k.startswith("carry_"))
    params = Params(jnp.asarray(z["a"]), jnp.asarray(z["W"]))
    if "head_c" in z:
        params = params._replace(c=jnp.asarray(z["head_c"]), v=jnp.asarray(z["head_v"]))
    return Checkpoint(
        stage_index=int(z["stage_index"]),
        params=params,
        status=z["status"],
        step_offset=int(z["step_offset"]),
        carry_leaves=[z[f"carry_{i}"] for i in range(n_carry)] or None,
        rows=json.loads(str(z["rows_json"])),
        stage_logs=json.loads(str(z["stages_json"])),
        elapsed=float(z["elapsed"]),
        start_loss=z.get("start_loss"),
    )
