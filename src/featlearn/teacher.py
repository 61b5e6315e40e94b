r"""Teacher networks f*(x) = Σ_i a*_i σ(w*_i·x) with unit, separated directions (DESIGN §1)."""

from __future__ import annotations

import math
from typing import Sequence, Union

import jax
import jax.numpy as jnp
import numpy as np

from featlearn.config.schema import ASTAR_CHOICES, DIRECTION_CHOICES
from featlearn.gaussian.activations import get_activation
from featlearn.gaussian.kernels import unit_rows_np
from featlearn.model import Params


def pairwise_min_angle_deg(W, even: bool = False) -> float:
    """Smallest angle (degrees) between two distinct rows of W; with ``even`` also between w_i and −w_j."""
    W = np.asarray(W, float)
    if W.shape[0] < 2:
        return 180.0
    U = unit_rows_np(W)
    C = np.clip(U @ U.T, -1.0, 1.0)
    if even:
        C = np.abs(C)
    iu = np.triu_indices(W.shape[0], 1)
    return float(np.degrees(np.arccos(C[iu].max())))


def _a_star(a_star, m_star: int, key, dtype):
    if isinstance(a_star, str):
        if a_star == "ones":
            return jnp.ones((m_star,), dtype)
        if a_star == "alternating":
            return jnp.array([(-1.0) ** i for i in range(m_star)], dtype)
        if a_star == "random_signs":
            return jnp.where(jax.random.bernoulli(key, 0.5, (m_star,)), 1.0, -1.0).astype(dtype)
        raise ValueError(f"a_star: unknown choice {a_star!r}; valid: {', '.join(ASTAR_CHOICES)} or a list of m_star numbers")
    arr = jnp.asarray(a_star, dtype)
    if arr.shape != (m_star,):
        raise ValueError(f"a_star: expected {m_star} values (one per teacher neuron), got shape {tuple(arr.shape)}")
    return arr


def _random_separated(d: int, m_star: int, key, min_angle_deg: float, even: bool, max_tries: int = 20000):
    cos_max = math.cos(math.radians(min_angle_deg))
    rows: list[np.ndarray] = []
    keys = jax.random.split(key, max_tries)
    tries = 0
    while len(rows) < m_star:
        if tries >= max_tries:
            kind = "±w for the even activation" if even else "directions"
            raise ValueError(
                f"min_angle_deg: could not place {m_star} {kind} in d={d} with pairwise angle ≥ {min_angle_deg}°; "
                "use a smaller min_angle_deg or fewer teacher neurons"
            )
        w = np.array(jax.random.normal(keys[tries], (d,)), float)
        tries += 1
        w = unit_rows_np(w)
        cos = np.array([r @ w for r in rows])
        if even:
            cos = np.abs(cos)
        if rows and cos.max() > cos_max:
            continue
        rows.append(w)
    return np.stack(rows)


def make_teacher(
    d: int,
    m_star: int,
    key,
    *,
    a_star: Union[str, Sequence[float]] = "ones",
    directions: Union[str, Sequence[Sequence[float]]] = "orthonormal",
    min_angle_deg: float = 30.0,
    activation=None,
    dtype=None,
) -> Params:
    r"""Build a teacher θ* = (a*, W*) with unit rows ‖w*_i‖ = 1.

    Args:
      d: input dimension.
      m_star: number of teacher neurons.
      key: PRNG key (used for random directions and random signs).
      a_star: "ones", "random_signs", "alternating" (+1, −1, +1, ...) or m_star numbers.
      directions: "orthonormal" (needs m_star ≤ d), "random" (uniform on the sphere, rejected until every
        pair is at least `min_angle_deg` apart) or an explicit (m_star, d) array (rows are normalised).
      min_angle_deg: minimum pairwise angle for "random" directions.
      activation: if given and even (abs, relu_trim), the angle is also enforced between w_i and −w_j,
        since ±w is the same feature.

    Returns:
      `Params(a=a*, W=W*)`.

    Example:
      >>> import jax, featlearn
      >>> t = featlearn.make_teacher(5, 3, jax.random.PRNGKey(0), a_star=[1., -1., 1.])
      >>> t.W.shape
      (3, 5)
    """
    if d < 1 or m_star < 1:
        raise ValueError(f"make_teacher: d and m_star must be ≥ 1, got d={d}, m_star={m_star}")
    even = activation is not None and get_activation(activation).symmetric  # ±w: the same feature
    dtype = jnp.result_type(float) if dtype is None else dtype  # float64 with x64 on, else float32 (no warning)
    k_dir, k_sign = jax.random.split(key)
    if isinstance(directions, str):
        if directions == "orthonormal":
            if m_star > d:
                raise ValueError(f"directions: 'orthonormal' needs m_star ≤ d, got m_star={m_star} > d={d}; use 'random'")
            Q, _ = jnp.linalg.qr(jax.random.normal(k_dir, (d, m_star), dtype))
            W = Q.T
        elif directions == "random":
            W = jnp.asarray(_random_separated(d, m_star, k_dir, min_angle_deg, even), dtype)
        else:
            raise ValueError(f"directions: unknown choice {directions!r}; valid: {', '.join(DIRECTION_CHOICES)}, or an (m_star, d) list")
    else:
        W = jnp.asarray(directions, dtype)
        if W.shape != (m_star, d):
            raise ValueError(f"directions: expected shape ({m_star}, {d}), got {tuple(W.shape)}")
        norms = jnp.linalg.norm(W, axis=1)
        if bool(jnp.any(norms == 0)):
            raise ValueError("directions: every teacher direction must be nonzero")
        W = W / norms[:, None]
    return Params(_a_star(a_star, m_star, k_sign, dtype), W)
