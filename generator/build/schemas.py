"""Stage 3, build: schemas into types, models, enums and aliases, with their
discriminators, `allOf` merges and constraints.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any

from .. import ir, naming
from ..diagnostics import pointer_of
from ..load import SourceFile
from .common import Parts, _Context, _json_value, _Located, _text

_FORMATS: dict[str, ir.ScalarKind] = {
    "date-time": "datetime",
    "date": "date",
    "time": "time",
    "uuid": "uuid",
    "binary": "bytes",
}


@dataclass
class _SchemaBuilder:
    ctx: _Context
    models: dict[str, ir.Model] = field(default_factory=dict)
    enums: dict[str, ir.Enum] = field(default_factory=dict)
    aliases: dict[str, ir.Alias] = field(default_factory=dict)
    # (file, pointer) of a component schema -> its Python name
    components: dict[tuple[str, str], str] = field(default_factory=dict)
    built: set[str] = field(default_factory=set)
    # (kind, wanted name, canonical JSON) of an inline object or enum -> its name
    inline: dict[tuple[str, str, str], str] = field(default_factory=dict)
    # Components whose schema allows null: a reference reads `Name | None`.
    nullable: set[str] = field(default_factory=set)
    inline_stack: set[tuple[str, str]] = field(default_factory=set)

    def register_components(self) -> None:
        """Name every component schema first, so references and recursion resolve."""
        schemas = self.ctx.spec.root.data.get("components", {}).get("schemas", {})
        if not isinstance(schemas, dict):
            return
        seen: dict[str, str] = {}
        for key in sorted(schemas):
            self.components[
                (self.ctx.spec.root.path, pointer_of(("components", "schemas", key)))
            ] = self.ctx.distinct(
                self.ctx.names,
                naming.pascal(key),
                key,
                seen,
                "schema",
                self.ctx.spec.root,
                ("components", "schemas", key),
            )
        for key in sorted(schemas):
            self.component(
                self.ctx.spec.root, ("components", "schemas", key), schemas[key]
            )

    def component(self, source: SourceFile, parts: Parts, schema: Any) -> str:
        key = (source.path, pointer_of(parts))
        name = self.components.get(key)
        if name is None:  # a schema in another file, or elsewhere in the document
            hint = str(parts[-1]) if parts else _file_stem(source.path)
            name = self.components[key] = self.ctx.names.claim(naming.pascal(hint))
        if name in self.built:
            return name
        if isinstance(schema, dict) and list(schema) == ["$ref"]:
            # `Error: {$ref: common.yaml#/Error}`: the schema it names takes this
            # name, rather than becoming `Error_2` behind an alias.
            target = self.ctx.spec.resolve(str(schema["$ref"]), source)
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
        # A nullable object or enum is still the class of its name; references
        # add the `| None` (rather than an alias of a `Name_2` class).
        if _is_nullable(schema):
            self.nullable.add(name)
        if _is_object(schema) and _is_object_with_properties(schema):
            self.models[name] = self.object_model(name, located)
        elif ("enum" in schema or "const" in schema) and self.enum_values(
            located
        ) is not None:
            self.enums[name] = self.enum(name, located)
        else:
            self.nullable.discard(name)
            self.aliases[name] = ir.Alias(
                name, description, self.type_of(located, name, component=True)
            )
        return name

    def component_type(self, source: SourceFile, parts: Parts, schema: Any) -> ir.Type:
        """The type a reference to a component (or a cycle's target) reads as."""
        name = self.component(source, parts, schema)
        named = ir.NamedType(name)
        return ir.NullableType(named) if name in self.nullable else named

    def type_of(
        self, located: _Located, hint: str, *, component: bool = False
    ) -> ir.Type:
        schema = located.value
        source = located.source
        if not isinstance(schema, dict):
            return ir.ANY
        ref = schema.get("$ref")
        if isinstance(ref, str):
            target = self.ctx.spec.resolve(ref, source)
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
            return self.component_type(target.source, parts, target.value)
        key = (target.source.path, pointer_of(parts))
        if key in self.inline_stack or (  # a cycle through a non-component location
            self._named_location(target) and self._is_class(target)
        ):
            return self.component_type(target.source, parts, target.value)
        self.inline_stack.add(key)
        try:
            return self.type_of(target, hint)
        finally:
            self.inline_stack.discard(key)

    def _named_location(self, target: _Located) -> bool:
        """A place that names the schema in it, as `components/schemas` does: a
        file of its own (`models/action.yml`), a top-level key of a file other
        than the document (`schemas.yml#/Action`), or a `definitions` or
        `$defs` entry. A class there is shared by every reference to it, named
        after the place, rather than copied under each referrer's name."""
        parts = target.parts
        if len(parts) == 2:
            return parts[0] in ("definitions", "$defs")
        return len(parts) <= 1 and target.source is not self.ctx.spec.root

    def _is_class(self, located: _Located) -> bool:
        """A schema that becomes a model or an enum of its own when named."""
        schema = located.value
        if not isinstance(schema, dict):
            return False
        if _is_object(schema) and _is_object_with_properties(schema):
            return True
        return self.enum_values(located) is not None

    def non_null_type(
        self, located: _Located, hint: str, *, component: bool
    ) -> ir.Type:
        schema: dict[str, Any] = located.value
        if "const" in schema and self.enum_values(located) is None:
            return _const_type(schema["const"])
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
            target = self.ctx.spec.resolve(ref, located.source)
            if target is not None:
                key = (target[0].path, pointer_of(target[1]))
                explicit.setdefault(key, []).append(str(value))
        pairs: list[tuple[str, str]] = []
        for option, option_type in zip(options, types, strict=True):
            if isinstance(option_type, ir.Scalar) and option_type.kind == "none":
                continue
            ref = option.get("$ref") if isinstance(option, dict) else None
            target = (
                self.ctx.spec.resolve(ref, located.source)
                if isinstance(ref, str)
                else None
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
        """A model or enum for an inline schema, named by `hint`: after its owner
        (the nearest named schema, parameter or operation) and its place in it.

        Identical schemas that want the same name share one class (one
        operation under each of two `x-path-scopes`); identical schemas of
        other owners do not, so none is named after another's owner.
        """
        wanted = naming.type_name(hint)
        key = (kind, wanted, json.dumps(located.value, sort_keys=True, default=str))
        name = self.inline.get(key)
        if name is not None:
            return name
        name = self.inline[key] = self.ctx.names.claim(wanted)
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
        # An inline property schema is named after the schema that declares
        # it: `Pet.status` is `PetStatus` in every model that merges `Pet`.
        owners: dict[str, str] = {}
        for part in self.all_of_parts(located, set()):
            # `properties` as one `$ref` is not JSON Schema; validate warns, we follow.
            props = self.ctx.deref(
                _Located(
                    part.source,
                    part.parts + ("properties",),
                    part.value.get("properties"),
                )
            )
            if isinstance(props.value, dict):
                owner = self.components.get(
                    (part.source.path, pointer_of(part.parts)), name
                )
                for key, value in props.value.items():
                    properties[key] = (
                        _Located(props.source, props.parts + (key,), value),
                        False,
                    )
                    owners[key] = owner
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
        members = naming.Namespace(naming.RESERVED_FIELD_NAMES)
        seen: dict[str, str] = {}
        fields = []
        # Sorted: the order of keys in a mapping carries no meaning.
        for key, (prop, _) in sorted(properties.items()):
            value = prop.value if isinstance(prop.value, dict) else {}
            shown = self.ctx.deref(prop).value if "$ref" in value else value
            shown = shown if isinstance(shown, dict) else {}
            field_type = self.type_of(
                prop, f"{owners[key]}{naming.pascal(key, fallback='Field')}"
            )
            # A required field's default is never used: it is not kept.
            has_default = "default" in value and key not in required
            fields.append(
                ir.ModelField(
                    wire=key,
                    name=self.ctx.distinct(
                        members,
                        naming.member(
                            key, fallback="field", reserved=naming.RESERVED_FIELD_NAMES
                        ),
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
                    default=_json_value(value["default"]) if has_default else None,
                    has_default=has_default,
                    read_only=value.get("readOnly") is True
                    or shown.get("readOnly") is True,
                    write_only=value.get("writeOnly") is True
                    or shown.get("writeOnly") is True,
                )
            )
        attributes = naming.server_attributes([f.name for f in fields])
        fields = [
            f if f.name == attr else replace(f, server_attr=attr)
            for f, attr in zip(fields, attributes, strict=True)
        ]
        return ir.Model(name, description, tuple(fields), additional)

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
                member = self.ctx.deref(
                    _Located(located.source, located.parts + ("allOf", i), item)
                )
                if isinstance(member.value, dict):
                    parts.extend(self.all_of_parts(member, seen))
        parts.append(located)
        return parts


def shared_hint(located: _Located, resolved: _Located, suffix: str = "") -> str | None:
    """What an inline schema in a shared object (a component parameter, request
    body or response that `located` refers to) is named after: the object's
    key, ending in `suffix`. None for an operation's own object, whose
    schemas are named after the operation."""
    if (resolved.source.path, resolved.parts) == (located.source.path, located.parts):
        return None
    if not resolved.parts or resolved.parts[0] == "paths":
        return None
    key = str(resolved.parts[-1])
    return key if key.lower().endswith(suffix.lower()) else f"{key}_{suffix}"


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


def _file_stem(path: str) -> str:
    """`models/action.yml` -> `action`: what a schema that is a whole file is named after."""
    return PurePath(path).stem or "Model"


def _is_object_with_properties(schema: dict[str, Any]) -> bool:
    return isinstance(schema.get("properties"), dict) or (
        isinstance(schema.get("allOf"), list) and len(schema["allOf"]) > 1
    )


def _const_type(value: Any) -> ir.Type:
    """The type of a `const` that is not an enum of one: a `Literal` where Python
    has one; a float is the one number between equal bounds (no `Literal` of a
    float exists); an object or an array is typed as one."""
    if isinstance(value, float):
        bounds = ir.Constraints(minimum=value, maximum=value)
        return ir.Scalar("float", bounds if math.isfinite(value) else ir.NO_CONSTRAINTS)
    if isinstance(value, dict):
        return ir.MapType(ir.ANY)
    if isinstance(value, list):
        return ir.ArrayType(ir.ANY)
    if isinstance(value, str | int | bool) or value is None:
        return ir.ConstType(value)
    return ir.ANY
