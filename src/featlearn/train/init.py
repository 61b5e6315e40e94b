r"""Initialisations (DESIGN §2 "init"): symmetric, random, near_teacher. Pure and vmappable."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from featlearn.config.schema import NearTeacherInit
from featlearn.gaussian.kernels import tilt, unit_rows
from featlearn.model import Params
from featlearn.train.problem import Problem, Static


def symmetric(key, m: int, d: int, scale: float, dtype) -> Params:
    """m/2 random unit directions, each used twice, with a = +scale and −scale: f ≡ 0 at start."""
    dirs = unit_rows(jax.random.normal(key, (m // 2, d), dtype))
    W = scale * jnp.concatenate([dirs, dirs])
    a = scale * jnp.concatenate([jnp.ones(m // 2, dtype), -jnp.ones(m // 2, dtype)])
    return Params(a, W)


def random(key, m: int, d: int, a_scale: float, w_scale: float, dtype) -> Params:
    """a_j ~ N(0, a_scale²), w_j ~ N(0, (w_scale²/d) I_d)."""
    ka, kw = jax.random.split(key)
    return Params(a_scale * jax.random.normal(ka, (m,), dtype), (w_scale / jnp.sqrt(d)) * jax.random.normal(kw, (m, d), dtype))


def near_teacher(key, teacher: Params, m: int, cfg: NearTeacherInit) -> Params:
    r"""Neurons j < m − far: teacher i = j mod m*, direction w*_i rotated by a uniform angle in
    [0, angle_deg] towards a random orthogonal direction; the mass |a*_i|·mass_scale is split among the
    teacher's neurons in random proportions; balanced (|a_j| = ‖w_j‖), sign(a_j) = sign(a*_i).
    The last `far` neurons get random directions, random signs and mass far_mass."""
    m_star, d = teacher.W.shape
    dtype = teacher.W.dtype
    k_ang, k_dir, k_split, k_far, k_sign = jax.random.split(key, 5)
    n_near = m - cfg.far
    assign = jnp.arange(n_near) % m_star
    base = teacher.W[assign]
    noise = jax.random.normal(k_dir, (n_near, d), dtype)
    theta = jnp.deg2rad(cfg.angle_deg) * jax.random.uniform(k_ang, (n_near,), dtype)
    dirs = tilt(base, noise, theta)
    u = jax.random.uniform(k_split, (n_near,), dtype, 0.5, 1.5)
    share = u / jax.ops.segment_sum(u, assign, num_segments=m_star)[assign]
    mu = cfg.mass_scale * jnp.abs(teacher.a[assign]) * share
    a = jnp.sign(teacher.a[assign]) * jnp.sqrt(mu)
    W = jnp.sqrt(mu)[:, None] * dirs
    if cfg.far:
        far_dirs = unit_rows(jax.random.normal(k_far, (cfg.far, d), dtype))
        signs = jnp.where(jax.random.bernoulli(k_sign, 0.5, (cfg.far,)), 1.0, -1.0).astype(dtype)
        r = jnp.sqrt(cfg.far_mass)
        a = jnp.concatenate([a, signs * r])
        W = jnp.concatenate([W, r * far_dirs])
    return Params(a, W)


# init kind → (config, problem, static, key) -> Params; the kinds are those of `featlearn.config.schema.INITS`.
INITIALISERS = {
    "symmetric": lambda cfg, problem, static, key: symmetric(key, static.m, static.d, cfg.scale, problem.teacher.W.dtype),
    "random": lambda cfg, problem, static, key: random(key, static.m, static.d, cfg.a_scale, cfg.w_scale, problem.teacher.W.dtype),
    "near_teacher": lambda cfg, problem, static, key: near_teacher(key, problem.teacher, static.m, cfg),
}


def initialise(cfg, problem: Problem, static: Static, key) -> Params:
    """The initialisation of `cfg.kind`; adds a zero linear head when the student has one."""
    dtype = problem.teacher.W.dtype
    p = INITIALISERS[cfg.kind](cfg, problem, static, key)
    if static.head:
        p = p._replace(c=jnp.zeros((), dtype), v=jnp.zeros((static.d,), dtype))
    return p
