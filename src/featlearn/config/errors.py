"""`ConfigError` and the rendering of pydantic validation errors as one line per problem.

Key paths come from the error locations as pydantic reports them; the schema validates stage and
initialisation kinds itself (`featlearn.config.stages`), so locations carry no union tags to strip.
"""

from __future__ import annotations

import difflib
from typing import Any, Callable

from pydantic import BaseModel, ValidationError

_CONTROL = {c: f"\\x{c:02x}" for c in range(32)} | {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", 127: "\\x7f"}


class ConfigError(ValueError):
    """A config or command-line problem, with a message for the user: one line per problem (control
    characters, e.g. a newline inside a key, are shown escaped). The CLI prints it and exits with code 2."""

    def __init__(self, message: str = ""):
        super().__init__(str(message).translate(_CONTROL))

    @property
    def lines(self) -> list[str]:
        """The problems, one line each."""
        return str(self).split("\n")

    @classmethod
    def many(cls, messages: list[str]) -> "ConfigError":
        """One error holding several one-line messages (every problem of one file is reported at once)."""
        seen: list[str] = []
        for m in messages:
            m = one_line(m).translate(_CONTROL)
            if m not in seen:
                seen.append(m)
        err = cls("")
        err.args = ("\n".join(seen),)  # joined after escaping: the newlines separate problems
        return err


class ConfigWarning(UserWarning):
    """A config key that has no effect (or was dropped); the CLI prints `featlearn: warning: <message>`.
    Python's default warning filter shows each distinct message once per process."""


def warn(message: str) -> None:
    import warnings

    warnings.warn(ConfigWarning(message), stacklevel=3)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def short(x, limit: int = 60) -> str:
    text = repr(x)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def loc_path(loc) -> str:
    return ".".join(str(x) for x in loc)


def format_validation_error(err: ValidationError, model_at: Callable[[tuple], Any]) -> ConfigError:
    """Every error of `err`, one line each: `key.path: what is wrong (got ...)`.

    `model_at(loc)` returns the pydantic model that owns the keys at a location (for the list of valid
    keys when a key is unknown)."""
    lines = []
    for e in err.errors(include_url=False):  # a validator may report several problems, one per line
        for msg in str(e["msg"]).removeprefix("Value error, ").split("\n"):
            lines.append(format_one({**e, "msg": msg}, model_at))
    return ConfigError.many(lines)


def format_one(e: dict, model_at: Callable[[tuple], Any]) -> str:
    loc = loc_path(e["loc"])
    msg = e["msg"].removeprefix("Value error, ")
    if e["type"] == "extra_forbidden":
        parent = tuple(e["loc"][:-1])
        model = model_at(parent)
        valid = sorted(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []
        close = difflib.get_close_matches(str(e["loc"][-1]), valid, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return f"{loc}: unknown key; {hint}valid keys here: {', '.join(valid)}"
    if msg.startswith(f"{loc}.") or msg.startswith(f"{loc}:"):  # our own validators already name the key path
        return one_line(msg)
    if _names_key(msg):
        return one_line(f"{loc}.{msg}" if loc else msg)
    got = e.get("input")
    got_txt = f" (got {short(got)})" if got is not None and not isinstance(got, (dict, list)) else ""
    return one_line(f"{loc or 'config'}: {msg}{got_txt}")


def _names_key(msg: str) -> bool:
    """A validator message that starts with a key path (`a_star: ...`, `stages.1.balance: ...`)."""
    head = msg.split(":", 1)[0]
    return ":" in msg and bool(head) and all(part.isidentifier() or part.isdigit() for part in head.split("."))


__all__ = ["ConfigError", "ConfigWarning", "warn", "format_validation_error", "loc_path", "one_line", "short"]
