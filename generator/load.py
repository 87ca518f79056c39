"""Stage 1, load: read the spec and every local file its `$ref`s reach.

Parsing uses PyYAML's C loader when present. Line and column numbers are
not kept while loading (that would slow every run down); a file composes
its YAML node tree only when a diagnostic needs a position, which on a
clean spec is never.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import gc
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from .diagnostics import Diagnostic, parts_of, pointer_of
from .files import MAX_SPEC_BYTES, NotRegular, TooLarge, Unreadable, read_regular

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


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    if not isinstance(node, yaml.MappingNode):  # `!!map` on a scalar or a list
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"expected a mapping node, but found {getattr(node, 'id', 'node')}",
            node.start_mark,
        )
    explicit = len(node.value)
    loader.flatten_mapping(node)
    # `flatten_mapping` puts merged (`<<`) entries first; only the node's own
    # keys may not repeat each other, a merge may be overridden.
    own_from = len(node.value) - explicit
    result: dict[str, Any] = {}
    own: set[str] = set()
    for i, (key_node, value_node) in enumerate(node.value):
        key = _json_key(loader.construct_object(key_node, deep=True))
        if i >= own_from:
            if key in own:
                duplicates: list[tuple[str, int, int]] | None = getattr(
                    loader, "duplicate_keys", None
                )
                if duplicates is not None:
                    mark = key_node.start_mark
                    duplicates.append((key, mark.line + 1, mark.column + 1))
            own.add(key)
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


class _Unusual(Exception):
    """A document `_construct_plain` leaves to PyYAML's constructor."""


_STR = "tag:yaml.org,2002:str"
_SCALARS: dict[str, Any] = {
    "tag:yaml.org,2002:int": _BaseLoader.construct_yaml_int,
    "tag:yaml.org,2002:float": _BaseLoader.construct_yaml_float,
    "tag:yaml.org,2002:bool": _BaseLoader.construct_yaml_bool,
    "tag:yaml.org,2002:null": _BaseLoader.construct_yaml_null,
}


@contextlib.contextmanager
def _composed(text: str) -> Iterator[tuple[Any, yaml.Node | None]]:
    """A loader on `text` and the node tree of its one document."""
    # The node tree is a great many objects, none of them garbage yet: the
    # cyclic collector would walk them over and over (on a large spec it took
    # more time than parsing).
    collecting = gc.isenabled()
    gc.disable()
    loader = _Loader(text)
    try:
        yield loader, loader.get_single_node()
    finally:
        loader.dispose()
        if collecting:
            gc.enable()


def _construct(text: str, duplicates: list[tuple[str, int, int]]) -> tuple[Any, bool]:
    """The data of a one-document YAML text, as `get_single_data` gives it, and
    whether it is known to be a tree no deeper than `MAX_DEPTH` (no aliases).

    PyYAML's constructor costs more than parsing; most specs hold nothing but
    plain mappings, sequences and core scalars, which `_construct_plain` builds
    directly from the composed nodes. Anything else (merge keys, other tags,
    recursive aliases, deep nesting) goes to PyYAML's constructor, unchanged.
    """
    with _composed(text) as (loader, node):
        if node is None:
            return None, True
        try:
            return _construct_plain(loader, node, duplicates)
        except _Unusual:
            pass
    duplicates.clear()
    loader = _Loader(text)
    loader.duplicate_keys = duplicates
    try:
        return loader.get_single_data(), False
    finally:
        loader.dispose()


def _construct_plain(
    loader: Any, root: yaml.Node, duplicates: list[tuple[str, int, int]]
) -> tuple[Any, bool]:
    built: dict[int, Any] = {}  # aliases share a node, so they share its data
    building: set[int] = set()
    shared = False

    def construct(node: yaml.Node, depth: int) -> Any:
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _STR:
                return node.value
            scalar = _SCALARS.get(node.tag)
            if scalar is None:
                raise _Unusual
            return scalar(loader, node)
        key = id(node)
        if key in built:
            nonlocal shared
            shared = True
            return built[key]
        if key in building or depth >= MAX_DEPTH:
            raise _Unusual
        building.add(key)
        value: Any
        if isinstance(node, yaml.MappingNode):
            if node.tag != "tag:yaml.org,2002:map":
                raise _Unusual
            value = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == (
                    "tag:yaml.org,2002:merge"
                ):
                    raise _Unusual
                name = _json_key(construct(key_node, depth))
                if name in value:
                    mark = key_node.start_mark
                    duplicates.append((name, mark.line + 1, mark.column + 1))
                value[name] = construct(value_node, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                raise _Unusual
            value = [construct(child, depth + 1) for child in node.value]
        else:
            raise _Unusual
        building.discard(key)
        built[key] = value
        return value

    return construct(root, 0), not shared


Location = tuple[int, int]


@dataclass(eq=False)
class SourceFile:
    """One loaded file: its text, its data, and positions on demand."""

    display: str
    path: str
    text: str
    data: Any
    _root: yaml.Node | None = field(default=None, repr=False)
    # JSON text is located without composing it; False where YAML must place.
    _json: _JsonPositions | bool | None = field(default=None, repr=False)

    def locate(self, parts: tuple[str | int, ...]) -> Location:
        """1-based line and column of the node at `parts`, or of its nearest ancestor."""
        if self._json is None:
            self._json = _JsonPositions.fits(self.text) and _JsonPositions(self.text)
        if isinstance(self._json, _JsonPositions) and self._root is None:
            try:
                return self._json.locate(parts)
            except (ValueError, RecursionError):
                self._json = False  # not JSON after all: YAML places
        if self._root is None:
            try:
                with _composed(self.text) as (_, root):
                    self._root = root
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


class _JsonPositions:
    """Where the nodes of a JSON text are, as the YAML composer would place
    them (a member at its key, an item at its value), without composing the
    whole text: each object or array on a path asked for is indexed once,
    the values it holds skipped over by the C JSON decoder."""

    _WHITESPACE = re.compile(r"[ \t\n\r]*")
    # Line breaks YAML counts that JSON text may hold; with one, YAML places.
    _OTHER_BREAKS = re.compile("[\r\x85\u2028\u2029]")

    @classmethod
    def fits(cls, text: str) -> bool:
        return text.lstrip(" \t\r\n").startswith("{") and not (
            cls._OTHER_BREAKS.search(text)
        )

    def __init__(self, text: str) -> None:
        import json

        self._text = text
        self._skip = json.JSONDecoder().raw_decode
        self._scan = json.decoder.scanstring  # type: ignore[attr-defined]
        self._members: dict[int, dict[str, tuple[int, int]] | list[int]] = {}
        self._breaks = [m.start() for m in re.finditer("\n", text)]

    def locate(self, parts: tuple[str | int, ...]) -> Location:
        """As `SourceFile.locate`; ValueError where the text is not JSON."""
        at = mark = self._space(0)
        for part in parts:
            members = self._members.get(at)
            if members is None:
                members = self._members[at] = self._index(at)
            key = str(part)
            if isinstance(members, dict):
                found = members.get(key)
                if found is None:
                    break
                mark, at = found
            else:
                if not key.isdigit() or int(key) >= len(members):
                    break
                mark = at = members[int(key)]
        before = bisect.bisect_left(self._breaks, mark)  # line breaks before it
        start = self._breaks[before - 1] + 1 if before else 0
        return before + 1, mark - start + 1

    def _space(self, at: int) -> int:
        end: int = self._WHITESPACE.match(self._text, at).end()  # type: ignore[union-attr]
        return end

    def _index(self, at: int) -> dict[str, tuple[int, int]] | list[int]:
        """The members of the object at `at` (key: where the key and the value
        start; the first of repeated keys, as YAML finds), or where the items
        of the array start; empty for anything else."""
        text = self._text
        opening = text[at : at + 1]
        if opening not in ("{", "["):
            return {}
        closing = "}" if opening == "{" else "]"
        members: dict[str, tuple[int, int]] = {}
        items: list[int] = []
        at = self._space(at + 1)
        if text[at : at + 1] == closing:
            return members if opening == "{" else items
        while True:
            if opening == "{":
                if text[at : at + 1] != '"':
                    raise ValueError("a key expected")
                key, end = self._scan(text, at + 1)
                end = self._space(end)
                if text[end : end + 1] != ":":
                    raise ValueError("':' expected")
                value = self._space(end + 1)
                members.setdefault(key, (at, value))
            else:
                value = at
                items.append(value)
            _, end = self._skip(text, value)
            end = self._space(end)
            if text[end : end + 1] == closing:
                return members if opening == "{" else items
            if text[end : end + 1] != ",":
                raise ValueError("',' expected")
            at = self._space(end + 1)


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
            digest.update(
                relative.encode() + b"\0" + self.files[key].text.encode() + b"\0"
            )
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


# `$ref` (its key quoted or not) with a local value: `#...`, quoted or not.
_LOCAL_REF = re.compile(r"""\$ref["']?[ \t]*:[ \t]*["']?#""")
_ESCAPED_DOLLAR = re.compile(r"\\(?:x24|u0024|U00000024)", re.I)


def _may_refer_out(text: str) -> bool:
    """Whether `text` may hold a `$ref` to another file: not when every `$ref`
    it spells is a key with a local `#...` value on the same line. (A key
    spelled with escapes would not be seen, so an escaped `$` means yes.)"""
    if _ESCAPED_DOLLAR.search(text):
        return True
    return text.count("$ref") != len(_LOCAL_REF.findall(text))


@functools.lru_cache(
    maxsize=1 << 14
)  # a split spec joins the same pairs again and again
def _join(base_path: str, relative: str) -> str:
    return os.path.normpath(os.path.join(os.path.dirname(base_path), relative))


# Keys whose value (a mapping) maps names, not keywords, to what they name:
# a name there (a property `default`, a response `default`) is never data.
_NAMES = frozenset(
    {
        "properties",
        "patternProperties",
        "$defs",
        "definitions",
        "dependentSchemas",
        "dependencies",
        "paths",
        "webhooks",
        "callbacks",
        "responses",
        "content",
        "encoding",
        "headers",
        "links",
        "variables",
        "schemas",
        "parameters",
        "requestBodies",
        "securitySchemes",
        "pathItems",
        "examples",
        "mapping",
        "scopes",
    }
)
# Keywords whose value is data (an Example's `value` among them), and so are
# extensions' (`x-...`) and a schema's list of `examples`.
_DATA = frozenset({"example", "default", "const", "enum", "value"})


def _is_data(key: str, value: Any) -> bool:
    return (
        key in _DATA
        or key.startswith("x-")
        or (key == "examples" and isinstance(value, list))
    )


def iter_refs(
    value: Any, parts: tuple[str | int, ...] = (), *, document: bool = False
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every `$ref` string in a file, with where it sits: not those inside
    data (examples, defaults, `const`, `enum`, extensions), where `$ref` is a
    key like any other. With `document`, `value` is an OpenAPI document,
    whose keys are keywords; a referenced file's top level may instead be a
    map of names, where nothing is taken for data."""
    keywords, names, unknown = 0, 1, 2
    stack: list[tuple[tuple[str | int, ...], Any, int]] = [
        (parts, value, keywords if document else unknown)
    ]
    while stack:
        here, node, kind = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                yield here + ("$ref",), ref
            for key, child in node.items():
                if not isinstance(child, dict | list):
                    continue
                if kind == names:
                    stack.append((here + (key,), child, keywords))
                elif kind == unknown or not _is_data(key, child):
                    below = (
                        names if key in _NAMES and isinstance(child, dict) else keywords
                    )
                    stack.append((here + (key,), child, below))
        elif isinstance(node, list):
            stack.extend(
                (here + (i,), v, keywords)
                for i, v in enumerate(node)
                if isinstance(v, dict | list)
            )


@dataclass(frozen=True)
class Limits:
    """What a load may read: files under the spec's own folder or one of
    `ref_roots`, `max_bytes` of them in all."""

    ref_roots: tuple[str, ...] = ()
    max_bytes: int = MAX_SPEC_BYTES


def load(
    path: str, memo: dict[str, Any] | None = None, limits: Limits = Limits()
) -> tuple[Spec | None, list[Diagnostic]]:
    """Load `path` and the local files its references reach, within `limits`.

    With a `memo` (what the last load kept, by file; see `_reuse`), the parts
    of a YAML file that did not change are not parsed again; the memo is
    updated for the next run.
    """
    diagnostics: list[Diagnostic] = []
    if memo is not None:
        from .cache import fingerprint

        # Kept data is only as good as the code (and PyYAML) that made it.
        key = fingerprint("load")
        if memo.get(_MEMO_KEY) != key:
            memo.clear()
            memo[_MEMO_KEY] = key
    reach = _Reach(path, limits)
    root = _load_file(path, path, diagnostics, None, memo, reach)
    if root is None:
        return None, diagnostics
    if not isinstance(root.data, dict):
        found = "empty" if root.data is None else f"a {type(root.data).__name__}"
        diagnostics.append(
            root.diagnostic(
                "spec-not-mapping",
                f"the document must be a mapping (an OpenAPI object); it is {found}",
                (),
            )
        )
        return None, diagnostics
    spec = Spec(root, {root.path: root})
    pending = [root]
    while pending:
        source = pending.pop()
        if not _may_refer_out(source.text):
            continue
        for parts, ref in iter_refs(source.data, document=source is root):
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
            refused = reach.refusal(file_part, target, spec.files)
            if refused is not None:
                diagnostics.append(
                    source.diagnostic(
                        "ref-outside-root", f"reference {ref!r} {refused}", parts
                    )
                )
                continue
            if target in spec.files:
                continue
            display = os.path.normpath(
                os.path.join(os.path.dirname(source.display), file_part)
            )
            loaded = _load_file(
                target, display, diagnostics, (source, parts, ref), memo, reach
            )
            if loaded is not None:
                spec.files[target] = loaded
                pending.append(loaded)
    return spec, diagnostics


class _Reach:
    """Where one load's references may lead, and how much it has left to read.

    A reference names a file under the spec's folder (or a `ref_roots`
    folder), its links resolved, or nothing: it is refused before anything
    is opened, so no diagnostic can quote a file from elsewhere.
    """

    def __init__(self, spec_path: str, limits: Limits) -> None:
        spec_folder = os.path.dirname(os.path.abspath(spec_path))
        self.folders = [os.path.realpath(f) for f in (spec_folder, *limits.ref_roots)]
        self.where = "the spec's folder" + "".join(
            f" and {_shown(folder)}" for folder in self.folders[1:]
        )
        self.limit = self.left = limits.max_bytes
        self._real_folders: dict[str, str] = {}

    def refusal(
        self, file_part: str, target: str, loaded: dict[str, SourceFile]
    ) -> str | None:
        """Why a reference to `file_part`, found at `target`, is not followed;
        None for a file reached before (and so vetted), or under a folder."""
        if os.path.isabs(file_part):
            return "is an absolute path; name files relative to the referring file"
        if target in loaded:
            return None
        real = self.real(target)
        if any(_within(real, folder) for folder in self.folders):
            return None
        return (
            f"leads outside {self.where}; references may only name files "
            "under it (--ref-root adds a folder)"
        )

    def read(self, path: str) -> bytes:
        """The file's bytes, counted against what the load may read in all."""
        data = read_regular(self.real(path), self.left)
        self.left -= len(data)
        return data

    def real(self, path: str) -> str:
        """`os.path.realpath(path)`, each folder resolved once per load: a
        spec split over thousands of files keeps them in a few folders, and
        resolving one costs a `stat` per component of its path."""
        folder, name = os.path.split(path)
        real_folder = self._real_folders.get(folder)
        if real_folder is None:
            real_folder = self._real_folders[folder] = os.path.realpath(folder)
        joined = os.path.join(real_folder, name)
        return os.path.realpath(joined) if os.path.islink(joined) else joined


def _within(path: str, folder: str) -> bool:
    return os.path.commonpath([path, folder]) == folder


def _shown(folder: str) -> str:
    """A folder as a message names it: relative to here when it is below."""
    relative = os.path.relpath(folder)
    return folder if relative.startswith("..") else relative


def _load_file(
    path: str,
    display: str,
    diagnostics: list[Diagnostic],
    referrer: tuple[SourceFile, tuple[str | int, ...], str] | None,
    memo: dict[str, Any] | None,
    reach: _Reach,
) -> SourceFile | None:
    absolute = os.path.abspath(path)
    kept = memo.pop(absolute, None) if memo is not None else None
    try:
        raw = reach.read(absolute)
    except Unreadable as error:
        diagnostics.append(_unreadable(error, display, referrer, reach.limit))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start].decode("utf-8", errors="replace")
        line = before.count("\n") + 1
        col = len(before) - (before.rfind("\n") + 1) + 1
        diagnostics.append(
            _at(
                display,
                "spec-encoding",
                f"the file is not UTF-8: byte 0x{raw[error.start]:02x} cannot be decoded",
                line,
                col,
            )
        )
        return None
    reused = _reuse(text, kept) if kept is not None else None
    if reused is not None:
        source = SourceFile(display, absolute, text, reused)
        if memo is not None:
            memo[absolute] = _memo_entry(text, reused)
        return source
    if _nesting_bound(text) > _SAFE_TO_COMPOSE:
        # Deep enough to overflow the C composer's stack: measure with the
        # (iterative) event parser first, and refuse before composing.
        deep = _too_deep_at(text)
        if deep is not None:
            diagnostics.append(_too_deep(display, *deep))
            return None
    if text.lstrip("\ufeff \t\r\n").startswith("{"):
        # JSON is YAML, but YAML 1.1 has no surrogate-pair escapes ("\ud83d\ude00"):
        # a JSON document is read as JSON.
        count = len(diagnostics)
        parsed = _load_json(text, display, diagnostics)
        if parsed is not None:
            return _checked(SourceFile(display, absolute, text, parsed[0]), diagnostics)
        if len(diagnostics) > count:
            return None
    duplicates: list[tuple[str, int, int]] = []
    try:
        data, tree = _construct(text, duplicates)
    except RecursionError:
        diagnostics.append(_too_deep(display, *(_too_deep_at(text) or (1, 1))))
        return None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = error.problem or "invalid YAML"
        if "recursive" in problem:
            diagnostics.append(
                _at(
                    display,
                    "yaml-alias-cycle",
                    "an alias refers to a node containing it; the document is not JSON data",
                    line,
                    col,
                )
            )
        else:
            diagnostics.append(
                _at(display, "yaml-syntax", f"YAML syntax error: {problem}", line, col)
            )
        return None
    except yaml.YAMLError as error:
        diagnostics.append(_at(display, "yaml-syntax", f"YAML error: {error}"))
        return None
    source = SourceFile(display, absolute, text, data)
    if memo is not None and tree and not duplicates:
        memo[absolute] = _memo_entry(text, data)
    for key, line, col in duplicates:
        diagnostics.append(
            _at(
                display,
                "yaml-duplicate-key",
                f"key {key!r} appears more than once in one mapping; the last one wins",
                line,
                col,
                "warning",
            )
        )
    # A tree no deeper than MAX_DEPTH has no shape problem to look for.
    return source if tree else _checked(source, diagnostics)


def _unreadable(
    error: Unreadable,
    display: str,
    referrer: tuple[SourceFile, tuple[str | int, ...], str] | None,
    limit: int,
) -> Diagnostic:
    if isinstance(error, TooLarge):
        over = f"more than {limit:,} bytes, the limit (--max-spec-bytes raises it)"
        if referrer is None:
            return _at(display, "spec-too-large", f"the spec holds {over}")
        source, parts, ref = referrer
        return source.diagnostic(
            "spec-too-large",
            f"with {ref!r}, the spec's files together hold {over}",
            parts,
        )
    if referrer is None:
        return _at(display, "spec-unreadable", f"cannot read the spec: {error}")
    source, parts, ref = referrer
    code = "ref-not-a-file" if isinstance(error, NotRegular) else "ref-file-unreadable"
    return source.diagnostic(code, f"cannot read {ref!r}: {error}", parts)


# --- re-loading an edited file ---------------------------------------------
#
# An edit to a large spec mostly touches one path item. The memo keeps, per
# YAML file that loaded as a plain tree without duplicate keys: its data, and
# the hashes of its text before `paths`, after it, and of each path item's
# lines. A path item is the lines from one starting with exactly two spaces
# and a key (inside a top-level block mapping `paths:`) to the next; in block
# YAML its value cannot reach outside them. So when the text around `paths`
# is unchanged, the data of each unchanged path item is the old data, and
# each changed one is parsed alone, as the only entry of a `paths:` mapping;
# anything unusual (another shape, a parse that is not one plain entry whose
# key starts the item, a repeated key) falls back to parsing the whole file.
# Tests hold the two to the same result on random edits.

_MEMO_KEY = "key"  # beside the files' absolute paths, which cannot be it

_PATHS = re.compile(r"^paths:[ \t]*(?:#.*)?\r?$", re.M)
_TOP_LEVEL = re.compile(r"^[^\s#]", re.M)
_ITEM = re.compile(r"^  [^\s#]", re.M)
_ODD_INDENT = re.compile(r"^(?: [^ \r\n]|\t)", re.M)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@functools.lru_cache(maxsize=2)  # asked by _reuse, then by _memo_entry
def _path_items(text: str) -> tuple[str, list[str], str] | None:
    """(text before the first path item, each path item's text, text after
    the last), or None if `paths` is not a block mapping this can cut."""
    found = _PATHS.search(text)
    if found is None:
        return None
    start = found.end()
    after = _TOP_LEVEL.search(text, start)
    end = after.start() if after else len(text)
    section = text[start:end]
    starts = [m.start() + start for m in _ITEM.finditer(section)]
    if not starts or _ODD_INDENT.search(section):
        return None
    before = text[start : starts[0]].splitlines()
    if any(line.strip() and not line.lstrip().startswith("#") for line in before):
        return None
    items = [text[a:b] for a, b in zip(starts, [*starts[1:], end], strict=True)]
    return text[: starts[0]], items, text[end:]


def _memo_entry(text: str, data: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"sha": _digest(text), "data": data}
    cut = _path_items(text)
    paths = data.get("paths") if isinstance(data, dict) else None
    if cut is not None and isinstance(paths, dict) and len(paths) == len(cut[1]):
        head, items, tail = cut
        entry["head"], entry["tail"] = _digest(head), _digest(tail)
        entry["items"] = [
            [_digest(i), key] for i, key in zip(items, paths, strict=True)
        ]
    return entry


def _reuse(text: str, entry: dict[str, Any]) -> Any | None:
    """The data of `text` from the memo `entry` of its last load, parsing only
    the path items that changed; None when the whole file must be parsed."""
    try:
        if entry["sha"] == _digest(text):
            return entry["data"]
        cut = _path_items(text)
        if cut is None or "items" not in entry:
            return None
        head, items, tail = cut
        if (_digest(head), _digest(tail)) != (entry["head"], entry["tail"]):
            return None
        old_paths = entry["data"]["paths"]
        known = {digest: key for digest, key in entry["items"]}
        paths: dict[str, Any] = {}
        for item in items:
            key = known.get(_digest(item))
            if key is not None and key in old_paths:
                value = old_paths[key]
            else:
                parsed = _parse_item(item)
                if parsed is None:
                    return None
                key, value = parsed
            if key in paths:
                return None  # a repeated key: the whole parse reports it
            paths[key] = value
        data = dict(entry["data"])
        data["paths"] = paths
        return data
    except (KeyError, TypeError, AttributeError):
        return None  # a memo of another shape: parse


def _parse_item(item: str) -> tuple[str, Any] | None:
    """(key, value) of one path item's text, parsed alone; None unless it
    parses as the whole file would read it (see `_one_entry`)."""
    if _nesting_bound(item) > _SAFE_TO_COMPOSE:
        return None  # the whole parse measures it, and says where
    duplicates: list[tuple[str, int, int]] = []
    try:
        with _composed("paths:\n" + item) as (loader, root):
            if root is None or not _one_entry(root):
                return None
            data, tree = _construct_plain(loader, root, duplicates)
    except (yaml.YAMLError, RecursionError, _Unusual):
        return None
    if not tree or duplicates:
        return None
    ((key, value),) = data["paths"].items()
    return key, value


def _one_entry(root: yaml.Node) -> bool:
    """Whether `root`, composed from `paths:` and one path item's text, maps
    `paths` to one entry whose key starts the item's first line at column 3.

    In the whole file the item continues the `paths` mapping, where each
    entry starts with its key; alone, it starts a new mapping, where a line
    that merely looks like a key (an anchor or a tag over a mapping below it,
    a `? ` explicit key) is read otherwise: as the value of `paths` itself, or
    a key that the next item's `:` completes. From the key on, the two parses
    read the same tokens in the same state, so only that start must agree.
    """
    if not isinstance(root, yaml.MappingNode) or len(root.value) != 1:
        return False
    paths = root.value[0][1]
    if not isinstance(paths, yaml.MappingNode) or len(paths.value) != 1:
        return False
    mark = paths.value[0][0].start_mark
    return (mark.line, mark.column) == (1, 2)


def _load_json(
    text: str, display: str, diagnostics: list[Diagnostic]
) -> tuple[Any] | None:
    """(data,) when `text` is JSON; None, with a diagnostic when it is broken JSON
    that YAML would not read either, or without one to let YAML try."""
    import json

    try:
        data = json.loads(text.lstrip("\ufeff"))
    except RecursionError:
        diagnostics.append(_too_deep(display, 1, 1))
        return None
    except ValueError:
        return None  # maybe YAML flow style that is not JSON: YAML will say
    if "\\ud" in text.lower():
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            diagnostics.append(
                _at(
                    display,
                    "spec-encoding",
                    "a string holds a lone surrogate escape (\\ud800-\\udfff); it is not Unicode text",
                )
            )
            return None
    return (data,)


def _checked(source: SourceFile, diagnostics: list[Diagnostic]) -> SourceFile | None:
    """The source, unless its data is too deep, cyclic, or an alias bomb."""
    display = source.display
    shape = _shape_problem(source.data)
    if shape is not None:
        code, message, parts = shape
        line, col = source.locate(parts)
        # A long pointer says little more than its first steps.
        shown = parts if len(parts) <= 6 else parts[:6]
        diagnostics.append(_at(display, code, message, line, col, pointer=shown))
        return None
    return source


def _at(
    display: str,
    code: str,
    message: str,
    line: int = 1,
    col: int = 1,
    severity: str = "error",
    pointer: tuple[str | int, ...] = (),
) -> Diagnostic:
    return Diagnostic(
        "warning" if severity == "warning" else "error",
        code,
        message,
        display,
        pointer_of(pointer),
        line,
        col,
    )


# Nesting deeper than this is refused: no real spec comes close (authentik,
# 1113 operations, nests 10 deep), and recursive consumers (the validator,
# `build`) stay far from Python's recursion limit.
MAX_DEPTH = 128
# Aliases may repeat at most this many containers beyond those written out.
MAX_ALIAS_EXPANSION = 200_000
# Below this bound on nesting, libyaml's recursive composer is safe to call.
_SAFE_TO_COMPOSE = 4000
_LEADING = re.compile(r"^[ \t]*(?:[-?:][ \t]+)*", re.M)


def _nesting_bound(text: str) -> int:
    """A cheap upper bound on how deep `text` nests: flow brackets plus block indentation."""
    flow = text.count("[") + text.count("{")
    if flow > _SAFE_TO_COMPOSE:
        return flow
    block = max((len(m) for m in _LEADING.findall(text)), default=0)
    return flow + block + 1


def _too_deep_at(text: str) -> tuple[int, int] | None:
    """Where `text` first nests deeper than MAX_DEPTH, by the event parser; None if nowhere."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_BaseLoader):
            if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                depth += 1
                if depth > MAX_DEPTH and event.start_mark is not None:
                    return (event.start_mark.line + 1, event.start_mark.column + 1)
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return None  # the loader reports the syntax error itself
    return None


def _too_deep(display: str, line: int, col: int) -> Diagnostic:
    return _at(
        display,
        "yaml-too-deep",
        f"the document nests more than {MAX_DEPTH} levels deep",
        line,
        col,
    )


def _shape_problem(data: Any) -> tuple[str, str, tuple[str | int, ...]] | None:
    """Alias cycles, alias bombs and absurd depth, found in one pass over the data.

    Aliases make the loaded data a graph: each container is measured once (by
    identity), so a billion-laughs document costs what its text costs.
    """
    if not isinstance(data, dict | list):
        return None
    # id -> (height, expanded size in containers)
    measured: dict[int, tuple[int, int]] = {}
    open_: set[int] = set()
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            height, size = 1, 1
            for child in _containers(node):
                child_height, child_size = measured[id(child)]
                height = max(height, child_height + 1)
                size += child_size
            measured[key] = (height, size)
            open_.discard(key)
            continue
        if key in measured:
            continue
        open_.add(key)
        stack.append((node, True))
        for child in _containers(node):
            if id(child) in open_:
                return (
                    "yaml-alias-cycle",
                    "an alias refers to a node containing it; the document is not JSON data",
                    _path_to(data, child),
                )
            if id(child) not in measured:
                stack.append((child, False))
    height, size = measured[id(data)]
    if height > MAX_DEPTH:
        return (
            "yaml-too-deep",
            f"the document nests more than {MAX_DEPTH} levels deep",
            _descend(data, measured, 0, lambda h, s: h),
        )
    if size - len(measured) > MAX_ALIAS_EXPANSION:
        return (
            "yaml-alias-bomb",
            f"aliases expand the document to {size} containers from {len(measured)}; "
            "refusing (billion laughs)",
            _descend(data, measured, size // 2, lambda h, s: s, relative=True),
        )
    return None


def _containers(node: Any) -> list[Any]:
    values = node.values() if isinstance(node, dict) else node
    return [v for v in values if isinstance(v, dict | list)]


def _items(node: Any) -> list[tuple[str | int, Any]]:
    pairs = node.items() if isinstance(node, dict) else enumerate(node)
    return [(k, v) for k, v in pairs if isinstance(v, dict | list)]


def _descend(
    data: Any,
    measured: dict[int, tuple[int, int]],
    limit: int,
    metric: Any,
    *,
    relative: bool = False,
) -> tuple[str | int, ...]:
    """Follow the largest child by `metric` while it is over `limit` (or, when
    `relative`, over half its parent): the path to where the problem is."""
    parts: list[str | int] = []
    node = data
    while len(parts) < MAX_DEPTH:
        if relative:
            limit = metric(*measured[id(node)]) // 2
        best = max(
            _items(node),
            key=lambda kv: metric(*measured[id(kv[1])]),
            default=None,
        )
        if best is None or metric(*measured[id(best[1])]) <= limit:
            break
        parts.append(best[0])
        node = best[1]
    return tuple(parts)


def _path_to(data: Any, target: Any) -> tuple[str | int, ...]:
    """The first path (depth first) at which `target` sits; stops at alias cycles."""
    seen: set[int] = set()
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        node, parts = stack.pop()
        if node is target:
            return parts
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend((child, parts + (k,)) for k, child in reversed(_items(node)))
    return ()


__all__ = ["Limits", "Spec", "SourceFile", "load", "iter_refs", "pointer_of"]
