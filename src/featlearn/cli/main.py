"""The `featlearn` command (DESIGN §4.3). Usage and config errors: one line on stderr, exit code 2."""

from __future__ import annotations

import sys

import click
import typer

from featlearn import __version__
from featlearn.config import ConfigError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="featlearn: how gradient descent learns features in two-layer networks (Zhou & Ge, NeurIPS 2024).",
)


def _version(value: bool):
    if value:
        typer.echo(f"featlearn {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit.")):
    """featlearn command-line interface."""


def _register():
    from featlearn.cli import bench, report, run  # noqa: F401  (each module adds its command to `app`)

    for extra in ("reproduce", "sweep"):
        try:
            __import__(f"featlearn.cli.{extra}")
        except ModuleNotFoundError as exc:
            if exc.name != f"featlearn.cli.{extra}":
                raise


def fail(message: str) -> None:
    """Print `featlearn: error: message` (one line) and exit with code 2."""
    typer.echo(f"featlearn: error: {message}", err=True)
    raise SystemExit(2)


def main(argv=None) -> None:
    _register()
    command = typer.main.get_command(app)
    try:
        rc = command.main(args=argv, prog_name="featlearn", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:  # pragma: no cover - click ≥ 8.2
        typer.echo(exc.ctx.get_help())
        raise SystemExit(0)
    except click.UsageError as exc:
        fail(exc.format_message().replace("\n", " "))
    except click.Abort:
        typer.echo("featlearn: aborted", err=True)
        raise SystemExit(130)
    except (ConfigError, ValueError) as exc:
        fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    except click.exceptions.Exit as exc:
        raise SystemExit(exc.exit_code)
    raise SystemExit(rc if isinstance(rc, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
