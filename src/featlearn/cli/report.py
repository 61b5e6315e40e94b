"""`featlearn report DIR`: rebuild the report of a run directory, a sweep folder or an experiment folder."""

from __future__ import annotations

from pathlib import Path

import typer



def report_cmd(directory: Path = typer.Argument(..., help="A run directory (featlearn run), a sweep folder (featlearn sweep) or an experiment folder (featlearn reproduce).")):
    """(Re)build the report.html of a run directory, a sweep folder or an experiment folder."""
    from featlearn.workflows import rebuild_report

    path = rebuild_report(directory)
    typer.echo(f"wrote {path}")
