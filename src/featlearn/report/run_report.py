"""Figures and report.html of a run directory."""

from __future__ import annotations

from pathlib import Path

from featlearn.config import config_yaml
from featlearn.io import atomic_save_figure, atomic_write_text
from featlearn.records import SUMMARY_KEYS
from featlearn.report import html, run_plots

SUMMARY_FIELDS = tuple(k for k in SUMMARY_KEYS if k not in ("per_teacher", "stages", "critical_point"))

# reading order: the loss first, then how the neurons got there, then the final network's checks
ORDER = ("loss_lambda", "far_mass", "per_teacher_mass", "trajectory", "alignment", "teacher_plane", "certificate", "hessian", "descent_2d")
CAPTIONS = {
    "loss_lambda": "Exact population loss (solid), training objective L_λ (dashed) and weight decay λ (red) against the step; dotted lines mark the stages.",
    "trajectory": "The neurons moving (trajectory.npz, one frame per snapshot): directions on teacher planes, area ∝ mass on one scale for the whole film, colour = sign of a_j; right, the loss with the frame's step marked.",
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
    top = {k: s[k] for k in SUMMARY_FIELDS if s[k] is not None}
    sections = [
        ("Summary", html.table([{"field": k, "value": v} for k, v in top.items()])),
        ("Teachers", html.table(s.get("per_teacher", []))),
        ("Critical point", html.table([{"field": k, "value": v} for k, v in (s.get("critical_point") or {}).items()])
         if s.get("critical_point") else html.pre("not computed (the Hessian is computed for networks up to 3000 parameters)")),
        ("Stages", html.table(s.get("stages", []), ["name", "steps", "start_loss", "end_loss", "lr", "lam_start", "lam_end", "seconds"])),
        ("Figures", html.figures(Path(run_dir) / "figures", _captions(), ORDER) + _film_hint(run_dir, result)),
        ("Config", html.pre(config_yaml(result.config))),
        ("Files", _files(run_dir)),
    ]
    return html.page(f"featlearn run {Path(run_dir).name}", sections)


FILES = {"summary.json": "the summary record", "metrics.parquet": "one row per logged step", "final.npz": "final a, W and the teacher",
         "init.npz": "initial a, W", "trajectory.npz": "(a, W) snapshots, filmed by the animate command", "config.yaml": "the resolved config",
         "error.txt": "the traceback of a failed stage", "report_error.txt": "why a figure failed"}


def _files(run_dir: Path) -> str:
    rows = [{"file": html.Link(name, name), "holds": what} for name, what in FILES.items() if (Path(run_dir) / name).is_file()]
    rows += [{"file": html.Link(f"figures/{p.name}", f"figures/{p.name}"), "holds": "figure"} for p in sorted((Path(run_dir) / "figures").glob("*"))
             if p.suffix in (".png", ".gif")]
    return html.table(rows, ["file", "holds"])


def _film_hint(run_dir: Path, result) -> str:
    if getattr(result, "trajectory", None) is not None and not (Path(run_dir) / "figures" / "trajectory.gif").is_file():
        return html.pre(f"This run recorded a trajectory ({len(result.trajectory)} snapshots): `featlearn animate {run_dir}` films it and adds the film here.")
    return ""


def write_run_report(run_dir: Path, result) -> None:
    """Draw the figures of a run (from its metrics and `Diagnostics`) and write report.html (a `Writer`)."""
    figdir = Path(run_dir) / "figures"
    figdir.mkdir(exist_ok=True)
    for name, fig in run_figures(result).items():
        atomic_save_figure(figdir / f"{name}.png", fig)
    atomic_write_text(Path(run_dir) / "report.html", render_run_report(run_dir, result))
