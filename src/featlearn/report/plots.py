"""Every figure of featlearn as a function data → matplotlib `Figure` (the public plotting namespace).

The reports call exactly these; computing layers request them by name with a `PlotSpec`
(`featlearn.records.plot("loss_and_lambda", metrics, title)`), drawn here by `draw`.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from featlearn.records import PlotSpec
from featlearn.report import diagnostic_plots, experiment_plots, run_plots, sweep_plots

def _figures(*modules) -> dict:
    """Every public function of the plot modules annotated `-> Figure`: a new figure is one function in one
    of them, nothing to register."""
    return {name: f for mod in modules for name, f in vars(mod).items()
            if callable(f) and not name.startswith("_") and getattr(f, "__module__", "") == mod.__name__
            and getattr(f, "__annotations__", {}).get("return") in ("Figure", Figure)}


FIGURES = _figures(run_plots, diagnostic_plots, experiment_plots, sweep_plots)


def draw(spec: PlotSpec | Figure) -> Figure:
    """The Figure a `PlotSpec` asks for (a Figure is returned as it is)."""
    if isinstance(spec, Figure):
        return spec
    if spec.plot not in FIGURES:
        raise ValueError(f"plot: unknown figure {spec.plot!r}; valid: {', '.join(sorted(FIGURES))}")
    return FIGURES[spec.plot](*spec.args, **spec.kwargs)


globals().update(FIGURES)  # featlearn.report.plots.<figure>
__all__ = ["FIGURES", "draw", *sorted(FIGURES)]
