r"""Per-log metrics computed inside jit: losses, far mass, max angle, per-teacher signed mass (DESIGN §1.7).

A thin view of `featlearn.diagnostics.alignment` (the definitions live there): fixed-shape arrays only,
with 0 in place of the NaN that `alignment` gives when no neuron is massive. `metrics_fn` is compiled
once per run and model loss (the lazy stage logs its linearised model's loss).
"""

from __future__ import annotations

from typing import Callable, Optional

import jax
import jax.numpy as jnp

from featlearn.diagnostics.alignment import alignment
from featlearn.objective import weight_decay
from featlearn.train.problem import Static, model_loss, training_loss


def metrics_fn(static: Static, stage_model_loss: Optional[Callable] = None) -> Callable:
    """jit(vmap(params, state, problem, lam) → dict of per-seed metrics)."""

    def f(params, state, problem, lam):
        al = alignment(params, problem.teacher, static.activation, delta_deg=static.delta_deg, mass_tol=static.mass_tol)
        if stage_model_loss is None:
            ml = model_loss(params, problem, static)
            reg = training_loss(params, problem, static, lam)
        else:
            ml = stage_model_loss(params, state, problem)
            reg = ml + lam * weight_decay(params)
        return {
            "population_loss": ml,
            "reg_loss": reg,
            "far_mass": al.far_mass,
            "max_angle_deg": jnp.nan_to_num(al.max_angle_deg, nan=0.0),
            "signed_mass": al.per_teacher_signed_mass,
        }

    return jax.jit(jax.vmap(f))


__all__ = ["metrics_fn"]
