"""Stage 3, build: the passes once every model and operation is built, which type
discriminator fields as `Literal`s and give request bodies readOnly-free variants.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .. import ir, naming
from .schemas import _SchemaBuilder


def retype(
    schemas: _SchemaBuilder,
    fn: Callable[[ir.Type], ir.Type],
    operations: list[ir.Operation],
) -> list[ir.Operation]:
    """Apply `fn` to every type of every model, alias and operation."""

    def t(value: ir.Type) -> ir.Type:
        return ir.transform(value, fn)

    # Each item rebuilt only if one of its types changed: most do not.
    def typed(item: Any) -> Any:
        new = t(item.type)
        return item if new is item.type else replace(item, type=new)

    def each(items: tuple[Any, ...]) -> tuple[Any, ...]:
        new = tuple(typed(item) for item in items)
        return items if all(a is b for a, b in zip(new, items, strict=True)) else new

    def response(r: ir.Response) -> ir.Response:
        media = each(r.media)
        return r if media is r.media else replace(r, media=media)

    def operation(op: ir.Operation) -> ir.Operation:
        params = each(op.params)
        body = typed(op.body) if op.body else None
        responses = tuple(response(r) for r in op.responses)
        if (
            params is op.params
            and body is op.body
            and all(a is b for a, b in zip(responses, op.responses, strict=True))
        ):
            return op
        return replace(op, params=params, body=body, responses=responses)

    for name, model in schemas.models.items():
        fields = each(model.fields)
        additional = None if model.additional is None else t(model.additional)
        if fields is not model.fields or additional is not model.additional:
            schemas.models[name] = replace(model, fields=fields, additional=additional)
    for name, alias in schemas.aliases.items():
        schemas.aliases[name] = typed(alias)
    return [operation(op) for op in operations]


def finalize_discriminators(
    schemas: _SchemaBuilder, operations: list[ir.Operation]
) -> list[ir.Operation]:
    """Type each option's discriminator field as the `Literal` of its value, where
    that is unambiguous, and keep a union's discriminator only where all its
    options were so typed; the rest stay plain unions."""
    wanted: list[ir.Discriminator] = []

    def collect(t: ir.Type) -> ir.Type:
        if isinstance(t, ir.UnionType) and t.discriminator is not None:
            wanted.append(t.discriminator)
        return t

    operations = retype(schemas, collect, operations)
    if not wanted:
        return operations
    # A model is one option of possibly many unions: each must want the
    # same property and value of it, or it cannot be a `Literal`.
    demands: dict[str, set[tuple[str, str]]] = {}
    for d in wanted:
        for value, name in d.mapping:
            demands.setdefault(name, set()).add((d.wire, value))
    candidates: dict[str, ir.ModelField] = {}
    for name in sorted(demands):
        model = schemas.models.get(name)
        if model is None or len(demands[name]) != 1:
            continue
        ((wire, value),) = demands[name]
        tagged = next((f for f in model.fields if f.wire == wire), None)
        if (
            tagged is not None
            and not tagged.read_only
            and not tagged.write_only
            and admits(schemas, tagged.type, value)
            and not (tagged.has_default and tagged.default != value)
        ):
            candidates[name] = tagged

    # A union dispatches when all its options can be tagged, on one attribute;
    # a model is tagged only when every union it is an option of dispatches.
    def dispatches(d: ir.Discriminator) -> bool:
        names = [n for _, n in d.mapping]
        return all(n in candidates for n in names) and (
            len({candidates[n].server_name for n in names}) == 1
        )

    while True:
        dropped = {n for d in wanted if not dispatches(d) for _, n in d.mapping} & set(
            candidates
        )
        if not dropped:
            break
        for name in dropped:
            del candidates[name]
    tags: dict[str, str] = {}
    for name, tagged in sorted(candidates.items()):
        model = schemas.models[name]
        ((_, value),) = demands[name]
        schemas.models[name] = replace(
            model,
            fields=tuple(
                (
                    replace(
                        f,
                        type=ir.ConstType(value),
                        required=True,
                        default=value,
                        has_default=False,
                        tag=True,
                    )
                    if f is tagged
                    else f
                )
                for f in model.fields
            ),
        )
        tags[name] = tagged.server_name

    def settle(t: ir.Type) -> ir.Type:
        if not isinstance(t, ir.UnionType) or t.discriminator is None:
            return t
        d = t.discriminator
        attrs = {tags.get(name) for _, name in d.mapping}
        options = {o.name for o in t.options if isinstance(o, ir.NamedType)}
        usable = (
            len(attrs) == 1
            and None not in attrs
            and len(options) == len(t.options)
            and options == {name for _, name in d.mapping}
        )
        return replace(
            t,
            discriminator=(replace(d, name=tags[d.mapping[0][1]]) if usable else None),
        )

    return retype(schemas, settle, operations)


def admits(schemas: _SchemaBuilder, t: ir.Type, value: str) -> bool:
    """Whether a field of type `t` may hold the string `value`."""
    if isinstance(t, ir.Scalar):
        return t.kind in ("str", "any")
    if isinstance(t, ir.ConstType):
        return t.value == value
    if isinstance(t, ir.NamedType) and t.name in schemas.enums:
        return value in (m.value for m in schemas.enums[t.name].members)
    return False


def request_variants(
    schemas: _SchemaBuilder, operations: list[ir.Operation]
) -> list[ir.Operation]:
    """readOnly/writeOnly: request bodies get models without the readOnly fields.

    Responses keep the full models, where a writeOnly field is never
    required (a response does not carry it). A model a request body reaches
    (directly or nested) whose request shape differs from that gets a
    request variant (`PetRequest`), and the body names the variant.
    """

    def refs_of(name: str, fields: str) -> tuple[str, ...]:
        model = schemas.models.get(name)
        if model is not None:
            chosen = model.request_fields if fields == "request" else model.fields
            types = [f.type for f in chosen]
            types += [model.additional] if model.additional is not None else []
            return tuple(n for t in types for n in ir.names_in(t))
        alias = schemas.aliases.get(name)
        return ir.names_in(alias.type) if alias is not None else ()

    def reach(roots: list[ir.Type], fields: str, within: set[str]) -> set[str]:
        found: set[str] = set()
        stack = [n for t in roots for n in ir.names_in(t)]
        while stack:
            name = stack.pop()
            if name in within and name not in found:
                found.add(name)
                stack.extend(refs_of(name, fields))
        return found

    everything = {*schemas.models, *schemas.aliases}
    answered = reach(
        [m.type for op in operations for r in op.responses for m in r.media]
        + [p.type for op in operations for p in op.params],
        "all",
        everything,
    )
    # Only where a response may carry the model does a required writeOnly
    # field stop being required; a model only ever sent keeps it.
    relaxed = {
        name
        for name in answered
        if name in schemas.models
        and any(f.write_only and f.required for f in schemas.models[name].fields)
    }
    needs = relaxed | {
        name for name, m in schemas.models.items() if any(f.read_only for f in m.fields)
    }
    grew = True
    while grew:
        grew = False
        for name in sorted(everything - needs):
            if any(r in needs for r in refs_of(name, "request")):
                needs.add(name)
                grew = True
    reachable = reach([op.body.type for op in operations if op.body], "request", needs)
    variant = {
        name: schemas.ctx.names.claim(naming.request_variant(name))
        for name in sorted(reachable)
    }

    def to_request(t: ir.Type) -> ir.Type:
        if isinstance(t, ir.NamedType) and t.name in variant:
            return ir.NamedType(variant[t.name])
        if isinstance(t, ir.UnionType) and t.discriminator is not None:
            d = t.discriminator
            mapping = tuple((v, variant.get(n, n)) for v, n in d.mapping)
            return replace(t, discriminator=replace(d, mapping=mapping))
        return t

    for name in sorted(reachable):
        model = schemas.models.get(name)
        if model is not None:
            schemas.models[variant[name]] = ir.Model(
                variant[name],
                model.description,
                tuple(
                    replace(f, type=ir.transform(f.type, to_request))
                    for f in model.request_fields
                ),
                (
                    None
                    if model.additional is None
                    else ir.transform(model.additional, to_request)
                ),
            )
        else:
            alias = schemas.aliases[name]
            schemas.aliases[variant[name]] = ir.Alias(
                variant[name],
                alias.description,
                ir.transform(alias.type, to_request),
            )
    for name in sorted(relaxed):
        model = schemas.models[name]
        schemas.models[name] = replace(
            model,
            fields=tuple(
                replace(f, required=False) if f.write_only else f for f in model.fields
            ),
        )
    return [
        (
            replace(
                op,
                body=replace(op.body, type=ir.transform(op.body.type, to_request)),
            )
            if op.body
            else op
        )
        for op in operations
    ]


def read_defaults(
    schemas: _SchemaBuilder, operations: list[ir.Operation]
) -> list[ir.Operation]:
    """Mark the defaults that are not yet values of their field's type.

    A default is JSON: written as a Python literal it is a dict where the
    field holds a model, a string where it holds a date. Such a default is
    given to pydantic to read (a new model for each instance, which mypy
    also accepts); any other stays a plain default. One that cannot be read
    (`default: {}` on a model with required properties) is left out: read
    for each instance, it would refuse every request without the field.
    openapi-spec-validator reports such a value.
    """

    def marked(item: Any) -> Any:
        if not item.has_default or fits(schemas, item.type, item.default):
            return item
        if fits(schemas, item.type, item.default, read=True):
            return replace(item, validate_default=True)
        return replace(item, default=None, has_default=False)

    for name, model in schemas.models.items():
        if any(f.has_default for f in model.fields):
            schemas.models[name] = replace(
                model, fields=tuple(marked(f) for f in model.fields)
            )
    return [
        (
            replace(op, params=tuple(marked(p) for p in op.params))
            if any(p.has_default for p in op.params)
            else op
        )
        for op in operations
    ]


# The scalars pydantic reads from a JSON string.
_READ_FROM_TEXT = frozenset({"datetime", "date", "time", "uuid", "bytes"})


def fits(
    schemas: _SchemaBuilder,
    t: ir.Type,
    value: Any,
    seen: frozenset[str] = frozenset(),
    *,
    read: bool = False,
) -> bool:
    """Whether JSON `value`, as a Python literal, is already a value of type `t`;
    with `read`, whether pydantic could read it as one (in shape: a model's
    required properties present, a date as text; not its constraints)."""

    def each(inner: ir.Type, item: Any, names: frozenset[str] = seen) -> bool:
        return fits(schemas, inner, item, names, read=read)

    if isinstance(t, ir.NullableType):
        return value is None or each(t.inner, value)
    if isinstance(t, ir.UnionType):
        return any(each(o, value) for o in t.options)
    if isinstance(t, ir.ConstType):
        return type(value) is type(t.value) and value == t.value
    if isinstance(t, ir.ArrayType):
        return isinstance(value, list) and all(each(t.item, v) for v in value)
    if isinstance(t, ir.MapType):
        return isinstance(value, dict) and all(each(t.value, v) for v in value.values())
    if isinstance(t, ir.NamedType):
        if t.name in schemas.enums:
            return value in [m.value for m in schemas.enums[t.name].members]
        alias = schemas.aliases.get(t.name)
        if alias is not None:
            return t.name not in seen and each(alias.type, value, seen | {t.name})
        model = schemas.models.get(t.name)
        return (
            read
            and model is not None
            and isinstance(value, dict)
            and all(f.wire in value for f in model.fields if f.required)
            and all(
                each(f.type, value[f.wire]) for f in model.fields if f.wire in value
            )
        )
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if read and t.kind in _READ_FROM_TEXT:
        return isinstance(value, str)
    return {
        "any": True,
        "str": isinstance(value, str),
        "int": number and isinstance(value, int),
        "float": number,
        "bool": isinstance(value, bool),
        "none": value is None,
    }.get(t.kind, False)
