"""Stage 2, validate: what a problem openapi-spec-validator found means for
generation (an error, or a warning whose node is left out), and where it is."""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Iterable
from typing import Any, Literal

from ..diagnostics import Diagnostic, pointer_of
from ..load import Spec
from .common import Parts, _At, _dropping, _follow, _one_line, _shown
from .ours import _bound_message, _bound_problem, _repeats

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
        "responses": "responses",
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
