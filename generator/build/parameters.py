"""Stage 3, build: an operation's parameters, merged from its path item and its
own, typed and named, in the order the generated signatures take them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .. import ir, naming
from .common import _json_value, _Located, _text, media_kind
from .schemas import _SchemaBuilder, shared_hint

_STYLE_DEFAULTS = {
    "path": "simple",
    "query": "form",
    "header": "simple",
    "cookie": "form",
}


@dataclass
class _ParamBuilder:
    schemas: _SchemaBuilder
    # per operation: Python parameter name -> the wire name that got it
    param_names: dict[str, dict[str, str]] = field(default_factory=dict)

    def for_operation(
        self,
        item: _Located,
        located: _Located,
        op_name: str,
        named_after: str,
        taken: tuple[str, ...] = (),
    ) -> tuple[ir.Param, ...]:
        """The parameters of operation `op_name`; their inline schemas are named
        after `named_after` (see `_OperationBuilder.owner`). `taken`: the
        method's own keywords beyond the usual (`content_type`)."""
        members = naming.Namespace(naming.RESERVED_MEMBER_NAMES | set(taken))
        merged: dict[tuple[str, str], _Located] = {}
        for owner, key in ((item, "parameters"), (located, "parameters")):
            params = owner.value.get(key)
            if isinstance(params, list):
                for i, p in enumerate(params):
                    target = self.schemas.ctx.deref(
                        _Located(owner.source, owner.parts + (key, i), p)
                    ).value
                    if isinstance(target, dict):
                        merged[(str(target.get("name")), str(target.get("in")))] = (
                            _Located(owner.source, owner.parts + (key, i), p)
                        )
        params = [self.param(p, op_name, named_after, members) for p in merged.values()]
        ordered = sorted(
            (p for p in params if p is not None),
            key=lambda p: (
                not p.required,
                ("path", "query", "header", "cookie").index(p.location),
            ),
        )
        attributes = naming.server_attributes([p.name for p in ordered])
        return tuple(
            p if p.name == attr else replace(p, server_attr=attr)
            for p, attr in zip(ordered, attributes, strict=True)
        )

    def param(
        self,
        located: _Located,
        op_name: str,
        named_after: str,
        members: naming.Namespace,
    ) -> ir.Param | None:
        resolved = self.schemas.ctx.deref(located)
        p = resolved.value
        if (
            not isinstance(p, dict)
            or not isinstance(p.get("name"), str)
            or p.get("in") not in _STYLE_DEFAULTS
        ):
            return None
        location = p["in"]
        wire = p["name"]
        is_json = False
        schema_at = _Located(
            resolved.source, resolved.parts + ("schema",), p.get("schema", {})
        )
        content = p.get("content")
        if isinstance(content, dict) and content:
            media_type = sorted(content)[0]
            is_json = media_kind(media_type) == "json"
            media = content[media_type] if isinstance(content[media_type], dict) else {}
            schema_at = _Located(
                resolved.source,
                resolved.parts + ("content", media_type, "schema"),
                media.get("schema", {}),
            )
        hint = shared_hint(located, resolved) or f"{named_after}_{wire}"
        param_type = self.schemas.type_of(schema_at, naming.pascal(hint))
        schema = (
            self.schemas.ctx.deref(schema_at).value
            if isinstance(schema_at.value, dict)
            else {}
        )
        style = str(p.get("style") or _STYLE_DEFAULTS[location])
        explode = p.get("explode")
        has_default = isinstance(schema, dict) and "default" in schema
        return ir.Param(
            wire=wire,
            name=self.schemas.ctx.distinct(
                members,
                naming.member(wire, fallback="param"),
                wire,
                self.param_names.setdefault(op_name, {}),
                f"{location} parameter",
                resolved.source,
                resolved.parts,
            ),
            location=location,
            type=param_type,
            required=p.get("required") is True or location == "path",
            description=_text(p.get("description")),
            style=style,
            explode=explode if isinstance(explode, bool) else style == "form",
            json=is_json,
            deprecated=p.get("deprecated") is True,
            default=_json_value(schema.get("default")) if has_default else None,
            has_default=has_default,
        )
