"""Stage 2, validate: is it OpenAPI, and can we represent it?

Two layers, both collected in full before anything is built: the
openapi-spec-validator schema check, then our own checks (references,
operation ids, path parameters, the `x-path-scopes` extension).
"""

from __future__ import annotations

import abc
import contextlib
import dataclasses
import hashlib
import itertools
import json
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Literal, TypeVar

from .cache import ValidationMemo
from .diagnostics import Diagnostic, parts_of, pointer_of
from .load import SourceFile, Spec, iter_refs
from .naming import regex_error

Parts = tuple[str | int, ...]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_TEMPLATE = re.compile(r"\{([^{}/]*)\}")
_T = TypeVar("_T")


def validate(spec: Spec, memo: ValidationMemo | None = None) -> list[Diagnostic]:
    """Every problem of the spec. With a `memo`, the schema check skips the
    path items it passed before (see `check_schema_memo`) and updates it.

    Errors stop the run. A warning with `drops` names a node that generation
    leaves out (`without`): our checks find some (an operation we cannot
    represent, a keyword of the wrong OpenAPI version); the validator then
    checks the document as generation will see it, and finds the rest."""
    diagnostics = check_version(spec.root)
    if diagnostics:
        return diagnostics
    # What is not generated at all (an operation we cannot represent, webhooks)
    # is not checked any further.
    skipped = check_operations(spec) + check_features(spec)
    spec = without(spec, skipped)
    references = check_references(spec)
    ours = references + skipped + check_schemas(spec)
    # A broken reference makes the schema validator fail in confusing ways
    # (recursion errors, "does not exist within {...whole document...}"): our
    # own diagnostic says it better, so the validator does not run.
    if references:
        schema = []
    else:
        seen = without(spec, ours)
        with _quick_subscriptable_checks():
            schema = (
                check_schema(seen) if memo is None else check_schema_memo(seen, memo)
            )
    return _without_covered(schema, ours) + ours


def _without_covered(
    schema: list[Diagnostic], ours: list[Diagnostic]
) -> list[Diagnostic]:
    """Drop validator errors on a node (or an ancestor of one) that our checks explain better."""
    explained = [(d.file, d.pointer) for d in ours if d.severity == "error"]
    return [
        d
        for d in schema
        if not d.pointer
        or not any(
            f == d.file and (p == d.pointer or p.startswith(d.pointer + "/"))
            for f, p in explained
        )
    ]


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


def check_version(root: SourceFile) -> list[Diagnostic]:
    version = root.data.get("openapi")
    if isinstance(version, str) and re.match(r"^3\.[01]\.\d+$", version):
        return []
    if "swagger" in root.data:
        return [
            root.diagnostic(
                "openapi-version",
                "Swagger 2.0 is not supported; convert it to OpenAPI 3",
                ("swagger",),
            )
        ]
    where: Parts = ("openapi",) if "openapi" in root.data else ()
    return [
        root.diagnostic(
            "openapi-version",
            f"expected `openapi: 3.0.x` or `3.1.x`, found {version!r}",
            where,
        )
    ]


# The validator's own semantic checks that ours repeat with a position.
_REPEATED = (
    "Operation ID ",
    "Path parameter ",
    "Duplicate parameter ",
)
_NONE_OF = re.compile(
    r"^.* is not valid under any of the schemas listed in the '(oneOf|anyOf)' keyword$",
    re.S,
)


def check_schema(spec: Spec) -> list[Diagnostic]:
    """openapi-spec-validator's verdict, each problem at the node it is about,
    and judged (`_judged`): what generation does not depend on is a warning.

    Run in a thread with room to recurse: the validator recurses once per
    level of schema nesting and of reference chains, and a spec may go deeper
    than Python's default limit; that is not a problem of the spec."""
    return _with_room_to_recurse(_check_schema, spec)


def _check_schema(spec: Spec) -> list[Diagnostic]:
    """openapi-spec-validator, imported only here: it is the slowest import we have.

    Its structural (JSON Schema) pass runs first; the semantic pass runs only
    when that finds no error, since it may crash on a broken document.
    """
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
    from openapi_spec_validator.schemas import (
        openapi_v30_schema_validator,
        openapi_v31_schema_validator,
        schema_v30,
        schema_v31,
    )

    root = spec.root
    v31 = str(root.data["openapi"]).startswith("3.1")
    structural = openapi_v31_schema_validator if v31 else openapi_v30_schema_validator
    meta = schema_v31 if v31 else schema_v30
    document = _spliced(spec)
    try:
        errors = list(structural.iter_errors(document))
    except Exception as error:  # our bug or the validator's: say so, at the root
        return [
            root.diagnostic(
                "oas-invalid",
                f"the OpenAPI schema check failed: {_one_line(error)}",
                (),
            )
        ]
    diagnostics = [
        d
        for error in errors
        for found in _structural(error, document, meta)
        for d in _judged(spec, found, v31)
    ]
    if not any(d.severity == "error" for d in diagnostics):
        plain = OpenAPIV31SpecValidator if v31 else OpenAPIV30SpecValidator
        diagnostics += [
            d for found in _semantic(spec, plain) for d in _judged(spec, found, v31)
        ]
    # One warning for each node left out, however many ways it is wrong.
    first = {}
    for d in diagnostics:
        first.setdefault((d.file, d.pointer, d.code) if d.drops else d, d)
    return list(first.values())


def _spliced(spec: Spec) -> Any:
    """The root document with each operation that is a `$ref` (which OpenAPI
    does not allow; split specs do it) replaced by its target, for the
    structural pass; the root's own data when there is none."""
    paths = spec.root.data.get("paths")
    if not isinstance(paths, dict):
        return spec.root.data
    spliced = {}
    for path, item in paths.items():
        if not isinstance(item, dict) or "$ref" in item:
            continue
        for method in METHODS:
            written = item.get(method)
            if isinstance(written, dict) and "$ref" in written:
                target = _follow(spec, _At(spec.root, ("paths", path, method), written))
                if target is not None:
                    spliced.setdefault(path, dict(item))[method] = target.value
    if not spliced:
        return spec.root.data
    return {**spec.root.data, "paths": {**paths, **spliced}}


@dataclasses.dataclass(frozen=True)
class _Found:
    """One problem the validator found, before judging it.

    `node` is the path from the root to what the problem is about (a schema,
    a default value, a parameter), `inner` the path from there to where the
    validator points; `through` says whether the path steps through `$ref`s,
    as the semantic pass's paths do (the structural pass sees the document
    as written)."""

    kind: Literal["structure", "schema", "default", "required", "crash", "other"]
    node: Parts
    inner: Parts
    message: str
    error: Any
    through: bool = True


def _structural(error: Any, document: Any, meta: Any) -> list[_Found]:
    """An error of the structural pass; for "none of the forms", the errors of
    the form that was meant (a Schema, when it is not a Reference), each at its
    own node."""
    path = tuple(error.absolute_path)
    message = _best_message(error)
    if _NONE_OF.match(str(error.message).split("\n\n")[0]):
        schema_path = list(error.schema_path)
        leaves = _meant(error, document, meta)
        if leaves:
            holder = _at_path(meta, schema_path[:-1])
            forms = holder.get(schema_path[-1], []) if isinstance(holder, dict) else []
            kind: Any = (
                "schema" if {"$ref": "#/definitions/Schema"} in forms else "structure"
            )
            return [
                _Found(
                    kind,
                    path,
                    tuple(leaf.absolute_path),
                    _best_message(leaf),
                    leaf,
                    through=False,
                )
                for leaf in leaves
            ]
        message = f"not a valid {_what(path)}: it matches none of the forms OpenAPI allows here"
    return [_Found("structure", path, (), message, error, through=False)]


def _meant(error: Any, document: Any, meta: Any) -> list[Any]:
    """The errors of the one alternative of a failed `oneOf`/`anyOf` that the
    node means to be, found again with jsonschema (the structural pass, in
    Rust, gives no details); [] when that is not clear."""
    from jsonschema.validators import validator_for

    holder = _at_path(meta, list(error.schema_path)[:-1])
    instance = _at_path(document, list(error.absolute_path))
    if not isinstance(holder, dict) or instance is _MISSING:
        return []
    checker = validator_for(meta)(meta).evolve(schema=holder)
    return [leaf for found in checker.iter_errors(instance) for leaf in _leaves(found)]


def _leaves(error: Any) -> list[Any]:
    """The innermost errors under `error`, through each `oneOf`/`anyOf` whose
    meant alternative is clear (a Reference is meant only by a `$ref`)."""
    if not error.context:
        return [error]
    alternatives: dict[Any, list[Any]] = {}
    for inner in error.context:
        alternatives.setdefault(inner.relative_schema_path[0], []).append(inner)
    forms = error.validator_value if isinstance(error.validator_value, list) else []
    if isinstance(error.instance, dict) and "$ref" in error.instance:
        # A `$ref` means a Reference, whatever else it means to be.
        meant = [
            errors
            for i, errors in alternatives.items()
            if isinstance(i, int)
            and i < len(forms)
            and str(forms[i].get("$ref", "")).lower().endswith("/reference")
        ]
    else:
        meant = [
            errors
            for errors in alternatives.values()
            if not any(
                e.validator == "required"
                and not e.relative_path
                and "$ref" in (e.validator_value or ())
                for e in errors
            )
        ]
    if len(meant) != 1:
        return [error]  # which one is meant is not clear: this is as deep as it goes
    return [leaf for inner in meant[0] for leaf in _leaves(inner)]


_MISSING = object()


def _at_path(value: Any, path: Iterable[Any]) -> Any:
    """The node at `path` in `value`, or _MISSING. (The structural pass, in
    Rust, gives a key that looks like a number, such as a status, as one.)"""
    for part in path:
        if isinstance(value, dict) and str(part) in value:
            value = value[str(part)]
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return _MISSING
    return value


def _semantic(spec: Spec, plain: Any) -> list[_Found]:
    """The semantic pass, piece by piece (tags, each path item, each component
    schema) in the validator's own order, so that a crash on one piece is one
    located problem and the rest is still checked; then what the validator
    leaves out: request bodies, and the other components that hold schemas."""
    files = _validator_files(spec)
    validator = _locating(_with_sets(plain, files))(
        files[spec.root.path], base_uri="file://" + spec.root.path
    )
    registry = validator.keyword_validators_registry
    top = validator.schema_path
    data = spec.root.data
    pieces: list[_Piece] = []
    if "tags" in data:
        pieces.append((("tags",), lambda: registry["tags"](top / "tags")))
    if isinstance(data.get("paths"), dict):
        for url, item in (top / "paths").items():
            pieces.append(
                (("paths", url), lambda url=url, item=item: registry["path"](url, item))
            )
    components = data.get("components")
    if isinstance(components, dict) and isinstance(components.get("schemas"), dict):
        for name, schema in (top / "components" / "schemas").items():
            pieces.append(
                (
                    ("components", "schemas", name),
                    lambda schema=schema: registry["schema"](schema),
                )
            )
    pieces += _more_pieces(registry, top, data, components=True)
    found: list[_Found] = []
    for where, piece in pieces:
        try:
            for error in piece():
                found += _semantic_found(error)
        except Exception as crash:  # the validator's: one located problem
            at = getattr(crash, _AT, where)
            found.append(_Found("crash", at, (), _crash_message(crash), crash))
    return found


_Piece = tuple[Parts, Callable[[], Iterator[Any]]]


def _more_pieces(
    registry: Any, top: Any, data: dict[str, Any], *, components: bool
) -> list[_Piece]:
    """What the validator's semantic pass leaves out, in pieces: the schemas
    of request bodies, and (with `components`) of the components other than
    `schemas` that hold them, where a default is checked as anywhere else."""
    pieces: list[_Piece] = []
    if isinstance(data.get("paths"), dict):
        for url, item in (top / "paths").items():
            pieces.append(
                (
                    ("paths", url),
                    lambda item=item: _bodies(
                        registry,
                        [
                            item / method / "requestBody"
                            for method in METHODS
                            if method in item and "requestBody" in item / method
                        ],
                    ),
                )
            )
    held = data.get("components") if components else None
    for kind in ("responses", "requestBodies", "parameters"):
        if not isinstance(held, dict) or not isinstance(held.get(kind), dict):
            continue
        for name, node in (top / "components" / kind).items():
            check = {
                "responses": lambda name=name, node=node: registry["response"](
                    name, node
                ),
                "requestBodies": lambda node=node: _bodies(registry, [node]),
                "parameters": lambda node=node: registry["parameter"](node),
            }[kind]
            pieces.append((("components", kind, name), check))
    return pieces


def _bodies(registry: Any, bodies: list[Any]) -> Iterator[Any]:
    """What the validator finds in the schemas of request bodies."""
    for body in bodies:
        if "content" in body:
            yield from registry["content"](body / "content")


def _crash_message(crash: BaseException) -> str:
    if isinstance(crash, RecursionError):
        return "it recursed too deep"
    return f"{type(crash).__name__}: {_one_line(crash)}"


# Attributes `_locating` sets on what the validator yields or raises.
_AT = "_generator_at"  # the logical path of the node being checked
_KIND = "_generator_kind"  # what kind of check found it, when not obvious
_ALL = "_generator_all"  # every meta-schema error of a schema, not just the first


def _semantic_found(error: Any) -> list[_Found]:
    from openapi_spec_validator.validation.exceptions import ExtraParametersError

    at: Parts = tuple(getattr(error, _AT, ()) or ())
    kind = getattr(error, _KIND, None)
    if kind == "default":
        return [
            _Found(
                "default",
                at + ("default",),
                tuple(error.absolute_path),
                _best_message(error),
                error,
            )
        ]
    if kind == "schema":
        return [
            _Found("schema", at, tuple(e.path), _best_message(e), e)
            for e in getattr(error, _ALL, [error])
        ]
    if isinstance(error, ExtraParametersError):
        return [_Found("required", at, ("required",), str(error.message), error)]
    return [_Found("other", at, (), _best_message(error), error)]


def _judged(spec: Spec, found: _Found, v31: bool) -> list[Diagnostic]:
    """What a problem the validator found means for generation.

    Errors are what generated code depends on. A value that does not match
    its schema, or a keyword that only annotates or narrows what is valid,
    is left out with a warning (the generated code neither uses the one nor
    checks the other); a repeat in a list or an unknown name in `required`
    is harmless, and warned about."""
    where = _physical(spec, found.node + found.inner, found.through)
    if found.kind == "default":
        default = _physical(spec, found.node, True)
        inside = f" (at {pointer_of(found.inner)} in it)" if found.inner else ""
        return [
            _dropping(
                default.source.diagnostic(
                    "default-invalid",
                    f"`default` {_shown(default.value)} does not match its schema"
                    f"{inside}: {found.message}; it is ignored",
                    default.parts,
                )
            )
        ]
    if found.kind == "required":
        return _undefined_required(spec, found)
    path = found.node + found.inner
    if path[-2:] == ("properties", "$ref") and isinstance(where.value, str):
        # One `$ref` for all the properties: not JSON Schema, but what a spec
        # split over files may do, and clear enough to follow.
        return [
            where.source.diagnostic(
                "ref-properties",
                "`properties` is a `$ref`, which JSON Schema does not allow (each "
                "property is a schema); the reference is followed",
                where.parts[:-1],
                "warning",
            )
        ]
    if found.kind == "schema" and _harmless(found.inner, found.error):
        before, keyword = _keyword_in(found.inner)
        if keyword is not None:
            at = _physical(spec, found.node + before + (keyword,), found.through)
            if keyword in _LISTS:
                if isinstance(at.value, list):
                    return _repeats(at.source, at.parts, at.value)
            else:
                message = (
                    _bound_message(keyword, at.value, v31)
                    if keyword.startswith("exclusiveM")
                    and _bound_problem(at.value, v31)
                    else f"`{keyword}`: {found.message}; it is ignored"
                )
                return [
                    _dropping(
                        at.source.diagnostic(
                            "schema-keyword-invalid", message, at.parts
                        )
                    )
                ]
    if found.kind == "crash":
        return [
            where.source.diagnostic(
                "oas-invalid",
                f"openapi-spec-validator cannot check this {_what(where.parts)} "
                f"({found.message}); check it by hand",
                where.parts,
            )
        ]
    if found.kind == "other" and found.message.startswith(_REPEATED):
        return []
    if found.kind == "structure" and _unused(path):
        return [
            _dropping(
                where.source.diagnostic(
                    "unused-invalid",
                    f"{found.message}; nothing generated uses this, so it is ignored",
                    where.parts,
                )
            )
        ]
    if found.kind == "structure" and _NO_DESCRIPTION.match(found.message):
        # Only documentation goes missing (of a response, most often).
        return [
            where.source.diagnostic(
                "unused-invalid",
                f"{found.message}; nothing generated depends on it",
                where.parts,
                "warning",
            )
        ]
    unexpected = _UNEXPECTED.search(found.message)
    key = unexpected and (unexpected[1] or unexpected[2])
    if key and isinstance(where.value, dict) and key in where.value:
        where = _At(where.source, where.parts + (key,), None)
    return [where.source.diagnostic("oas-invalid", found.message, where.parts)]


_NO_DESCRIPTION = re.compile(r"""^['"]description['"] is a required property$""")
# The first key an "Additional properties are not allowed" error names.
_UNEXPECTED = re.compile(
    r"""\(['"]([^'"]+)['"](?:, ['"][^'"]+['"])* (?:was|were) unexpected\)"""
    r"""|^['"]([^'"]+)['"](?:, ['"][^'"]+['"])* do(?:es)? not match any of the regexes"""
)


# Schema keywords that only annotate, or narrow what is valid: without them
# the generated code is the same, or checks a little less.
_IGNORABLE = frozenset(
    {
        "title",
        "description",
        "default",
        "example",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "externalDocs",
        "xml",
        "$comment",
        "$recursiveAnchor",
        "contentEncoding",
        "contentMediaType",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "minContains",
        "maxContains",
    }
)
# Keywords whose value maps names to schemas, lists schemas, or is one.
_NAMED_SCHEMAS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)
_LISTED_SCHEMAS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_ONE_SCHEMA = frozenset(
    {
        "items",
        "additionalItems",
        "additionalProperties",
        "not",
        "if",
        "then",
        "else",
        "contains",
        "propertyNames",
        "unevaluatedItems",
        "unevaluatedProperties",
        "contentSchema",
    }
)


# Lists in a schema whose repeats are harmless.
_LISTS = frozenset({"required", "enum"})


def _harmless(inner: Parts, error: Any) -> bool:
    """Whether a meta-schema error at `inner` in a schema is one that
    generation does not depend on (see `_judged`)."""
    keyword = _keyword_in(inner)[1]
    if keyword in _LISTS:
        return getattr(error, "validator", None) == "uniqueItems"
    return keyword in _IGNORABLE


def _keyword_in(inner: Parts) -> tuple[Parts, str | None]:
    """(the path to the innermost subschema on `inner`, the keyword `inner`
    names there); None for the keyword when `inner` ends at a subschema."""
    i = 0
    while i < len(inner):
        key = inner[i]
        if key in _NAMED_SCHEMAS or key in _LISTED_SCHEMAS:
            if i + 1 == len(inner):
                return inner[:i], str(key)
            i += 2
        elif key in _ONE_SCHEMA:
            # `items` as a list is the old tuple form: an index follows.
            i += 2 if i + 1 < len(inner) and isinstance(inner[i + 1], int) else 1
        else:
            return inner[:i], str(key)
    return inner, None


def _undefined_required(spec: Spec, found: _Found) -> list[Diagnostic]:
    """`required` names that no property defines, in a schema with `allOf`:
    JSON Schema allows it, openapi-spec-validator does not, and the
    generated model has no field to require."""
    import ast

    at = _physical(spec, found.node + ("required",), True)
    listed = at.value if isinstance(at.value, list) else []
    try:
        names = ast.literal_eval(found.message.split(": ", 1)[1])
    except (IndexError, ValueError, SyntaxError):
        names = []
    problems = [
        at.source.diagnostic(
            "required-undefined",
            f"`required` lists {name!r}, which no property of this schema or of its "
            "`allOf` defines; nothing requires it",
            at.parts + (listed.index(name),),
            "warning",
        )
        for name in sorted(n for n in names if n in listed)
    ]
    return problems or [at.source.diagnostic("oas-invalid", found.message, at.parts)]


def _unused(path: Parts) -> bool:
    """Whether the node at `path` of the root is one nothing generated reads."""
    return bool(path) and (
        path[0] in ("tags", "externalDocs")
        or (path[0] == "info" and path[1:2] in (("contact",), ("license",)))
    )


def _physical(spec: Spec, parts: Parts, through: bool) -> _At:
    """Where the node at the logical path `parts` of the root is written.

    With `through`, every `$ref` on the way is followed, as the validator's
    semantic pass does, except the last node's (it may be data, like a
    default); otherwise only a `$ref` the path leads past (an operation that
    `_spliced` replaced). A path that leads nowhere keeps its rest as written:
    the diagnostic is then placed at the nearest node."""
    at = _At(spec.root, (), spec.root.data)
    for i, part in enumerate(parts):
        node = at.value
        if (
            isinstance(node, dict)
            and isinstance(node.get("$ref"), str)
            and (through or str(part) not in node)
        ):
            target = _follow(spec, at)
            if target is None:
                return _At(at.source, at.parts + tuple(parts[i:]), _MISSING)
            at, node = target, target.value
        if isinstance(node, dict) and str(part) in node:
            at = _At(at.source, at.parts + (str(part),), node[str(part)])
        elif isinstance(node, list) and str(part).isdigit() and int(part) < len(node):
            at = _At(at.source, at.parts + (int(part),), node[int(part)])
        else:
            return _At(at.source, at.parts + tuple(parts[i:]), _MISSING)
    return at


def _with_room_to_recurse(function: Callable[[Spec], _T], spec: Spec) -> _T:
    """`function(spec)` in a thread with a large stack and recursion limit."""
    result: list[_T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(function(spec))
        except BaseException as error:  # re-raised below
            failure.append(error)

    limit = sys.getrecursionlimit()
    size = threading.stack_size()
    threading.stack_size(_STACK_BYTES)
    sys.setrecursionlimit(max(limit, _RECURSION_LIMIT))
    try:
        thread = threading.Thread(target=run, name="openapi-spec-validator")
        thread.start()
        thread.join()
    finally:
        threading.stack_size(size)
        sys.setrecursionlimit(limit)
    if failure:
        raise failure[0]
    return result[0]


# Room for a reference chain thousands of schemas long (about 20 frames and a
# few kilobytes of C stack per schema); the stack is only reserved, not used.
_RECURSION_LIMIT = 200_000
_STACK_BYTES = 1 << 30


def _dropped(error: Any) -> bool:
    """What `check_schema` leaves out: the validator's repeats of our own checks."""
    path = getattr(error, "absolute_path", None) or getattr(error, "path", None)
    return not path and _best_message(error).startswith(_REPEATED)


def check_schema_memo(spec: Spec, memo: ValidationMemo) -> list[Diagnostic]:
    """`check_schema`, skipping what `memo` says passed; the same diagnostics.

    Only a clean result is ever remembered, and anything short of clean falls
    back to `check_schema` on the whole document. Clean is decided by a
    stricter run of the validator (`_strict_clean`) whose verdict on a path
    item does not depend on the other path items: the plain run visits each
    schema once, and what it checks there depends on which path item reached
    it first. So a path item that passed strictly, under the same rest of the
    document, passes in any document; the rest passed with it.
    """
    key = _memo_key(spec)
    paths = spec.root.data.get("paths")
    if key is None or not isinstance(paths, dict):
        return check_schema(spec)
    items = {name: _digest([name, item]) for name, item in paths.items()}
    known = memo.items if memo.key == key else None
    if known is not None:
        changed = [name for name, digest in items.items() if digest not in known]
        if not changed:
            memo.items = set(items.values())
            return []
    try:
        clean = _strict_clean(spec, None if known is None else changed)
    except Exception:  # the validator chokes on some broken documents
        clean = False
    if not clean:
        return check_schema(spec)
    memo.key = key
    memo.items = set(items.values())
    return []


# `_strict_clean` leans on the validator's internals (keywords.SchemaValidator):
# the version whose every context-dependent check it was read against. Another
# version turns the memo off until someone reads them again.
STRICT_VETTED = "0.9.0"


def _memo_key(spec: Spec) -> str | None:
    """The validator's versions, our code, and everything but the root's
    `paths`; None when something may reach into `paths` (a path item would
    then matter beyond itself)."""
    from importlib.metadata import PackageNotFoundError

    from .cache import fingerprint, version

    if version("openapi-spec-validator") != STRICT_VETTED or _may_reach_paths(spec):
        return None
    versions = []
    for package in (
        "openapi-spec-validator",
        "openapi-schema-validator",
        "jsonschema",
        "jsonschema-path",
        "jsonschema-rs",
        "referencing",
    ):
        try:
            versions.append(f"{package}={version(package)}")
        except PackageNotFoundError:
            versions.append(f"{package}=")
    base = os.path.dirname(spec.root.path)
    others = sorted(
        (os.path.relpath(path, base), source.text)
        for path, source in spec.files.items()
        if source is not spec.root
    )
    rest = {k: v for k, v in spec.root.data.items() if k != "paths"}
    return _digest([versions, fingerprint("validation"), spec.root.path, rest, others])


# JSON Schema keywords that name or find schemas other than by a JSON pointer.
_IDENTIFYING = frozenset(
    {
        "$id",
        "$anchor",
        "$dynamicAnchor",
        "$dynamicRef",
        "$recursiveRef",
        "$recursiveAnchor",
    }
)


def _may_reach_paths(spec: Spec) -> bool:
    """A reference into the root's `paths` (or the whole root), or one by
    anchor, or a keyword that changes how references resolve: erring on the
    side of caution, any of them turns the memo off."""
    from urllib.parse import unquote

    for source in spec.files.values():
        stack: list[Any] = [source.data]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                if _IDENTIFYING.intersection(node):
                    return True
                ref = node.get("$ref")
                if isinstance(ref, str):
                    file_part, _, fragment = ref.partition("#")
                    fragment = unquote(fragment)
                    target = (
                        os.path.normpath(
                            os.path.join(os.path.dirname(source.path), file_part)
                        )
                        if file_part
                        else source.path
                    )
                    if fragment and not fragment.startswith("/"):
                        return True  # an anchor
                    if target == spec.root.path and (
                        not fragment.strip("/") or fragment.startswith("/paths")
                    ):
                        return True
                stack.extend(v for v in node.values() if isinstance(v, dict | list))
            elif isinstance(node, list):
                stack.extend(v for v in node if isinstance(v, dict | list))
    return False


def _digest(value: Any) -> str:
    text = json.dumps(value, default=lambda o: f"{type(o).__name__}:{o!r}")
    return hashlib.sha256(text.encode()).hexdigest()


def _strict_clean(spec: Spec, only: list[str] | None) -> bool:
    """Whether the validator passes the document (or, with `only`, those path
    items of it; the rest passed before) in a run stricter than the plain one:
    every schema is checked against the meta-schema unless a schema holding it
    inline was, and for required properties its `allOf` does not define, where
    the plain run checks each schema only on the first visit, with what that
    visit asks for."""
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
    from openapi_spec_validator.schemas import (
        openapi_v30_schema_validator,
        openapi_v31_schema_validator,
    )

    root = spec.root
    v31 = str(root.data["openapi"]).startswith("3.1")
    structural = openapi_v31_schema_validator if v31 else openapi_v30_schema_validator
    plain = _with_sets(
        OpenAPIV31SpecValidator if v31 else OpenAPIV30SpecValidator, spec
    )
    schema_class = plain.keyword_validators["schema"]

    class StrictSchemaValidator(schema_class):  # type: ignore[misc, valid-type]
        def __init__(self, registry: Any) -> None:
            super().__init__(registry)
            self.covered: set[int] = set()

        def __call__(
            self,
            schema: Any,
            require_properties: bool = True,
            meta_checked: bool = False,
        ) -> Iterator[Any]:
            value = schema.read_value()
            if isinstance(value, Mapping):
                if id(value) not in self.covered:
                    meta_checked = False
                self.covered.update(id(child) for child in _inline_subschemas(value))
            return super().__call__(schema, True, meta_checked)  # type: ignore[no-any-return]

    class StrictSpecValidator(plain):  # type: ignore[misc, valid-type]
        keyword_validators = {
            **plain.keyword_validators,
            "schema": StrictSchemaValidator,
        }

    document = root.data
    if only is not None:
        document = {
            **document,
            "paths": {name: document["paths"][name] for name in only},
        }
    if any(True for _ in structural.iter_errors(document)):
        return False
    validator = StrictSpecValidator(document, base_uri="file://" + root.path)
    whole = validator.root_validator
    top = validator.schema_path
    errors = itertools.chain(
        (
            whole(top)
            if only is None
            else whole.paths_validator(validator.schema_path / "paths")
        ),
        *(
            piece()
            for _, piece in _more_pieces(
                validator.keyword_validators_registry,
                top,
                document,
                components=only is None,
            )
        ),
    )
    return all(_dropped(error) for error in errors)


_SUBSCRIPTABLE = ("__contains__", "__getitem__", "__len__")


class _Subscriptable(metaclass=abc.ABCMeta):  # noqa: B024 - structural
    """pathable's `Subscriptable` protocol as an ABC (by `__subclasshook__`): the
    same answer, from the same methods, but cached per type. The validator asks it once per step
    into the document (67,000 times on authentik); Python 3.11 recomputes a
    runtime protocol's members on every `isinstance`, a fifth of the
    validator's time."""

    @classmethod
    def __subclasshook__(cls, other: type) -> Any:
        for name in _SUBSCRIPTABLE:
            for base in other.__mro__:
                if name in vars(base):
                    if vars(base)[name] is None:
                        return NotImplemented
                    break
            else:
                return NotImplemented
        return True


@contextlib.contextmanager
def _quick_subscriptable_checks() -> Iterator[None]:
    """pathable's accessors checking against `_Subscriptable` meanwhile, if
    the protocol is still the one vetted (else as they are)."""
    try:
        import typing

        from pathable import accessors
    except ImportError:
        yield
        return
    protocol = getattr(accessors, "Subscriptable", None)
    members = getattr(typing, "_get_protocol_attrs", lambda _: None)(protocol)
    if protocol is None or members != set(_SUBSCRIPTABLE):
        yield
        return
    setattr(accessors, "Subscriptable", _Subscriptable)  # noqa: B010
    try:
        yield
    finally:
        setattr(accessors, "Subscriptable", protocol)  # noqa: B010


class _IdSet(set[Any]):
    """The validator keeps visited schemas and seen operation ids in lists,
    asked `in` once per schema or operation: quadratic on a large spec (7× the
    time for 5× the operations). A set answers the same, at once."""

    def append(self, value: Any) -> None:
        self.add(value)


def _with_sets(plain: Any, files: dict[str, Any]) -> Any:
    """`plain`, an openapi-spec-validator class, fixed where it fails us: its
    seen-lists as sets, `allOf` cycles followed once, and the spec's files
    read from what we loaded (never from disk again, never from the network:
    a `$ref` to a URL inside data such as a default is not fetched)."""
    schema_class = plain.keyword_validators["schema"]
    operation_class = plain.keyword_validators["operation"]

    class SchemaValidator(schema_class):  # type: ignore[misc, valid-type]
        def __init__(self, registry: Any) -> None:
            super().__init__(registry)
            self.visited_schema_ids = _IdSet()
            self.meta_checked_schema_ids = _IdSet()

        def _collect_properties(self, schema: Any) -> set[str]:
            """The validator's, which recurses without end on an `allOf` cycle."""
            found: set[str] = set()
            seen: set[int] = set()
            stack = [schema]
            while stack:
                current = stack.pop()
                value = current.read_value()
                if not isinstance(value, Mapping) or id(value) in seen:
                    continue
                seen.add(id(value))
                if "properties" in current:
                    found.update(str(k) for k in (current / "properties").keys())
                for keyword in ("allOf", "anyOf", "oneOf"):
                    if keyword in current:
                        stack.extend(current / keyword)
                for keyword in ("items", "not"):
                    if keyword in current:
                        stack.append(current / keyword)
            return found

    class OperationValidator(operation_class):  # type: ignore[misc, valid-type]
        def __init__(self, registry: Any) -> None:
            super().__init__(registry)
            self.operation_ids_registry = _IdSet()

    def read(uri: str) -> Any:
        from urllib.parse import unquote, urlsplit

        parsed = urlsplit(uri)
        path = os.path.normpath(unquote(parsed.path))
        if parsed.scheme == "file" and path in files:
            return files[path]
        raise ValueError(f"{uri} is not a file of this spec")

    class SpecValidator(plain):  # type: ignore[misc]
        keyword_validators = {
            **plain.keyword_validators,
            "schema": SchemaValidator,
            "operation": OperationValidator,
        }
        resolver_handlers = _EveryScheme(read)

    return SpecValidator


def _validator_files(spec: Spec) -> dict[str, Any]:
    """The data of each file as the validator is to read it: with `properties`
    that is one `$ref` (see `ref-properties`) made a `$ref` per property. As
    written, the validator would crash on it (referencing takes each value of
    `properties` for a schema), and somewhere else than where it is."""
    files = {}
    for source in spec.files.values():
        found: list[tuple[tuple[str, ...], _At]] = []
        stack: list[tuple[Parts, Any]] = [((), source.data)]
        while stack:
            parts, node = stack.pop()
            if isinstance(node, dict):
                props = node.get("properties")
                if isinstance(props, dict) and isinstance(props.get("$ref"), str):
                    here = _At(source, parts + ("properties",), props)
                    target = _follow(spec, here)
                    if target is not None and isinstance(target.value, dict):
                        found.append((tuple(str(p) for p in here.parts), target))
                stack.extend((parts + (k,), v) for k, v in node.items())
            elif isinstance(node, list):
                stack.extend((parts + (i,), v) for i, v in enumerate(node))
        data = source.data
        for parts, target in found:
            data = _replaced(
                data,
                parts,
                {
                    key: {"$ref": _uri(target.source, target.parts + (key,))}
                    for key in target.value
                },
            )
        files[source.path] = data
    return files


def _uri(source: SourceFile, parts: Parts) -> str:
    from urllib.parse import quote

    return f"file://{quote(source.path)}#{quote(pointer_of(parts))}"


def _replaced(data: Any, parts: tuple[str, ...], value: Any) -> Any:
    """`data` with the node at `parts` replaced by `value`, copied on write."""
    if not parts:
        return value
    head, rest = parts[0], parts[1:]
    if isinstance(data, dict):
        return {**data, head: _replaced(data[head], rest, value)}
    copy = list(data)
    copy[int(head)] = _replaced(copy[int(head)], rest, value)
    return copy


class _EveryScheme(dict[str, Any]):
    """A handler table holding one handler for every URI scheme: jsonschema-path
    opens a URI of any scheme not in its table with urllib."""

    def __init__(self, handler: Callable[[str], Any]) -> None:
        super().__init__()
        self.handler = handler

    def __contains__(self, scheme: object) -> bool:
        return True

    def __getitem__(self, scheme: str) -> Any:
        return self.handler


def _locating(plain: Any) -> Any:
    """`plain` (from `_with_sets`) with keyword validators that say where: what
    each yields or raises carries the logical path of the node it was checking
    (`_AT`, set by the innermost), and the schema checks say what they found
    (`_KIND`), with every meta-schema error of a schema (`_ALL`), not just the
    first."""
    from jsonschema_path import SchemaPath

    def tagged(base: Any) -> Any:
        class Tagged(base):  # type: ignore[misc, valid-type]
            def __call__(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
                at = next((a.parts for a in args if isinstance(a, SchemaPath)), ())
                try:
                    for error in super().__call__(*args, **kwargs):
                        if not hasattr(error, _AT):
                            setattr(error, _AT, tuple(at))
                        yield error
                except Exception as crash:
                    if not hasattr(crash, _AT):
                        setattr(crash, _AT, tuple(at))
                    raise

        return Tagged

    class DefaultValidator(plain.keyword_validators["default"]):  # type: ignore[misc, valid-type]
        def __call__(self, schema: Any, value: Any) -> Iterator[Any]:
            for error in super().__call__(schema, value):
                setattr(error, _KIND, "default")
                yield error

    class SchemaValidator(plain.keyword_validators["schema"]):  # type: ignore[misc, valid-type]
        def __call__(
            self,
            schema: Any,
            require_properties: bool = True,
            meta_checked: bool = False,
        ) -> Iterator[Any]:
            """The validator's, which does not walk a schema that fails its
            meta-schema: here, when every failure is harmless (a keyword that
            generation leaves out), the walk goes on, so that what is below
            is checked before it is generated."""
            value = schema.read_value()
            if (
                not meta_checked
                and isinstance(value, Mapping | bool)
                and id(value) not in self.meta_checked_schema_ids
            ):
                self.meta_checked_schema_ids.append(id(value))
                error = self._validate_schema_meta(schema, value)
                if error is not None:
                    yield error
                    every = getattr(error, _ALL, [error])
                    if not all(_harmless(tuple(e.path), e) for e in every):
                        return
            yield from super().__call__(schema, require_properties, True)

        def _validate_schema_meta(self, schema: Any, value: Any) -> Any:
            error = super()._validate_schema_meta(schema, value)
            if error is not None:
                setattr(error, _KIND, "schema")
                setattr(error, _ALL, self._every_meta_error(schema, value, error))
            return error

        def _every_meta_error(self, schema: Any, value: Any, first: Any) -> list[Any]:
            """The errors after the first, each found with the node of the
            one before left out: the validator reports one per schema."""
            errors = [first]
            for _ in range(_MORE_META_ERRORS):
                path = tuple(str(p) for p in errors[-1].path)
                if not path:
                    break
                value = _pruned(value, _trie([path]))
                error = super()._validate_schema_meta(schema, value)
                if error is None:
                    break
                errors.append(error)
            return errors

    validators = {
        **plain.keyword_validators,
        "default": DefaultValidator,
        "schema": SchemaValidator,
    }

    class SpecValidator(plain):  # type: ignore[misc, valid-type]
        keyword_validators = {k: tagged(v) for k, v in validators.items()}

    return SpecValidator


_MORE_META_ERRORS = 50


def _inline_subschemas(schema: Mapping[str, Any]) -> Iterable[Any]:
    """The subschemas the validator visits that a meta-schema check of `schema`
    covers: written inline, not references, not their own schema resources."""
    children: list[Any] = []
    for key in ("allOf", "anyOf", "oneOf"):
        value = schema.get(key)
        if isinstance(value, list):
            children.extend(value)
    for key in ("not", "items"):
        children.append(schema.get(key))
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        children.extend(properties.values())
    return [
        child
        for child in children
        if isinstance(child, Mapping)
        and not {"$ref", "$id", "$schema", "$dynamicRef"} & set(child)
    ]


def _what(path: Parts) -> str:
    """What the node at `path` is, in OpenAPI's words, as far as its key says."""
    if not path:
        return "document"
    by_key = {
        "requestBody": "request body",
        "schema": "schema",
        "items": "schema",
        "additionalProperties": "schema",
        "not": "schema",
        "parameters": "list of parameters",
        "responses": "list of responses",
    }
    by_parent = {
        "parameters": "parameter",
        "schemas": "schema",
        "properties": "schema",
        "allOf": "schema",
        "anyOf": "schema",
        "oneOf": "schema",
        "responses": "response",
        "paths": "path item",
        "securitySchemes": "security scheme",
        "requestBodies": "request body",
        "headers": "header",
        "examples": "example",
    }
    parent = str(path[-2]) if len(path) >= 2 else ""
    if isinstance(path[-1], str) and path[-1] in by_key:
        return by_key[path[-1]]
    return by_parent.get(parent, "value")


def _best_message(error: Any) -> str:
    context = getattr(error, "context", None)
    if context:
        deepest = max(
            context, key=lambda e: len(tuple(getattr(e, "absolute_path", ()) or ()))
        )
        error = deepest
    text = str(getattr(error, "message", error))
    # The first paragraph says what is wrong; the rest dumps schema and instance.
    text = _one_line(text.split("\n\n")[0], limit=100_000)
    # A message starts with the value it is about, which may be a whole object.
    said = max(text.rfind(verb) for verb in _VERBS)
    if said > 80:
        text = text[:60] + "... " + text[said + 1 :]
    return _one_line(text)


_VERBS = (" is not ", " is a ", " is too ", " has ", " does not ", " should not ")


def _one_line(value: object, limit: int = 300) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_references(spec: Spec) -> list[Diagnostic]:
    """Every `$ref` resolves, and no chain of references loops back on itself."""
    diagnostics: list[Diagnostic] = []
    for source in sorted(spec.files.values(), key=lambda s: s.display):
        for parts, ref in sorted(
            iter_refs(source.data, document=source is spec.root),
            key=lambda item: [str(p) for p in item[0]],
        ):
            if "://" in ref.partition("#")[0]:
                continue  # reported by load
            target = spec.resolve(ref, source)
            if target is None:
                diagnostics.append(
                    source.diagnostic(
                        "ref-unresolved", f"reference {ref!r} does not resolve", parts
                    )
                )
                continue
            if _ref_chain_loops(spec, source, ref):
                diagnostics.append(
                    source.diagnostic(
                        "ref-cycle", f"reference {ref!r} leads back to itself", parts
                    )
                )
    return diagnostics


def _ref_chain_loops(spec: Spec, source: SourceFile, ref: str) -> bool:
    seen = set()
    while True:
        key = (source.path, ref)
        if key in seen:
            return True
        seen.add(key)
        target = spec.resolve(ref, source)
        if target is None:
            return False
        source, _, value = target
        if not (isinstance(value, dict) and isinstance(value.get("$ref"), str)):
            return False
        ref = value["$ref"]


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


@dataclasses.dataclass(frozen=True)
class _Operation:
    path: str
    method: str
    item: _At  # the path item's content, its `$ref` followed
    written: _At  # the path item's entry for the method: the operation, or a `$ref`
    at: _At  # the operation's content

    @property
    def where(self) -> str:
        return f"{self.method.upper()} {self.path}"


def _operations(spec: Spec) -> Iterator[_Operation]:
    """Every operation, in (path, method) order, through `$ref`s on path items
    and (which OpenAPI does not allow, but split specs do) on operations."""
    root = spec.root
    paths = root.data.get("paths")
    if not isinstance(paths, dict):
        return
    for path in sorted(paths):
        item = _follow(spec, _At(root, ("paths", path), paths[path]))
        if item is None or not isinstance(item.value, dict):
            continue
        for method in METHODS:
            if method not in item.value:
                continue
            written = _At(item.source, item.parts + (method,), item.value[method])
            at = _follow(spec, written)
            if at is not None and isinstance(at.value, dict):
                yield _Operation(path, method, item, written, at)


def check_operations(spec: Spec) -> list[Diagnostic]:
    """Paths and operations we can represent: an operation we cannot is left
    out with a warning, so that one of them never stops a whole spec."""
    root = spec.root
    diagnostics: list[Diagnostic] = []
    paths = root.data.get("paths")
    if not isinstance(paths, dict):
        return diagnostics
    skipped = set()
    for path in sorted(paths):
        problem = _path_problem(path)
        if problem is None:
            continue
        skipped.add(path)
        diagnostics.append(
            _dropping(
                root.diagnostic(
                    "path-invalid",
                    f"path {path!r} {problem}; its operations are skipped",
                    ("paths", path),
                )
            )
        )
    seen_ids: dict[str, _Operation] = {}
    for op in _operations(spec):
        if op.path in skipped:
            continue
        if op.written.value is not op.at.value:
            diagnostics.append(
                op.written.source.diagnostic(
                    "ref-operation",
                    f"{op.where}: OpenAPI does not allow `$ref` on an Operation "
                    "object; the reference is followed",
                    op.written.parts,
                    "warning",
                )
            )
        diagnostics += _check_operation_id(root, op, seen_ids)
        diagnostics += _check_parameters(spec, op)
    diagnostics += _check_path_scopes(root)
    # The schema check reports path/param duplicates itself; keep one per position.
    unique = {(d.code, d.file, d.pointer, d.message): d for d in diagnostics}
    return list(unique.values())


def _check_operation_id(
    root: SourceFile, op: _Operation, seen: dict[str, _Operation]
) -> list[Diagnostic]:
    op_id = op.at.value.get("operationId")
    if not isinstance(op_id, str):
        return []
    first = seen.setdefault(op_id, op)
    if first is op:
        return []
    if (first.at.source, first.at.parts) == (op.at.source, op.at.parts):
        # The very operation, reached again through a `$ref`: point at that.
        how = " (the same operation, reached again through a `$ref`)"
        if (op.item.source, op.item.parts) != (root, ("paths", op.path)):
            source, parts = root, ("paths", op.path)
        else:
            source, parts = op.written.source, op.written.parts
    else:
        source, parts, how = op.at.source, op.at.parts + ("operationId",), ""
    return [
        source.diagnostic(
            "operation-id-duplicate",
            f"{op.where}: operationId {op_id!r} is already used by {first.where}{how}",
            parts,
        )
    ]


def _check_parameters(spec: Spec, op: _Operation) -> list[Diagnostic]:
    """The path item's and the operation's parameters: each well formed, the
    path ones matching the template. One we cannot encode skips the operation
    (or, declared on the path item, all of its operations)."""
    diagnostics: list[Diagnostic] = []
    declared: dict[str, _At] = {}
    for owner in (op.item, op.at):
        params = owner.value.get("parameters")
        in_list: set[tuple[str, str]] = set()
        for i, param in enumerate(params if isinstance(params, list) else []):
            written = _At(owner.source, owner.parts + ("parameters", i), param)
            resolved = _follow(spec, written)
            if resolved is None:
                continue  # reported by check_references
            if not isinstance(resolved.value, dict):
                diagnostics.append(
                    written.source.diagnostic(
                        "oas-invalid",
                        f"{op.where}: a parameter is an object (a Parameter, or a "
                        f"`$ref` to one), not {_shown(resolved.value)}",
                        written.parts,
                    )
                )
                continue
            name = resolved.value.get("name")
            location = resolved.value.get("in")
            if isinstance(name, str) and isinstance(location, str):
                diagnostics += _check_param(
                    op, written, name, location, resolved.value, in_list
                )
            if location != "path" or not isinstance(name, str):
                continue
            declared[name] = written
            if resolved.value.get("required") is not True:
                diagnostics.append(
                    written.source.diagnostic(
                        "param-path-optional",
                        f"{op.where}: path parameter {name!r} must be required",
                        written.parts,
                    )
                )
    skipping = [d for d in diagnostics if d.drops]
    if skipping:
        return skipping[:1]  # the rest of a skipped operation does not matter
    in_template = _TEMPLATE.findall(op.path)
    for name in in_template:
        if name not in declared:
            diagnostics.append(
                op.written.source.diagnostic(
                    "param-path-undeclared",
                    f"{op.where}: path parameter {name!r} is in the path but not declared",
                    op.written.parts,
                )
            )
    for name, written in declared.items():
        if name not in in_template:
            diagnostics.append(
                written.source.diagnostic(
                    "param-path-unused",
                    f"{op.where}: path parameter {name!r} is declared but not in the path",
                    written.parts,
                )
            )
    return diagnostics


def _path_problem(path: str) -> str | None:
    """Why `path` cannot be a path template we generate, if it cannot."""
    if "?" in path:
        query = path[path.index("?") :]
        return f"holds a query part ({query!r}), which an OpenAPI path cannot"
    for ch in path:
        if ch in '"<>\\^`|# ' or not ch.isprintable():
            return f"holds {ch!r}, which cannot appear in a URL path"
    if re.search(r"\{[^{}]*\{|\}[^{}]*\}|^[^{]*\}|\{[^}]*$", path):
        return "has a `{` or `}` without its pair"
    return None


_STYLES = {
    "path": ("simple",),
    "query": ("form", "spaceDelimited", "pipeDelimited", "deepObject"),
    "header": ("simple",),
    "cookie": ("form",),
}


def _check_param(
    op: _Operation,
    written: _At,
    name: str,
    location: str,
    param: dict[str, Any],
    in_list: set[tuple[str, str]],
) -> list[Diagnostic]:
    """One parameter: a location we know, a style we can encode, not declared twice."""
    where, source, parts = op.where, written.source, written.parts
    if location not in _STYLES:
        return [
            source.diagnostic(
                "param-location-invalid",
                f"{where}: parameter {name!r} is `in: {location}`; "
                "expected path, query, header or cookie (a body is `requestBody`)",
                parts + ("in",),
            )
        ]
    problems = []
    if (name, location) in in_list:
        problems.append(
            source.diagnostic(
                "param-duplicate",
                f"{where}: {location} parameter {name!r} is declared twice",
                parts,
            )
        )
    in_list.add((name, location))
    style = param.get("style")
    if style is not None and style not in _STYLES[location]:
        # Valid OpenAPI that we cannot encode: this operation goes, not the spec.
        allowed = ", ".join(_STYLES[location])
        problems.append(
            _dropping(
                op.written.source.diagnostic(
                    "param-style-unsupported",
                    f"{where}: {location} parameter {name!r} has style {style!r}, "
                    f"which the generator cannot encode (supported: {allowed}); "
                    "the operation is skipped",
                    op.written.parts,
                )
            )
        )
    return problems


_SCHEMA_TYPES = frozenset(
    {"array", "boolean", "integer", "number", "object", "string", "null"}
)
# The fixed fields of an OpenAPI 3.0 Schema object (3.1's is JSON Schema 2020-12,
# where an unknown keyword is an annotation).
_V30_KEYWORDS = frozenset(
    {
        "title",
        "multipleOf",
        "maximum",
        "exclusiveMaximum",
        "minimum",
        "exclusiveMinimum",
        "maxLength",
        "minLength",
        "pattern",
        "maxItems",
        "minItems",
        "uniqueItems",
        "maxProperties",
        "minProperties",
        "required",
        "enum",
        "type",
        "allOf",
        "oneOf",
        "anyOf",
        "not",
        "items",
        "properties",
        "additionalProperties",
        "description",
        "format",
        "default",
        "nullable",
        "discriminator",
        "readOnly",
        "writeOnly",
        "xml",
        "externalDocs",
        "example",
        "deprecated",
    }
)


def check_schemas(spec: Spec) -> list[Diagnostic]:
    """Schema keywords whose wrong shape would otherwise only be a vague
    validator error, each by the rules of the document's OpenAPI version."""
    root = spec.root
    v31 = str(root.data.get("openapi", "")).startswith("3.1")
    diagnostics: list[Diagnostic] = []
    stack: list[tuple[Parts, Any, _Role]] = [((), root.data, "object")]
    while stack:
        parts, node, role = stack.pop()
        if role != "schema" and isinstance(node, list | dict):
            each: _Role = "schema" if role == "schemas" else "object"
            if isinstance(node, list):
                stack.extend((parts + (i,), v, each) for i, v in enumerate(node))
                continue
            if role != "object":
                stack.extend((parts + (k,), v, each) for k, v in node.items())
                continue
        if not isinstance(node, dict):
            continue
        if role == "schema" and "$ref" not in node:
            diagnostics += _check_one_schema(root, parts, node, v31)
        for key, value in node.items():
            below = _role_below(role, key, value)
            if below is not None:
                stack.append((parts + (key,), value, below))
    return diagnostics


# What a node is to `check_schemas`: a schema, another OpenAPI object, or a
# mapping of names to either.
_Role = Literal["schema", "object", "schemas", "objects"]
_SCHEMA_ONE = frozenset({"items", "additionalProperties", "not"})
_SCHEMA_LIST = frozenset({"allOf", "anyOf", "oneOf"})
# OpenAPI objects' keys whose value maps names to objects.
_OBJECT_MAPS = frozenset(
    {
        "paths",
        "webhooks",
        "callbacks",
        "responses",
        "content",
        "encoding",
        "headers",
        "links",
        "parameters",
        "requestBodies",
        "securitySchemes",
        "pathItems",
        "examples",
    }
)


def _role_below(role: _Role, key: str, value: Any) -> _Role | None:
    """The role of `value`, under `key` of a node of `role`; None: not walked."""
    if role == "schema":
        if key in _SCHEMA_ONE:
            return "schema"
        if key == "properties" or (key in _SCHEMA_LIST and isinstance(value, list)):
            return "schemas"
        return None
    if _is_data(key):
        return None
    if key == "schema":
        return "schema"
    if key == "schemas":
        return "schemas"
    if key in _OBJECT_MAPS and isinstance(value, dict):
        return "objects"
    return "object"


def _is_data(key: str) -> bool:
    """Whether the value under `key` (outside a schema) is data, not OpenAPI."""
    return key in ("example", "examples", "default") or key.startswith("x-")


def _check_one_schema(
    root: SourceFile, parts: Parts, schema: dict[str, Any], v31: bool
) -> list[Diagnostic]:
    problems = []
    if not v31:
        for key in schema:
            if key not in _V30_KEYWORDS and not key.startswith("x-"):
                problems.append(
                    _dropping(
                        root.diagnostic(
                            "schema-keyword-unknown",
                            f"`{key}` is not a keyword of OpenAPI 3.0 schemas"
                            f"{' (it is JSON Schema 2020-12, which OpenAPI 3.1 uses)' if key in _V31_ONLY else ''}; "
                            "it is ignored",
                            parts + (key,),
                        )
                    )
                )
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) and v31 else [kind]
    if "type" in schema and not all(
        isinstance(k, str) and k in _SCHEMA_TYPES and (v31 or k != "null")
        for k in kinds
    ):
        allowed = ", ".join(sorted(_SCHEMA_TYPES - (set() if v31 else {"null"})))
        problems.append(
            root.diagnostic(
                "schema-type-invalid",
                f"schema type {kind!r} is not one of: {allowed}",
                parts + ("type",),
            )
        )
    enum = schema.get("enum")
    if "enum" in schema and isinstance(enum, list) and not enum and v31:
        # JSON Schema 2020-12 allows it (no value is valid), 3.0 does not.
        problems.append(
            _dropping(
                root.diagnostic(
                    "schema-enum-empty",
                    "`enum: []` allows no value at all; it is ignored",
                    parts + ("enum",),
                )
            )
        )
    elif "enum" in schema and not (isinstance(enum, list) and enum):
        problems.append(
            root.diagnostic(
                "schema-enum-invalid",
                f"`enum` must be a non-empty list, found {_shown(enum)}",
                parts + ("enum",),
            )
        )
    for bound in ("exclusiveMinimum", "exclusiveMaximum"):
        if bound in schema and _bound_problem(schema[bound], v31):
            problems.append(
                _dropping(
                    root.diagnostic(
                        "schema-keyword-invalid",
                        _bound_message(bound, schema[bound], v31),
                        parts + (bound,),
                    )
                )
            )
    pattern = schema.get("pattern")
    reason = regex_error(pattern) if isinstance(pattern, str) else None
    if reason is not None:
        problems.append(
            _dropping(
                root.diagnostic(
                    "schema-pattern-invalid",
                    f"pattern {_shown(pattern)} is not a regular expression Python "
                    f"can use: {reason}; it is ignored: the generated code does not check it",
                    parts + ("pattern",),
                )
            )
        )
    required = schema.get("required")
    if "required" in schema and not (
        isinstance(required, list) and all(isinstance(r, str) for r in required)
    ):
        problems.append(
            root.diagnostic(
                "schema-required-invalid",
                f"`required` must be a list of property names, found {_shown(required)}",
                parts + ("required",),
            )
        )
    return problems


# JSON Schema keywords a 3.0 document may borrow from 3.1 by mistake.
_V31_ONLY = frozenset(
    {
        "const",
        "examples",
        "$defs",
        "$id",
        "$schema",
        "$anchor",
        "$comment",
        "prefixItems",
        "contains",
        "minContains",
        "maxContains",
        "if",
        "then",
        "else",
        "dependentRequired",
        "dependentSchemas",
        "patternProperties",
        "propertyNames",
        "unevaluatedItems",
        "unevaluatedProperties",
        "contentEncoding",
        "contentMediaType",
        "contentSchema",
    }
)


def _bound_problem(value: Any, v31: bool) -> bool:
    """Whether an exclusive bound is spelled as the other OpenAPI version spells it
    (3.0: a boolean beside `minimum`; 3.1: the bound itself), or neither."""
    if isinstance(value, bool):
        return v31
    return not v31 or not isinstance(value, int | float)


def _bound_message(keyword: str, value: Any, v31: bool) -> str:
    shown = (
        json.dumps(value) if isinstance(value, bool | int | float) else _shown(value)
    )
    if v31 and isinstance(value, bool):
        why = "is OpenAPI 3.0's spelling; in 3.1 (JSON Schema 2020-12) it is the bound itself, a number"
    elif not v31 and isinstance(value, int | float):
        why = "is OpenAPI 3.1's spelling; in 3.0 it is a boolean beside `minimum` or `maximum`"
    else:
        why = f"must be {'a number' if v31 else 'a boolean'}"
    return f"`{keyword}: {shown}` {why}; it is ignored"


def _repeats(source: SourceFile, parts: Parts, values: list[Any]) -> list[Diagnostic]:
    """A warning on each value of the list at `parts` that repeats an earlier
    one: harmless (the generated code takes each once), so nothing is dropped."""
    keyword = str(parts[-1])
    problems = []
    seen: set[str] = set()
    for i, value in enumerate(values):
        key = json.dumps(value, sort_keys=True, default=repr)
        if key not in seen:
            seen.add(key)
            continue
        problems.append(
            source.diagnostic(
                "schema-keyword-invalid",
                f"`{keyword}` lists {_shown(value)} more than once; the repeat is ignored",
                parts + (i,),
                "warning",
            )
        )
    return problems


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_features(spec: Spec) -> list[Diagnostic]:
    """Parts of OpenAPI we read past: warnings, since the rest generates fine."""
    root = spec.root
    diagnostics = []
    if isinstance(root.data.get("webhooks"), dict) and root.data["webhooks"]:
        diagnostics.append(
            _dropping(
                root.diagnostic(
                    "feature-unsupported",
                    "webhooks are not generated; they are ignored",
                    ("webhooks",),
                )
            )
        )
    for op in _operations(spec):
        if op.at.value.get("callbacks"):
            diagnostics.append(
                _dropping(
                    op.at.source.diagnostic(
                        "feature-unsupported",
                        f"{op.where}: callbacks are not generated; they are ignored",
                        op.at.parts + ("callbacks",),
                    )
                )
            )
    return diagnostics


def _check_path_scopes(root: SourceFile) -> list[Diagnostic]:
    declared = root.data.get("x-path-scopes")
    if declared is None:
        return []
    if not isinstance(declared, list):
        return [
            root.diagnostic(
                "path-scopes-invalid",
                "x-path-scopes must be a list of {name, prefix}",
                ("x-path-scopes",),
            )
        ]
    diagnostics = []
    for i, entry in enumerate(declared):
        ok = (
            isinstance(entry, dict)
            and isinstance(entry.get("name"), str)
            and isinstance(entry.get("prefix"), str)
            and len(_TEMPLATE.findall(entry["prefix"])) == 1
            and entry["prefix"].startswith("/")
        )
        if not ok:
            diagnostics.append(
                root.diagnostic(
                    "path-scopes-invalid",
                    "each x-path-scopes entry needs a `name` and a `prefix` starting with / holding exactly one {parameter}",
                    ("x-path-scopes", i),
                )
            )
    return diagnostics


__all__ = ["validate", "parts_of"]
