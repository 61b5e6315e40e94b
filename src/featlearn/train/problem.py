"""The per-seed problem (teacher and data, a pytree that vmaps over seeds) and the static settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp

from featlearn.config.schema import RunConfig
from featlearn.data import sample_data
from featlearn.model import Params
from featlearn.objective import empirical_loss, optimal_head, population_loss, population_loss_reference, weight_decay
from featlearn.teacher import make_teacher

# Sub-keys of a run's base key PRNGKey(seed): one per purpose, so stages never reuse randomness.
TEACHER, DATA, INIT, TEST, CERTIFICATE, STAGE0 = 0, 1, 2, 3, 7, 100


@dataclass(frozen=True)
class Static:
    """Hashable settings shared by every seed of a run (static under jit)."""

    activation: str
    mode: str  # "population" | "empirical"
    head: bool
    m: int
    d: int
    noise_std: float
    delta_deg: float
    mass_tol: float

    @classmethod
    def from_config(cls, cfg: RunConfig) -> "Static":
        t = cfg.teacher
        return cls(cfg.objective_activation, cfg.data.mode, cfg.student.head, cfg.student.m, t.d, t.noise_std, cfg.metrics.delta_deg, cfg.metrics.mass_tol)


class Problem(NamedTuple):
    """Teacher, training data (empirical mode) and the base PRNG key of one seed."""

    teacher: Params
    key: jax.Array
    X: Optional[jax.Array] = None
    y: Optional[jax.Array] = None


def test_data(cfg: RunConfig, problem: Problem):
    """`data.n_test` fresh samples of the seed (empirical mode's test set; its own sub-key)."""
    t = cfg.teacher
    return sample_data(problem.teacher, cfg.objective_activation, cfg.data.n_test, jax.random.fold_in(problem.key, TEST), t.noise_std)


def dtype_of(cfg: RunConfig):
    return jnp.float64 if cfg.dtype == "float64" else jnp.float32


def build_problem(cfg: RunConfig, seed: int) -> Problem:
    """Teacher and (empirical mode) the n_train training samples of one seed (host-side, not jitted)."""
    dt = dtype_of(cfg)
    key = jax.random.PRNGKey(seed)
    t = cfg.teacher
    teacher = make_teacher(
        t.d, t.m_star, jax.random.fold_in(key, TEACHER), a_star=t.a_star, directions=t.directions,
        min_angle_deg=t.min_angle_deg, activation=t.activation, dtype=dt,
    )
    if cfg.data.mode == "empirical":
        X, y = sample_data(teacher, cfg.objective_activation, cfg.data.n_train, jax.random.fold_in(key, DATA), t.noise_std)
        return Problem(teacher, key, X, y)
    return Problem(teacher, key)


def stack_problems(problems: list[Problem]) -> Problem:
    return jax.tree.map(lambda *xs: jnp.stack(xs), *problems)


def model_loss(params: Params, problem: Problem, static: Static) -> jax.Array:
    """The exact population loss of the network (with the optimal head in population mode)."""
    if static.head and static.mode == "population":
        params = optimal_head(params, problem.teacher, static.activation)
    return population_loss(params, problem.teacher, static.activation)


def smooth_training_loss(params: Params, problem: Problem, static: Static, lam) -> jax.Array:
    """L_λ as `training_loss`, in a twice-differentiable form with forward mode (for curvatures)."""
    if static.mode != "population":
        return training_loss(params, problem, static, lam)
    if static.head:
        params = optimal_head(params, problem.teacher, static.activation)
    return population_loss_reference(params, problem.teacher, static.activation, smooth=True) + lam * weight_decay(params)


def training_loss(params: Params, problem: Problem, static: Static, lam) -> jax.Array:
    """L_λ: exact population loss (population mode) or empirical loss on (X, y), plus (λ/2)‖θ‖²."""
    if static.mode == "population":
        base = model_loss(params, problem, static)
    else:
        base = empirical_loss(params, problem.X, problem.y, static.activation)
    return base + lam * weight_decay(params)
