"""Figures of loaded results: record → matplotlib `Figure` (the functions the reports call).

Each takes what `featlearn.run` returns or `featlearn.load_run` / `load_sweep` / `load_experiment` read
back; nothing is drawn on pyplot's global state (show a figure in a notebook by leaving it as the cell's
value, or save it with `fig.savefig(path)`). A run loaded from disk has its diagnostics (alignment,
certificate, Hessian) computed once, on first use.

Example:
  >>> import featlearn
  >>> r = featlearn.run({"teacher": {"d": 4, "m_star": 2}, "student": {"m": 8},
  ...                    "stages": [{"kind": "one_step"}, {"kind": "fit_second_layer"}]}, progress=False)
  >>> type(featlearn.plot.loss(r)).__name__
  'Figure'
"""

from __future__ import annotations

from matplotlib.figure import Figure

from featlearn.report import diagnostic_plots as _dp
from featlearn.report import run_plots as _rp
from featlearn.report import sweep_plots as _sp
from featlearn.train.run import ensure_diagnostics as _diagnostics


def loss(run, title: str = "") -> Figure:
    """Population loss, training objective L_λ and λ against the step, with the stages marked."""
    return _rp.loss_and_lambda(run.metrics, title or f"{run.config.name}: loss and weight decay")


def far_mass(run) -> Figure:
    """Mass of the neurons farther than δ from every teacher against the step, with the tolerance."""
    return _rp.far_mass(run.metrics, run.config.metrics.delta_deg, run.config.metrics.mass_tol)


def per_teacher_mass(run) -> Figure:
    """Signed mass near each teacher against the step, with the targets a*_i."""
    return _rp.per_teacher_mass(run.metrics, run.teacher.a)


def alignment(run) -> Figure:
    """|cos| of every neuron with every teacher, each neuron's angle and mass (the final network)."""
    return _dp.alignment_heatmap(_diagnostics(run).alignment, title=f"{run.config.name}: alignment with the teacher")


def teacher_planes(run, *, snapshot: int | None = None) -> Figure:
    """Neuron directions on planes of teacher pairs (area ∝ mass, colour = sign); the final network, or
    trajectory snapshot `snapshot` (an index into `run.trajectory`) when given."""
    from featlearn.model import Params

    params = run.params
    title = f"{run.config.name}: neurons on teacher planes"
    if snapshot is not None:
        if run.trajectory is None:
            raise ValueError("teacher_planes: this run has no trajectory (metrics.trajectory_every = 0)")
        t = run.trajectory
        params = Params(t.a[snapshot], t.W[snapshot])
        title += f" (step {int(t.step[snapshot])}, λ = {float(t.lam[snapshot]):.2e})"
    return _dp.teacher_plane(params, run.teacher, even=_diagnostics(run).even, title=title)


def certificate(run) -> Figure:
    """η_λ of the final network and the constructed η on great circles through teacher pairs."""
    d = _diagnostics(run)
    if not d.circles:
        raise ValueError(f"certificate: none for this run ({d.notes.get('certificate', 'no weight decay or a single teacher')})")
    return _dp.certificate_circles(d.circles)


def hessian(run) -> Figure:
    """Sorted eigenvalues of the Hessian of L_λ at the final network."""
    d = _diagnostics(run)
    if d.hessian is None or d.hessian.eigenvalues is None:
        raise ValueError(f"hessian: not computed for this run ({d.notes.get('hessian', 'too many parameters')})")
    return _dp.hessian_spectrum_plot(d.hessian, title=f"{run.config.name}: Hessian spectrum of L_λ (λ = {d.lam or 0:.2g})",
                                     critical=d.critical_point)


def descent(run) -> Figure:
    """d = 2: neurons, teachers and the descent direction (the paper's Fig. 1)."""
    d = _diagnostics(run)
    if d.descent is None:
        raise ValueError("descent: drawn for d = 2 only")
    return _dp.descent_picture_2d(run.params, run.teacher, d.descent, even=d.even)


def sweep_metric(sweep, metric: str | list, axis: str, title: str = "") -> Figure:
    """A sweep's metric(s) against one of its axes: mean, min–max band and every run."""
    metrics = [metric] if isinstance(metric, str) else list(metric)
    return _sp.metrics_vs_axis(sweep.results, axis, metrics, title or f"{sweep.spec.name}: {', '.join(metrics)} vs {axis}")


__all__ = ["alignment", "certificate", "descent", "far_mass", "hessian", "loss", "per_teacher_mass", "sweep_metric", "teacher_planes"]
