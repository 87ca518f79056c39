"""Stage 3, build: what its parts share: a value with its location, the context
that reports problems and hands out names, and small helpers for spec values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .. import ir, naming
from ..diagnostics import Diagnostic
from ..load import SourceFile, Spec

Parts = tuple[str | int, ...]


@dataclass
class _Located:
    source: SourceFile
    parts: Parts
    value: Any


@dataclass
class _Context:
    """The document, the problems found in it, and the module-level names handed
    out: what every part of the build shares."""

    spec: Spec
    diagnostics: list[Diagnostic] = field(default_factory=list)
    names: naming.Namespace = field(
        default_factory=lambda: naming.Namespace(naming.RESERVED_MODULE_NAMES)
    )

    def problem(
        self,
        code: str,
        message: str,
        source: SourceFile,
        parts: Parts,
        severity: str = "error",
    ) -> None:
        self.diagnostics.append(source.diagnostic(code, message, parts, severity))

    def distinct(
        self,
        names: naming.Namespace,
        wanted: str,
        wire: str,
        seen: dict[str, str],
        what: str,
        source: SourceFile,
        parts: Parts,
    ) -> str:
        """Claim `wanted`; when another spec name already became it, warn and suffix.

        `seen` maps each Python name handed out to the spec name that got it,
        so the message can name both; suffixes follow a fixed (sorted or spec)
        order, so the result is deterministic.
        """
        name = names.claim(wanted)
        label = f"{what} {wire!r}"
        # The very same name twice (a duplicate operationId) is validate's to report.
        if name != wanted and wanted in seen and seen[wanted] != label:
            self.problem(
                "name-collision",
                f"{label} and {seen[wanted]} both become `{wanted}` in Python; "
                f"{label} is named `{name}`",
                source,
                parts,
                "warning",
            )
        seen.setdefault(wanted, label)
        seen[name] = label
        return name

    def deref(self, located: _Located) -> _Located:
        """Follow `$ref`s until a value that is not one (validate rules out cycles)."""
        seen: set[tuple[str, str]] = set()
        while isinstance(located.value, dict) and isinstance(
            located.value.get("$ref"), str
        ):
            key = (located.source.path, located.value["$ref"])
            target = self.spec.resolve(located.value["$ref"], located.source)
            if target is None or key in seen:
                return _Located(located.source, located.parts, {})
            seen.add(key)
            located = _Located(target[0], target[1], target[2])
        return located


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _json_value(value: Any) -> Any:
    return (
        value
        if isinstance(value, str | int | float | bool | list | dict) or value is None
        else str(value)
    )


_JSON_TYPES = re.compile(r"^application/([\w.+-]*\+)?json$|^application/json;", re.I)


def media_kind(content_type: str) -> ir.BodyKind:
    lowered = content_type.lower().split(";")[0].strip()
    if _JSON_TYPES.match(lowered):
        return "json"
    if lowered == "application/x-www-form-urlencoded":
        return "form"
    if lowered.startswith("multipart/"):
        return "multipart"
    if lowered.startswith("text/"):
        return "text"
    return "binary"
