"""report.html of an experiment folder: question, claims table, figures, a short results table (the
whole table as linked files), links to every run's report, and the spec."""

from __future__ import annotations

from pathlib import Path

import yaml

from featlearn.io import atomic_save_figure, atomic_write_text
from featlearn.report import html
from featlearn.report.plots import draw

MAX_ROWS, MAX_COLUMNS = 20, 10  # of the results table shown inline (the files hold all of it)


def render_experiment_report(out_dir: Path, res, spec: dict) -> str:
    """The page for an `ExperimentResult` or a loaded `Experiment` (same fields: id, title, size,
    seconds, passed, claims, table or results, captions)."""
    out_dir = Path(out_dir)
    claims = [{"claim": c.name, "criterion": c.criterion, "measured": c.value, "pass": bool(c.passed)} for c in res.claims]
    verdict = "all claims pass" if res.passed else "some claims FAIL"
    intro = (f"<p><b>Question.</b> {html.html.escape(spec.get('question', ''))}</p>"
             f"<p>Size: <b>{res.size}</b>; run time {res.seconds:.1f} s; {verdict}.</p>")
    table = getattr(res, "table", None)
    table = res.results if table is None else table
    shown = table.iloc[:MAX_ROWS, :MAX_COLUMNS]
    files = " · ".join(html.link(n, n) for n in ("results.csv", "results.parquet", "claims.json") if (out_dir / n).is_file())
    note = (f"<p>{len(shown)} of {len(table)} rows and {shown.shape[1]} of {table.shape[1]} columns; the whole table: {files}.</p>"
            if shown.shape != table.shape else f"<p>Files: {files}.</p>")
    runs_dir = out_dir / "runs"
    runs = sorted(p.parent.name for p in runs_dir.glob("*/report.html")) if runs_dir.is_dir() else []
    run_links = html.table([{"run": html.Link(f"runs/{r}/report.html", r)} for r in runs], ["run"]) if runs else "<p>(no training runs)</p>"
    sections = [
        ("Question", intro),
        ("Claims", html.table(claims, ["claim", "criterion", "measured", "pass"])),
        ("Figures", html.figures(out_dir / "figures", getattr(res, "captions", {}) or {})),
        ("Results", html.table(shown.to_dict("records"), list(shown.columns)) + note),
        ("Runs", run_links),
        ("Spec", html.pre(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True))),
    ]
    return html.page(f"{res.id}: {res.title}", sections)


def write_experiment_report(out_dir: Path, res, spec: dict) -> Path:
    """Draw the experiment's figures (its `PlotSpec`s) into figures/, write results.csv and report.html."""
    out_dir = Path(out_dir)
    figdir = out_dir / "figures"
    figdir.mkdir(parents=True, exist_ok=True)
    for name, fig in res.figures.items():
        atomic_save_figure(figdir / f"{name}.png", draw(fig))
    atomic_write_text(out_dir / "results.csv", res.table.to_csv(index=False))
    path = out_dir / "report.html"
    atomic_write_text(path, render_experiment_report(out_dir, res, spec))
    return path


def rewrite_experiment_report(out_dir: Path, exp, spec: dict) -> Path:
    """report.html of a loaded `Experiment` from its files (figures as they are on disk)."""
    out_dir = Path(out_dir)
    if not (out_dir / "results.csv").is_file():
        atomic_write_text(out_dir / "results.csv", exp.results.to_csv(index=False))
    path = out_dir / "report.html"
    atomic_write_text(path, render_experiment_report(out_dir, exp, spec))
    return path
