"""The `featlearn` command (DESIGN §4.3). Usage and config errors: one line on stderr, exit code 2."""

from __future__ import annotations


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


def _click_errors():
    """The click exception classes in use: click's own and, for typer ≥ 0.20, typer's vendored copy."""
    mods = [click.exceptions]
    try:
        from typer._click import exceptions as vendored  # typer ≥ 0.20 ships its own click

        mods.append(vendored)
    except ImportError:  # pragma: no cover - older typer
        pass
    names = ("NoArgsIsHelpError", "UsageError", "ClickException", "Abort", "Exit")
    return {n: tuple({getattr(m, n) for m in mods if hasattr(m, n)}) for n in names}


def _usage_message(exc, command) -> str:
    msg = " ".join(exc.format_message().split())
    if msg.startswith("No such command"):
        names = ", ".join(sorted(n for n in command.list_commands(None) if not command.commands[n].hidden))
        msg = f"{msg.rstrip('.')}; valid commands: {names} (see featlearn --help)"
    return msg


def main(argv=None) -> None:
    """Entry point: run the command; usage / config / input errors become one line on stderr, exit 2."""
    _register()
    command = typer.main.get_command(app)
    errs = _click_errors()
    try:
        rc = command.main(args=argv, prog_name="featlearn", standalone_mode=False)
    except errs["NoArgsIsHelpError"] as exc:  # click ≥ 8.2: `featlearn` alone prints the help
        text = exc.format_message()  # the help text; typer's rich help has printed itself and left ""
        if text.strip():
            typer.echo(text)
        raise SystemExit(0)
    except errs["UsageError"] as exc:
        fail(_usage_message(exc, command))
    except errs["ClickException"] as exc:
        fail(" ".join(exc.format_message().split()))
    except (click.exceptions.Abort, typer.Abort, KeyboardInterrupt) + errs["Abort"]:
        typer.echo("featlearn: aborted", err=True)
        raise SystemExit(130)
    except (ConfigError, ValueError) as exc:
        fail(" ".join(str(exc).split()) if str(exc).strip() else type(exc).__name__)
    except OSError as exc:  # a file we could not read or write: no traceback, name the path
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        fail(f"{where}{exc.strerror or exc}")
    except (click.exceptions.Exit, typer.Exit) + errs["Exit"] as exc:
        raise SystemExit(getattr(exc, "exit_code", 0))
    raise SystemExit(rc if isinstance(rc, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
