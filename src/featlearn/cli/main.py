"""The `featlearn` command (DESIGN §4.3).

Exit codes: 0 done; 1 a run ended badly (diverged / failed, said in one line) or an internal error
(`featlearn: internal error in <command>: <message> (run with --debug for the traceback)`); 2 a usage or
config error (one line per problem naming the key or argument). `--debug` shows tracebacks instead.
Commands are registered explicitly below (each command module defines a plain function).
"""

from __future__ import annotations


import traceback
import warnings

import click
import typer

from featlearn._version import __version__
from featlearn.cli import animate, bench, report, reproduce, run, sweep
from featlearn.config import ConfigError
from featlearn.config.errors import ConfigWarning

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
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks of errors (and let errors inside a run propagate)."),
):
    """featlearn command-line interface."""
    ctx.obj = {"debug": debug}


COMMANDS = {"run": run.run_cmd, "reproduce": reproduce.reproduce_cmd, "sweep": sweep.sweep_cmd, "report": report.report_cmd,
            "bench": bench.bench_cmd, "animate": animate.animate_cmd}
for _name, _fn in COMMANDS.items():
    app.command(_name)(_fn)


def fail(message: str, code: int = 2) -> None:
    """Print `featlearn: error: <line>` for each line of `message` and exit with `code`."""
    for line in str(message).split("\n") or [""]:
        typer.echo(f"featlearn: error: {' '.join(line.split())}", err=True)
    raise SystemExit(code)


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


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Config warnings as `featlearn: warning: <message>` (one line); others as Python prints them."""
    if issubclass(category, ConfigWarning):
        typer.echo(f"featlearn: warning: {' '.join(str(message).split())}", err=True)
    else:
        _PLAIN_SHOW(message, category, filename, lineno, file, line)


_PLAIN_SHOW = warnings.showwarning


def main(argv=None) -> None:
    """Entry point: run the command; usage / config / input errors become one line on stderr, exit 2."""
    warnings.showwarning = _show_warning
    command = typer.main.get_command(app)
    debug = _debug_flag(argv)
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
    except ConfigError as exc:
        if debug:
            traceback.print_exc()
        fail(str(exc) if str(exc).strip() else type(exc).__name__)
    except (click.exceptions.Exit, typer.Exit) + errs["Exit"] as exc:
        raise SystemExit(getattr(exc, "exit_code", 0))
    except OSError as exc:  # a file we could not read or write: no traceback, name the path
        if debug:
            raise
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        fail(f"{_where(argv)}: {where}{exc.strerror or exc}", code=1)
    except Exception as exc:  # noqa: BLE001 - not the user's mistake: say where, exit 1
        if debug:
            raise
        text = " ".join(str(exc).split())
        typer.echo(f"featlearn: internal error in {_where(argv)}: {type(exc).__name__}{': ' + text if text else ''} "
                   "(run with --debug for the traceback)", err=True)
        raise SystemExit(1)
    raise SystemExit(rc if isinstance(rc, int) else 0)


def _args(argv) -> list:
    import sys

    return list(sys.argv[1:] if argv is None else argv)


def _debug_flag(argv) -> bool:
    """`--debug` given before the command name (it is an option of the root command)."""
    args = _args(argv)
    first = next((i for i, a in enumerate(args) if a in COMMANDS), len(args))
    return "--debug" in args[:first]


def _where(argv) -> str:
    """The command being run (for the internal-error line)."""
    args = _args(argv)
    name = next((a for a in args if a in COMMANDS), None)
    return f"featlearn {name}" if name else "featlearn"


if __name__ == "__main__":  # pragma: no cover
    main()
