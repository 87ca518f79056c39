"""Stage 2, validate: our own checks. References resolve; operations and
parameters are ones we can generate (one we cannot is skipped); schemas keep
the rules of their OpenAPI version."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from typing import Any, Literal

from ..diagnostics import Diagnostic
from ..load import SourceFile, Spec, iter_refs
from ..naming import regex_error
from .common import METHODS, Parts, _At, _dropping, _follow, _shown

_TEMPLATE = re.compile(r"\{([^{}/]*)\}")


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
    source: SourceFile
    parts: Parts
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
