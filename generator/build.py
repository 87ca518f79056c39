"""Stage 3, build: the only code that reads the raw document; it yields the IR.

`build` assumes `validate` found no errors, but still never trusts the
document: anything it cannot represent becomes a diagnostic, not a crash.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from . import ir, naming
from .diagnostics import Diagnostic, parts_of, pointer_of
from .load import SourceFile, Spec

Parts = tuple[str | int, ...]

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
_FORMATS: dict[str, ir.ScalarKind] = {
    "date-time": "datetime",
    "date": "date",
    "time": "time",
    "uuid": "uuid",
    "binary": "bytes",
}


@dataclass
class _Located:
    source: SourceFile
    parts: Parts
    value: Any


@dataclass
class Options:
    client_package: str = ""
    server_package: str = ""


@dataclass
class _Builder:
    spec: Spec
    diagnostics: list[Diagnostic] = field(default_factory=list)
    names: naming.Namespace = field(
        default_factory=lambda: naming.Namespace(naming.RESERVED_MODULE_NAMES)
    )
    models: dict[str, ir.Model] = field(default_factory=dict)
    enums: dict[str, ir.Enum] = field(default_factory=dict)
    aliases: dict[str, ir.Alias] = field(default_factory=dict)
    # (file, pointer) of a component schema -> its Python name
    components: dict[tuple[str, str], str] = field(default_factory=dict)
    built: set[str] = field(default_factory=set)
    # canonical JSON of an inline object or enum -> the name it was given
    inline: dict[str, str] = field(default_factory=dict)
    inline_stack: set[tuple[str, str]] = field(default_factory=set)

    # --- helpers ----------------------------------------------------------

    def problem(
        self,
        code: str,
        message: str,
        source: SourceFile,
        parts: Parts,
        severity: str = "error",
    ) -> None:
        self.diagnostics.append(source.diagnostic(code, message, parts, severity))

    def distinct(
        self,
        names: naming.Namespace,
        wanted: str,
        wire: str,
        seen: dict[str, str],
        what: str,
        source: SourceFile,
        parts: Parts,
    ) -> str:
        """Claim `wanted`; when another spec name already became it, warn and suffix.

        `seen` maps each Python name handed out to the spec name that got it,
        so the message can name both; suffixes follow a fixed (sorted or spec)
        order, so the result is deterministic.
        """
        name = names.claim(wanted)
        label = f"{what} {wire!r}"
        # The very same name twice (a duplicate operationId) is validate's to report.
        if name != wanted and wanted in seen and seen[wanted] != label:
            self.problem(
                "name-collision",
                f"{label} and {seen[wanted]} both become `{wanted}` in Python; "
                f"{label} is named `{name}`",
                source,
                parts,
                "warning",
            )
        seen.setdefault(wanted, label)
        seen[name] = label
        return name

    def deref(self, located: _Located) -> _Located:
        """Follow `$ref`s until a value that is not one (validate rules out cycles)."""
        seen: set[tuple[str, str]] = set()
        while isinstance(located.value, dict) and isinstance(
            located.value.get("$ref"), str
        ):
            key = (located.source.path, located.value["$ref"])
            target = self.spec.resolve(located.value["$ref"], located.source)
            if target is None or key in seen:
                return _Located(located.source, located.parts, {})
            seen.add(key)
            located = _Located(target[0], target[1], target[2])
        return located

    # --- schemas ----------------------------------------------------------

    def register_components(self) -> None:
        """Name every component schema first, so references and recursion resolve."""
        schemas = self.spec.root.data.get("components", {}).get("schemas", {})
        if not isinstance(schemas, dict):
            return
        seen: dict[str, str] = {}
        for key in sorted(schemas):
            self.components[
                (self.spec.root.path, pointer_of(("components", "schemas", key)))
            ] = self.distinct(
                self.names,
                naming.pascal(key),
                key,
                seen,
                "schema",
                self.spec.root,
                ("components", "schemas", key),
            )
        for key in sorted(schemas):
            self.component(self.spec.root, ("components", "schemas", key), schemas[key])

    def component(self, source: SourceFile, parts: Parts, schema: Any) -> str:
        key = (source.path, pointer_of(parts))
        name = self.components.get(key)
        if name is None:  # a schema in another file, or elsewhere in the document
            hint = str(parts[-1]) if parts else "Model"
            name = self.components[key] = self.names.claim(naming.pascal(hint))
        if name in self.built:
            return name
        if isinstance(schema, dict) and list(schema) == ["$ref"]:
            # `Error: {$ref: common.yaml#/Error}`: the schema it names takes this
            # name, rather than becoming `Error_2` behind an alias.
            target = self.spec.resolve(str(schema["$ref"]), source)
            if target is not None:
                target_key = (target[0].path, pointer_of(target[1]))
                if target_key not in self.components:
                    self.components[target_key] = name
                    return self.component(target[0], target[1], target[2])
        self.built.add(name)
        if not isinstance(schema, dict):
            schema = {}
        description = _text(schema.get("description")) or _text(schema.get("title"))
        located = _Located(source, parts, schema)
        if (
            _is_object(schema)
            and _is_object_with_properties(schema)
            and not _is_nullable(schema)
        ):
            self.models[name] = self.object_model(name, located)
        elif (
            ("enum" in schema or "const" in schema)
            and not _is_nullable(schema)
            and self.enum_values(located) is not None
        ):
            self.enums[name] = self.enum(name, located)
        else:
            self.aliases[name] = ir.Alias(
                name, description, self.type_of(located, name, component=True)
            )
        return name

    def type_of(
        self, located: _Located, hint: str, *, component: bool = False
    ) -> ir.Type:
        schema = located.value
        source = located.source
        if not isinstance(schema, dict):
            return ir.ANY
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target = self.spec.resolve(ref, source)
            if target is None:
                return ir.ANY  # reported by validate
            inner = self.ref_type(_Located(*target), hint)
            return (
                ir.NullableType(inner)
                if _is_nullable(schema) and not ir.is_nullable(inner)
                else inner
            )
        inner = self.non_null_type(located, hint, component=component)
        if _is_nullable(schema) and not ir.is_nullable(inner):
            return ir.NullableType(inner)
        return inner

    def ref_type(self, target: _Located, hint: str) -> ir.Type:
        parts = target.parts
        if len(parts) == 3 and parts[0] == "components" and parts[1] == "schemas":
            return ir.NamedType(self.component(target.source, parts, target.value))
        key = (target.source.path, pointer_of(parts))
        if key in self.inline_stack:  # a cycle through a non-component location
            return ir.NamedType(self.component(target.source, parts, target.value))
        self.inline_stack.add(key)
        try:
            return self.type_of(target, hint)
        finally:
            self.inline_stack.discard(key)

    def non_null_type(
        self, located: _Located, hint: str, *, component: bool
    ) -> ir.Type:
        schema: dict[str, Any] = located.value
        if "const" in schema and self.enum_values(located) is None:
            value = schema["const"]
            if isinstance(value, str | int | float | bool) or value is None:
                return ir.ConstType(value)
            return ir.ANY
        if "enum" in schema or "const" in schema:
            values = self.enum_values(located)
            if values is not None:
                return ir.NamedType(self.inline_named(located, hint, "enum"))
        for keyword in ("oneOf", "anyOf"):
            options = schema.get(keyword)
            if isinstance(options, list) and options:
                types = [
                    self.type_of(
                        _Located(located.source, located.parts + (keyword, i), option),
                        f"{hint}Option{i + 1}",
                    )
                    for i, option in enumerate(options)
                ]
                non_null = [
                    t
                    for t in types
                    if not (isinstance(t, ir.Scalar) and t.kind == "none")
                ]
                union: ir.Type = (
                    non_null[0]
                    if len(non_null) == 1
                    else ir.UnionType(
                        tuple(non_null),
                        self.discriminator(located, keyword, options, types),
                    )
                )
                return ir.NullableType(union) if len(non_null) < len(types) else union
        all_of = schema.get("allOf")
        if isinstance(all_of, list) and all_of:
            if len(all_of) == 1 and not _is_object_with_properties(schema):
                return self.type_of(
                    _Located(located.source, located.parts + ("allOf", 0), all_of[0]),
                    hint,
                )
            return ir.NamedType(self.inline_named(located, hint, "object"))
        kinds = _types(schema)
        if len(kinds) > 1:
            return ir.UnionType(
                tuple(self.single_type(located, k, hint) for k in kinds)
            )
        return self.single_type(located, kinds[0] if kinds else None, hint)

    def discriminator(
        self,
        located: _Located,
        keyword: str,
        options: list[Any],
        types: list[ir.Type],
    ) -> ir.Discriminator | None:
        """A union's discriminator as the spec gives it: property and value -> model.

        Each option is a `$ref`; its value is the mapping's key naming it, or
        else its schema name. Whether the models allow dispatching on it is
        decided once every model is built (`_finalize_discriminators`).
        """
        spec = located.value.get("discriminator")
        if not isinstance(spec, dict) or not isinstance(spec.get("propertyName"), str):
            return None
        explicit: dict[tuple[str, str], list[str]] = {}
        mapping = spec.get("mapping")
        for value, ref in (mapping.items() if isinstance(mapping, dict) else ()):
            if not isinstance(ref, str):
                continue
            if "#" not in ref and "/" not in ref:  # a bare schema name
                ref = f"#/components/schemas/{ref}"
            target = self.spec.resolve(ref, located.source)
            if target is not None:
                key = (target[0].path, pointer_of(target[1]))
                explicit.setdefault(key, []).append(str(value))
        pairs: list[tuple[str, str]] = []
        for option, option_type in zip(options, types, strict=True):
            if isinstance(option_type, ir.Scalar) and option_type.kind == "none":
                continue
            ref = option.get("$ref") if isinstance(option, dict) else None
            target = (
                self.spec.resolve(ref, located.source) if isinstance(ref, str) else None
            )
            if target is None or not isinstance(option_type, ir.NamedType):
                return None
            values = explicit.get((target[0].path, pointer_of(target[1])), [])
            if not values and target[1][:2] == ("components", "schemas"):
                values = [str(target[1][-1])]
            if len(values) != 1:
                return None
            pairs.append((values[0], option_type.name))
        models = [name for _, name in pairs]
        if len(set(models)) != len(models) or len({v for v, _ in pairs}) != len(pairs):
            return None
        return ir.Discriminator(spec["propertyName"], "", tuple(pairs))

    def single_type(self, located: _Located, kind: str | None, hint: str) -> ir.Type:
        schema: dict[str, Any] = located.value
        if kind == "object" or (kind is None and _is_object(schema)):
            if _is_object_with_properties(schema):
                return ir.NamedType(self.inline_named(located, hint, "object"))
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                return ir.MapType(
                    self.type_of(
                        _Located(
                            located.source,
                            located.parts + ("additionalProperties",),
                            extra,
                        ),
                        f"{hint}Value",
                    )
                )
            return ir.MapType(ir.ANY)
        if kind == "array":
            items = schema.get("items")
            item = (
                self.type_of(
                    _Located(located.source, located.parts + ("items",), items),
                    f"{hint}Item",
                )
                if isinstance(items, dict)
                else ir.ANY
            )
            return ir.ArrayType(item, self.constraints(located, "array"))
        if kind == "string":
            fmt = schema.get("format")
            scalar = _FORMATS.get(fmt) if isinstance(fmt, str) else None
            return ir.Scalar(
                scalar or "str",
                ir.NO_CONSTRAINTS if scalar else self.constraints(located, "string"),
            )
        if kind == "integer":
            return ir.Scalar("int", self.constraints(located, "number"))
        if kind == "number":
            return ir.Scalar("float", self.constraints(located, "number"))
        if kind == "boolean":
            return ir.Scalar("bool")
        if kind == "null":
            return ir.Scalar("none")
        return ir.ANY

    def constraints(self, located: _Located, kind: str) -> ir.Constraints:
        schema: dict[str, Any] = located.value

        def number(key: str) -> int | float | None:
            value = schema.get(key)
            return (
                value
                if isinstance(value, int | float) and not isinstance(value, bool)
                else None
            )

        def count(key: str) -> int | None:
            value = schema.get(key)
            return (
                value
                if isinstance(value, int) and not isinstance(value, bool) and value >= 0
                else None
            )

        if kind == "array":
            return ir.Constraints(
                min_items=count("minItems"), max_items=count("maxItems")
            )
        if kind == "string":
            pattern = schema.get("pattern")
            # `validate` reports a pattern Python cannot compile; it is not enforced.
            if isinstance(pattern, str) and not naming.is_python_regex(pattern):
                pattern = None
            return ir.Constraints(
                min_length=count("minLength"),
                max_length=count("maxLength"),
                pattern=pattern if isinstance(pattern, str) else None,
            )
        exclusive_min, exclusive_max = number("exclusiveMinimum"), number(
            "exclusiveMaximum"
        )
        minimum, maximum = number("minimum"), number("maximum")
        if schema.get("exclusiveMinimum") is True:  # OpenAPI 3.0 spelling
            exclusive_min, minimum = minimum, None
        if schema.get("exclusiveMaximum") is True:
            exclusive_max, maximum = maximum, None
        multiple = number("multipleOf")
        return ir.Constraints(
            minimum=minimum,
            maximum=maximum,
            exclusive_minimum=exclusive_min,
            exclusive_maximum=exclusive_max,
            multiple_of=multiple if multiple else None,
        )

    def inline_named(self, located: _Located, hint: str, kind: str) -> str:
        """A model or enum for an inline schema; identical inline schemas share one."""
        key = kind + ":" + json.dumps(located.value, sort_keys=True, default=str)
        name = self.inline.get(key)
        if name is not None:
            return name
        name = self.inline[key] = self.names.claim(naming.pascal(hint))
        self.built.add(name)
        if kind == "enum":
            self.enums[name] = self.enum(name, located)
        else:
            self.models[name] = self.object_model(name, located)
        return name

    def enum_values(self, located: _Located) -> list[str | int] | None:
        """The values of an enum; a string or integer `const` (3.1) is an enum of one,
        so that `const: dog` and 3.0's `enum: [dog]` give the same IR."""
        values = located.value.get("enum")
        if "enum" not in located.value and "const" in located.value:
            values = [located.value["const"]]
        if not isinstance(values, list):
            return None
        kept = [v for v in values if v is not None]
        if kept and all(isinstance(v, str) for v in kept):
            return list(dict.fromkeys(kept))
        if kept and all(isinstance(v, int) and not isinstance(v, bool) for v in kept):
            return list(dict.fromkeys(kept))
        return None

    def enum(self, name: str, located: _Located) -> ir.Enum:
        values = self.enum_values(located) or []
        members = naming.Namespace(frozenset({"name", "value", "mro"}))
        return ir.Enum(
            name,
            _text(located.value.get("description")),
            tuple(
                ir.EnumMember(members.claim(naming.constant(str(v))), v) for v in values
            ),
            is_int=bool(values) and isinstance(values[0], int),
        )

    def object_model(self, name: str, located: _Located) -> ir.Model:
        properties: dict[str, tuple[_Located, bool]] = {}
        required: set[str] = set()
        additional: ir.Type | None = ir.ANY
        description = _text(located.value.get("description"))
        for part in self.all_of_parts(located, set()):
            props = part.value.get("properties")
            if isinstance(props, dict):
                for key, value in props.items():
                    properties[key] = (
                        _Located(part.source, part.parts + ("properties", key), value),
                        False,
                    )
            req = part.value.get("required")
            if isinstance(req, list):
                required.update(r for r in req if isinstance(r, str))
            extra = part.value.get("additionalProperties")
            if extra is False:
                additional = None
            elif isinstance(extra, dict) and extra:
                additional = self.type_of(
                    _Located(
                        part.source, part.parts + ("additionalProperties",), extra
                    ),
                    f"{name}Value",
                )
            description = description or _text(part.value.get("description"))
        members = naming.Namespace(naming.RESERVED_MEMBER_NAMES)
        seen: dict[str, str] = {}
        fields = []
        # Sorted: the order of keys in a mapping carries no meaning.
        for key, (prop, _) in sorted(properties.items()):
            value = prop.value if isinstance(prop.value, dict) else {}
            shown = self.deref(prop).value if "$ref" in value else value
            shown = shown if isinstance(shown, dict) else {}
            field_type = self.type_of(
                prop, f"{name}{naming.pascal(key, fallback='Field')}"
            )
            has_default = "default" in value
            fields.append(
                ir.ModelField(
                    wire=key,
                    name=self.distinct(
                        members,
                        naming.member(key, fallback="field"),
                        key,
                        seen,
                        "property",
                        prop.source,
                        prop.parts,
                    ),
                    type=field_type,
                    required=key in required,
                    description=_text(value.get("description"))
                    or _text(shown.get("description")),
                    default=_json_value(value.get("default")),
                    has_default=has_default and key not in required,
                    read_only=value.get("readOnly") is True
                    or shown.get("readOnly") is True,
                    write_only=value.get("writeOnly") is True
                    or shown.get("writeOnly") is True,
                )
            )
        return ir.Model(name, description, tuple(fields), additional)

    # --- once every model is built ---------------------------------------

    def retype(
        self, fn: Callable[[ir.Type], ir.Type], operations: list[ir.Operation]
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
            return (
                items if all(a is b for a, b in zip(new, items, strict=True)) else new
            )

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

        for name, model in self.models.items():
            fields = each(model.fields)
            additional = None if model.additional is None else t(model.additional)
            if fields is not model.fields or additional is not model.additional:
                self.models[name] = replace(model, fields=fields, additional=additional)
        for name, alias in self.aliases.items():
            self.aliases[name] = typed(alias)
        return [operation(op) for op in operations]

    def finalize_discriminators(
        self, operations: list[ir.Operation]
    ) -> list[ir.Operation]:
        """Type each option's discriminator field as the `Literal` of its value, where
        that is unambiguous, and keep a union's discriminator only where all its
        options were so typed; the rest stay plain unions."""
        wanted: list[ir.Discriminator] = []

        def collect(t: ir.Type) -> ir.Type:
            if isinstance(t, ir.UnionType) and t.discriminator is not None:
                wanted.append(t.discriminator)
            return t

        operations = self.retype(collect, operations)
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
            model = self.models.get(name)
            if model is None or len(demands[name]) != 1:
                continue
            ((wire, value),) = demands[name]
            tagged = next((f for f in model.fields if f.wire == wire), None)
            if (
                tagged is not None
                and not tagged.read_only
                and not tagged.write_only
                and self.admits(tagged.type, value)
                and not (tagged.has_default and tagged.default != value)
            ):
                candidates[name] = tagged

        # A union dispatches when all its options can be tagged, on one attribute;
        # a model is tagged only when every union it is an option of dispatches.
        def dispatches(d: ir.Discriminator) -> bool:
            names = [n for _, n in d.mapping]
            return all(n in candidates for n in names) and (
                len({candidates[n].name for n in names}) == 1
            )

        while True:
            dropped = {
                n for d in wanted if not dispatches(d) for _, n in d.mapping
            } & set(candidates)
            if not dropped:
                break
            for name in dropped:
                del candidates[name]
        tags: dict[str, str] = {}
        for name, tagged in sorted(candidates.items()):
            model = self.models[name]
            ((_, value),) = demands[name]
            self.models[name] = replace(
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
            tags[name] = tagged.name

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
                discriminator=(
                    replace(d, name=tags[d.mapping[0][1]]) if usable else None
                ),
            )

        return self.retype(settle, operations)

    def admits(self, t: ir.Type, value: str) -> bool:
        """Whether a field of type `t` may hold the string `value`."""
        if isinstance(t, ir.Scalar):
            return t.kind in ("str", "any")
        if isinstance(t, ir.ConstType):
            return t.value == value
        if isinstance(t, ir.NamedType) and t.name in self.enums:
            return value in (m.value for m in self.enums[t.name].members)
        return False

    def request_variants(self, operations: list[ir.Operation]) -> list[ir.Operation]:
        """readOnly/writeOnly: request bodies get models without the readOnly fields.

        Responses keep the full models, where a writeOnly field is never
        required (a response does not carry it). A model a request body reaches
        (directly or nested) whose request shape differs from that gets a
        request variant (`PetRequest`), and the body names the variant.
        """

        def refs_of(name: str, fields: str) -> tuple[str, ...]:
            model = self.models.get(name)
            if model is not None:
                chosen = model.request_fields if fields == "request" else model.fields
                types = [f.type for f in chosen]
                types += [model.additional] if model.additional is not None else []
                return tuple(n for t in types for n in ir.names_in(t))
            alias = self.aliases.get(name)
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

        everything = {*self.models, *self.aliases}
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
            if name in self.models
            and any(f.write_only and f.required for f in self.models[name].fields)
        }
        needs = relaxed | {
            name
            for name, m in self.models.items()
            if any(f.read_only for f in m.fields)
        }
        grew = True
        while grew:
            grew = False
            for name in sorted(everything - needs):
                if any(r in needs for r in refs_of(name, "request")):
                    needs.add(name)
                    grew = True
        reachable = reach(
            [op.body.type for op in operations if op.body], "request", needs
        )
        variant = {
            name: self.names.claim(naming.request_variant(name))
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
            model = self.models.get(name)
            if model is not None:
                self.models[variant[name]] = ir.Model(
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
                alias = self.aliases[name]
                self.aliases[variant[name]] = ir.Alias(
                    variant[name],
                    alias.description,
                    ir.transform(alias.type, to_request),
                )
        for name in sorted(relaxed):
            model = self.models[name]
            self.models[name] = replace(
                model,
                fields=tuple(
                    replace(f, required=False) if f.write_only else f
                    for f in model.fields
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

    def all_of_parts(
        self, located: _Located, seen: set[tuple[str, str]]
    ) -> list[_Located]:
        """The object schemas an allOf merges, depth first, the schema itself last."""
        key = (located.source.path, pointer_of(located.parts))
        if key in seen:
            return []
        seen.add(key)
        parts: list[_Located] = []
        all_of = located.value.get("allOf")
        if isinstance(all_of, list):
            for i, item in enumerate(all_of):
                member = self.deref(
                    _Located(located.source, located.parts + ("allOf", i), item)
                )
                if isinstance(member.value, dict):
                    parts.extend(self.all_of_parts(member, seen))
        parts.append(located)
        return parts


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _json_value(value: Any) -> Any:
    return (
        value
        if isinstance(value, str | int | float | bool | list | dict) or value is None
        else str(value)
    )


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return [kind] if kind != "null" else ["null"]
    if isinstance(kind, list):
        kinds = [k for k in kind if isinstance(k, str) and k != "null"]
        return kinds or (["null"] if "null" in kind else [])
    return []


def _is_nullable(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if schema.get("nullable") is True:
        return True
    if (
        isinstance(kind, list)
        and "null" in kind
        and len([k for k in kind if k != "null"]) >= 1
    ):
        return True
    enum = schema.get("enum")
    return isinstance(enum, list) and None in enum and len(enum) > 1


def _is_object(schema: dict[str, Any]) -> bool:
    kinds = _types(schema)
    if kinds and kinds != ["object"]:
        return False
    if "enum" in schema or "oneOf" in schema or "anyOf" in schema or "const" in schema:
        return False
    return (
        bool(kinds)
        or "properties" in schema
        or "allOf" in schema
        and _all_of_objects(schema)
    )


def _all_of_objects(schema: dict[str, Any]) -> bool:
    return len(schema.get("allOf") or []) > 1 or "properties" in schema


def _is_object_with_properties(schema: dict[str, Any]) -> bool:
    return isinstance(schema.get("properties"), dict) or (
        isinstance(schema.get("allOf"), list) and len(schema["allOf"]) > 1
    )


_STYLE_DEFAULTS = {
    "path": "simple",
    "query": "form",
    "header": "simple",
    "cookie": "form",
}
_JSON_TYPES = re.compile(r"^application/([\w.+-]*\+)?json$|^application/json;", re.I)


def media_kind(content_type: str) -> ir.BodyKind:
    lowered = content_type.lower().split(";")[0].strip()
    if _JSON_TYPES.match(lowered):
        return "json"
    if lowered == "application/x-www-form-urlencoded":
        return "form"
    if lowered.startswith("multipart/"):
        return "multipart"
    if lowered.startswith("text/"):
        return "text"
    return "binary"


@dataclass
class _OperationBuilder:
    b: _Builder
    root: dict[str, Any]
    op_names: naming.Namespace = field(
        default_factory=lambda: naming.Namespace(CLIENT_MEMBERS)
    )
    schemes: dict[str, ir.SecurityScheme] = field(default_factory=dict)
    scopes: tuple[ir.PathScope, ...] = ()
    op_seen: dict[str, str] = field(default_factory=dict)
    # per operation: Python parameter name -> the wire name that got it
    param_names: dict[str, dict[str, str]] = field(default_factory=dict)

    def security_schemes(self) -> None:
        schemes = self.root.get("components", {}).get("securitySchemes", {})
        if not isinstance(schemes, dict):
            return
        source = self.b.spec.root
        for key in sorted(schemes):
            scheme = self.b.deref(
                _Located(source, ("components", "securitySchemes", key), schemes[key])
            ).value
            if not isinstance(scheme, dict):
                continue
            kind = scheme.get("type")
            if kind == "http" and str(scheme.get("scheme", "")).lower() == "basic":
                self.schemes[key] = ir.SecurityScheme(
                    key, "basic", "header", "Authorization"
                )
            elif kind in ("http", "oauth2", "openIdConnect"):
                self.schemes[key] = ir.SecurityScheme(
                    key, "bearer", "header", "Authorization"
                )
            elif kind == "apiKey" and scheme.get("in") in ("header", "query", "cookie"):
                self.schemes[key] = ir.SecurityScheme(
                    key, "api_key", scheme["in"], str(scheme.get("name", ""))
                )
            else:
                self.b.problem(
                    "security-unsupported",
                    f"security scheme {key!r} of type {kind!r} is not supported; operations using it are not protected by it",
                    source,
                    ("components", "securitySchemes", key),
                    "warning",
                )

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

    def requirements(self, value: Any) -> tuple[ir.Requirement, ...]:
        if not isinstance(value, list):
            return ()
        result = []
        for requirement in value:
            if not isinstance(requirement, dict):
                continue
            schemes = tuple(
                (
                    key,
                    (
                        tuple(s for s in scopes if isinstance(s, str))
                        if isinstance(scopes, list)
                        else ()
                    ),
                )
                for key, scopes in sorted(requirement.items())
                if key in self.schemes
            )
            if schemes or not requirement:
                result.append(ir.Requirement(schemes))
        return tuple(result)

    def param(
        self, located: _Located, op_name: str, members: naming.Namespace
    ) -> ir.Param | None:
        resolved = self.b.deref(located)
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
        hint = f"{op_name}_{wire}"
        param_type = self.b.type_of(schema_at, naming.pascal(hint))
        schema = (
            self.b.deref(schema_at).value if isinstance(schema_at.value, dict) else {}
        )
        style = str(p.get("style") or _STYLE_DEFAULTS[location])
        explode = p.get("explode")
        has_default = isinstance(schema, dict) and "default" in schema
        return ir.Param(
            wire=wire,
            name=self.b.distinct(
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

    def body(self, located: _Located, op_name: str) -> ir.Body | None:
        resolved = self.b.deref(located)
        body = resolved.value
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("content"), dict)
            or not body["content"]
        ):
            return None
        media_type = _preferred_media(body["content"])
        media = (
            body["content"][media_type]
            if isinstance(body["content"][media_type], dict)
            else {}
        )
        kind = media_kind(media_type)
        schema_at = _Located(
            resolved.source,
            resolved.parts + ("content", media_type, "schema"),
            media.get("schema", {}),
        )
        if kind == "binary":
            body_type: ir.Type = ir.Scalar("bytes")
        elif kind == "text":
            body_type = ir.Scalar("str")
        else:
            body_type = self.b.type_of(schema_at, naming.pascal(f"{op_name}_request"))
        return ir.Body(
            media_type,
            kind,
            body_type,
            body.get("required") is True,
            _text(body.get("description")),
        )

    def responses(self, located: _Located, op_name: str) -> tuple[ir.Response, ...]:
        responses = located.value if isinstance(located.value, dict) else {}
        result = []
        for status in sorted(responses, key=_status_order):
            resolved = self.b.deref(
                _Located(located.source, located.parts + (status,), responses[status])
            )
            response = resolved.value if isinstance(resolved.value, dict) else {}
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
                    media_type_ir = self.b.type_of(
                        schema_at, naming.pascal(f"{op_name}_response_{status}")
                    )
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
        return tuple(result)

    def operations(self) -> list[ir.Operation]:
        paths = self.root.get("paths", {})
        if not isinstance(paths, dict):
            return []
        source = self.b.spec.root
        collected: list[tuple[str, str, _Located, _Located]] = []
        for path in sorted(paths):
            item = self.b.deref(_Located(source, ("paths", path), paths[path]))
            if not isinstance(item.value, dict):
                continue
            for method in METHODS:
                op = item.value.get(method)
                if isinstance(op, dict):
                    collected.append(
                        (
                            path,
                            method,
                            item,
                            _Located(item.source, item.parts + (method,), op),
                        )
                    )

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
        name = self.b.distinct(
            self.op_names,
            naming.member(op_id, fallback="op"),
            op_id,
            self.op_seen,
            "operation",
            located.source,
            located.parts + (("operationId",) if isinstance(given, str) else ()),
        )
        members = naming.Namespace(naming.RESERVED_MEMBER_NAMES)
        merged: dict[tuple[str, str], _Located] = {}
        for owner, key in ((item, "parameters"), (located, "parameters")):
            params = owner.value.get(key)
            if isinstance(params, list):
                for i, p in enumerate(params):
                    target = self.b.deref(
                        _Located(owner.source, owner.parts + (key, i), p)
                    ).value
                    if isinstance(target, dict):
                        merged[(str(target.get("name")), str(target.get("in")))] = (
                            _Located(owner.source, owner.parts + (key, i), p)
                        )
        params = [self.param(p, name, members) for p in merged.values()]
        ordered = sorted(
            (p for p in params if p is not None),
            key=lambda p: (
                not p.required,
                ("path", "query", "header", "cookie").index(p.location),
            ),
        )
        body_value = op.get("requestBody")
        body = (
            self.body(
                _Located(located.source, located.parts + ("requestBody",), body_value),
                name,
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
            params=tuple(ordered),
            body=body,
            responses=self.responses(
                _Located(
                    located.source,
                    located.parts + ("responses",),
                    op.get("responses", {}),
                ),
                name,
            ),
            security=self.requirements(security_value),
            handler=name,
            scope=scope,
            pointer=pointer_of(located.parts),
        )


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
    b: _Builder, operations: list[ir.Operation], scopes: tuple[ir.PathScope, ...]
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
                source = b.spec.root
                b.diagnostics.append(
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
                params_model=b.names.claim(naming.pascal(first.name) + "Params"),
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


def build(spec: Spec, options: Options) -> tuple[ir.Api | None, list[Diagnostic]]:
    """The IR of a validated spec, with whatever problems building it found."""
    b = _Builder(spec)
    root: dict[str, Any] = spec.root.data
    b.register_components()
    ops_builder = _OperationBuilder(b, root)
    ops_builder.security_schemes()
    ops_builder.path_scopes()
    operations = ops_builder.operations()
    operations = b.finalize_discriminators(operations)
    operations = b.request_variants(operations)
    operations, handlers = _handlers(b, operations, ops_builder.scopes)
    info = _dict(root.get("info"))
    title = _text(info.get("title")) or "API"
    servers = (
        tuple(
            s["url"]
            for s in root.get("servers", [])
            if isinstance(s, dict) and isinstance(s.get("url"), str)
        )
        if isinstance(root.get("servers"), list)
        else ()
    )
    api = ir.Api(
        title=title,
        version=str(info.get("version", "")),
        description=_text(info.get("description")),
        spec_name=spec.root.display.replace("\\", "/").rsplit("/", 1)[-1],
        spec_sha256=spec.sha256,
        spec_json=json.dumps(
            _bundle(spec),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=True,
            default=str,
        ),
        servers=servers,
        models=tuple(b.models[k] for k in sorted(b.models)),
        enums=tuple(b.enums[k] for k in sorted(b.enums)),
        aliases=_sorted_aliases(b.aliases),
        operations=tuple(operations),
        handlers=tuple(handlers),
        security_schemes=tuple(
            ops_builder.schemes[k] for k in sorted(ops_builder.schemes)
        ),
        scopes=ops_builder.scopes,
        client_package=options.client_package or naming.package(title, "client"),
        server_package=options.server_package or naming.package(title, "server"),
    )
    return api, b.diagnostics


def _bundle(spec: Spec) -> Any:
    """The root document as JSON data (references to other files stay as written)."""
    return spec.root.data


def _sorted_aliases(aliases: dict[str, ir.Alias]) -> tuple[ir.Alias, ...]:
    """Aliases are evaluated at import time: each comes after those it names."""
    ordered: list[ir.Alias] = []
    state: dict[str, int] = {}

    def visit(name: str) -> None:
        if state.get(name) or name not in aliases:
            return
        state[name] = 1
        for dep in ir.names_in(aliases[name].type):
            visit(dep)
        state[name] = 2
        ordered.append(aliases[name])

    for name in sorted(aliases):
        visit(name)
    return tuple(ordered)
