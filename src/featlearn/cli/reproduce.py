"""`featlearn reproduce [E1 ...|--all] [--size small|full] [--out DIR]`."""

from __future__ import annotations

from pathlib import Path
from typing import List

import typer


def _shipped_ids() -> str:
    """The experiment ids shipped as `E<n>.yaml`, found without importing the package (fast `--help`)."""
    import importlib.util

    spec = importlib.util.find_spec("featlearn.experiments")
    folder = Path(spec.submodule_search_locations[0]) if spec and spec.submodule_search_locations else None
    ids = sorted((p.stem for p in folder.glob("E*.yaml") if p.stem[1:].isdigit()), key=lambda i: int(i[1:])) if folder else []
    return ", ".join(ids)


def reproduce_cmd(
    ids: List[str] = typer.Argument(None, help=f"Experiment ids ({_shipped_ids()})."),
    all_: bool = typer.Option(False, "--all", help="Run every experiment."),
    size: str = typer.Option("small", "--size", help="small (seconds, CI) or full (the paper-size figure)."),
    out: Path = typer.Option(Path("experiments"), "--out", help="Parent folder of the experiment folders."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bars."),
):
    """Run experiments and write each folder: runs, results.parquet, figures, claims.json, report.html."""
    from featlearn.config import ConfigError
    from featlearn.experiments import registry
    from featlearn.workflows import reproduce

    if size not in ("small", "full"):
        raise ConfigError(f"--size: unknown size {size!r}; valid: small, full")
    if not ids and not all_:
        raise ConfigError(f"EXPERIMENT: give experiment ids ({', '.join(registry.available())}) or --all")
    chosen = registry.available() if all_ else registry.check_ids(ids)
    failed = []
    for i, exp in enumerate(chosen, 1):
        typer.echo(f"[{i}/{len(chosen)}] {exp} ({size}) ...", err=True)
        res = reproduce(exp, size, out, progress=False if quiet else None)
        mark = "PASS" if res.passed else "FAIL"
        typer.echo(f"{exp}: {mark}  {sum(c.passed for c in res.claims)}/{len(res.claims)} claims, {res.seconds:.1f} s -> {out / f'{exp}-{size}'}")
        for c in res.claims:
            if not c.passed:
                typer.echo(f"    failed: {c.name}: {c.criterion} (measured {c.value})")
        if not res.passed:
            failed.append(exp)
    if failed:
        raise typer.Exit(1)
