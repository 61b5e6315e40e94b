"""The diagnostic figures of a run, drawn from its `Diagnostics` record: alignment heatmap, neurons on
teacher planes, η on great circles (empirical η_λ and the constructed η), the Hessian spectrum, and for
d = 2 the paper's Fig. 1. Nothing is computed here."""

from __future__ import annotations

from featlearn.report import diagnostic_plots as dp

CAPTIONS = {
    "alignment": "|cos| between every neuron and every teacher (neurons sorted by nearest teacher), with each neuron's angle to its nearest teacher and its mass.",
    "teacher_plane": "Neuron directions projected on planes spanned by teacher pairs: area ∝ mass, colour = sign of a_j; stars are the teachers.",
    "certificate": "Empirical certificate η_λ of the final network and the constructed dual certificate η along great circles through teacher pairs; |η| ≤ 1 everywhere certifies global optimality.",
    "hessian": "Eigenvalues of the Hessian of L_λ at the final network (sorted; symmetric-log scale).",
    "descent_2d": "d = 2: neurons, teachers, and per neuron the arrows of −∇L_λ and of θ̃ − θ (the paper's Fig. 1).",
}


def run_diagnostic_figures(result) -> dict:
    """name → Figure from `result.diagnostics` (a `Diagnostics` record) and the final parameters."""
    p, t, name, diag = result.params, result.teacher, result.config.name, result.diagnostics
    figs = {"alignment": dp.alignment_heatmap(diag.alignment, title=f"{name}: alignment with the teacher")}
    if t.W.shape[0] >= 2:  # a plane needs two teachers
        figs["teacher_plane"] = dp.teacher_plane(p, t, even=diag.even, title=f"{name}: neurons on teacher planes")
    if diag.circles:
        figs["certificate"] = dp.certificate_circles(diag.circles)
    if diag.hessian is not None and diag.hessian.eigenvalues is not None:
        figs["hessian"] = dp.hessian_spectrum_plot(diag.hessian, title=f"{name}: Hessian spectrum of L_λ (λ = {diag.lam or 0:.2g})",
                                                   critical=diag.critical_point)
    if diag.descent is not None:
        figs["descent_2d"] = dp.descent_picture_2d(p, t, diag.descent, even=diag.even)
    return figs
