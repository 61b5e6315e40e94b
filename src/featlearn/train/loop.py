"""The compiled training loop: `lax.scan` over chunks of `log_every` steps, vmapped over seeds.

One compilation per stage: every chunk has the same length; steps past the stage's total, after the
target loss, or after a non-finite update are masked (the parameters keep their last finite value and
the seed's status says why). The host calls the chunk repeatedly, logging, checkpointing and updating
the progress bar between chunks.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from featlearn.train.iterative import Iterative, tree_all_finite

RUNNING, DONE, DIVERGED, FAILED = 0, 1, 2, 3

# Seeds are vectorised (vmap) in blocks, the blocks run one after another inside the same compiled
# computation (lax.map). On a CPU a block's working set must stay in cache: a full vmap over 64 seeds at
# m = 256 was 1.4× slower per seed than a loop. `seed_block` picks the block from the problem size.
# Measured (64 seeds, 2 cores, time ÷ a Python loop of separate runs): m = 256, d = 100: block 1 1.03,
# 2 0.97, 4 0.99, 8 1.12, 64 1.43; m = 64, d = 20: block 8 0.71.
SEED_BLOCK = 8
CPU_CACHE_BYTES = 8 << 20  # the working set a CPU block may fill (two blocks of m = 256 seeds, see above)


def seed_block(n_seeds: int, m: int, m_star: int, itemsize: int = 8, platform: str | None = None) -> int:
    """How many seeds to vmap together: all of them on an accelerator; on a CPU as many as keep the
    (m + m*)² elementwise arrays of the population step (about six of them) inside `CPU_CACHE_BYTES`
    (at least 1, at most `SEED_BLOCK`), so a batch is never slower than the seeds one after another
    (benchmark P3 measures both sizes)."""
    platform = platform or jax.default_backend()
    if platform != "cpu":
        return max(1, n_seeds)
    per_seed = 6 * (m + m_star) ** 2 * itemsize
    return int(max(1, min(SEED_BLOCK, n_seeds, CPU_CACHE_BYTES // max(per_seed, 1))))


def map_seeds(fn, block: int = SEED_BLOCK):
    """fn over the leading (seed) axis of its arguments: vmapped in blocks of `block`, in one computation."""

    def mapped(*args):
        return jax.lax.map(lambda a: fn(*a), args, batch_size=block)

    return mapped


class Carry(NamedTuple):
    params: Any
    state: Any
    ref_loss: jax.Array  # L_λ at the last step of the previous chunk (the stall test of `Iterative.epoch_rtol`)
    ref_k: jax.Array  # ... and the stage step after it (0: none yet)
    k: jax.Array  # steps taken in this stage
    status: jax.Array  # RUNNING / DONE / DIVERGED


def tree_where(cond, a, b):
    return jax.tree.map(lambda x, y: jnp.where(cond, x, y), a, b)


def make_chunk(it: Iterative, length: int, block: int = SEED_BLOCK):
    """Compiled chunk over seeds (`map_seeds`): advance every seed by up to `length` steps; returns
    (carry, last StepInfo)."""

    def chunk(carry: Carry, problem):
        def body(c: Carry, _):
            active = (c.k < it.total) & (c.status == RUNNING)
            new_p, new_s, info = it.step(c.params, c.state, c.k, problem)
            ok = tree_all_finite(new_p) & jnp.isfinite(info.loss)
            take = active & ok
            c = Carry(
                tree_where(take, new_p, c.params),
                tree_where(take, new_s, c.state),
                c.ref_loss,
                c.ref_k,
                c.k + take.astype(c.k.dtype),
                jnp.where(active & ~ok, DIVERGED, c.status),
            )
            return c, info

        carry, infos = jax.lax.scan(body, carry, None, length=length)
        return carry, jax.tree.map(lambda x: x[-1], infos)

    return jax.jit(map_seeds(chunk, block))


def init_carry(it: Iterative, params, problems) -> Carry:
    state = jax.vmap(it.init_state)(params, problems)
    B = jax.tree.leaves(params)[0].shape[0]
    zeros = jnp.zeros((B,), jnp.int32)
    return Carry(params, state, jnp.full((B,), jnp.nan, jax.tree.leaves(params)[0].dtype), zeros, zeros, zeros)


def pending(carry: Carry, total: int) -> bool:
    return bool(jnp.any((carry.k < total) & (carry.status == RUNNING)))
