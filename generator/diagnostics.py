"""Spec problems as values: every stage returns these instead of raising.

A diagnostic names the file, line and column it points at, a stable code
that tests and users can rely on, and the JSON pointer of the offending node.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: Severity
    code: str
    message: str
    file: str
    pointer: str
    line: int = 0
    col: int = 0
    # The node at `pointer` is left out of what is generated (a value that does
    # not match its schema, an operation we cannot represent): the warning
    # says so, and `validate.without` removes it before the build.
    drops: bool = False

    def render(self) -> str:
        """`path:line:col: error[code]: message (at #/pointer)`, one line."""
        where = f"{self.file}:{self.line}:{self.col}"
        text = " ".join(self.message.split())
        return f"{where}: {self.severity}[{self.code}]: {text} (at #{self.pointer})"

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line, self.col, self.code, self.message)


def has_errors(diagnostics: list[Diagnostic], *, strict: bool = False) -> bool:
    """Errors stop the run; warnings do too under --strict."""
    return any(d.severity == "error" or strict for d in diagnostics)


def pointer_of(parts: tuple[str | int, ...]) -> str:
    """RFC 6901 JSON pointer for a path of keys and indices."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


@functools.cache  # the same `$ref` pointers, thousands of times
def parts_of(pointer: str) -> tuple[str, ...]:
    if not pointer:
        return ()
    return tuple(
        p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")
    )
