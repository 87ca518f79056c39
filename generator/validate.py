"""Stage 2, validate: is it OpenAPI, and can we represent it?

Two layers, both collected in full before anything is built: the
openapi-spec-validator schema check, then our own checks (references,
operation ids, path parameters, the `x-path-scopes` extension).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .diagnostics import Diagnostic, parts_of
from .load import SourceFile, Spec, iter_refs

Parts = tuple[str | int, ...]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_TEMPLATE = re.compile(r"\{([^{}/]*)\}")


def validate(spec: Spec) -> list[Diagnostic]:
    diagnostics = check_version(spec.root)
    if diagnostics:
        return diagnostics
    diagnostics += check_references(spec)
    diagnostics += check_schema(spec)
    diagnostics += check_operations(spec)
    return diagnostics


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


def check_schema(spec: Spec) -> list[Diagnostic]:
    """openapi-spec-validator, imported only here: it is the slowest import we have."""
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

    root = spec.root
    validator_class = (
        OpenAPIV31SpecValidator
        if str(root.data["openapi"]).startswith("3.1")
        else OpenAPIV30SpecValidator
    )
    validator = validator_class(root.data, base_uri="file://" + root.path)
    diagnostics: list[Diagnostic] = []
    seen: set[tuple[str, str]] = set()
    try:
        errors = list(validator.iter_errors())
    except Exception as error:  # the validator chokes on some broken references
        return [
            root.diagnostic(
                "oas-invalid", f"the OpenAPI validator failed: {_one_line(error)}", ()
            )
        ]
    for found in errors:
        path: Parts = tuple(
            getattr(found, "absolute_path", None) or getattr(found, "path", None) or ()
        )
        message = _best_message(found)
        key = (str(path), message)
        if key in seen:
            continue
        seen.add(key)
        diagnostics.append(root.diagnostic("oas-invalid", message, path))
    return diagnostics


def _best_message(error: Any) -> str:
    context = getattr(error, "context", None)
    if context:
        deepest = max(
            context, key=lambda e: len(tuple(getattr(e, "absolute_path", ()) or ()))
        )
        return _one_line(getattr(deepest, "message", error))
    return _one_line(getattr(error, "message", error))


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
    for path, method, item_parts, op in _operations(paths):
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
            for i, param in enumerate(params if isinstance(params, list) else []):
                resolved = _deref(spec, root, param)
                if not isinstance(resolved, dict) or resolved.get("in") != "path":
                    continue
                name = resolved.get("name")
                if not isinstance(name, str):
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
