"""E5: the constructed dual certificate η: interpolation, strict bound away from teachers, quadratic decay."""

from __future__ import annotations

import jax
import numpy as np
import pandas as pd

from featlearn.diagnostics import dual_certificate, great_circles
from featlearn.diagnostics.sphere import sphere_map
from featlearn.experiments.base import Claim, Context, ExperimentResult
from featlearn.records import plot
from featlearn.teacher import make_teacher


def run(spec: dict, size: str, ctx: Context) -> ExperimentResult:
    act, excl = spec["activation"], spec["exclude_deg"]
    rows, figs, captions = [], {}, {}
    for k, pb in enumerate(spec["problems"]):
        key = jax.random.PRNGKey(pb["seed"])
        teacher = make_teacher(pb["d"], pb["m_star"], key, a_star=pb["a_star"], directions="random",
                               min_angle_deg=pb["min_angle_deg"], activation=act)
        eta = dual_certificate(teacher, act)
        W, s = np.asarray(teacher.W), np.sign(np.asarray(teacher.a))
        interp = float(np.max(np.abs(eta(W) - s)))
        grad = float(np.max(np.linalg.norm(eta.riemannian_grad(W), axis=1)))
        away = eta.max_abs_away(jax.random.fold_in(key, 1), n_random=spec["n_random"], exclude_deg=excl)
        decay = eta.decay(jax.random.fold_in(key, 2))
        rows.append({"problem": k, "d": pb["d"], "m_star": pb["m_star"], "min_angle_deg": pb["min_angle_deg"],
                     "interpolation_error": interp, "riemannian_grad_at_teachers": grad, "max_abs_away": away.max_abs,
                     "max_abs_ring": away.max_abs_ring, "rho_min": float(decay.rho.min()), "rho_mean": float(decay.rho_mean.mean())})
        name = f"d{pb['d']}_m{pb['m_star']}"
        figs[f"circles_{name}"] = plot("certificate_circles", great_circles({"constructed η": eta}, teacher, eta.features.even, max_pairs=3),
                                                         title=f"E5: constructed η on great circles (d = {pb['d']}, m* = {pb['m_star']})")
        captions[f"circles_{name}"] = f"η along great circles through teacher pairs (d = {pb['d']}): ±1 at the teachers, strictly inside ±1 elsewhere."
        if pb["d"] == 3:
            figs[f"sphere_{name}"] = plot("certificate_sphere", sphere_map(eta, teacher, even=eta.features.even, exclude_deg=excl), even=eta.features.even)
            captions[f"sphere_{name}"] = "η on the whole sphere S² (d = 3), teachers marked."
    df = pd.DataFrame(rows)
    claims = [
        Claim("interpolation", "max_i |η(w*_i) − sign(a*_i)| ≤ 1e-9", float(df.interpolation_error.max()), bool(df.interpolation_error.max() <= 1e-9)),
        Claim("stationary at teachers", "max_i ‖∇_sphere η(w*_i)‖ ≤ 1e-8", float(df.riemannian_grad_at_teachers.max()), bool(df.riemannian_grad_at_teachers.max() <= 1e-8)),
        Claim("strict bound away", f"max |η| more than {excl:g}° from every teacher < 1", float(df.max_abs_away.max()), bool(df.max_abs_away.max() < 1)),
        Claim("quadratic decay", "every fitted ρ_i > 0 in 1 − |η| ≈ ρ_i ∠(u, w*_i)²", float(df.rho_min.min()), bool(df.rho_min.min() > 0)),
    ]
    return ExperimentResult("E5", "", size, claims, df, figs, captions)
