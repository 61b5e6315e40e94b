"""Tables of config kinds (`{kind: ..., ...}` mappings): stage kinds, initialisation kinds.

A `KindTable` maps a kind name to its pydantic model; the schema validates an entry by looking its
`kind` up here, so the set of valid kinds (and the error that lists them) comes from one table and a
kind registered later (a user's stage) is valid at once.
"""

from __future__ import annotations

from typing import Any, Callable, Generic, Iterator, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class KindTable(Generic[T]):
    """kind → entry (an entry has a `config` pydantic model whose `kind` field defaults to the kind)."""

    def __init__(self, what: str, entries=(), model_of: Callable[[T], type] = lambda e: e.config):
        self.what, self._entries, self._model_of = what, {}, model_of
        for e in entries:
            self.add(e)

    def add(self, entry: T) -> T:
        kind = self._model_of(entry).model_fields["kind"].default
        if kind in self._entries:
            raise ValueError(f"{self.what} kind {kind!r} is registered already")
        self._entries[kind] = entry
        return entry

    def remove(self, kind: str) -> None:
        self._entries.pop(kind, None)

    def __getitem__(self, kind: str) -> T:
        return self._entries[kind]

    def __contains__(self, kind: object) -> bool:
        return isinstance(kind, str) and kind in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def kinds(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def model(self, kind: str) -> type:
        return self._model_of(self._entries[kind])

    def validator(self) -> Callable[[Any], BaseModel]:
        """A pydantic before-validator: a mapping with a known `kind` → that kind's model."""

        def check(value: Any):
            models = tuple(self._model_of(e) for e in self._entries.values())
            if isinstance(value, models):
                return value
            if not isinstance(value, dict):
                raise ValueError(f"expected a mapping with a 'kind' key; valid kinds: {', '.join(self.kinds())}")
            kind = value.get("kind")
            if kind is None:
                raise ValueError(f"kind: missing; valid: {', '.join(self.kinds())}")
            if kind not in self:
                raise ValueError(f"kind: unknown {self.what} kind {kind!r}; valid: {', '.join(self.kinds())}")
            return self.model(kind).model_validate(value)

        return check


__all__ = ["KindTable"]
