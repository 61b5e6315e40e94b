"""What a stage builder returns: an `Iterative` (run by the compiled loop, `featlearn.train.loop`) or a `OneShot`."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional

import jax
import jax.numpy as jnp


class StepInfo(NamedTuple):
    """Per-step record: the objective L_λ before the step and ‖∇L_λ‖ (λ comes from `Iterative.lam`)."""

    loss: jax.Array
    grad_norm: jax.Array


class Iterative(NamedTuple):
    """An iterative stage: `total` steps of `step(params, state, k, problem) -> (params, state, StepInfo)`.

    `init_state(params, problem)` builds the optimiser / stage state; `lam(k)` is the weight decay at
    step k; `model_loss(params, state, problem)`, if given, replaces the exact population loss in the
    logs (the lazy stage reports the loss of its linearised model).
    """

    total: int
    init_state: Callable
    step: Callable
    lam: Callable
    model_loss: Optional[Callable] = None
    lr: Optional[float] = None  # a fixed step size (recorded in the stage log)
    refresh: Optional[Callable] = None  # refresh(params, state, k, problem) -> state, run between chunks
    refresh_every: int = 0  # ... when a seed enters a new block of this many steps (an epoch)
    lr_of: Optional[Callable] = None  # lr_of(state) -> the step size in use (automatic steps)
    # epoch_done(grad_norm, lam) -> bool per seed (numpy, on the host): the epoch has converged, judged
    # between chunks on the last step's ‖∇‖ and λ; the seed then skips to the next multiple of `epoch_length`
    epoch_done: Optional[Callable] = None
    epoch_length: int = 0
    # an epoch has also converged when its objective stalls: |ΔL_λ| / (|L_λ| · steps) ≤ epoch_rtol between
    # the last steps of two chunks inside the same epoch (0: off)
    epoch_rtol: float = 0.0


def tree_norm(tree: Any) -> jax.Array:
    return jnp.sqrt(sum(jnp.sum(x * x) for x in jax.tree.leaves(tree)))


def tree_all_finite(tree: Any) -> jax.Array:
    return jnp.all(jnp.asarray([jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves(tree)]))


class OneShot(NamedTuple):
    """A one-shot stage: `apply(params, key, problem) -> (params, info)`; `info` may hold `grad_norm`
    and `below_threshold` (per seed, as arrays)."""

    apply: Callable
