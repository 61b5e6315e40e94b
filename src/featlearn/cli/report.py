"""`featlearn report DIR`: rebuild the figures and report of a run directory."""

from __future__ import annotations

from pathlib import Path

import typer

from featlearn.cli.main import app


@app.command("report")
def report_cmd(directory: Path = typer.Argument(..., help="A run directory written by `featlearn run`.")):
    """(Re)build the figures and report.html of a run directory."""
    from featlearn.report.rebuild import rebuild

    path = rebuild(directory)
    typer.echo(f"wrote {path}")
