"""Name -> (fields, function) tables for the bench's actions and checks.

A function registers under its TOML name with the fields its table entry may carry; the
scenario parser refuses any other name or field, and the runner calls the function by name,
so the table and the code cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    fields: frozenset[str]
    function: Callable


class Registry(dict[str, Entry]):
    def register(self, name: str, *fields: str) -> Callable[[Callable], Callable]:
        """Decorator: file the function under `name`, taking `fields` from its TOML entry."""

        def add(function: Callable) -> Callable:
            self[name] = Entry(frozenset(fields), function)
            return function

        return add

    def fields(self) -> dict[str, frozenset[str]]:
        return {name: entry.fields for name, entry in self.items()}
