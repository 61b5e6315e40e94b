r"""Is a network a critical point of L_λ, and which kind (DESIGN §7.6)?

At θ the record holds ‖∇L_λ(θ)‖, the exact Hessian spectrum (`featlearn.diagnostics.hessian`), the
number of negative, zero and positive eigenvalues (|μ| ≤ `tol` counts as zero), and the number of
flat directions the symmetries of the problem predict:

- **splits of a cluster's mass**: k neurons with nonzero mass on one feature direction (one direction,
  or ±w for an even or odd activation, whose ±w carry the same feature) compute the same function
  for every split of their mass; with weight decay the split that keeps each neuron balanced costs
  the same penalty λ·Σ_j |a_j|‖w_j‖, so the cluster has k − 1 flat directions;
- **rescaling** (a, w) → (a/t, t w) of each nonzero neuron is a symmetry only without weight decay:
  with λ = 0 a cluster of k neurons has 2k − 1 flat directions (the k rescalings and the k − 1 splits).
- for an activation that is not positively homogeneous (erf, smooth ones) neither holds: only equal
  rows w share a feature, and their splits of a are flat only with λ = 0.

Neurons with zero mass have no predicted flat direction with λ > 0: their (a_j, w_j) block is
λ·[[1, ∓η_λ'], [∓η_λ', I]], positive definite exactly when the dual certificate is strict there.

Verdict: "not critical" when ‖∇L_λ‖ > `grad_tol`; else "saddle" with a negative eigenvalue; else
"minimum" (strict modulo the symmetries) when the zero eigenvalues are exactly the predicted flat
directions; else "degenerate" (more zero eigenvalues than the symmetries explain: the second-order test
says nothing).
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from featlearn.diagnostics.features import feature_kernel
from featlearn.diagnostics.hessian import hessian_matrix, loss_c2
from featlearn.gaussian.activations import get_activation
from featlearn.model import Params

VERDICTS = ("minimum", "saddle", "degenerate", "not critical")
EIG_RTOL = 1e-9  # |μ| ≤ EIG_RTOL · max|μ| counts as a zero eigenvalue
GRAD_TOL = {"float64": 1e-9, "float32": 1e-4}  # ‖∇L_λ‖ at most this is a critical point
CLUSTER_COS = 1.0 - 1e-8  # neurons whose directions agree to |1 − cos| ≤ 1e-8 form one cluster


class CriticalPoint(NamedTuple):
    """The `critical_point` record of summary.json (DESIGN §7.6); `to_summary()` gives its JSON form."""

    grad_norm: float
    n_negative: int
    n_zero: int
    n_positive: int
    tol: float
    predicted_flat: int
    verdict: str
    lam: float
    min_eigenvalue: float
    note: str = ""

    def to_summary(self) -> dict:
        """JSON form. The tolerance and the lowest eigenvalue are kept to 3 significant digits: near zero an
        eigenvalue is rounding (±1e-16·‖H‖), whose last digits differ between processes; the counts and
        the verdict are what the record asserts."""
        out = {k: getattr(self, k) for k in ("grad_norm", "n_negative", "n_zero", "n_positive", "tol",
                                              "predicted_flat", "verdict", "lam", "min_eigenvalue", "note")}
        for k in ("tol", "min_eigenvalue"):
            out[k] = float(f"{out[k]:.3g}")
        return out


def predicted_flat(params: Params, activation, lam: float, *, mass_floor: float = 1e-12) -> int:
    """Flat directions of ∇²L_λ the symmetries predict at θ (module docstring).

    A positively homogeneous σ: clusters of nonzero neurons on one feature direction, k − 1 flat
    directions each with λ > 0, 2k − 1 with λ = 0. Any other σ has no rescaling symmetry and w carries
    its norm into the feature: clusters of equal rows w (±w for an even or odd σ) have k − 1 flat
    directions with λ = 0 (splits of a) and none with λ > 0 (the penalty (λ/2)Σa_j² curves every split)."""
    W = np.asarray(params.W, float)
    a = np.asarray(params.a, float)
    norms = np.linalg.norm(W, axis=1)
    mass = np.abs(a) * norms
    live = mass > mass_floor * max(float(mass.max(initial=0.0)), 1e-300)
    if not live.any():
        return 0
    act = get_activation(activation)
    fk = feature_kernel(act.name, False)
    mirrored = bool(fk.even or fk.odd)
    if act.homogeneous:
        U = W[live] / norms[live, None]
        C = U @ U.T
        same = (np.abs(C) if mirrored else C) >= CLUSTER_COS
    else:
        V = W[live]
        scale = norms[live][:, None] + norms[live][None, :]
        dist = np.linalg.norm(V[:, None, :] - V[None, :, :], axis=2)
        if mirrored:
            dist = np.minimum(dist, np.linalg.norm(V[:, None, :] + V[None, :, :], axis=2))
        same = dist <= (1.0 - CLUSTER_COS) * scale
    seen = np.zeros(len(same), bool)
    flat = 0
    for j in range(len(same)):
        if seen[j]:
            continue
        members = same[j] & ~seen
        seen |= members
        k = int(members.sum())
        if act.homogeneous:
            flat += (k - 1) if lam > 0 else (2 * k - 1)
        elif lam == 0:
            flat += k - 1
    return flat


def _grad_norm(params: Params, teacher: Params, activation, lam) -> float:
    flat, unravel = ravel_pytree(params)
    g = jax.grad(lambda x: loss_c2(unravel(x), teacher, activation, jnp.asarray(lam, x.dtype)))(flat)
    return float(jnp.linalg.norm(g))


def classify(grad_norm: float, eigenvalues: np.ndarray, flat: int, lam: float, dtype: str = "float64",
             *, grad_tol: Optional[float] = None) -> CriticalPoint:
    """The verdict from ‖∇L_λ‖ and the Hessian's eigenvalues (module docstring)."""
    ev = np.asarray(eigenvalues, float)
    tol = EIG_RTOL * max(float(np.abs(ev).max(initial=0.0)), 1e-300)
    n_neg, n_zero = int(np.sum(ev < -tol)), int(np.sum(np.abs(ev) <= tol))
    n_pos = int(ev.size) - n_neg - n_zero
    gtol = GRAD_TOL.get(dtype, 1e-9) if grad_tol is None else grad_tol
    if not np.isfinite(grad_norm) or grad_norm > gtol:
        verdict, note = "not critical", f"‖∇L_λ‖ = {grad_norm:.2e} > {gtol:.0e} (a polish stage finds the nearby critical point)"
    elif n_neg:
        verdict, note = "saddle", f"{n_neg} negative eigenvalue{'s' if n_neg > 1 else ''} (the lowest {ev[0]:.3e})"
    elif n_zero == flat:
        verdict, note = "minimum", f"strict modulo the symmetries: the {n_zero} zero eigenvalues are the predicted flat directions"
    else:
        verdict, note = "degenerate", f"{n_zero} zero eigenvalues, {flat} predicted by the symmetries: the second-order test is inconclusive"
    return CriticalPoint(float(grad_norm), n_neg, n_zero, n_pos, tol, int(flat), verdict, float(lam),
                         float(ev[0]) if ev.size else float("nan"), note)


def critical_point(params: Params, teacher: Params, activation, lam, *, eigenvalues: Optional[np.ndarray] = None,
                   dtype: str = "float64", grad_tol: Optional[float] = None) -> CriticalPoint:
    r"""The critical-point record of θ for L_λ (population loss, DESIGN §7.6).

    Args:
      params: the network θ.
      teacher: the teacher θ*.
      activation: activation name.
      lam: weight decay λ of L_λ.
      eigenvalues: the Hessian spectrum at θ if already computed (`hessian_spectrum`), else computed here.
      dtype: the run's dtype (sets the default gradient tolerance, `GRAD_TOL`).
      grad_tol: ‖∇L_λ‖ at most this is critical (default `GRAD_TOL[dtype]`).

    Example:
      >>> import jax, featlearn
      >>> from featlearn.diagnostics.critical import critical_point
      >>> t = featlearn.make_teacher(3, 2, jax.random.PRNGKey(0), a_star=[1., -1.])
      >>> critical_point(t, t, "relu_trim", 0.0).verdict  # the teacher itself, no weight decay
      'minimum'
    """
    lam = float(lam)
    if eigenvalues is None:
        H = np.asarray(hessian_matrix(params, teacher, activation, lam))
        eigenvalues = np.linalg.eigvalsh(0.5 * (H + H.T))
    return classify(_grad_norm(params, teacher, activation, lam), eigenvalues, predicted_flat(params, activation, lam), lam,
                    dtype, grad_tol=grad_tol)


__all__ = ["CriticalPoint", "VERDICTS", "classify", "critical_point", "predicted_flat"]
