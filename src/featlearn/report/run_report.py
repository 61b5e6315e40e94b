"""Figures and report.html of a run directory."""

from __future__ import annotations

from pathlib import Path

from featlearn.config import dump_yaml
from featlearn.io import atomic_save_figure, atomic_write_text
from featlearn.report import html, run_plots

CAPTIONS = {
    "loss_lambda": "Exact population loss (solid), training objective L_λ (dashed) and weight decay λ (red) against the step; dotted lines mark the stages.",
    "far_mass": "Mass of the neurons farther than δ from every teacher; dashed: the recovery tolerance.",
    "per_teacher_mass": "Signed mass of the neurons near each teacher; dashed: the teacher's a*_i.",
}


def _captions():
    from featlearn.report.diagnostic_figures import CAPTIONS as DIAG

    return {**CAPTIONS, **DIAG}


def run_figures(result) -> dict:
    """name → Figure for a finished run."""
    df, cfg = result.metrics, result.config
    figs = {
        "loss_lambda": run_plots.loss_and_lambda(df, f"{cfg.name}: loss and weight decay"),
        "far_mass": run_plots.far_mass(df, cfg.metrics.delta_deg, cfg.metrics.mass_tol),
        "per_teacher_mass": run_plots.per_teacher_mass(df, result.teacher.a),
    }
    from featlearn.report.diagnostic_figures import run_diagnostic_figures

    figs.update(run_diagnostic_figures(result))
    return figs


def render_run_report(run_dir: Path, result) -> str:
    s = result.summary
    top = {k: s.get(k) for k in ("status", "final_population_loss", "recovered", "max_angle_deg", "far_mass", "certificate_sup",
                                  "certificate_lambda", "recovery_error", "relative_weight_movement", "wall_seconds", "config_digest", "featlearn_version")}
    if "message" in s:
        top["message"] = s["message"]
    sections = [
        ("Summary", html.table([{"field": k, "value": v} for k, v in top.items()])),
        ("Teachers", html.table(s.get("per_teacher", []))),
        ("Stages", html.table(s.get("stages", []), ["name", "steps", "start_loss", "end_loss", "seconds"])),
        ("Figures", html.figures(Path(run_dir) / "figures", _captions())),
        ("Config", html.pre(dump_yaml(result.config))),
    ]
    return html.page(f"featlearn run {Path(run_dir).name}", sections)


def write_run_figures_and_report(run_dir: Path, result) -> None:
    figdir = Path(run_dir) / "figures"
    figdir.mkdir(exist_ok=True)
    for name, fig in run_figures(result).items():
        atomic_save_figure(figdir / f"{name}.png", fig)
    atomic_write_text(Path(run_dir) / "report.html", render_run_report(run_dir, result))
