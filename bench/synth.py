"""Synthetic OpenAPI 3.0.3 documents of a chosen size, for the growth benchmarks.

The shape imitates a Django REST API (as drf-spectacular emits it): resources
nested under a project, each with list/create/retrieve/update/delete, paginated
lists, request and response models with `$ref`s to shared models, path and
query parameters, JSON bodies and two or three responses per operation. Output
is a pure function of the operation count. Standard library only: YAML is
emitted by a small block-style writer: strings are plain where that is safe,
else JSON strings, which are valid YAML double-quoted scalars.

    python3 bench/synth.py 1000 /tmp/synth-1000.yaml
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: Words that give each resource a distinct, readable name.
_NOUNS = (
    "account",
    "alert",
    "annotation",
    "batch",
    "cohort",
    "dashboard",
    "event",
    "experiment",
    "export",
    "feature",
    "group",
    "hook",
    "insight",
    "invite",
    "member",
    "note",
    "notebook",
    "plugin",
    "recording",
    "role",
    "survey",
    "tag",
    "team",
    "token",
    "widget",
)

#: (name, schema) pairs cycled through to give models different field sets.
_EXTRA_FIELDS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("description", {"type": "string", "nullable": True}),
    ("is_active", {"type": "boolean", "default": True}),
    ("priority", {"type": "integer", "minimum": 0, "maximum": 10}),
    ("score", {"type": "number", "format": "double"}),
    ("labels", {"type": "array", "items": {"type": "string"}}),
    ("due_at", {"type": "string", "format": "date-time", "nullable": True}),
    ("website", {"type": "string", "format": "uri", "maxLength": 400}),
    ("settings", {"type": "object", "additionalProperties": True}),
)

_ERROR_RESPONSES = {
    "400": ("Invalid input.", "ValidationError"),
    "401": ("Authentication credentials were not provided.", "Error"),
    "404": ("Not found.", "Error"),
}


def _resource_names(count: int) -> Iterator[tuple[str, str]]:
    """Yield (snake_name, PascalName) for `count` distinct resources."""
    for index in range(count):
        noun = _NOUNS[index % len(_NOUNS)]
        suffix = index // len(_NOUNS)
        snake = f"{noun}_{suffix}" if suffix else noun
        yield snake, "".join(part.capitalize() for part in snake.split("_"))


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


def _shared_components() -> dict[str, Any]:
    return {
        "schemas": {
            "Status": {
                "type": "string",
                "enum": ["draft", "active", "archived"],
                "description": "* `draft` - Draft\n* `active` - Active\n* `archived` - Archived",
            },
            "UserBasic": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer", "readOnly": True},
                    "uuid": {"type": "string", "format": "uuid", "readOnly": True},
                    "email": {"type": "string", "format": "email"},
                    "first_name": {"type": "string", "maxLength": 150},
                },
                "required": ["id", "uuid", "email"],
            },
            "Error": {
                "type": "object",
                "properties": {
                    "type": {"type": "string"},
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                    "attr": {"type": "string", "nullable": True},
                },
                "required": ["type", "code", "detail"],
            },
            "ValidationError": {
                "allOf": [
                    _ref("Error"),
                    {
                        "type": "object",
                        "properties": {
                            "errors": {
                                "type": "object",
                                "additionalProperties": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                },
                            }
                        },
                    },
                ]
            },
        },
        "parameters": {
            "ProjectIdPath": {
                "name": "project_id",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "description": "Project ID of the project you're trying to access.",
            },
        },
        "securitySchemes": {"PersonalAPIKeyAuth": {"type": "http", "scheme": "bearer"}},
    }


def _resource_models(index: int, pascal: str) -> dict[str, Any]:
    extra = [
        _EXTRA_FIELDS[(index + k) % len(_EXTRA_FIELDS)] for k in range(2 + index % 5)
    ]
    writable = {
        "name": {"type": "string", "maxLength": 400},
        "status": _ref("Status"),
        "tags": {"type": "array", "items": {"type": "string"}},
        **dict(extra),
    }
    return {
        pascal: {
            "type": "object",
            "description": f"A {pascal} as the API returns it.",
            "properties": {
                "id": {"type": "integer", "readOnly": True},
                "created_at": {
                    "type": "string",
                    "format": "date-time",
                    "readOnly": True,
                },
                "created_by": {"allOf": [_ref("UserBasic")], "readOnly": True},
                **writable,
            },
            "required": ["id", "created_at", "created_by", "name", "status"],
        },
        f"{pascal}Request": {
            "type": "object",
            "properties": writable,
            "required": ["name"],
        },
        f"Paginated{pascal}List": {
            "type": "object",
            "required": ["results"],
            "properties": {
                "count": {"type": "integer", "example": 123},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": {"type": "array", "items": _ref(pascal)},
            },
        },
    }


def _operations(snake: str, pascal: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Yield (path, method, operation) for the five operations of one resource."""
    collection = f"/api/projects/{{project_id}}/{snake}s/"
    item = f"{collection}{{id}}/"
    id_param = {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer"},
        "description": f"A unique integer value identifying this {snake.replace('_', ' ')}.",
    }

    def operation(
        op_id: str,
        summary: str,
        ok: tuple[str, dict[str, Any] | None],
        errors: tuple[str, ...],
        params: list[dict[str, Any]],
        body: str | None = None,
    ) -> dict[str, Any]:
        status, schema = ok
        responses: dict[str, Any] = {
            status: (
                _json_body(schema, "")
                if schema
                else {"description": "No response body"}
            )
        }
        for code in errors:
            description, model = _ERROR_RESPONSES[code]
            responses[code] = _json_body(_ref(model), description)
        result: dict[str, Any] = {
            "operationId": op_id,
            "summary": summary,
            "description": f"{summary}. Requires the `{snake}:read` or `{snake}:write` scope.",
            "tags": [snake],
            "parameters": [{"$ref": "#/components/parameters/ProjectIdPath"}, *params],
        }
        if body:
            result["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _ref(body)}},
            }
        result["security"] = [{"PersonalAPIKeyAuth": [f"{snake}:read"]}]
        result["responses"] = responses
        return result

    list_params = [
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer"},
            "description": "Number of results to return per page.",
        },
        {
            "name": "offset",
            "in": "query",
            "required": False,
            "schema": {"type": "integer"},
            "description": "The initial index from which to return the results.",
        },
        {
            "name": "search",
            "in": "query",
            "required": False,
            "schema": {"type": "string"},
            "description": "A search term.",
        },
        {"name": "status", "in": "query", "required": False, "schema": _ref("Status")},
    ]
    words = snake.replace("_", " ")
    model, request = _ref(pascal), f"{pascal}Request"
    yield (
        collection,
        "get",
        operation(
            f"{snake}s_list",
            f"List {words}s",
            ("200", _ref(f"Paginated{pascal}List")),
            ("400", "401"),
            list_params,
        ),
    )
    yield (
        collection,
        "post",
        operation(
            f"{snake}s_create",
            f"Create a {words}",
            ("201", model),
            ("400", "401"),
            [],
            request,
        ),
    )
    yield (
        item,
        "get",
        operation(
            f"{snake}s_retrieve",
            f"Retrieve a {words}",
            ("200", model),
            ("401", "404"),
            [id_param],
        ),
    )
    yield (
        item,
        "patch",
        operation(
            f"{snake}s_partial_update",
            f"Update a {words}",
            ("200", model),
            ("400", "404"),
            [id_param],
            request,
        ),
    )
    yield (
        item,
        "delete",
        operation(
            f"{snake}s_destroy",
            f"Delete a {words}",
            ("204", None),
            ("401", "404"),
            [id_param],
        ),
    )


def build_spec(operation_count: int) -> dict[str, Any]:
    """Return an OpenAPI 3.0.3 document with exactly `operation_count` operations."""
    if operation_count < 1:
        raise ValueError("operation_count must be positive")
    paths: dict[str, dict[str, Any]] = {}
    components = _shared_components()
    emitted = 0
    resources = (operation_count + 4) // 5
    for index, (snake, pascal) in enumerate(_resource_names(resources)):
        components["schemas"].update(_resource_models(index, pascal))
        for path, method, op in _operations(snake, pascal):
            if emitted == operation_count:
                break
            paths.setdefault(path, {})[method] = op
            emitted += 1
    return {
        "openapi": "3.0.3",
        "info": {
            "title": f"Synthetic API {operation_count}",
            "version": "1.0.0",
            "description": f"A generated document with {operation_count} operations.",
        },
        "servers": [{"url": "https://api.example.com"}],
        "paths": paths,
        "components": components,
        "security": [{"PersonalAPIKeyAuth": []}],
    }


#: Strings that can be written unquoted: no YAML indicators, not a number.
_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9_ ./-]*[A-Za-z0-9_./-]|[A-Za-z]")
#: Plain words a YAML 1.1 loader would read as something other than a string.
_RESERVED = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})


def _string(text: str) -> str:
    if _PLAIN.fullmatch(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text)


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return _string(value)
    raise TypeError(f"cannot emit {type(value).__name__}")


def _emit(value: object, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad}{_string(str(key))}:"
            if isinstance(item, (dict, list)) and item:
                out.append(head)
                _emit(item, indent + 2, out)
            else:
                out.append(f"{head} {_inline(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                # "- " followed by the first key, the rest aligned under it.
                nested: list[str] = []
                _emit(item, indent + 2, nested)
                nested[0] = f"{pad}- {nested[0][indent + 2 :]}"
                out.extend(nested)
            elif isinstance(item, list) and item:
                out.append(f"{pad}-")
                _emit(item, indent + 2, out)
            else:
                out.append(f"{pad}- {_inline(item)}")
    else:
        out.append(f"{pad}{_scalar(value)}")


def _inline(value: object) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def to_yaml(document: dict[str, Any]) -> str:
    """Block-style YAML for a JSON-like document; all strings double-quoted."""
    lines: list[str] = []
    _emit(document, 0, lines)
    return "\n".join(lines) + "\n"


def write_spec(operation_count: int, path: Path) -> Path:
    path.write_text(to_yaml(build_spec(operation_count)), encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("operations", type=int)
    parser.add_argument("output", type=Path)
    args = parser.parse_args()
    write_spec(args.operations, args.output)


if __name__ == "__main__":
    main()
