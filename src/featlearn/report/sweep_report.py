"""report.html of a sweep folder: status counts, one figure per grid axis, failed runs, the results table."""

from __future__ import annotations

import re
from pathlib import Path
import pandas as pd
import yaml

from featlearn.io import atomic_save_figure, atomic_write_text
from featlearn.report import html, sweep_plots

_TABLE_LIMIT = 500


def _axes(spec) -> list[str]:
    """Axes to plot against: every grid key but `seed` with at least two values, then every key of a
    `zip:` group whose values are not all the same."""
    axes = [k for k, v in spec.grid.items() if k != "seed" and len(v) > 1]
    for group in getattr(spec, "zips", ()):
        axes += [k for k, v in group.items() if k != "seed" and len({repr(x) for x in v}) > 1 and k not in axes]
    return axes


def _fig_name(axis: str) -> str:
    return "metrics_vs_" + re.sub(r"[^A-Za-z0-9_.-]", "_", axis)


def sweep_figures(df: pd.DataFrame, spec) -> dict:
    """figure name → Figure: the chosen metrics against each grid axis (other than seed)."""
    n_seeds = len(spec.grid.get("seed", [None]))
    figs = {}
    for axis in _axes(spec):
        others = [k for k in spec.grid if k not in (axis, "seed")] + [k for g in getattr(spec, "zips", ()) for k in g if k != axis]
        over = f"{n_seeds} seed{'s' if n_seeds != 1 else ''}" + (f" × {', '.join(others)}" if others else "")
        figs[_fig_name(axis)] = sweep_plots.metrics_vs_axis(df, axis, spec.metrics, f"{spec.name}: metrics vs {axis} (mean, min–max band and runs over {over})")
    return figs


def render_sweep_report(folder: Path, spec, df: pd.DataFrame) -> str:
    counts = sweep_plots.status_counts(df)
    overview = [{"field": "runs", "value": len(df)}] + [{"field": k, "value": v} for k, v in counts.items()]
    overview += [{"field": f"grid: {k}", "value": ", ".join(str(x) for x in v)} for k, v in spec.grid.items()]
    zipped = [k for g in getattr(spec, "zips", ()) for k in g]
    overview += [{"field": f"zip: {', '.join(g)}", "value": f"{len(next(iter(g.values())))} linked values"} for g in getattr(spec, "zips", ())]
    axes = list(spec.grid) + zipped
    cols = ["point"] + [a for a in axes if a in df.columns] + ["status"] + [m for m in spec.metrics if m in df.columns] + ["run_dir"]
    failed = df[df["status"] != "ok"] if "status" in df else df.iloc[:0]
    captions = {_fig_name(a): f"{', '.join(spec.metrics)} against {a}: mean (line; geometric mean on log scales), min–max over the "
                              "other runs (band), every run (dots); losses and masses on a log scale; runs without a value "
                              "(failed, or a diverged loss) are left out." for a in _axes(spec)}
    fig_html = html.figures(folder / "figures", captions) if _axes(spec) else "<p>No grid axis other than seed has two or more values.</p>"
    rows = df[cols].head(_TABLE_LIMIT).to_dict("records")
    for r in rows:  # each run's report, where it was written
        if isinstance(r.get("run_dir"), str) and (folder / r["run_dir"] / "report.html").is_file():
            r["run_dir"] = html.Link(f"{r['run_dir']}/report.html", r["run_dir"])
    more = f"<p>(first {_TABLE_LIMIT} of {len(df)} rows; all are in results.parquet)</p>" if len(df) > _TABLE_LIMIT else ""
    sections = [
        ("Overview", html.table(overview)),
        ("Figures", fig_html),
        ("Runs not ok", html.table(failed[[c for c in ("point", "run_dir", "status", "message") if c in df.columns]].to_dict("records"))),
        ("Results", html.table(rows, cols) + more + f"<p>All columns: {html.link('results.parquet', 'results.parquet')}.</p>"),
        ("Sweep file", html.pre(yaml.safe_dump(spec.to_dict(), sort_keys=False, allow_unicode=True))),
    ]
    return html.page(f"featlearn sweep {spec.name}", sections)


def write_sweep_report(folder: Path, spec, df: pd.DataFrame) -> Path:
    """Write figures/*.png and report.html of a sweep folder from its spec (`SweepSpec`) and results
    table; returns the report's path."""
    folder = Path(folder)
    figdir = folder / "figures"
    figdir.mkdir(exist_ok=True)
    for old in figdir.glob("metrics_vs_*.png"):
        old.unlink()
    for name, fig in sweep_figures(df, spec).items():
        atomic_save_figure(figdir / f"{name}.png", fig)
    path = folder / "report.html"
    atomic_write_text(path, render_sweep_report(folder, spec, df))
    return path


__all__ = ["render_sweep_report", "sweep_figures", "write_sweep_report"]
