"""`run(config)` and `run_seeds(config, seeds)`: the stage list for one or many seeds, the summary and,
with `out`, one complete run directory per seed (DESIGN §4.1, §4.2, §7.4).

All seeds of a batch advance together in one vmapped computation (`featlearn.train.driver`); `run` is
the batch of the config's own seed. Checkpoints are taken at chunk boundaries (one file per seed), so
`resume=True` after a kill replays exactly the same computation. Figures and report.html are drawn by
the `writer` the caller passes (the public `featlearn.run` passes the report's); this layer writes data.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field as _field
from pathlib import Path
from typing import Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from featlearn.config import ConfigError, RunConfig, digest, final_weight_decay, validate
from featlearn.diagnostics import Diagnostics, diagnose
from featlearn.model import Params, widest_float
from featlearn.objective import empirical_loss, optimal_head, population_loss
from featlearn.records import RunStatus, StageLog, Summary
from featlearn.train import checkpoint as ckpt
from featlearn.train.driver import BatchState, Context, Progress, execute, initial_state
from featlearn.train.logger import Logger
from featlearn.train.trajectory import Recorder, Trajectory
from featlearn.train.loop import DIVERGED, FAILED
from featlearn.train.resources import check_fits
from featlearn.train.problem import CERTIFICATE, Problem, Static, build_problem, model_loss, stack_problems, test_data
from featlearn.train.rundir import Writer, locked_run_dir, params_arrays, write_run_dir
from featlearn.train.summary import build_summary
from featlearn.io import atomic_save_npz, load_npz


@dataclass
class RunResult:
    """What a run returns for one seed.

    Attributes:
      config: the resolved config (with this seed).
      summary: the `Summary` record (summary.json's content; also readable as a mapping).
      params: final parameters (with the optimal head in population mode).
      teacher: the teacher.
      metrics: one row per logged step (metrics.parquet).
      out_dir: the run directory (None when nothing was written).
      init: the initial parameters.
      diagnostics: the `Diagnostics` of the final network (None for a run loaded from disk).
      traceback: the traceback text of a failed run (error.txt), else None.
      trajectory: the `Trajectory` (snapshots of a, W; trajectory.npz) when `metrics.trajectory_every` > 0.
      figures: name → path of the run's figures (a loaded run directory; else empty).
    """

    config: RunConfig
    summary: Summary
    params: Params
    teacher: Params
    metrics: pd.DataFrame
    out_dir: Optional[Path] = None
    init: Optional[Params] = None
    diagnostics: Optional[Diagnostics] = None
    traceback: Optional[str] = None
    trajectory: Optional[Trajectory] = None
    figures: dict = _field(default_factory=dict)


_TEACHER_KEYS = ("d:", "m_star:", "a_star:", "directions:", "min_angle_deg:")  # make_teacher's messages name these


def ensure_diagnostics(result: RunResult) -> Diagnostics:
    """The `Diagnostics` of a run's final network, computed once (a run loaded from disk has none) with
    the run's own λ, thresholds and certificate key, as at the end of the run."""
    if result.diagnostics is None:
        cfg, loss = result.config, result.summary.final_population_loss
        result.diagnostics = diagnose(result.params, result.teacher, cfg.objective_activation, lam=final_weight_decay(cfg.stages),
                                      delta_deg=cfg.metrics.delta_deg, mass_tol=cfg.metrics.mass_tol,
                                      key=jax.random.fold_in(jax.random.PRNGKey(cfg.seed), CERTIFICATE),
                                      finite=loss is not None and bool(np.isfinite(loss)))
    return result.diagnostics


def build_checked(cfg: RunConfig, seed: int) -> Problem:
    """The seed's teacher and data; a teacher the config cannot produce (random directions that cannot be
    placed `min_angle_deg` apart) is a `ConfigError` naming the key, raised before any file is written."""
    try:
        return build_problem(cfg, seed)
    except ValueError as exc:
        msg = " ".join(str(exc).split())
        raise ConfigError(f"teacher.{msg}" if msg.startswith(_TEACHER_KEYS) else msg) from None


def _take(tree, b: int):
    return jax.tree.map(lambda x: x[b], tree)


def _stack_params(dicts: list[dict]) -> Params:
    p = Params(jnp.asarray(np.stack([d["a"] for d in dicts])), jnp.asarray(np.stack([d["W"] for d in dicts])))
    if "c" in dicts[0]:
        p = p._replace(c=jnp.asarray(np.stack([d["c"] for d in dicts])), v=jnp.asarray(np.stack([d["v"] for d in dicts])))
    return p


def _saver(configs: list[RunConfig], run_dirs: list[Path], t0: float):
    digests = [digest(c) for c in configs]

    def save(state: BatchState) -> None:
        for b, d in enumerate(run_dirs):
            ckpt.save(d, ckpt.Checkpoint(
                digests[b], state.stage_index, params_arrays(_take(state.params, b)), int(state.status[b]), int(state.step_offset[b]),
                None if state.carry_leaves is None else [x[b] for x in state.carry_leaves],
                state.logger.rows[b], [s.to_dict() for s in state.stage_logs[b]], time.perf_counter() - t0,
                None if state.start_loss is None else float(state.start_loss[b]),
                0 if state.skipped is None else int(state.skipped[b]),
                _traj_arrays(state.logger.recorder.trajectory(b)),
            ))

    return save


def _resumed_state(configs: list[RunConfig], run_dirs: list[Path], problems: Problem, t0: float) -> Optional[BatchState]:
    """The batch's state from its checkpoints, or None when a seed has none or the seeds disagree (then the
    batch starts afresh: a batch advances together, so only a consistent set of checkpoints can resume)."""
    cks = [ckpt.load(d, digest(c), len(c.stages)) for c, d in zip(configs, run_dirs)]
    if any(c is None for c in cks):
        return None
    first = cks[0]
    if any(c.stage_index != first.stage_index or (c.carry_leaves is None) != (first.carry_leaves is None) for c in cks):
        return None
    inits = [d / "init.npz" for d in run_dirs]
    if not all(p.is_file() for p in inits):
        return None
    params, init = _stack_params([c.params for c in cks]), _stack_params([load_npz(p) for p in inits])
    expect = (len(cks), configs[0].student.m, configs[0].teacher.d)
    if tuple(params.W.shape) != expect or tuple(init.W.shape) != expect:
        raise ConfigError(f"--resume: {run_dirs[0] / ckpt.NAME} holds W of shape {tuple(params.W.shape[1:])}, "
                          f"the config needs {expect[1:]}; delete it or run without --resume")
    dtype = problems.teacher.W.dtype
    params = jax.tree.map(lambda x: x.astype(dtype), params)
    carry = None
    if first.carry_leaves is not None:
        carry = [np.stack([c.carry_leaves[i] for c in cks]) for i in range(len(first.carry_leaves))]
    return BatchState(
        stage_index=first.stage_index, params=params, init=jax.tree.map(lambda x: x.astype(dtype), init),
        status=np.asarray([c.status for c in cks], np.int32), step_offset=np.asarray([c.step_offset for c in cks], np.int64),
        logger=Logger(len(cks), t0 - first.elapsed, [c.rows for c in cks], recorder=_resumed_recorder(configs[0], cks)),
        stage_logs=[[StageLog.from_dict(s) for s in c.stage_logs] for c in cks], messages=[None] * len(cks),
        carry_leaves=carry, start_loss=None if first.start_loss is None else np.asarray([c.start_loss for c in cks]),
        tracebacks=[None] * len(cks), skipped=np.asarray([c.skipped for c in cks], np.int64),
    )


def _traj_arrays(traj: Optional[Trajectory]) -> Optional[dict]:
    return None if traj is None else traj.to_arrays()


def _resumed_recorder(cfg: RunConfig, cks) -> Recorder:
    """The trajectory recorder of resumed seeds, holding their checkpoints' snapshots."""
    rec = Recorder(len(cks), cfg.metrics.trajectory_every)
    for b, c in enumerate(cks):
        if c.trajectory and rec.on:
            t = Trajectory.from_arrays(c.trajectory)
            rec.snaps[b] = [(int(t.step[i]), str(t.stage[i]), float(t.lam[i]), t.a[i], t.W[i]) for i in range(len(t))]
            rec.spacing[b] = t.every
    return rec


def _status(code: int) -> RunStatus:
    return {DIVERGED: RunStatus.DIVERGED, FAILED: RunStatus.FAILED}.get(int(code), RunStatus.OK)


def _finish(cfg: RunConfig, static: Static, problems: Problem, state: BatchState, t0: float, b: int, full: bool) -> RunResult:
    """One seed's result: final parameters (optimal head in population mode), losses, diagnostics, summary."""
    p, pr = _take(state.params, b), _take(problems, b)
    if static.head and static.mode == "population":
        p = optimal_head(p, pr.teacher, static.activation)
    # the float32 network's own exact loss: evaluated in float64 when x64 is on (no float32 rounding floor)
    loss = float(population_loss(p.astype(widest_float()), pr.teacher.astype(widest_float()), static.activation))
    train_loss = test_loss = None
    if static.mode == "empirical":
        train_loss = float(empirical_loss(p, pr.X, pr.y, static.activation))
        Xt, yt = test_data(cfg, pr)
        test_loss = float(empirical_loss(p, Xt, yt, static.activation))
    diag = diagnose(p, pr.teacher, static.activation, lam=final_weight_decay(cfg.stages), delta_deg=static.delta_deg,
                    mass_tol=static.mass_tol, key=jax.random.fold_in(pr.key, CERTIFICATE), full=full, finite=bool(np.isfinite(loss)))
    summary = build_summary(cfg, status=_status(state.status[b]), message=state.messages[b], loss=loss, diagnostics=diag,
                            stage_logs=state.stage_logs[b], wall=time.perf_counter() - t0, W=p.W, W0=_take(state.init, b).W,
                            train_loss=train_loss, test_loss=test_loss)
    return RunResult(cfg, summary, p, pr.teacher, state.logger.frame(b), init=_take(state.init, b), diagnostics=diag,
                     traceback=state.tracebacks[b] if state.tracebacks else None, trajectory=state.logger.recorder.trajectory(b))


def run_seeds(config, seeds: Sequence[int], *, out: str | Path | None = None, resume: bool = False,
              progress: Optional[Progress] = None, writer: Optional[Writer] = None, debug: bool = False) -> list[RunResult]:
    """Run one config for many seeds in one vmapped computation; with `out`, write one complete run
    directory per seed (the files `run` writes, resumable).

    Args:
      config: a `RunConfig` or a mapping (its `seed` is replaced by each of `seeds`).
      seeds: the seeds.
      out: parent folder of the run directories (None: write nothing).
      resume: continue from the seeds' checkpoints when they are consistent.
      progress: callback (stage, index, step, total, loss, λ) after every chunk (seed 0's values).
      writer: called as writer(run_dir, result) after each run directory's data files are written.
      debug: let an exception inside a stage propagate (else the seeds get status "failed").

    Returns:
      one `RunResult` per seed, in order.
    """
    cfg = validate(config)
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ConfigError("seeds: give at least one seed")
    configs = [cfg.model_copy(update={"seed": s}) for s in seeds]
    check_fits(cfg, len(seeds))  # before anything is built or written
    if cfg.dtype == "float64" and not jax.config.jax_enable_x64:
        raise ConfigError("dtype: float64 needs JAX's 64-bit mode, which JAX_ENABLE_X64=0 switched off; use dtype: float32 "
                          "or unset JAX_ENABLE_X64")
    problems = stack_problems([build_checked(c, c.seed) for c in configs])  # before anything is written
    static = Static.from_config(cfg)
    with contextlib.ExitStack() as stack:
        run_dirs = [stack.enter_context(locked_run_dir(c, out, resume)) for c in configs] if out is not None else None
        return _run_locked(cfg, configs, problems, static, run_dirs, resume, progress, writer, debug)


def _run_locked(cfg, configs, problems, static, run_dirs, resume, progress, writer, debug) -> list[RunResult]:
    t0 = time.perf_counter()
    ctx = Context(cfg, static, problems, t0, save=_saver(configs, run_dirs, t0) if run_dirs else None, progress=progress, debug=debug)
    state = _resumed_state(configs, run_dirs, problems, t0) if (resume and run_dirs) else None
    if state is None:
        state = initial_state(ctx)
        if run_dirs:
            for b, d in enumerate(run_dirs):
                atomic_save_npz(d / "init.npz", params_arrays(_take(state.init, b)))
    else:
        ctx.t0 = state.logger.t0
    state = execute(ctx, state)
    results = []
    for b, c in enumerate(configs):
        r = _finish(c, static, problems, state, ctx.t0, b, full=writer is not None)
        if run_dirs:
            r.out_dir = run_dirs[b]
            write_run_dir(run_dirs[b], r, writer)
        results.append(r)
    return results


def run(config=None, *, out: str | Path | None = None, resume: bool = False, progress: Optional[Progress] = None,
        writer: Optional[Writer] = None, debug: bool = False) -> RunResult:
    """Run one config (DESIGN §4.1); with `out`, write the run directory `out/<name>-<digest[:10]>`.

    Args:
      config: a `RunConfig`, a mapping, or None for the built-in default.
      out: parent folder of the run directory (None: write nothing).
      resume: continue from `checkpoint.npz` in the run directory if there is one.
      progress: optional callback (stage, index, step, total, loss, λ) called after every chunk.
      writer: draws figures and report.html into the run directory (see `run_seeds`).
      debug: let an exception inside a stage propagate.

    Returns:
      `RunResult`.
    """
    cfg = RunConfig() if config is None else validate(config)
    return run_seeds(cfg, [cfg.seed], out=out, resume=resume, progress=progress, writer=writer, debug=debug)[0]


__all__ = ["RunResult", "build_checked", "ensure_diagnostics", "run", "run_seeds"]
