"""report.html of an experiment folder: question, claims table, figures, results table, spec."""

from __future__ import annotations

from pathlib import Path

import yaml

from featlearn.io import atomic_save_figure, atomic_write_text
from featlearn.report import html
from featlearn.report.plots import draw


def render_experiment_report(out_dir: Path, res, spec: dict) -> str:
    claims = [{"claim": c.name, "criterion": c.criterion, "measured": c.value, "pass": bool(c.passed)} for c in res.claims]
    verdict = "all claims pass" if res.passed else "some claims FAIL"
    intro = (f"<p><b>Question.</b> {html.html.escape(spec.get('question', ''))}</p>"
             f"<p>Size: <b>{res.size}</b>; run time {res.seconds:.1f} s; {verdict}.</p>")
    table = res.table
    if len(table) > 200:
        table = table.head(200)
    sections = [
        ("Question", intro),
        ("Claims", html.table(claims, ["claim", "criterion", "measured", "pass"])),
        ("Figures", html.figures(Path(out_dir) / "figures", res.captions)),
        ("Results", html.table(table.to_dict("records"))),
        ("Spec", html.pre(yaml.safe_dump(spec, sort_keys=False))),
    ]
    return html.page(f"{res.id}: {res.title}", sections)


def write_experiment_report(out_dir: Path, res, spec: dict) -> Path:
    """Draw the experiment's figures (its `PlotSpec`s) into figures/ and write report.html."""
    out_dir = Path(out_dir)
    figdir = out_dir / "figures"
    figdir.mkdir(parents=True, exist_ok=True)
    for name, fig in res.figures.items():
        atomic_save_figure(figdir / f"{name}.png", draw(fig))
    path = out_dir / "report.html"
    atomic_write_text(path, render_experiment_report(out_dir, res, spec))
    return path
