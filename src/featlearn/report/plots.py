"""Every figure of featlearn as a function data → matplotlib `Figure` (the public plotting namespace).

The reports call exactly these; computing layers request them by name with a `PlotSpec`
(`featlearn.records.plot("loss_and_lambda", metrics, title)`), drawn here by `draw`.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from featlearn.records import PlotSpec
from featlearn.report.diagnostic_plots import (
    alignment_heatmap,
    certificate_circles,
    certificate_sphere,
    descent_fraction_plot,
    descent_picture_2d,
    hessian_spectrum_plot,
    teacher_plane,
)
from featlearn.report.experiment_plots import bars, collapse_plot, compare_curves, final_vs_parameter, methods_vs_n, neuron_angles
from featlearn.report.run_plots import far_mass, loss_and_lambda, per_teacher_mass
from featlearn.report.sweep_plots import metrics_vs_axis

FIGURES = {f.__name__: f for f in (
    loss_and_lambda, far_mass, per_teacher_mass, alignment_heatmap, teacher_plane, certificate_circles, certificate_sphere,
    hessian_spectrum_plot, descent_picture_2d, descent_fraction_plot, compare_curves, neuron_angles, final_vs_parameter, bars,
    collapse_plot, methods_vs_n, metrics_vs_axis,
)}


def draw(spec: PlotSpec | Figure) -> Figure:
    """The Figure a `PlotSpec` asks for (a Figure is returned as it is)."""
    if isinstance(spec, Figure):
        return spec
    if spec.plot not in FIGURES:
        raise ValueError(f"plot: unknown figure {spec.plot!r}; valid: {', '.join(sorted(FIGURES))}")
    return FIGURES[spec.plot](*spec.args, **spec.kwargs)


__all__ = ["FIGURES", "draw", *sorted(FIGURES)]
