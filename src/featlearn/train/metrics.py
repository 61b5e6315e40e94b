r"""Per-log metrics computed inside jit: far mass, max angle, per-teacher signed mass (DESIGN §1.7).

Neuron j is *near* teacher i(j) = argmax_i cos∠(w_j, w*_i) (|cos| for even σ) when the angle is ≤ δ;
far mass = Σ_{far j} μ_j with μ_j = |a_j|‖w_j‖; max angle = max over neurons with μ_j > tol;
signed mass of teacher i = Σ_{near j → i} a_j ‖w_j‖ (→ a*_i at recovery).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from featlearn.gaussian.kernels import safe_norm
from featlearn.model import Params


class LightAlignment(NamedTuple):
    far_mass: jax.Array
    max_angle_deg: jax.Array
    signed_mass: jax.Array  # (m*,)
    n_neurons: jax.Array  # (m*,) massive neurons near each teacher
    teacher_max_angle_deg: jax.Array  # (m*,)


def light_alignment(params: Params, teacher: Params, even: bool, delta_deg: float, mass_tol: float) -> LightAlignment:
    r = safe_norm(params.W)
    mu = jnp.abs(params.a) * r
    U = params.W / jnp.where(r > 0, r, 1.0)[:, None]
    cos = U @ teacher.W.T
    if even:
        cos = jnp.abs(cos)
    nearest = jnp.argmax(cos, axis=1)
    angle = jnp.degrees(jnp.arccos(jnp.clip(jnp.max(cos, axis=1), -1.0, 1.0)))
    angle = jnp.where(r > 0, angle, 90.0)
    near = angle <= delta_deg
    massive = mu > mass_tol
    m_star = teacher.W.shape[0]
    signed = jax.ops.segment_sum(jnp.where(near, params.a * r, 0.0), nearest, num_segments=m_star)
    count = jax.ops.segment_sum((near & massive).astype(jnp.int32), nearest, num_segments=m_star)
    t_angle = jax.ops.segment_max(jnp.where(massive, angle, 0.0), nearest, num_segments=m_star)
    return LightAlignment(
        far_mass=jnp.sum(jnp.where(near, 0.0, mu)),
        max_angle_deg=jnp.max(jnp.where(massive, angle, 0.0)),
        signed_mass=signed,
        n_neurons=count,
        teacher_max_angle_deg=jnp.maximum(t_angle, 0.0),
    )
