"""Stage 1, load: read the spec and every local file its `$ref`s reach.

Parsing uses PyYAML's C loader when present. Line and column numbers are
not kept while loading (that would slow every run down); a file composes
its YAML node tree only when a diagnostic needs a position, which on a
clean spec is never.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from .diagnostics import Diagnostic, parts_of, pointer_of

# The C loader is several times faster on large specs.
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]
    """JSON-compatible YAML: string keys, and dates left as strings."""


# OpenAPI is JSON: `2024-01-01` is a string and `200:` is the key "200".
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


def _json_key(key: object) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def _construct_mapping(
    loader: yaml.SafeLoader, node: yaml.MappingNode
) -> dict[str, Any]:
    loader.flatten_mapping(node)
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        result[_json_key(key)] = loader.construct_object(value_node, deep=True)
    return result


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


Location = tuple[int, int]


@dataclass(eq=False)
class SourceFile:
    """One loaded file: its text, its data, and positions on demand."""

    display: str
    path: str
    text: str
    data: Any
    _root: yaml.Node | None = field(default=None, repr=False)

    def locate(self, parts: tuple[str | int, ...]) -> Location:
        """1-based line and column of the node at `parts`, or of its nearest ancestor."""
        if self._root is None:
            try:
                self._root = yaml.compose(self.text, Loader=_Loader)
            except yaml.YAMLError:
                return (1, 1)
            if self._root is None:
                return (1, 1)
        node: yaml.Node = self._root
        mark = node.start_mark
        for part in parts:
            found = _child(node, str(part))
            if found is None:
                break
            key_node, node = found
            mark = (key_node or node).start_mark
        return (mark.line + 1, mark.column + 1)

    def diagnostic(
        self,
        code: str,
        message: str,
        parts: tuple[str | int, ...],
        severity: str = "error",
    ) -> Diagnostic:
        line, col = self.locate(parts)
        return Diagnostic(
            "warning" if severity == "warning" else "error",
            code,
            message,
            self.display,
            pointer_of(parts),
            line,
            col,
        )


def _child(node: yaml.Node, key: str) -> tuple[yaml.Node | None, yaml.Node] | None:
    """The (key node, value node) under `key`, following YAML merge keys."""
    if isinstance(node, yaml.MappingNode):
        merged: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged.extend(
                    value_node.value
                    if isinstance(value_node, yaml.SequenceNode)
                    else [value_node]
                )
            elif isinstance(key_node, yaml.ScalarNode) and _scalar_key(key_node) == key:
                return key_node, value_node
        for source in merged:
            found = _child(source, key)
            if found is not None:
                return found
        return None
    if (
        isinstance(node, yaml.SequenceNode)
        and key.isdigit()
        and int(key) < len(node.value)
    ):
        return None, node.value[int(key)]
    return None


def _scalar_key(node: yaml.ScalarNode) -> str:
    if node.style is None and node.value in (
        "true",
        "True",
        "TRUE",
        "false",
        "False",
        "FALSE",
    ):
        return str(node.value).lower()
    return str(node.value)


@dataclass(eq=False)
class Spec:
    """The root document and every file reached through `$ref`."""

    root: SourceFile
    files: dict[str, SourceFile]

    @property
    def sha256(self) -> str:
        """Of the files' text and their paths relative to the root: not of where they sit."""
        digest = hashlib.sha256()
        base = os.path.dirname(self.root.path)
        for key in sorted(self.files):
            relative = os.path.relpath(key, base).replace(os.sep, "/")
            digest.update(relative.encode() + b"\0" + self.files[key].text.encode() + b"\0")
        return digest.hexdigest()

    def resolve(
        self, ref: str, base: SourceFile
    ) -> tuple[SourceFile, tuple[str, ...], Any] | None:
        """The file, pointer and value a `$ref` names, or None if it names nothing."""
        file_part, _, fragment = ref.partition("#")
        source = base if not file_part else self.files.get(_join(base.path, file_part))
        if source is None:
            return None
        parts = parts_of(fragment)
        value = source.data
        for part in parts:
            if isinstance(value, dict) and part in value:
                value = value[part]
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                return None
        return source, parts, value


def _join(base_path: str, relative: str) -> str:
    return os.path.normpath(os.path.join(os.path.dirname(base_path), relative))


def iter_refs(
    value: Any, parts: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every `$ref` string in a document, with where it sits."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [(parts, value)]
    while stack:
        here, node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                yield here + ("$ref",), ref
            stack.extend(
                (here + (k,), v) for k, v in node.items() if isinstance(v, dict | list)
            )
        elif isinstance(node, list):
            stack.extend(
                (here + (i,), v)
                for i, v in enumerate(node)
                if isinstance(v, dict | list)
            )


def load(path: str) -> tuple[Spec | None, list[Diagnostic]]:
    """Load `path` and the local files its references reach."""
    diagnostics: list[Diagnostic] = []
    root = _load_file(path, path, diagnostics, None)
    if root is None:
        return None, diagnostics
    if not isinstance(root.data, dict):
        diagnostics.append(
            root.diagnostic("spec-not-mapping", "the document must be a mapping", ())
        )
        return None, diagnostics
    spec = Spec(root, {root.path: root})
    pending = [root]
    while pending:
        source = pending.pop()
        for parts, ref in iter_refs(source.data):
            file_part = ref.partition("#")[0]
            if not file_part:
                continue
            if "://" in file_part:
                diagnostics.append(
                    source.diagnostic(
                        "ref-remote",
                        f"remote reference {ref!r} is not supported; use a local file",
                        parts,
                    )
                )
                continue
            target = _join(source.path, file_part)
            if target in spec.files:
                continue
            display = os.path.normpath(
                os.path.join(os.path.dirname(source.display), file_part)
            )
            loaded = _load_file(target, display, diagnostics, (source, parts, ref))
            if loaded is not None:
                spec.files[target] = loaded
                pending.append(loaded)
    return spec, diagnostics


def _load_file(
    path: str,
    display: str,
    diagnostics: list[Diagnostic],
    referrer: tuple[SourceFile, tuple[str | int, ...], str] | None,
) -> SourceFile | None:
    absolute = os.path.abspath(path)
    try:
        with open(absolute, encoding="utf-8", newline="") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        reason = (
            error.strerror
            if isinstance(error, OSError) and error.strerror
            else str(error)
        )
        if referrer is not None:
            source, parts, ref = referrer
            diagnostics.append(
                source.diagnostic(
                    "ref-file-unreadable", f"cannot read {ref!r}: {reason}", parts
                )
            )
        else:
            diagnostics.append(
                Diagnostic(
                    "error",
                    "spec-unreadable",
                    f"cannot read the spec: {reason}",
                    display,
                    "",
                    1,
                    1,
                )
            )
        return None
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = error.problem or "invalid YAML"
        diagnostics.append(
            Diagnostic(
                "error",
                "yaml-syntax",
                f"YAML syntax error: {problem}",
                display,
                "",
                line,
                col,
            )
        )
        return None
    except (yaml.YAMLError, RecursionError) as error:
        diagnostics.append(
            Diagnostic(
                "error", "yaml-syntax", f"YAML error: {error}", display, "", 1, 1
            )
        )
        return None
    return SourceFile(display, absolute, text, data)


__all__ = ["Spec", "SourceFile", "load", "iter_refs", "pointer_of"]
