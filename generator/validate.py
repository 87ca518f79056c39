"""Stage 2, validate: is it OpenAPI, and can we represent it?

Two layers, both collected in full before anything is built: the
openapi-spec-validator schema check, then our own checks (references,
operation ids, path parameters, the `x-path-scopes` extension).
"""

from __future__ import annotations

import abc
import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .cache import ValidationMemo
from .diagnostics import Diagnostic, parts_of, pointer_of
from .load import SourceFile, Spec, iter_refs
from .naming import regex_error

Parts = tuple[str | int, ...]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_TEMPLATE = re.compile(r"\{([^{}/]*)\}")


def validate(spec: Spec, memo: ValidationMemo | None = None) -> list[Diagnostic]:
    """Every problem of the spec. With a `memo`, the schema check skips the
    path items it passed before (see `check_schema_memo`) and updates it."""
    diagnostics = check_version(spec.root)
    if diagnostics:
        return diagnostics
    references = check_references(spec)
    ours = references + check_operations(spec) + check_schemas(spec)
    ours += check_features(spec.root)
    # A broken reference makes the schema validator fail in confusing ways
    # (recursion errors, "does not exist within {...whole document...}"): our
    # own diagnostic says it better, so the validator does not run.
    if references:
        schema = []
    else:
        with _quick_subscriptable_checks():
            schema = (
                check_schema(spec) if memo is None else check_schema_memo(spec, memo)
            )
    return _without_covered(schema, ours) + ours


def _without_covered(
    schema: list[Diagnostic], ours: list[Diagnostic]
) -> list[Diagnostic]:
    """Drop validator errors on a node (or an ancestor of one) that our checks explain better."""
    explained = [d.pointer for d in ours if d.severity == "error"]
    return [
        d
        for d in schema
        if not d.pointer
        or not any(p == d.pointer or p.startswith(d.pointer + "/") for p in explained)
    ]


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


# Top-level keys of an OpenAPI document: a validator error whose path starts
# elsewhere is relative to some schema, and we cannot place it precisely.
_TOP_LEVEL = frozenset(
    {
        "openapi",
        "info",
        "servers",
        "paths",
        "components",
        "security",
        "tags",
        "externalDocs",
        "webhooks",
        "jsonSchemaDialect",
    }
)
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
    """openapi-spec-validator, imported only here: it is the slowest import we have.

    Its structural (JSON Schema) pass runs first; the semantic pass runs only
    on a structurally valid document, since it may crash on a broken one.
    """
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
    from openapi_spec_validator.schemas import (
        openapi_v30_schema_validator,
        openapi_v31_schema_validator,
    )

    root = spec.root
    v31 = str(root.data["openapi"]).startswith("3.1")
    structural = openapi_v31_schema_validator if v31 else openapi_v30_schema_validator
    validator_class = OpenAPIV31SpecValidator if v31 else OpenAPIV30SpecValidator
    try:
        errors = list(structural.iter_errors(root.data))
        if not errors:
            validator = _with_sets(validator_class)(
                root.data, base_uri="file://" + root.path
            )
            errors = list(validator.iter_errors())
    except Exception as error:  # the validator chokes on some broken documents
        return [
            root.diagnostic(
                "oas-invalid", f"the OpenAPI validator failed: {_one_line(error)}", ()
            )
        ]
    diagnostics: list[Diagnostic] = []
    seen: set[tuple[str, str]] = set()
    for found in errors:
        path: Parts = tuple(
            getattr(found, "absolute_path", None) or getattr(found, "path", None) or ()
        )
        message = _best_message(found)
        if not path and message.startswith(_REPEATED):
            continue
        if path and path[0] not in _TOP_LEVEL and not str(path[0]).startswith("x-"):
            message = f"in a schema, at {pointer_of(path)}: {message}"
            path = ()
        elif _NONE_OF.match(message):
            message = f"not a valid {_what(path)}: it matches none of the forms OpenAPI allows here"
        key = (str(path), message)
        if key in seen:
            continue
        seen.add(key)
        diagnostics.append(root.diagnostic("oas-invalid", message, path))
    return diagnostics


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
    plain = _with_sets(OpenAPIV31SpecValidator if v31 else OpenAPIV30SpecValidator)
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
    errors = (
        whole(validator.schema_path)
        if only is None
        else whole.paths_validator(validator.schema_path / "paths")
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


def _with_sets(plain: Any) -> Any:
    """`plain`, an openapi-spec-validator class, with its seen-lists as sets."""
    schema_class = plain.keyword_validators["schema"]
    operation_class = plain.keyword_validators["operation"]

    class SchemaValidator(schema_class):  # type: ignore[misc, valid-type]
        def __init__(self, registry: Any) -> None:
            super().__init__(registry)
            self.visited_schema_ids = _IdSet()
            self.meta_checked_schema_ids = _IdSet()

    class OperationValidator(operation_class):  # type: ignore[misc, valid-type]
        def __init__(self, registry: Any) -> None:
            super().__init__(registry)
            self.operation_ids_registry = _IdSet()

    class SpecValidator(plain):  # type: ignore[misc]
        keyword_validators = {
            **plain.keyword_validators,
            "schema": SchemaValidator,
            "operation": OperationValidator,
        }

    return SpecValidator


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
    parent = str(path[-2]) if len(path) >= 2 else ""
    return {
        "parameters": "parameter",
        "schemas": "schema",
        "properties": "schema",
        "responses": "response",
        "paths": "path item",
        "securitySchemes": "security scheme",
        "requestBodies": "request body",
        "headers": "header",
        "examples": "example",
    }.get(parent, "value")


def _best_message(error: Any) -> str:
    context = getattr(error, "context", None)
    if context:
        deepest = max(
            context, key=lambda e: len(tuple(getattr(e, "absolute_path", ()) or ()))
        )
        error = deepest
    text = str(getattr(error, "message", error))
    # The first paragraph says what is wrong; the rest dumps schema and instance.
    return _one_line(text.split("\n\n")[0])


def _one_line(value: object) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= 300 else text[:297] + "..."


def check_references(spec: Spec) -> list[Diagnostic]:
    """Every `$ref` resolves, and no chain of references loops back on itself."""
    diagnostics: list[Diagnostic] = []
    for source in sorted(spec.files.values(), key=lambda s: s.display):
        for parts, ref in sorted(
            iter_refs(source.data), key=lambda item: [str(p) for p in item[0]]
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


def check_operations(spec: Spec) -> list[Diagnostic]:
    root = spec.root
    diagnostics: list[Diagnostic] = []
    paths = root.data.get("paths")
    if not isinstance(paths, dict):
        return diagnostics
    seen_ids: dict[str, str] = {}
    for path in sorted(paths):
        bad = _bad_path_char(path)
        if bad is not None:
            diagnostics.append(
                root.diagnostic(
                    "path-invalid",
                    f"path {path!r} holds {bad!r}, which cannot appear in a URL path",
                    ("paths", path),
                )
            )
    for path, method, item_parts, op in _operations(paths):
        if _bad_path_char(path) is not None:
            continue
        op_parts = item_parts + (method,)
        where = f"{method.upper()} {path}"
        op_id = op.get("operationId")
        if isinstance(op_id, str):
            if op_id in seen_ids:
                diagnostics.append(
                    root.diagnostic(
                        "operation-id-duplicate",
                        f"{where}: operationId {op_id!r} is already used by {seen_ids[op_id]}",
                        op_parts + ("operationId",),
                    )
                )
            else:
                seen_ids[op_id] = where
        declared: dict[str, Parts] = {}
        for owner_parts, params in (
            (item_parts, paths[path].get("parameters")),
            (op_parts, op.get("parameters")),
        ):
            in_list: set[tuple[str, str]] = set()
            for i, param in enumerate(params if isinstance(params, list) else []):
                resolved = _deref(spec, root, param)
                if not isinstance(resolved, dict):
                    continue
                name = resolved.get("name")
                location = resolved.get("in")
                param_parts = owner_parts + ("parameters", i)
                if isinstance(name, str) and isinstance(location, str):
                    diagnostics += _check_param(
                        root, where, param_parts, name, location, resolved, in_list
                    )
                if location != "path" or not isinstance(name, str):
                    continue
                declared[name] = owner_parts + ("parameters", i)
                if resolved.get("required") is not True:
                    diagnostics.append(
                        root.diagnostic(
                            "param-path-optional",
                            f"{where}: path parameter {name!r} must be required",
                            owner_parts + ("parameters", i),
                        )
                    )
        in_template = _TEMPLATE.findall(path)
        for name in in_template:
            if name not in declared:
                diagnostics.append(
                    root.diagnostic(
                        "param-path-undeclared",
                        f"{where}: path parameter {name!r} is in the path but not declared",
                        op_parts,
                    )
                )
        for name, parts in declared.items():
            if name not in in_template:
                diagnostics.append(
                    root.diagnostic(
                        "param-path-unused",
                        f"{where}: path parameter {name!r} is declared but not in the path",
                        parts,
                    )
                )
    diagnostics += _check_path_scopes(root)
    # The schema check reports path/param duplicates itself; keep one per position.
    unique = {(d.code, d.pointer, d.message): d for d in diagnostics}
    return list(unique.values())


def _bad_path_char(path: str) -> str | None:
    """The first character of a path template that no URL path may hold, if any."""
    for ch in path:
        if ch in '"<>\\^`|#? ' or not ch.isprintable():
            return ch
    return None


_STYLES = {
    "path": ("simple",),
    "query": ("form", "spaceDelimited", "pipeDelimited", "deepObject"),
    "header": ("simple",),
    "cookie": ("form",),
}


def _check_param(
    root: SourceFile,
    where: str,
    parts: Parts,
    name: str,
    location: str,
    param: dict[str, Any],
    in_list: set[tuple[str, str]],
) -> list[Diagnostic]:
    """One parameter: a location we know, a style we can encode, not declared twice."""
    if location not in _STYLES:
        return [
            root.diagnostic(
                "param-location-invalid",
                f"{where}: parameter {name!r} is `in: {location}`; "
                "expected path, query, header or cookie (a body is `requestBody`)",
                parts + ("in",),
            )
        ]
    problems = []
    if (name, location) in in_list:
        problems.append(
            root.diagnostic(
                "param-duplicate",
                f"{where}: {location} parameter {name!r} is declared twice",
                parts,
            )
        )
    in_list.add((name, location))
    style = param.get("style")
    if style is not None and style not in _STYLES[location]:
        allowed = ", ".join(_STYLES[location])
        problems.append(
            root.diagnostic(
                "param-style-unsupported",
                f"{where}: {location} parameter {name!r} has style {style!r}; "
                f"supported: {allowed}",
                parts + ("style",),
            )
        )
    return problems


def _operations(
    paths: dict[str, Any],
) -> Iterator[tuple[str, str, Parts, dict[str, Any]]]:
    for path in sorted(paths):
        item = paths[path]
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                yield path, method, ("paths", path), op


_SCHEMA_TYPES = frozenset(
    {"array", "boolean", "integer", "number", "object", "string", "null"}
)
# Keys whose value is a schema, and keys whose value maps names (or holds a list) of schemas.
_SCHEMA_ONE = ("schema", "items", "additionalProperties", "not")
_SCHEMA_MANY = ("properties", "allOf", "anyOf", "oneOf", "schemas")


def check_schemas(spec: Spec) -> list[Diagnostic]:
    """Schema keywords whose wrong shape would otherwise only be a vague validator error."""
    root = spec.root
    v31 = str(root.data.get("openapi", "")).startswith("3.1")
    diagnostics: list[Diagnostic] = []
    stack: list[tuple[Parts, Any, bool]] = [((), root.data, False)]
    while stack:
        parts, node, is_schema = stack.pop()
        if isinstance(node, list):
            stack.extend((parts + (i,), v, False) for i, v in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        if is_schema and "$ref" not in node:
            diagnostics += _check_one_schema(root, parts, node, v31)
        for key, value in node.items():
            if key in _SCHEMA_ONE and isinstance(value, dict):
                stack.append((parts + (key,), value, True))
            elif key in _SCHEMA_MANY and isinstance(value, dict):
                stack.extend((parts + (key, k), v, True) for k, v in value.items())
            elif key in _SCHEMA_MANY and isinstance(value, list):
                stack.extend((parts + (key, i), v, True) for i, v in enumerate(value))
            elif not is_schema and key not in ("example", "examples", "default"):
                stack.append((parts + (key,), value, False))
    return diagnostics


def _check_one_schema(
    root: SourceFile, parts: Parts, schema: dict[str, Any], v31: bool
) -> list[Diagnostic]:
    problems = []
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
    if "enum" in schema and not (isinstance(enum, list) and enum):
        problems.append(
            root.diagnostic(
                "schema-enum-invalid",
                f"`enum` must be a non-empty list, found {_shown(enum)}",
                parts + ("enum",),
            )
        )
    pattern = schema.get("pattern")
    reason = regex_error(pattern) if isinstance(pattern, str) else None
    if reason is not None:
        problems.append(
            root.diagnostic(
                "schema-pattern-invalid",
                f"pattern {_shown(pattern)} is not a regular expression Python "
                f"can use: {reason}",
                parts + ("pattern",),
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


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_features(root: SourceFile) -> list[Diagnostic]:
    """Parts of OpenAPI we read past: warnings, since the rest generates fine."""
    diagnostics = []
    if isinstance(root.data.get("webhooks"), dict) and root.data["webhooks"]:
        diagnostics.append(
            root.diagnostic(
                "feature-unsupported",
                "webhooks are not generated; they are ignored",
                ("webhooks",),
                "warning",
            )
        )
    paths = root.data.get("paths")
    for path, method, item_parts, op in _operations(
        paths if isinstance(paths, dict) else {}
    ):
        if op.get("callbacks"):
            diagnostics.append(
                root.diagnostic(
                    "feature-unsupported",
                    f"{method.upper()} {path}: callbacks are not generated; they are ignored",
                    item_parts + (method, "callbacks"),
                    "warning",
                )
            )
    return diagnostics


def _deref(spec: Spec, source: SourceFile, value: Any) -> Any:
    for _ in range(32):
        if not (isinstance(value, dict) and isinstance(value.get("$ref"), str)):
            return value
        target = spec.resolve(value["$ref"], source)
        if target is None:
            return None
        source, _, value = target
    return None


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
