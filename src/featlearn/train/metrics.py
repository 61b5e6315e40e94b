r"""Per-log metrics computed inside jit: far mass, max angle, per-teacher signed mass (DESIGN §1.7).

A thin view of `featlearn.diagnostics.alignment` (the definitions live there): fixed-shape arrays only,
with 0 in place of the NaN that `alignment` gives when no neuron is massive.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from featlearn.diagnostics.alignment import alignment
from featlearn.model import Params


class LightAlignment(NamedTuple):
    far_mass: jax.Array
    max_angle_deg: jax.Array
    signed_mass: jax.Array  # (m*,)
    n_neurons: jax.Array  # (m*,) massive neurons near each teacher
    teacher_max_angle_deg: jax.Array  # (m*,)


def light_alignment(params: Params, teacher: Params, activation, delta_deg: float, mass_tol: float) -> LightAlignment:
    al = alignment(params, teacher, activation, delta_deg=delta_deg, mass_tol=mass_tol)
    return LightAlignment(
        far_mass=al.far_mass,
        max_angle_deg=jnp.nan_to_num(al.max_angle_deg, nan=0.0),
        signed_mass=al.per_teacher_signed_mass,
        n_neurons=al.per_teacher_count,
        teacher_max_angle_deg=jnp.nan_to_num(al.per_teacher_max_angle_deg, nan=0.0),
    )
