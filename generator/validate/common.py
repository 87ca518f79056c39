"""Stage 2, validate: what its parts share: a value with where it is written,
and leaving out what generation does not take (`without`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from ..diagnostics import Diagnostic, parts_of
from ..load import SourceFile, Spec

Parts = tuple[str | int, ...]


METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def without(spec: Spec, diagnostics: Iterable[Diagnostic]) -> Spec:
    """`spec` without the nodes that `drops` diagnostics name: what build sees.

    Copy on write: the containers on the way to a dropped node are copied,
    the rest is shared, and `spec` is left as it was. Positions stay right,
    since every file keeps its text."""
    by_display = {source.display: source for source in spec.files.values()}
    dropped: dict[str, list[tuple[str, ...]]] = {}
    for d in diagnostics:
        if d.drops and d.pointer and d.file in by_display:
            dropped.setdefault(d.file, []).append(parts_of(d.pointer))
    if not dropped:
        return spec
    files = dict(spec.files)
    for display, pointers in dropped.items():
        source = by_display[display]
        files[source.path] = dataclasses.replace(
            source, data=_pruned(source.data, _trie(pointers))
        )
    return Spec(files[spec.root.path], files)


# A trie of pointers to drop: each key leads to the next level, or to None
# where the node itself goes.
_Trie = dict[str, Any]


def _trie(pointers: Iterable[tuple[str, ...]]) -> _Trie:
    trie: _Trie = {}
    for parts in pointers:
        level: _Trie | None = trie
        for part in parts[:-1]:
            assert level is not None
            if level.get(part, {}) is None:
                level = None  # an ancestor goes already
                break
            level = level.setdefault(part, {})
        if level is not None:
            level[parts[-1]] = None
    return trie


def _pruned(value: Any, trie: _Trie) -> Any:
    if isinstance(value, dict):
        copy = dict(value)
        for key, below in trie.items():
            if key in copy:
                if below is None:
                    del copy[key]
                else:
                    copy[key] = _pruned(copy[key], below)
        return copy
    if isinstance(value, list):
        items = list(value)
        gone = set()
        for key, below in trie.items():
            if key.isdigit() and int(key) < len(items):
                if below is None:
                    gone.add(int(key))
                else:
                    items[int(key)] = _pruned(items[int(key)], below)
        return [item for i, item in enumerate(items) if i not in gone]
    return value


def _dropping(diagnostic: Diagnostic) -> Diagnostic:
    """The warning `diagnostic`, saying that generation leaves its node out."""
    return dataclasses.replace(diagnostic, severity="warning", drops=True)


def _one_line(value: object, limit: int = 300) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclasses.dataclass(frozen=True)
class _At:
    """A value and where it is written."""

    source: SourceFile
    parts: Parts
    value: Any


def _follow(spec: Spec, at: _At) -> _At | None:
    """Where the `$ref`s from `at` lead (`at` itself if it is not one); None
    when they lead nowhere or in a circle (which `check_references` reports)."""
    for _ in range(64):
        ref = at.value.get("$ref") if isinstance(at.value, dict) else None
        if not isinstance(ref, str):
            return at
        target = spec.resolve(ref, at.source)
        if target is None:
            return None
        at = _At(*target)
    return None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
