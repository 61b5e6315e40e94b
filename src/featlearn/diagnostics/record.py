r"""`Diagnostics`: every diagnostic of one trained network, computed once (DESIGN §7.2).

The summary takes its alignment and certificate fields from here; the report draws the rest
(alignment heatmap, teacher planes, η on great circles, Hessian spectrum, the d = 2 descent picture)
from this record and never computes them itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import jax
import numpy as np

from featlearn.diagnostics.alignment import Alignment, alignment
from featlearn.diagnostics.certificate import certificate_sup, certificate_support_gap, empirical_certificate
from featlearn.diagnostics.descent import DescentCheck, descent_direction
from featlearn.diagnostics.dual_certificate import dual_certificate
from featlearn.diagnostics.features import feature_kernel
from featlearn.diagnostics.critical import CriticalPoint, critical_point
from featlearn.diagnostics.hessian import HessianSpectrum, hessian_spectrum
from featlearn.diagnostics.sphere import GreatCircle, great_circles
from featlearn.gaussian.activations import get_activation
from featlearn.model import Params


@dataclass
class Diagnostics:
    """Diagnostics of one network θ against its teacher.

    Attributes:
      alignment: the `Alignment` record (DESIGN §1.7).
      even: ±w is the same feature for the kernel the diagnostics see.
      lam: the weight decay λ of the certificate and the Hessian (None: the run sets no λ).
      certificate_sup: sup_u |η_λ(u)| (None when λ is None or the loss is not finite).
      certificate_support_gap: max over the support of |η_λ(ŵ_j) − sign(a_j)|.
      circles: η_λ and the constructed η on great circles through teacher pairs (full only).
      hessian: the Hessian spectrum of L_λ (eigenvalues None above the size limit).
      critical_point: ‖∇L_λ‖, the Hessian's inertia and the verdict (`featlearn.diagnostics.critical`; with the Hessian).
      descent: the d = 2 descent-direction check (full, d = 2, no head only).
      notes: why an item was not computed, by item name.
    """

    alignment: Alignment
    even: bool
    lam: Optional[float] = None
    certificate_sup: Optional[float] = None
    certificate_support_gap: Optional[float] = None
    circles: Optional[list[GreatCircle]] = None
    hessian: Optional[HessianSpectrum] = None
    critical_point: Optional[CriticalPoint] = None
    descent: Optional[DescentCheck] = None
    notes: dict = field(default_factory=dict)


def diagnose(params: Params, teacher: Params, activation, *, lam: Optional[float], delta_deg: float, mass_tol: float,
             key: jax.Array, full: bool = True, finite: bool = True, max_hessian_params: int = 3000) -> Diagnostics:
    """Compute the diagnostics of θ = `params` (those the summary needs; with `full`, also the figures').

    Args:
      params, teacher: the network and its teacher.
      activation: activation name.
      lam: weight decay of the certificate / Hessian (None: no certificate).
      delta_deg, mass_tol: alignment thresholds (DESIGN §1.7).
      key: PRNG key of the certificate's random starts.
      full: also the great circles and (d = 2) the descent picture (the Hessian spectrum and the
        critical-point record are computed either way, up to `max_hessian_params`).
      finite: whether the network's loss is finite (no certificate otherwise).
      max_hessian_params: skip the Hessian above this many parameters.

    Example:
      >>> import jax, featlearn
      >>> from featlearn.diagnostics.record import diagnose
      >>> t = featlearn.make_teacher(3, 2, jax.random.PRNGKey(0), a_star=[1., -1.])
      >>> d = diagnose(t, t, "relu_trim", lam=None, delta_deg=2.0, mass_tol=1e-3, key=jax.random.PRNGKey(1), full=False)
      >>> bool(d.alignment.recovered), d.certificate_sup is None
      (True, True)
    """
    fk = feature_kernel(activation, params.has_head)
    al = alignment(params, teacher, activation, delta_deg=delta_deg, mass_tol=mass_tol)
    out = Diagnostics(al, fk.even, lam)
    act = get_activation(activation)
    mis = act.teacher is not None
    if mis:
        s_name, t_name = act.name.split("|")
        out.notes["misspecified"] = (f"misspecified student: σ_s = {s_name}, teacher σ_t = {t_name}; the teacher is not a network "
                                     "of the student's class, so recovery means the best approximation, not L = 0")
        out.notes["certificate"] = ("misspecified student: the certificates assume the teacher is a network of the student's "
                                    "activation, which it is not here")
    elif not fk.activation.homogeneous:
        out.notes["certificate"] = f"{fk.activation.name} is not homogeneous: the measure-space certificate does not apply"
    elif lam is not None and finite:
        out.certificate_sup = float(certificate_sup(params, teacher, activation, lam, key).sup)
        out.certificate_support_gap = float(certificate_support_gap(params, teacher, activation, lam, mass_tol=mass_tol))
    elif lam is None:
        out.notes["certificate"] = "no stage sets a weight decay λ"
    else:
        out.notes["certificate"] = "the final loss is not finite"
    if finite:  # the Hessian and the critical-point record are summary items: computed in both modes
        out.hessian = hessian_spectrum(params, teacher, activation, lam or 0.0, max_params=max_hessian_params)
        if out.hessian.eigenvalues is not None:
            out.critical_point = critical_point(params, teacher, activation, lam or 0.0, eigenvalues=out.hessian.eigenvalues,
                                                dtype=str(params.a.dtype))
    if not full:
        return out
    if mis:
        out.notes["circles"] = "no certificate for a misspecified student"
    elif teacher.W.shape[0] >= 2 and fk.coef is not None:
        fns = {}
        if lam is not None:
            eta_lam = empirical_certificate(params, teacher, activation, lam)
            fns[f"empirical η_λ (λ = {lam:.2g})"] = lambda U: np.asarray(eta_lam(jax.numpy.asarray(U)))
        eta = dual_certificate(teacher, activation, head=params.has_head)
        fns["constructed η" + ("" if eta.claimed else " (not claimed for this σ)")] = eta
        out.circles = great_circles(fns, teacher, fk.even, max_pairs=3)
    else:
        out.notes["circles"] = "needs m* ≥ 2 and a homogeneous activation"
    if teacher.W.shape[1] == 2 and not params.has_head and finite and not mis:
        out.descent = descent_direction(params, teacher, activation, lam or 0.0, delta_deg=delta_deg)
    return out


__all__ = ["Diagnostics", "diagnose"]
