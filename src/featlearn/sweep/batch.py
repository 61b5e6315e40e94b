"""Batched seeds: grid points that differ only in `seed` run as one vmapped computation (`run_seeds`),
then each seed's run directory is written as an unbatched `run(config, out=...)` would write it.

What the batch cannot reproduce exactly is rerun unbatched: a seed that stopped before the others in an
iterative stage (target_loss, tol, divergence) — in a batch its log repeats its last step and the next
stage's step offset follows the slowest seed — and, when the per-seed stage start losses cannot be
derived from the logs (a stage after `lazy`, whose own loss is the linearised model's), every seed but
the first. Timings (wall_seconds, seconds, elapsed) naturally differ.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import jax
import numpy as np

from featlearn.config import RunConfig
from featlearn.io import atomic_save_npz



def _init_params(cfg: RunConfig, seeds: Sequence[int]):
    """The initial parameters of each seed, batched, exactly as `run` computes (and saves) them."""
    from featlearn.train.init import initialise
    from featlearn.train.problem import INIT, Static, build_problem, stack_problems

    static = Static.from_config(cfg)
    problems = stack_problems([build_problem(cfg, s) for s in seeds])
    keys = jax.vmap(lambda k: jax.random.fold_in(k, INIT))(problems.key)
    return jax.vmap(lambda p, k: initialise(cfg.init, p, static, k))(problems, keys)


def _steps_by_stage(metrics) -> dict:
    return metrics.groupby("stage", sort=False)["step"].max().to_dict()


def _clean(results) -> list[bool]:
    """Which seeds ran every stage for the batch's full length (their logs equal an unbatched run's)."""
    longest: dict = {}
    for r in results:
        for stage, step in _steps_by_stage(r.metrics).items():
            longest[stage] = max(longest.get(stage, step), step)
    out = []
    for r in results:
        m = r.metrics
        ok = r.summary.get("status") == "ok" and not m.duplicated(["stage", "step"]).any()
        out.append(bool(ok and _steps_by_stage(m) == longest))
    return out


def _plain_rows(result) -> list[dict]:
    """The logger's rows of one seed (what checkpoint.npz stores), from its metrics table."""
    seed = int(result.config.seed)
    rows = []
    for rec in result.metrics.to_dict("records"):
        row = {"seed": seed}
        row.update({k: (v.item() if hasattr(v, "item") else v) for k, v in rec.items()})
        rows.append(row)
    return rows


def _stage_logs(result) -> list[dict]:
    out = []
    for i, s in enumerate(result.summary["stages"]):
        rec = {"name": s["name"], "index": i, "steps": s["steps"], "start_loss": s["start_loss"], "end_loss": s["end_loss"], "seconds": s["seconds"]}
        if "below_threshold" in s:
            rec["below_threshold"] = [s["below_threshold"]]
        rec["diverged"] = [False]
        out.append(rec)
    return out


def _save_final_checkpoint(run_dir: Path, result, raw_params) -> None:
    """checkpoint.npz as an unbatched run leaves it: every stage done, the final (raw) parameters."""
    from featlearn.train import checkpoint as ckpt
    from featlearn.train.loop import RUNNING

    stages = result.summary["stages"]
    ckpt.save(run_dir, ckpt.Checkpoint(
        stage_index=len(result.config.stages),
        params=jax.tree.map(lambda x: np.asarray(x)[None], raw_params),
        status=np.asarray([RUNNING], np.int32),
        step_offset=int(sum(s["steps"] for s in stages)),
        carry_leaves=None,
        rows=_plain_rows(result),
        stage_logs=_stage_logs(result),
        elapsed=float(result.summary.get("wall_seconds") or 0.0),
    ))


def run_batch(configs: Sequence[RunConfig], runs_dir: str | Path) -> list:
    """Run configs that differ only in `seed` as one vmapped computation; write each run directory.

    Args:
      configs: validated configs, equal but for the seed.
      runs_dir: parent folder of the run directories.

    Returns:
      list of `RunResult`, one per config (with `out_dir` set).
    """
    import featlearn.train as train
    from featlearn.train.rundir import prepare_run_dir, write_run_dir

    base = configs[0]
    seeds = [int(c.seed) for c in configs]
    if any(c.model_copy(update={"seed": base.seed}) != base for c in configs):
        raise ValueError("run_batch: the configs must differ only in seed")
    results = train.run_seeds(base, seeds)
    clean = _clean(results)
    init = _init_params(base, seeds)
    # The raw final parameters (before the population-mode optimal head, which `run` applies to its result).
    head = base.student.head and base.data.mode == "population"
    out = []
    for b, (cfg, res) in enumerate(zip(configs, results)):
        if not clean[b]:
            out.append(train.run(cfg, out=runs_dir))
            continue
        run_dir = prepare_run_dir(res.config, runs_dir, False)
        atomic_save_npz(run_dir / "init.npz", {"a": np.asarray(init.a[b:b + 1]), "W": np.asarray(init.W[b:b + 1])})
        if not head:  # with a population-mode head the raw head parameters are not in the result
            _save_final_checkpoint(run_dir, res, res.params)
        write_run_dir(run_dir, res)
        res.out_dir = run_dir
        out.append(res)
    return out


__all__ = ["run_batch"]
