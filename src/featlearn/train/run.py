"""`run(config)`: initialisation, the stage list, logs, summary and the run directory (DESIGN §4.2).

All seeds of a batch (`run_seeds`) advance together in one vmapped computation; `run` is the batch of
the config's own seed, and writes the run directory when `out` is given. Checkpoints are taken at chunk
boundaries, so `resume=True` after a kill replays exactly the same computation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from featlearn.config import ConfigError, RunConfig, validate
from featlearn.config.schema import GD, AnnealWeightDecay, Lazy, OneStep
from featlearn.model import Params
from featlearn.objective import weight_decay
from featlearn.train import checkpoint as ckpt
from featlearn.train.anneal import anneal_weight_decay
from featlearn.train.fit_second_layer import fit_second_layer
from featlearn.train.gd import gd
from featlearn.train.init import initialise
from featlearn.train.lazy import lazy
from featlearn.train.iterative import tree_all_finite
from featlearn.train.loop import DIVERGED, DONE, RUNNING, init_carry, make_chunk, pending
from featlearn.train.metrics import light_alignment
from featlearn.train.one_step import one_step
from featlearn.train.problem import INIT, STAGE0, Problem, Static, build_problem, model_loss, stack_problems, training_loss

Progress = Callable[[str, int, int, int, float, float], None]  # (stage, index, step, total, loss, lam)


@dataclass
class RunResult:
    """What a run returns: the resolved config, summary.json's content, final parameters, the teacher,
    the metrics table (one row per logged step) and the run directory (None when nothing was written)."""

    config: RunConfig
    summary: dict
    params: Params
    teacher: Params
    metrics: pd.DataFrame
    out_dir: Optional[Path] = None
    extras: dict = field(default_factory=dict)


def _stage_name(i: int, st) -> str:
    return f"{i}:{st.kind}"


def _iterative(st, static: Static, index: int):
    if isinstance(st, AnnealWeightDecay):
        return anneal_weight_decay(static, st)
    if isinstance(st, GD):
        return gd(static, st, STAGE0 + index)
    if isinstance(st, Lazy):
        return lazy(static, st)
    return None


def _metrics_fn(static: Static, model_loss_fn):

    def f(params, state, problem, lam):
        al = light_alignment(params, problem.teacher, static.activation, static.delta_deg, static.mass_tol)
        ml = model_loss_fn(params, state, problem) if model_loss_fn else model_loss(params, problem, static)
        return {
            "population_loss": ml,
            "reg_loss": (ml + lam * weight_decay(params)) if model_loss_fn else training_loss(params, problem, static, lam),
            "far_mass": al.far_mass,
            "max_angle_deg": al.max_angle_deg,
            "signed_mass": al.signed_mass,
        }

    return jax.jit(jax.vmap(f, in_axes=(0, 0, 0, 0)))


class _Logger:
    """Collects metric rows (one per seed and logged step) and times."""

    def __init__(self, seeds, t0: float, rows=None):
        self.seeds, self.t0, self.rows = list(seeds), t0, rows or []

    def log(self, step_offset, k, stage, lam, metrics, grad_norm):
        lam = np.broadcast_to(np.asarray(lam, float), (len(self.seeds),))
        wall = time.perf_counter() - self.t0
        host = {key: np.asarray(v) for key, v in metrics.items()}
        for b, seed in enumerate(self.seeds):
            row = {"seed": seed, "step": int(step_offset + k[b]), "stage": stage, "lam": float(lam[b])}
            for key in ("population_loss", "reg_loss", "far_mass", "max_angle_deg"):
                row[key] = float(host[key][b])
            row["grad_norm"] = float(np.asarray(grad_norm)[b])
            row["wall_seconds"] = wall
            for i, s in enumerate(host["signed_mass"][b]):
                row[f"signed_mass_{i}"] = float(s)
            self.rows.append(row)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


def _save_init(out_dir, params):
    """Keep the initial parameters (for the relative weight movement of the summary, also after --resume)."""
    if out_dir is not None:
        from featlearn.io import atomic_save_npz

        atomic_save_npz(Path(out_dir) / "init.npz", {"a": np.asarray(params.a), "W": np.asarray(params.W)})


def _initial_W(out_dir, problems, cfg, static, seeds):
    if out_dir is not None and (Path(out_dir) / "init.npz").exists():
        from featlearn.io import load_npz

        return jnp.asarray(load_npz(Path(out_dir) / "init.npz")["W"])
    keys = jax.vmap(lambda k: jax.random.fold_in(k, INIT))(problems.key)
    return jax.vmap(lambda p, k: initialise(cfg.init, p, static, k))(problems, keys).W


def _select_seeds(mask, new, old):
    """Per-seed choice between two batched pytrees (a diverged seed keeps its old parameters)."""
    return jax.tree.map(lambda n, o: jnp.where(mask.reshape((-1,) + (1,) * (n.ndim - 1)), n, o), new, old)


def _execute(cfg: RunConfig, seeds: Sequence[int], out_dir: Optional[Path], resume: bool, progress: Optional[Progress],
             problems: Optional[Problem] = None):
    static = Static.from_config(cfg)
    if problems is None:
        problems = stack_problems([build_problem(cfg, s) for s in seeds])
    t0 = time.perf_counter()
    state0 = ckpt.load(out_dir) if (resume and out_dir is not None) else None
    if state0 is not None:
        t0 -= state0.elapsed
        logger = _Logger(seeds, t0, state0.rows)
        stage_logs, start_stage, params, status = state0.stage_logs, state0.stage_index, state0.params, jnp.asarray(state0.status)
        step_offset, resume_carry = state0.step_offset, state0.carry_leaves
    else:
        logger = _Logger(seeds, t0)
        init_keys = jax.vmap(lambda k: jax.random.fold_in(k, INIT))(problems.key)
        params = jax.vmap(lambda p, k: initialise(cfg.init, p, static, k))(problems, init_keys)
        stage_logs, start_stage, step_offset, resume_carry = [], 0, 0, None
        status = jnp.zeros((len(seeds),), jnp.int32)
        _save_init(out_dir, params)
        m0 = _metrics_fn(static, None)(params, jnp.zeros(len(seeds)), problems, jnp.zeros(len(seeds)))
        logger.log(0, np.zeros(len(seeds), int), "init", 0.0, m0, np.zeros(len(seeds)))

    def save(stage_index, params, status, step_offset, carry=None, start_loss=None):
        if out_dir is None:
            return
        ckpt.save(out_dir, ckpt.Checkpoint(stage_index, params, np.asarray(status), step_offset, carry, logger.rows, stage_logs,
                                           time.perf_counter() - t0, start_loss))

    for si in range(start_stage, len(cfg.stages)):
        st = cfg.stages[si]
        name = _stage_name(si, st)
        t_stage = time.perf_counter()
        keys = jax.vmap(lambda k: jax.random.fold_in(k, STAGE0 + si))(problems.key)
        resuming = state0 is not None and si == start_stage and state0.carry_leaves is not None
        if resuming and state0.start_loss is not None:  # `params` is the mid-stage state: keep the stage's own start
            start_loss = np.asarray(state0.start_loss)
        else:
            start_loss = np.asarray(jax.vmap(lambda p, pr: model_loss(p, pr, static))(params, problems))
        it = _iterative(st, static, si)
        extra = {}
        status_before = np.asarray(status)
        if it is None:
            fn = one_step if isinstance(st, OneStep) else fit_second_layer
            new, info = jax.jit(jax.vmap(lambda p, k, pr: fn(p, k, pr, static, st)))(params, keys, problems)
            finite = jax.vmap(tree_all_finite)(new)  # a non-finite result: the seed diverged, keep its last params
            params = _select_seeds((status == RUNNING) & finite, new, params)
            status = jnp.where((status == RUNNING) & ~finite, DIVERGED, status)
            steps = 1
            m = _metrics_fn(static, None)(params, jnp.zeros(len(seeds)), problems, jnp.zeros(len(seeds)))
            logger.log(step_offset, np.ones(len(seeds), int), name, 0.0, m, np.asarray(info.get("grad_norm", jnp.zeros(len(seeds)))))
            if "below_threshold" in info:
                extra["below_threshold"] = [bool(x) for x in np.asarray(info["below_threshold"])]
            end_loss = np.asarray(m["population_loss"])
        else:
            params, status, steps, end_loss = _run_iterative(
                it, st, si, name, params, status, problems, static, cfg, logger, step_offset, progress, save,
                resume_carry if resuming else None, start_loss,
            )
        stage_logs.append({
            "name": st.kind, "index": si, "steps": int(steps), "start_loss": float(start_loss[0]), "end_loss": float(end_loss[0]),
            "seconds": time.perf_counter() - t_stage, **extra,
            "diverged": [bool(x) for x in (status_before != DIVERGED) & (np.asarray(status) == DIVERGED)],
            **({"per_seed_start_loss": [float(x) for x in start_loss], "per_seed_end_loss": [float(x) for x in end_loss]} if len(seeds) > 1 else {}),
        })
        step_offset += int(steps)
        save(si + 1, params, status, step_offset)
    W0 = _initial_W(out_dir, problems, cfg, static, seeds)
    return params, problems, status, logger, stage_logs, t0, static, W0


def _run_iterative(it, st, si, name, params, status, problems, static, cfg, logger, step_offset, progress, save, resume_leaves,
                   start_loss=None):
    chunk = make_chunk(it, cfg.log_every)
    carry = init_carry(it, params, problems)
    carry = carry._replace(status=jnp.where(status == RUNNING, RUNNING, status))
    if resume_leaves is not None:
        carry = jax.tree.unflatten(jax.tree.structure(carry), [jnp.asarray(x) for x in resume_leaves])
    metrics = _metrics_fn(static, it.model_loss)
    target = getattr(st, "target_loss", None)
    last_ckpt = int(np.max(np.asarray(carry.k)))
    if resume_leaves is None:  # the stage's starting point, so the stage boundary shows in the logs
        lam0 = jax.vmap(it.lam)(carry.k)
        m = metrics(carry.params, carry.state, problems, jnp.asarray(lam0, carry.params.a.dtype))
        logger.log(step_offset, np.asarray(carry.k), f"{si}:{st.kind}", np.asarray(lam0), m, np.full(carry.k.shape, np.nan))
    while pending(carry, it.total):
        before = carry
        carry, info = chunk(carry, problems)
        lam = jax.vmap(it.lam)(jnp.maximum(carry.k - 1, 0))
        m = metrics(carry.params, carry.state, problems, jnp.asarray(lam, carry.params.a.dtype))
        blown = ~np.isfinite(np.asarray(m["population_loss"])) & (np.asarray(carry.status) != DONE)
        if blown.any():  # finite parameters with a non-finite loss: diverged; keep the chunk's starting point
            keep = jnp.asarray(~blown)
            carry = _select_seeds(keep, carry, before)._replace(status=jnp.where(keep, carry.status, DIVERGED))
            lam = jax.vmap(it.lam)(jnp.maximum(carry.k - 1, 0))
            m = metrics(carry.params, carry.state, problems, jnp.asarray(lam, carry.params.a.dtype))
        logger.log(step_offset, np.asarray(carry.k), f"{si}:{st.kind}", np.asarray(lam), m, np.asarray(info.grad_norm))
        if target is not None:
            reached = (np.asarray(m["population_loss"]) <= target) & (np.asarray(carry.status) == RUNNING)
            carry = carry._replace(status=jnp.where(jnp.asarray(reached), DONE, carry.status))
        k_max = int(np.max(np.asarray(carry.k)))
        if progress is not None:
            progress(name, si, k_max, it.total, float(np.asarray(m["population_loss"])[0]), float(np.asarray(lam)[0]))
        if k_max - last_ckpt >= cfg.checkpoint_every and pending(carry, it.total):
            save(si, carry.params, status, step_offset, jax.tree.leaves(carry), start_loss)
            last_ckpt = k_max
    final_status = jnp.where(carry.status == DIVERGED, DIVERGED, status)
    end = np.asarray(jax.vmap(lambda p, s, pr: it.model_loss(p, s, pr) if it.model_loss else model_loss(p, pr, static))(carry.params, carry.state, problems))
    return carry.params, final_status, int(np.max(np.asarray(carry.k))), end


def run_seeds(config, seeds: Sequence[int], *, progress: Optional[Progress] = None) -> list[RunResult]:
    """Run one config for many seeds in one vmapped computation (nothing is written)."""
    cfg = config if isinstance(config, RunConfig) else validate(config)
    return _results(cfg, list(seeds), *_execute(cfg, list(seeds), None, False, progress))


def _results(cfg, seeds, params, problems, status, logger, stage_logs, t0, static, W0):
    from featlearn.train.summary import build_summary

    df = logger.frame()
    out = []
    for b, seed in enumerate(seeds):
        p = jax.tree.map(lambda x: x[b], params)
        pr = jax.tree.map(lambda x: x[b], problems)
        if static.head and static.mode == "population":
            from featlearn.objective import optimal_head

            p = optimal_head(p, pr.teacher, static.activation)
        c = cfg.model_copy(update={"seed": seed})
        summary = build_summary(c, p, pr, static, int(status[b]), stage_logs, time.perf_counter() - t0, b, W0[b])
        out.append(RunResult(c, summary, p, pr.teacher, df[df.seed == seed].drop(columns="seed").reset_index(drop=True)))
    return out


_TEACHER_KEYS = ("d:", "m_star:", "a_star:", "directions:", "min_angle_deg:")  # make_teacher's messages name these


def _build_checked(cfg: RunConfig, seed: int) -> Problem:
    """The seed's teacher and data; a teacher the config cannot produce (random directions that cannot be
    placed `min_angle_deg` apart) is a `ConfigError` naming the key, raised before any file is written."""
    try:
        return build_problem(cfg, seed)
    except ValueError as exc:
        msg = " ".join(str(exc).split())
        raise ConfigError(f"teacher.{msg}" if msg.startswith(_TEACHER_KEYS) else msg) from None


def run(config=None, *, out: str | Path | None = None, resume: bool = False, progress: Optional[Progress] = None) -> RunResult:
    """Run one config (DESIGN §4.1); with `out`, write the run directory `out/<name>-<digest[:10]>`.

    Args:
      config: a `RunConfig`, a mapping, or None for the built-in default.
      out: parent folder of the run directory (None: write nothing).
      resume: continue from `checkpoint.npz` in the run directory if there is one.
      progress: optional callback (stage, index, step, total, loss, λ) called after every chunk.

    Returns:
      `RunResult`.
    """
    cfg = RunConfig() if config is None else (config if isinstance(config, RunConfig) else validate(config))
    from featlearn.train.rundir import prepare_run_dir, write_run_dir

    problems = stack_problems([_build_checked(cfg, cfg.seed)])  # before anything is written
    out_dir = prepare_run_dir(cfg, out, resume) if out is not None else None
    result = _results(cfg, [cfg.seed], *_execute(cfg, [cfg.seed], out_dir, resume, progress, problems))[0]
    if out_dir is not None:
        write_run_dir(out_dir, result)
        result.out_dir = out_dir
    return result


__all__ = ["RunResult", "run", "run_seeds"]
