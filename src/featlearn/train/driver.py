"""The run driver: a batch of seeds through the config's stage list (DESIGN §2, §7.1).

Every stage comes from the stage registry (`featlearn.train.stages.build_stage`): a `OneShot` runs as
one compiled vmapped call, an `Iterative` through the compiled chunk loop (`featlearn.train.loop`).
Between chunks the host logs metrics, checks for blow-up, updates the progress callback and saves
checkpoints; a stage that raises marks its seeds "failed" (status as data, DESIGN §7.2) instead of
unwinding the run. The whole state between two chunks is one `BatchState`.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Callable, Optional

import jax
import jax.numpy as jnp
import numpy as np

from featlearn.config import RunConfig
from featlearn.model import Params
from featlearn.records import StageLog
from featlearn.train.init import initialise
from featlearn.train.iterative import Iterative, OneShot, tree_all_finite
from featlearn.train.logger import Logger
from featlearn.train.trajectory import Recorder
from featlearn.train.loop import DIVERGED, DONE, FAILED, RUNNING, init_carry, make_chunk, pending, seed_block
from featlearn.train.metrics import metrics_fn
from featlearn.train.problem import INIT, STAGE0, Problem, Static, model_loss
from featlearn.train.stages import build_stage

Progress = Callable[[str, int, int, int, float, float], None]  # (stage, index, step, total, loss, λ)

# Divergence (DESIGN §7.3): a seed diverges when its loss or parameters become non-finite, when its
# training objective L_λ exceeds BLOWUP × its value at the start of the stage (plus BLOWUP_ABS, for
# stages that start at L_λ ≈ 0), or when a parameter exceeds MAX_PARAM (overflow is near). The seed then
# keeps the parameters of the last chunk that passed these checks.
BLOWUP = 1e4
BLOWUP_ABS = 1e-6
MAX_PARAM = {np.dtype(np.float64): 1e100, np.dtype(np.float32): 1e15}


@dataclass
class BatchState:
    """Where a batch of B seeds stands (what the checkpoints hold, one slice per seed).

    Attributes:
      stage_index: the first stage not finished.
      params: batched parameters (leading axis B).
      init: the batched initial parameters (for the relative weight movement).
      status: (B,) RUNNING / DONE / DIVERGED / FAILED.
      step_offset: (B,) steps taken before stage `stage_index`.
      logger: the metric rows of every seed.
      stage_logs: per seed, one `StageLog` per finished stage.
      messages: per seed, why it failed (None otherwise).
      carry_leaves: the loop carry of stage `stage_index` when a checkpoint was taken inside it.
      start_loss: (B,) loss at the start of stage `stage_index` (with `carry_leaves`).
      skipped: (B,) schedule steps of stage `stage_index` skipped by converged epochs (with `carry_leaves`).
      tracebacks: per seed, the traceback text of a failure (for error.txt).
    """

    stage_index: int
    params: Params
    init: Params
    status: np.ndarray
    step_offset: np.ndarray
    logger: Logger
    stage_logs: list
    messages: list
    carry_leaves: Optional[list] = None
    start_loss: Optional[np.ndarray] = None
    tracebacks: list = field(default_factory=list)
    skipped: Optional[np.ndarray] = None

    @property
    def n_seeds(self) -> int:
        return int(self.status.shape[0])


@dataclass
class Context:
    """What the driver needs besides the state: config, static settings, the batched problems, the
    checkpoint writer, the progress callback, and whether exceptions propagate (`debug`)."""

    cfg: RunConfig
    static: Static
    problems: Problem
    t0: float
    save: Optional[Callable[[BatchState], None]] = None
    progress: Optional[Progress] = None
    debug: bool = False
    _metrics: dict = field(default_factory=dict)

    def metrics(self, stage_model_loss=None):
        key = id(stage_model_loss)
        if key not in self._metrics:
            self._metrics[key] = metrics_fn(self.static, stage_model_loss)
        return self._metrics[key]

    def stage_keys(self, index: int):
        return jax.vmap(lambda k: jax.random.fold_in(k, STAGE0 + index))(self.problems.key)

    def losses(self, params) -> np.ndarray:
        return np.asarray(jax.vmap(lambda p, pr: model_loss(p, pr, self.static))(params, self.problems))


def initial_state(ctx: Context) -> BatchState:
    """Initialise every seed (its own sub-key) and log the initial row."""
    B = int(ctx.problems.key.shape[0])
    keys = jax.vmap(lambda k: jax.random.fold_in(k, INIT))(ctx.problems.key)
    params = jax.vmap(lambda p, k: initialise(ctx.cfg.init, p, ctx.static, k))(ctx.problems, keys)
    state = BatchState(0, params, params, np.zeros(B, np.int32), np.zeros(B, np.int64),
                       Logger(B, ctx.t0, recorder=Recorder(B, ctx.cfg.metrics.trajectory_every)),
                       [[] for _ in range(B)], [None] * B, tracebacks=[None] * B)
    zeros = jnp.zeros(B, params.a.dtype)
    state.logger.log(0, "init", 0.0, ctx.metrics()(params, zeros, ctx.problems, zeros), np.zeros(B), params=params)
    return state


def execute(ctx: Context, state: BatchState) -> BatchState:
    """Run stages `state.stage_index …` of the config; returns the final state."""
    for si in range(state.stage_index, len(ctx.cfg.stages)):
        st = ctx.cfg.stages[si]
        t_stage = time.perf_counter()
        status_before = state.status.copy()
        try:
            built = build_stage(ctx.static, st, si)
            if isinstance(built, OneShot):
                _one_shot(ctx, state, si, st, built, t_stage)
            else:
                _iterative(ctx, state, si, st, built, t_stage)
        except Exception as exc:  # noqa: BLE001 - a failing stage is a run status, not a crash
            if ctx.debug:
                raise
            _fail(state, si, st, exc, status_before)
            break
        state.stage_index, state.carry_leaves, state.start_loss = si + 1, None, None
        if ctx.save:
            ctx.save(state)
    return state


def _fail(state: BatchState, si: int, st, exc: BaseException, status_before: np.ndarray) -> None:
    text = " ".join(str(exc).split())
    msg = f"stage {si} ({st.kind}) failed: {type(exc).__name__}" + (f": {text}" if text else "")
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    for b in range(state.n_seeds):
        if status_before[b] == RUNNING:
            state.status[b], state.messages[b], state.tracebacks[b] = FAILED, msg, tb


@jax.jit
def _largest_entry(params) -> jax.Array:
    """Per seed: the largest |entry| of its parameters (compiled once per shape, not traced per chunk)."""
    return jax.vmap(lambda p: jnp.max(jnp.asarray([jnp.max(jnp.abs(x)) for x in jax.tree.leaves(p)])))(params)


def _blown(metrics: dict, params, start_obj) -> np.ndarray:
    """Per seed: non-finite loss, objective above BLOWUP × its start, or a parameter beyond MAX_PARAM."""
    loss, obj = np.asarray(metrics["population_loss"]), np.asarray(metrics["reg_loss"])
    big = np.asarray(_largest_entry(params))
    limit = MAX_PARAM.get(np.dtype(params.a.dtype), 1e15)
    with np.errstate(invalid="ignore", over="ignore"):
        return ~np.isfinite(loss) | ~np.isfinite(obj) | (obj > BLOWUP * np.abs(start_obj) + BLOWUP_ABS) | ~(big < limit)


def _select_seeds(mask, new, old):
    """Per-seed choice between two batched pytrees (a diverged seed keeps its old parameters)."""
    return jax.tree.map(lambda n, o: jnp.where(mask.reshape((-1,) + (1,) * (n.ndim - 1)), n, o), new, old)


def _one_shot(ctx: Context, state: BatchState, si: int, st, built: OneShot, t_stage: float) -> None:
    B = state.n_seeds
    start = ctx.losses(state.params)
    new, info = jax.jit(jax.vmap(built.apply))(state.params, ctx.stage_keys(si), ctx.problems)
    running = jnp.asarray(state.status == RUNNING)
    finite = jax.vmap(tree_all_finite)(new)  # a non-finite result: the seed diverged, keeps its last params
    state.params = _select_seeds(running & finite, new, state.params)
    diverged = np.asarray(running & ~finite)
    state.status = np.where(diverged, DIVERGED, state.status).astype(np.int32)
    zeros = jnp.zeros(B, state.params.a.dtype)
    m = ctx.metrics()(state.params, zeros, ctx.problems, zeros)
    state.logger.log(state.step_offset + 1, f"{si}:{st.kind}", 0.0, m, np.asarray(info.get("grad_norm", zeros)), params=state.params)
    end = np.asarray(m["population_loss"])
    below = np.asarray(info["below_threshold"]) if "below_threshold" in info else None
    iters = np.asarray(info["iterations"]) if "iterations" in info else np.ones(B, int)
    seconds = time.perf_counter() - t_stage
    for b in range(B):
        state.stage_logs[b].append(StageLog(st.kind, st.kind, si, int(iters[b]), float(start[b]), float(end[b]), seconds,
                                            below_threshold=None if below is None else bool(below[b]), diverged=bool(diverged[b])))
    state.step_offset = state.step_offset + 1


def _iterative(ctx: Context, state: BatchState, si: int, st, it: Iterative, t_stage: float) -> None:
    name = f"{si}:{st.kind}"
    metrics = ctx.metrics(it.model_loss)
    m, m_star = ctx.static.m, int(ctx.problems.teacher.W.shape[1])
    chunk = make_chunk(it, ctx.cfg.log_every, seed_block(state.n_seeds, m, m_star, state.params.a.dtype.itemsize))
    carry = init_carry(it, state.params, ctx.problems)
    carry = carry._replace(status=jnp.asarray(np.where(state.status == RUNNING, RUNNING, state.status), jnp.int32))
    resuming = state.carry_leaves is not None
    if resuming:
        carry = jax.tree.unflatten(jax.tree.structure(carry), [jnp.asarray(x) for x in state.carry_leaves])
        start = state.start_loss
    else:
        start = ctx.losses(state.params)
    dtype = carry.params.a.dtype

    lam_of = jax.jit(jax.vmap(it.lam))  # traced once per stage (between chunks, every chunk asks)

    def lam_at(k):
        return np.asarray(lam_of(jnp.asarray(k, jnp.int32)))

    def measure(c, k_prev):
        return metrics(c.params, c.state, ctx.problems, jnp.asarray(lam_at(k_prev), dtype))

    k0 = np.asarray(carry.k)
    m0 = measure(carry, k0)
    start_obj = np.asarray(m0["reg_loss"])  # L_λ where the stage (or the resumed chunk) starts
    if not resuming:  # the stage's starting point, so the stage boundary shows in the logs
        state.logger.log(state.step_offset + k0, name, lam_at(k0), m0, np.full(k0.shape, np.nan), params=carry.params)
    last_ckpt = int(np.max(np.asarray(carry.k)))
    refresh = jax.jit(jax.vmap(it.refresh)) if it.refresh is not None else None
    # the block (epoch) each seed's refreshable state belongs to: none yet at the stage start (so the
    # first chunk refreshes it), the checkpoint's when resuming mid-stage
    epoch = None
    if refresh is not None:
        k_start = np.asarray(carry.k)  # a checkpoint at an epoch's first step predates that epoch's refresh
        epoch = np.where(k_start > 0, (k_start - 1) // it.refresh_every, -1) if resuming else np.full(state.n_seeds, -1)
    # steps computed per seed (a resumed stage counts from its checkpoint's schedule position, less what it skipped)
    taken = np.asarray(carry.k) - (state.skipped if resuming and state.skipped is not None else 0)
    while pending(carry, it.total):
        if refresh is not None:  # a seed entering a new epoch gets its state refreshed (e.g. lr: auto)
            k_now = np.asarray(carry.k)
            due = (k_now // it.refresh_every > epoch) & (k_now < it.total) & (np.asarray(carry.status) == RUNNING)
            if due.any():
                new_state = refresh(carry.params, carry.state, carry.k, ctx.problems)
                carry = carry._replace(state=_select_seeds(jnp.asarray(due), new_state, carry.state))
                epoch = np.where(due, k_now // it.refresh_every, epoch)
        before = carry
        carry, info = chunk(carry, ctx.problems)
        k_prev = np.maximum(np.asarray(carry.k) - 1, 0)
        m = measure(carry, k_prev)
        blown = _blown(m, carry.params, start_obj) & (np.asarray(carry.status) != DONE)
        if blown.any():  # a blow-up (see BLOWUP): diverged; keep the chunk's starting point
            keep = jnp.asarray(~blown)
            carry = _select_seeds(keep, carry, before)._replace(status=jnp.where(keep, carry.status, DIVERGED))
            k_prev = np.maximum(np.asarray(carry.k) - 1, 0)
            m = measure(carry, k_prev)
        state.logger.log(state.step_offset + np.asarray(carry.k), name, lam_at(k_prev), m, np.asarray(info.grad_norm), new_only=True,
                         params=carry.params)
        taken = taken + (np.asarray(carry.k) - np.asarray(before.k))
        if it.epoch_done is not None or it.epoch_rtol > 0:  # an epoch that has converged ends early: skip to the next one
            carry = _skip_converged(it, carry, np.asarray(info.grad_norm), lam_at(k_prev), np.asarray(info.loss))
        target = getattr(st, "target_loss", None)
        if target is not None:
            reached = (np.asarray(m["population_loss"]) <= target) & (np.asarray(carry.status) == RUNNING)
            carry = carry._replace(status=jnp.where(jnp.asarray(reached), DONE, carry.status))
        k_max = int(np.max(np.asarray(carry.k)))
        if ctx.progress is not None:
            ctx.progress(name, si, k_max, it.total, float(np.asarray(m["population_loss"])[0]), float(lam_at(k_prev)[0]))
        if ctx.save and k_max - last_ckpt >= ctx.cfg.checkpoint_every and pending(carry, it.total):
            state.carry_leaves, state.start_loss = [np.asarray(x) for x in jax.tree.leaves(carry)], start
            state.skipped = np.asarray(carry.k) - taken
            saved_params, state.params = state.params, carry.params
            ctx.save(state)
            state.params = saved_params
            last_ckpt = k_max
    steps = np.asarray(carry.k)
    end = np.asarray(jax.vmap(lambda p, s, pr: it.model_loss(p, s, pr) if it.model_loss else model_loss(p, pr, ctx.static))(
        carry.params, carry.state, ctx.problems))
    diverged = (np.asarray(carry.status) == DIVERGED) & (state.status == RUNNING)
    lam0, lam1 = lam_at(np.zeros_like(steps)), lam_at(np.maximum(steps - 1, 0))
    lrs = np.asarray(jax.vmap(it.lr_of)(carry.state)) if it.lr_of is not None else np.full(state.n_seeds, np.nan if it.lr is None else it.lr)
    seconds = time.perf_counter() - t_stage
    for b in range(state.n_seeds):
        state.stage_logs[b].append(StageLog(st.kind, st.kind, si, int(taken[b]), float(start[b]), float(end[b]), seconds,
                                            lam_start=float(lam0[b]), lam_end=float(lam1[b]),
                                            lr=None if np.isnan(lrs[b]) else float(lrs[b]), diverged=bool(diverged[b]),
                                            scheduled=int(steps[b]) if steps[b] != taken[b] else None))
    state.params = carry.params
    state.logger.snapshot(state.step_offset + steps, name, lam1, carry.params, force=True)  # each stage's end point
    state.status = np.where(diverged, DIVERGED, state.status).astype(np.int32)
    state.step_offset = state.step_offset + steps
    state.skipped = None


def _skip_converged(it: Iterative, carry, grad_norm: np.ndarray, lam: np.ndarray, loss: np.ndarray):
    """Seeds whose current epoch has converged jump to the next epoch boundary (at most the stage's
    total); the others are unchanged. Converged: `Iterative.epoch_done` on the chunk's last ‖∇‖ and the
    λ of that step, or (with `Iterative.epoch_rtol`) a stalled objective: the relative change of L_λ per
    step between the last steps of this chunk and of the previous one, both inside the current epoch, is
    at most `epoch_rtol`. The carry remembers this chunk's last L_λ for the next test (so a resumed run
    decides as an uninterrupted one)."""
    k = np.asarray(carry.k)
    L = it.epoch_length
    running = (np.asarray(carry.status) == RUNNING) & (k % L != 0) & (k < it.total)
    done = np.zeros(k.shape, bool)
    if it.epoch_done is not None:
        done |= np.asarray(it.epoch_done(grad_norm, lam), bool)
    if it.epoch_rtol > 0:
        ref, ref_k = np.asarray(carry.ref_loss), np.asarray(carry.ref_k)
        same = (ref_k > 0) & (k > ref_k) & ((ref_k - 1) // L == (k - 1) // L)
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.abs(ref - loss) / (np.abs(loss) * np.maximum(k - ref_k, 1))
        done |= same & (rel <= it.epoch_rtol)
    done &= running
    carry = carry._replace(ref_loss=jnp.asarray(loss, carry.ref_loss.dtype), ref_k=jnp.asarray(k, carry.ref_k.dtype))
    if not done.any():
        return carry
    nxt = np.minimum((k // L + 1) * L, it.total)
    return carry._replace(k=jnp.asarray(np.where(done, nxt, k), carry.k.dtype))


__all__ = ["BatchState", "Context", "Progress", "execute", "initial_state"]
