r"""Alignment of a student network with the teacher (DESIGN §1.7).

Notation: neuron j has norm r_j = ‖w_j‖, direction ŵ_j = w_j / r_j, mass μ_j = |a_j| r_j and signed
mass a_j r_j (the weight of the point mass at ŵ_j in the measure view, §1.4). Teacher i has unit w*_i
and weight a*_i. For an even feature (abs, relu_trim, or relu under a linear head; σ(−z) = σ(z) up to
the Hermite orders the head absorbs) ±w is the same feature with the same sign of a, so cosines are
taken in absolute value and a neuron near −w*_i counts for teacher i with signed mass a_j r_j. For an
odd feature (erf; σ(−z) = −σ(z)) ±w is the same feature with the sign of a flipped: cosines are taken
in absolute value and a neuron near −w*_i counts for teacher i with signed mass −a_j r_j.

For the non-homogeneous erf, σ(r z) ≠ r σ(z), so the norm r_j is replaced throughout by
κ(r_j) = k(r_j e, e) / k(e, e), the coefficient of the neuron's feature on the unit feature (for the
trimmed kernel under a linear head; `FeatureKernel.radial`). For homogeneous σ, κ(r) = r.

* cosine C_ji = ŵ_j·w*_i (|ŵ_j·w*_i| when even); nearest i(j) = argmax_i C_ji; angle ∠_j = arccos C_j,i(j).
* near / far: j ∈ T_i if i(j) = i and ∠_j ≤ δ (`delta_deg`), else j is far.
* per-teacher signed mass M_i = Σ_{j∈T_i} a_j r_j (→ a*_i); far mass F = Σ_{j far} μ_j.
* massive neurons: μ_j > τ (`mass_tol`); max angle = max of ∠_j over massive neurons.
* effective neuron count (Σ_j μ_j)² / Σ_j μ_j² (1 for one neuron; m for m equal masses).
* stage-1 subspace fraction ‖P_S ŵ_j‖ with S = span(W*) (1: ŵ_j lies in the teacher subspace).
* recovered ⇔ F ≤ τ, |M_i − a*_i| ≤ τ for every i, and max angle ≤ δ.

Permutation-invariant recovery error (our choice; it is invariant under relabelling and splitting of
neurons and vanishes iff the student measure equals the teacher measure, up to the assignment radius δ):

    E(θ) = Σ_i |M_i − a*_i| + Σ_i Σ_{j∈T_i} μ_j ∠_j² + F          (∠_j in radians).

It is the local optimality gap of Zhou & Ge's local analysis (mass error per teacher + mass-weighted
squared angle + far mass), to which L(θ) is equivalent up to constants near the teacher.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from featlearn.diagnostics.features import feature_kernel
from featlearn.gaussian.kernels import unit_rows
from featlearn.gaussian.kernels import safe_norm
from featlearn.model import Params


class Alignment(NamedTuple):
    """Alignment metrics of a student with the teacher (module docstring). A JAX pytree of arrays.

    Attributes:
      cosine: (m, m*) ŵ_j·w*_i, in absolute value for an even or odd feature.
      nearest: (m,) int, index of the nearest teacher i(j).
      angle_deg: (m,) ∠(ŵ_j, w*_i(j)) in degrees (to the nearer of ±w* when even; 90 for w_j = 0).
      near: (m,) bool, ∠_j ≤ δ (j ∈ T_i(j)).
      mass: (m,) μ_j = |a_j| ‖w_j‖.
      signed_mass: (m,) a_j ‖w_j‖ (sign flipped for an odd σ when ŵ_j is nearer −w*_i).
      per_teacher_signed_mass: (m*,) M_i = Σ_{j∈T_i} a_j ‖w_j‖.
      per_teacher_count: (m*,) int, number of massive neurons (μ_j > τ) in T_i.
      per_teacher_max_angle_deg: (m*,) max ∠_j over massive neurons in T_i (NaN if none).
      far_mass: scalar F = Σ_{j far} μ_j.
      max_angle_deg: scalar, max ∠_j over massive neurons (NaN if none).
      effective_neurons: scalar (Σ μ)² / Σ μ² (0 if all masses vanish).
      subspace_fraction: (m,) ‖P_S ŵ_j‖, S = span(W*) (0 for w_j = 0).
      recovery_error: scalar E(θ) of the module docstring.
      recovered: scalar bool (module docstring).
      a_star: (m*,) the teacher's a*_i (for the summary).
      delta_deg: the assignment radius δ used.
      mass_tol: the mass tolerance τ used.
    """

    cosine: jax.Array
    nearest: jax.Array
    angle_deg: jax.Array
    near: jax.Array
    mass: jax.Array
    signed_mass: jax.Array
    per_teacher_signed_mass: jax.Array
    per_teacher_count: jax.Array
    per_teacher_max_angle_deg: jax.Array
    far_mass: jax.Array
    max_angle_deg: jax.Array
    effective_neurons: jax.Array
    subspace_fraction: jax.Array
    recovery_error: jax.Array
    recovered: jax.Array
    a_star: jax.Array
    delta_deg: float
    mass_tol: float

    def to_summary(self) -> dict:
        """Plain-JSON fields of summary.json (DESIGN §4.2): recovered, max_angle_deg, far_mass,
        recovery_error, effective_neurons, per_teacher [{index, a_star, signed_mass, n_neurons,
        max_angle_deg}]. NaN (no massive neuron) is written as None."""

        def num(x):
            x = float(x)
            return None if not np.isfinite(x) else x

        return {
            "recovered": bool(self.recovered),
            "max_angle_deg": num(self.max_angle_deg),
            "far_mass": num(self.far_mass),
            "recovery_error": num(self.recovery_error),
            "effective_neurons": num(self.effective_neurons),
            "per_teacher": [
                {
                    "index": i,
                    "a_star": num(self.a_star[i]),
                    "signed_mass": num(self.per_teacher_signed_mass[i]),
                    "n_neurons": int(self.per_teacher_count[i]),
                    "max_angle_deg": num(self.per_teacher_max_angle_deg[i]),
                }
                for i in range(int(np.shape(self.a_star)[0]))
            ],
            "recovery_note": self.shortfall(),
        }

    def shortfall(self) -> str | None:
        """Why the teacher is not recovered, in one line (None when it is): teachers with no neuron
        within δ, far mass above tol, neurons beyond δ, per-teacher masses off by more than tol (a mass
        shrunk towards 0 is the weight-decay bias, which is ∝ λ: anneal further)."""
        if bool(self.recovered):
            return None
        tol, delta = float(self.mass_tol), float(self.delta_deg)
        a_star = np.asarray(self.a_star, np.float64)
        M = np.asarray(self.per_teacher_signed_mass, np.float64)
        count = np.asarray(self.per_teacher_count)
        per_max = np.asarray(self.per_teacher_max_angle_deg, np.float64)
        parts = []
        empty = [i for i in range(a_star.shape[0]) if count[i] == 0]
        if empty:
            parts.append(f"teacher{'s' if len(empty) > 1 else ''} {_list(empty)} ha{'ve' if len(empty) > 1 else 's'} no neuron within {delta:g}°")
        far = float(self.far_mass)
        if not np.isfinite(far) or far > tol:
            parts.append(f"far mass {far:.2e} > {tol:g} (neurons away from every teacher keep mass: train longer)")
        wide = [i for i in range(a_star.shape[0]) if count[i] > 0 and not per_max[i] <= delta]
        if wide:
            parts.append(f"teacher {_list(wide)}: neurons up to {np.nanmax(per_max[wide]):.2f}° away (> {delta:g}°)")
        off = [i for i in range(a_star.shape[0]) if count[i] > 0 and not abs(M[i] - a_star[i]) <= tol]
        if off:
            worst = max(off, key=lambda i: abs(M[i] - a_star[i]) if np.isfinite(M[i]) else np.inf)
            shrunk = all(np.isfinite(M[i]) and abs(M[i]) < abs(a_star[i]) and M[i] * a_star[i] > 0 for i in off)
            text = (f"teacher {_list(off)}: mass off by up to {abs(M[worst] - a_star[worst]):.1e} > {tol:g} "
                    f"(teacher {worst}: {M[worst]:.5f} for a* = {a_star[worst]:g})")
            if shrunk:
                text += "; shrunk towards 0, the weight-decay bias ∝ λ: anneal to a smaller λ (more epochs)"
            parts.append(text)
        return "; ".join(parts) or "not recovered"


def _list(ix) -> str:
    return ", ".join(str(i) for i in ix)


def subspace_fraction(W, W_star) -> jax.Array:
    """‖P_S ŵ_j‖ (m,) for the rows of W (m, d), S = span of the rows of W_star (m*, d)."""
    Q, _ = jnp.linalg.qr(W_star.T)  # (d, m*) orthonormal basis of S (W* has full row rank)
    return jnp.linalg.norm(unit_rows(W) @ Q, axis=1)


def effective_neurons(mu) -> jax.Array:
    """(Σ μ)² / Σ μ² for masses μ (m,); 0 if all vanish."""
    s2 = jnp.sum(mu * mu)
    return jnp.where(s2 > 0, jnp.sum(mu) ** 2 / jnp.where(s2 > 0, s2, 1.0), 0.0)


def alignment(
    params: Params, teacher: Params, activation, *, delta_deg: float = 2.0, mass_tol: float = 1e-3
) -> Alignment:
    r"""Alignment metrics of DESIGN §1.7 (module docstring for the definitions).

    Args:
      params: the student (m neurons; a linear head, if any, makes relu's feature even).
      teacher: the teacher (m*, d) with unit rows.
      activation: activation name (decides whether ±w is the same feature).
      delta_deg: assignment radius δ in degrees (near ⇔ ∠ ≤ δ).
      mass_tol: tolerance τ for "massive" neurons and for `recovered`.

    Returns:
      an `Alignment` record (jit-able: `delta_deg` and `mass_tol` may be traced).

    Example:
      >>> import jax, featlearn
      >>> from featlearn.diagnostics import alignment
      >>> t = featlearn.make_teacher(4, 2, jax.random.PRNGKey(0), a_star=[1., -1.])
      >>> bool(alignment(t, t, "relu_trim").recovered)
      True
    """
    fk = feature_kernel(activation, params.has_head)
    r = safe_norm(params.W)
    al = _alignment(params, teacher, fk.radial(r), delta_deg, mass_tol, parity=fk.parity)
    return al._replace(delta_deg=delta_deg, mass_tol=mass_tol)


@partial(jax.jit, static_argnames=("parity",))
def _alignment(params: Params, teacher: Params, kappa, delta_deg, mass_tol, *, parity: int) -> Alignment:
    even = parity != 0  # ±w is the same feature (angles and cosines taken modulo sign)
    W = params.W
    W_star = teacher.W.astype(W.dtype)
    a_star = teacher.a.astype(W.dtype)
    m_star = W_star.shape[0]
    r = safe_norm(W)
    mu = jnp.abs(params.a * kappa)  # κ(r) = r for homogeneous σ (see the module docstring)
    signed = params.a * kappa

    U, U_star = unit_rows(W), unit_rows(W_star)
    C_raw = jnp.clip(U @ U_star.T, -1.0, 1.0)
    C = jnp.abs(C_raw) if even else C_raw
    nearest = jnp.argmax(C, axis=1)
    if parity < 0:  # odd σ: a neuron near −w*_i is teacher i's feature with the sign of a flipped
        flip = jnp.where(jnp.take_along_axis(C_raw, nearest[:, None], axis=1)[:, 0] < 0, -1.0, 1.0)
        signed = signed * flip.astype(W.dtype)
    # angle to the nearest teacher as 2·atan2(‖û − w*‖, ‖û + w*‖) (accurate at small angles, unlike arccos)
    w_near = U_star[nearest]
    theta = 2.0 * jnp.arctan2(jnp.linalg.norm(U - w_near, axis=1), jnp.linalg.norm(U + w_near, axis=1))
    theta = jnp.minimum(theta, jnp.pi - theta) if even else theta
    ang = jnp.where(r > 0, jnp.degrees(theta), 90.0)
    near = ang <= delta_deg
    massive = mu > mass_tol

    onehot = jnp.where(near[:, None], jax.nn.one_hot(nearest, m_star, dtype=W.dtype), 0.0)  # (m, m*): j ∈ T_i
    M = signed @ onehot
    count = jnp.sum((onehot > 0) & massive[:, None], axis=0)
    ang_mat = jnp.where((onehot > 0) & massive[:, None], ang[:, None], -jnp.inf)
    per_max = jnp.max(ang_mat, axis=0, initial=-jnp.inf)
    per_max = jnp.where(jnp.isfinite(per_max), per_max, jnp.nan)
    far_mass = jnp.sum(jnp.where(near, 0.0, mu))
    max_ang = jnp.max(jnp.where(massive, ang, -jnp.inf), initial=-jnp.inf)
    max_ang = jnp.where(jnp.isfinite(max_ang), max_ang, jnp.nan)

    err = (
        jnp.sum(jnp.abs(M - a_star))
        + jnp.sum(jnp.where(near, mu * jnp.radians(ang) ** 2, 0.0))
        + far_mass
    )
    recovered = (
        (far_mass <= mass_tol)
        & jnp.all(jnp.abs(M - a_star) <= mass_tol)
        & (jnp.nan_to_num(max_ang, nan=jnp.inf) <= delta_deg)
    )
    return Alignment(
        cosine=C,
        nearest=nearest,
        angle_deg=ang,
        near=near,
        mass=mu,
        signed_mass=signed,
        per_teacher_signed_mass=M,
        per_teacher_count=count,
        per_teacher_max_angle_deg=per_max,
        far_mass=far_mass,
        max_angle_deg=max_ang,
        effective_neurons=effective_neurons(mu),
        subspace_fraction=subspace_fraction(W, W_star),
        recovery_error=err,
        recovered=recovered,
        a_star=a_star,
        delta_deg=delta_deg,
        mass_tol=mass_tol,
    )
