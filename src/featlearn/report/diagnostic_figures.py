"""The diagnostic figures added to every run: alignment heatmap, neurons on teacher planes, η on great
circles (empirical η_λ and the constructed η), the Hessian spectrum, and for d = 2 the paper's Fig. 1."""

from __future__ import annotations

import jax
import numpy as np

from featlearn.diagnostics import alignment, descent_direction, dual_certificate, empirical_certificate, great_circles, hessian_spectrum
from featlearn.diagnostics.features import feature_kernel
from featlearn.report import diagnostic_plots as dp
from featlearn.train.summary import final_weight_decay

CAPTIONS = {
    "alignment": "|cos| between every neuron and every teacher (neurons sorted by nearest teacher), with each neuron's angle to its nearest teacher and its mass.",
    "teacher_plane": "Neuron directions projected on planes spanned by teacher pairs: area ∝ mass, colour = sign of a_j; stars are the teachers.",
    "certificate": "Empirical certificate η_λ of the final network and the constructed dual certificate η along great circles through teacher pairs; |η| ≤ 1 everywhere certifies global optimality.",
    "hessian": "Eigenvalues of the Hessian of L_λ at the final network (sorted; symmetric-log scale).",
    "descent_2d": "d = 2: neurons, teachers, and per neuron the arrows of −∇L_λ and of θ̃ − θ (the paper's Fig. 1).",
}


def run_diagnostic_figures(result, max_hessian_params: int = 3000) -> dict:
    p, t, cfg = result.params, result.teacher, result.config
    act = cfg.teacher.activation
    even = feature_kernel(act, p.has_head).even
    al = alignment(p, t, act, delta_deg=cfg.metrics.delta_deg, mass_tol=cfg.metrics.mass_tol)
    figs = {
        "alignment": dp.alignment_heatmap(al, title=f"{cfg.name}: alignment with the teacher"),
        "teacher_plane": dp.teacher_plane(p, t, even=even, title=f"{cfg.name}: neurons on teacher planes"),
    }
    lam = final_weight_decay(cfg)
    if t.W.shape[0] >= 2 and act != "erf":
        fns = {}
        if lam is not None:
            eta_lam = empirical_certificate(p, t, act, lam)
            fns[f"empirical η_λ (λ = {lam:.2g})"] = lambda U: np.asarray(eta_lam(jax.numpy.asarray(U)))
        eta = dual_certificate(t, act, head=p.has_head)
        fns["constructed η" + ("" if eta.claimed else " (not claimed for this σ)")] = eta
        figs["certificate"] = dp.certificate_circles(great_circles(fns, t, even, max_pairs=3))
    spec = hessian_spectrum(p, t, act, lam or 0.0, max_params=max_hessian_params)
    if spec.eigenvalues is not None:
        figs["hessian"] = dp.hessian_spectrum_plot(spec, title=f"{cfg.name}: Hessian spectrum of L_λ (λ = {lam or 0:.2g})")
    if t.W.shape[1] == 2 and not p.has_head:
        check = descent_direction(p, t, act, lam or 0.0, delta_deg=cfg.metrics.delta_deg)
        figs["descent_2d"] = dp.descent_picture_2d(p, t, check, even=even)
    return figs
