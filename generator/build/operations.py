"""Stage 3, build: operations, with their request bodies and responses, and the
handlers of the server interface that serve them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from .. import ir, naming
from ..diagnostics import parts_of, pointer_of
from .common import _Context, _dict, _Located, _text, media_kind
from .parameters import _ParamBuilder
from .schemas import _SchemaBuilder, shared_hint
from .security import _SecurityBuilder

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Names the generated client classes use for themselves.
# Names an operation may not take: the clients' own members, and `rt`, since
# each operation's table is the module-level `_<operation>` beside the
# runtime, imported as `_rt`.
CLIENT_MEMBERS = frozenset(
    {
        "close",
        "aclose",
        "paginate",
        "raw",
        "csv",
        "with_options",
        "request",
        "base_url",
        "api_key",
        "rt",
    }
)


@dataclass
class _OperationBuilder:
    schemas: _SchemaBuilder
    security: _SecurityBuilder
    parameters: _ParamBuilder
    root: dict[str, Any]
    op_names: naming.Namespace = field(
        default_factory=lambda: naming.Namespace(CLIENT_MEMBERS)
    )
    scopes: tuple[ir.PathScope, ...] = ()
    op_seen: dict[str, str] = field(default_factory=dict)
    # (method, path within its scope) -> the first scope's operation there
    owners: dict[tuple[str, str], str] = field(default_factory=dict)

    def path_scopes(self) -> None:
        declared = self.root.get("x-path-scopes")
        if not isinstance(declared, list):
            return
        scopes = []
        for entry in declared:
            if (
                isinstance(entry, dict)
                and isinstance(entry.get("prefix"), str)
                and isinstance(entry.get("name"), str)
            ):
                params = re.findall(r"\{([^}/]+)\}", entry["prefix"])
                if len(params) == 1:
                    scopes.append(
                        ir.PathScope(
                            naming.snake(entry["name"]), entry["prefix"], params[0]
                        )
                    )
        self.scopes = tuple(scopes)

    def owner(self, method: str, path: str, name: str) -> str:
        """What an operation's inline schemas are named after: the operation,
        or, under a later `x-path-scopes` scope, the first scope's operation
        that one handler serves with it, so that both name them alike."""
        scope = next((s for s in self.scopes if path.startswith(s.prefix)), None)
        if scope is None:
            return name
        return self.owners.setdefault((method, path[len(scope.prefix) :]), name)

    def body(self, located: _Located, op_name: str) -> ir.Body | None:
        """The request body: every media type declared, one the default (JSON
        first, see `_preferred_media`); its type admits what any of them takes."""
        resolved = self.schemas.ctx.deref(located)
        body = resolved.value
        content = _media_types(body)
        if not content:
            return None
        default = _preferred_media(content)
        types: list[ir.Type] = []
        for media_type in (default, *(m for m in content if m != default)):
            media = content[media_type] if isinstance(content[media_type], dict) else {}
            kind = media_kind(media_type)
            if kind == "binary":
                types.append(ir.Scalar("bytes"))
            elif kind == "text":
                types.append(ir.Scalar("str"))
            else:
                schema_at = _Located(
                    resolved.source,
                    resolved.parts + ("content", media_type, "schema"),
                    media.get("schema", {}),
                )
                hint = naming.pascal(
                    shared_hint(located, resolved, "Request") or f"{op_name}_request"
                )
                types.append(self.schemas.type_of(schema_at, hint))
        distinct = tuple(dict.fromkeys(types))
        return ir.Body(
            default,
            media_kind(default),
            distinct[0] if len(distinct) == 1 else ir.UnionType(distinct),
            body.get("required") is True,
            _text(body.get("description")),
            tuple((m, media_kind(m)) for m in content if m != default),
        )

    def responses(self, located: _Located, op_name: str) -> tuple[ir.Response, ...]:
        responses = located.value if isinstance(located.value, dict) else {}
        result = []
        # The first success response with a schema of its own is
        # `<Operation>Response`; other responses name their status.
        unnamed_success = True
        for status in sorted(responses, key=_status_order):
            at = _Located(located.source, located.parts + (status,), responses[status])
            resolved = self.schemas.ctx.deref(at)
            response = resolved.value if isinstance(resolved.value, dict) else {}
            hint = shared_hint(at, resolved, "Response")
            content = _dict(response.get("content"))
            media = []
            for media_type in sorted(
                content, key=lambda m: (media_kind(m) != "json", m)
            ):
                entry = (
                    content[media_type] if isinstance(content[media_type], dict) else {}
                )
                kind = media_kind(media_type)
                schema_at = _Located(
                    resolved.source,
                    resolved.parts + ("content", media_type, "schema"),
                    entry.get("schema", {}),
                )
                if kind == "json":
                    if hint is None:
                        first = (
                            unnamed_success
                            and str(status).startswith("2")
                            and isinstance(schema_at.value, dict)
                            and "$ref" not in schema_at.value
                        )
                        unnamed_success = unnamed_success and not first
                        hint = f"{op_name}_response" + ("" if first else f"_{status}")
                    media_type_ir = self.schemas.type_of(schema_at, naming.pascal(hint))
                else:
                    media_type_ir = ir.Scalar("bytes" if kind == "binary" else "str")
                media.append(ir.Media(media_type, kind, media_type_ir))
            headers = _dict(response.get("headers"))
            result.append(
                ir.Response(
                    str(status),
                    _text(response.get("description")),
                    tuple(media),
                    tuple(sorted(headers)),
                )
            )
        if not result:
            # None documented (OpenAPI requires one): a bare 200, as a handler
            # with nothing to say answers.
            result.append(ir.Response("200", "", ()))
        return tuple(result)

    def operations(self) -> list[ir.Operation]:
        paths = self.root.get("paths", {})
        if not isinstance(paths, dict):
            return []
        source = self.schemas.ctx.spec.root
        collected: list[tuple[str, str, _Located, _Located]] = []
        for path in sorted(paths):
            item = self.schemas.ctx.deref(
                _Located(source, ("paths", path), paths[path])
            )
            if not isinstance(item.value, dict):
                continue
            for method in METHODS:
                # A `$ref` on an operation is not OpenAPI; validate warns, we follow.
                op = self.schemas.ctx.deref(
                    _Located(
                        item.source, item.parts + (method,), item.value.get(method)
                    )
                )
                if isinstance(op.value, dict):
                    collected.append((path, method, item, op))

        # Names (operation ids, inline schemas) are claimed in a stable order:
        # sorted by (path, method), except that an operation under a later
        # `x-path-scopes` scope comes after those of the first, so that a schema
        # both scopes share is named after the first scope's operation. The
        # output keeps the sorted order.
        def naming_rank(entry: tuple[int, tuple[str, str, _Located, _Located]]) -> int:
            path = entry[1][0]
            return next(
                (i for i, s in enumerate(self.scopes) if path.startswith(s.prefix)), 0
            )

        built: dict[int, ir.Operation] = {}
        for index, (path, method, item, located) in sorted(
            enumerate(collected), key=naming_rank
        ):
            built[index] = self.operation(path, method, item, located)
        return [built[i] for i in range(len(collected))]

    def operation(
        self, path: str, method: str, item: _Located, located: _Located
    ) -> ir.Operation:
        op: dict[str, Any] = located.value
        given = op.get("operationId")
        op_id = given if isinstance(given, str) else f"{method} {path}"
        name = self.schemas.ctx.distinct(
            self.op_names,
            naming.member(op_id, fallback="op"),
            op_id,
            self.op_seen,
            "operation",
            located.source,
            located.parts + (("operationId",) if isinstance(given, str) else ()),
        )
        owner = self.owner(method, path, name)
        body_value = op.get("requestBody")
        # The client's keyword naming the media type sent, where there is a choice.
        several = len(
            _media_types(
                self.schemas.ctx.deref(
                    _Located(
                        located.source, located.parts + ("requestBody",), body_value
                    )
                ).value
            )
        )
        params = self.parameters.for_operation(
            item, located, name, owner, ("content_type",) if several > 1 else ()
        )
        body = (
            self.body(
                _Located(located.source, located.parts + ("requestBody",), body_value),
                owner,
            )
            if body_value
            else None
        )
        security_value = (
            op["security"] if "security" in op else self.root.get("security")
        )
        scope = next((s for s in self.scopes if path.startswith(s.prefix)), None)
        return ir.Operation(
            operation_id=op_id,
            name=name,
            method=method.upper(),
            path=path,
            summary=_text(op.get("summary")),
            description=_text(op.get("description")),
            deprecated=op.get("deprecated") is True,
            tags=(
                tuple(t for t in op.get("tags", []) if isinstance(t, str))
                if isinstance(op.get("tags"), list)
                else ()
            ),
            params=params,
            body=body,
            responses=self.responses(
                _Located(
                    located.source,
                    located.parts + ("responses",),
                    op.get("responses", {}),
                ),
                owner,
            ),
            security=self.security.requirements(security_value),
            handler=name,
            scope=scope,
            pointer=pointer_of(located.parts),
        )


def _media_types(body: Any) -> dict[str, Any]:
    """A request body's `content`: media type -> media type object."""
    content = body.get("content") if isinstance(body, dict) else None
    return content if isinstance(content, dict) else {}


def _preferred_media(content: dict[str, Any]) -> str:
    order = {"json": 0, "form": 1, "multipart": 2, "binary": 3, "text": 4}
    return sorted(content, key=lambda m: (order[media_kind(m)], m))[0]


def _status_order(status: str) -> tuple[int, str]:
    text = str(status)
    return (
        (
            int(text)
            if text.isdigit()
            else (int(text[0]) * 100 + 99 if text[:1].isdigit() else 1000)
        ),
        text,
    )


def _handlers(
    ctx: _Context, operations: list[ir.Operation], scopes: tuple[ir.PathScope, ...]
) -> tuple[list[ir.Operation], list[ir.Handler]]:
    """Group operations that one method of the server interface serves."""
    groups: dict[tuple[str, str], list[ir.Operation]] = {}
    for op in operations:
        key = (
            (op.method, op.path[len(op.scope.prefix) :])
            if op.scope
            else (op.method, "\0" + op.name)
        )
        groups.setdefault(key, []).append(op)
    handlers = []
    renamed: dict[str, str] = {}
    for members in groups.values():
        members.sort(key=lambda o: scopes.index(o.scope) if o.scope else 0)
        first = members[0]
        params = tuple(
            p
            for p in first.params
            if not (
                first.scope and p.location == "path" and p.wire == first.scope.param
            )
        )
        for other in members[1:]:
            assert other.scope is not None
            other_params = tuple(
                p
                for p in other.params
                if not (p.location == "path" and p.wire == other.scope.param)
            )
            differs = [
                what
                for what, same in (
                    ("parameters", other_params == params),
                    ("body", other.body == first.body),
                    ("responses", other.responses == first.responses),
                    ("security", other.security == first.security),
                )
                if not same
            ]
            if differs:
                source = ctx.spec.root
                ctx.diagnostics.append(
                    source.diagnostic(
                        "scope-mismatch",
                        f"{other.method} {other.path} differs from {first.method} {first.path} in {', '.join(differs)}; "
                        "operations served by one handler must agree",
                        parts_of(other.pointer),
                    )
                )
        for op in members:
            renamed[op.name] = first.name
        handlers.append(
            ir.Handler(
                name=first.name,
                params_model=ctx.names.claim(naming.pascal(first.name) + "Params"),
                summary=first.summary,
                description=first.description,
                params=params,
                body=first.body,
                responses=first.responses,
                operations=tuple(members),
            )
        )
    ops = [_with_handler(op, renamed[op.name]) for op in operations]
    handlers = [
        ir.Handler(
            h.name,
            h.params_model,
            h.summary,
            h.description,
            h.params,
            h.body,
            h.responses,
            tuple(_with_handler(o, h.name) for o in h.operations),
        )
        for h in handlers
    ]
    handlers.sort(key=lambda h: h.name)
    return ops, handlers


def _with_handler(op: ir.Operation, handler: str) -> ir.Operation:
    return replace(op, handler=handler)
