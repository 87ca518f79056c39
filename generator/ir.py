"""The intermediate representation: what `build` produces and templates read.

Everything here is frozen and already named: identifiers are sanitised by
`naming`, and every type knows how to spell itself on each side (server:
pydantic with constraints; client: plain classes, forward compatible).
Templates never see the raw spec.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal, TypeAlias

from .escape import py_literal, py_string

ScalarKind = Literal[
    "str",
    "int",
    "float",
    "bool",
    "any",
    "bytes",
    "datetime",
    "date",
    "time",
    "uuid",
    "none",
]

# One schema is one Python type, in the client as in the server. The modules
# are imported under private names (`import uuid as _uuid`), which no spec
# name becomes, so a field may be called `uuid` or `datetime`.
_SCALARS: dict[str, str] = {
    "str": "str",
    "int": "int",
    "float": "float",
    "bool": "bool",
    "any": "Any",
    "bytes": "bytes",
    "datetime": "_dt.datetime",
    "date": "_dt.date",
    "time": "_dt.time",
    "uuid": "_uuid.UUID",
    "none": "None",
}


_PRIVATE_MODULE = re.compile(r"(?<![\w.])_(dt|uuid)\.")


def documented(annotation: str) -> str:
    """An annotation as documentation spells it: `uuid.UUID`, not `_uuid.UUID`."""
    return _PRIVATE_MODULE.sub(
        lambda m: "datetime." if m[1] == "dt" else "uuid.", annotation
    )


@dataclass(frozen=True, slots=True)
class Constraints:
    minimum: int | float | None = None
    maximum: int | float | None = None
    exclusive_minimum: int | float | None = None
    exclusive_maximum: int | float | None = None
    multiple_of: int | float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    min_items: int | None = None
    max_items: int | None = None

    @property
    def field_args(self) -> str:
        """Keyword arguments for pydantic's `Field`, as code."""
        pairs = (
            ("ge", self.minimum),
            ("le", self.maximum),
            ("gt", self.exclusive_minimum),
            ("lt", self.exclusive_maximum),
            ("multiple_of", self.multiple_of),
            (
                "min_length",
                self.min_length if self.min_length is not None else self.min_items,
            ),
            (
                "max_length",
                self.max_length if self.max_length is not None else self.max_items,
            ),
            ("pattern", self.pattern),
        )
        return ", ".join(
            f"{name}={py_literal(value)}" for name, value in pairs if value is not None
        )


NO_CONSTRAINTS = Constraints()


def _constrained(annotation: str, constraints: Constraints) -> str:
    args = constraints.field_args
    return f"Annotated[{annotation}, Field({args})]" if args else annotation


@dataclass(frozen=True, slots=True)
class Scalar:
    kind: ScalarKind
    constraints: Constraints = NO_CONSTRAINTS

    @property
    def server(self) -> str:
        return _constrained(_SCALARS[self.kind], self.constraints)

    @property
    def client(self) -> str:
        return _SCALARS[self.kind]


@dataclass(frozen=True, slots=True)
class ArrayType:
    item: Type
    constraints: Constraints = NO_CONSTRAINTS

    @property
    def server(self) -> str:
        return _constrained(f"list[{self.item.server}]", self.constraints)

    @property
    def client(self) -> str:
        return f"list[{self.item.client}]"


@dataclass(frozen=True, slots=True)
class MapType:
    value: Type

    @property
    def server(self) -> str:
        return f"dict[str, {self.value.server}]"

    @property
    def client(self) -> str:
        return f"dict[str, {self.value.client}]"


@dataclass(frozen=True, slots=True)
class NamedType:
    """A model, enum or alias defined in the generated models module."""

    name: str

    @property
    def server(self) -> str:
        return self.name

    @property
    def client(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Discriminator:
    """How a union of models dispatches: on one property, by its value."""

    wire: str  # the property's wire name
    name: str  # its attribute in the server models, the same in every option ("" until known)
    mapping: tuple[tuple[str, str], ...]  # value -> model name, in option order


@dataclass(frozen=True, slots=True)
class UnionType:
    options: tuple[Type, ...]
    # Set only where every option is a model whose discriminator field is a
    # `Literal` of its own value, so it never changes what the union accepts,
    # only how it is checked: `A | B` is one type whichever way it dispatches.
    discriminator: Discriminator | None = field(default=None, compare=False)

    @property
    def server(self) -> str:
        plain = " | ".join(dict.fromkeys(o.server for o in self.options))
        if self.discriminator is None:
            return plain
        return (
            f"Annotated[{plain}, "
            f"Field(discriminator={py_literal(self.discriminator.name)})]"
        )

    @property
    def client(self) -> str:
        return " | ".join(dict.fromkeys(o.client for o in self.options))


@dataclass(frozen=True, slots=True)
class NullableType:
    inner: Type

    @property
    def server(self) -> str:
        return f"{self.inner.server} | None"

    @property
    def client(self) -> str:
        return f"{self.inner.client} | None"


@dataclass(frozen=True, slots=True)
class ConstType:
    value: str | int | bool | None  # Python has no `Literal` of a float

    @property
    def server(self) -> str:
        return f"Literal[{py_literal(self.value)}]"

    @property
    def client(self) -> str:
        return self.server


Type: TypeAlias = (
    Scalar | ArrayType | MapType | NamedType | UnionType | NullableType | ConstType
)

ANY = Scalar("any")

# The alias of the error replies most handlers share, in the server interface.
COMMON_ERRORS = "CommonErrors"


def transform(t: Type, fn: Callable[[Type], Type]) -> Type:
    """`t` with `fn` applied to every type in it, innermost first."""
    # Rebuilt only where something inside changed: most types come back as they were.
    if isinstance(t, ArrayType):
        item = transform(t.item, fn)
        t = t if item is t.item else replace(t, item=item)
    elif isinstance(t, MapType):
        value = transform(t.value, fn)
        t = t if value is t.value else replace(t, value=value)
    elif isinstance(t, NullableType):
        inner = transform(t.inner, fn)
        t = t if inner is t.inner else replace(t, inner=inner)
    elif isinstance(t, UnionType):
        options = tuple(transform(o, fn) for o in t.options)
        changed = any(a is not b for a, b in zip(options, t.options, strict=True))
        t = replace(t, options=options) if changed else t
    return fn(t)


def names_in(t: Type) -> tuple[str, ...]:
    """The models, enums and aliases `t` refers to, directly or inside."""
    found: list[str] = []

    def visit(inner: Type) -> Type:
        if isinstance(inner, NamedType):
            found.append(inner.name)
        return inner

    transform(t, visit)
    return tuple(dict.fromkeys(found))


def is_nullable(t: Type) -> bool:
    return isinstance(t, NullableType) or (
        isinstance(t, Scalar) and t.kind in ("any", "none")
    )


# --- models ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModelField:
    wire: str
    name: str
    type: Type
    required: bool
    description: str
    default: object = None
    has_default: bool = False
    read_only: bool = False
    write_only: bool = False
    # The discriminator of its model: typed as the `Literal` of the model's
    # value, required on the server, defaulted to that value on the client.
    tag: bool = False
    # The default, as JSON, is not yet a value of the field's type (a model, a
    # date): pydantic reads it, into a new value for each instance.
    validate_default: bool = False
    # Its attribute in the server's pydantic model where that differs from
    # `name` (see `naming.server_attributes`).
    server_attr: str = ""

    @property
    def server_name(self) -> str:
        return self.server_attr or self.name

    @property
    def server_annotation(self) -> str:
        if self.required or self.has_default or is_nullable(self.type):
            return self.type.server
        # Optional but not nullable: it may be left out (and reads as None),
        # but an explicit null is refused, as the spec says.
        return f"Omittable[{self.type.server}]"

    @property
    def server_default(self) -> str | None:
        """Code for the field's default on the server, or None when it is required."""
        if self.has_default:
            return py_literal(self.default)
        if self.required:
            return None
        return "None"

    @property
    def server_field(self) -> tuple[str, ...]:
        """The arguments of pydantic's `Field`, where a plain default will not do:
        a wire name of its own, or a default pydantic must read; else none."""
        default = self.server_default
        reads = self.validate_default and self.has_default
        aliased = self.wire != self.server_name
        if not (aliased or reads):
            return ()
        return (
            *([f"default={default}"] if default is not None else []),
            *(["validate_default=True"] if reads else []),
            *([f"alias={py_string(self.wire)}"] if aliased else []),
        )

    @property
    def client_annotation(self) -> str:
        return self.type.client if self.required else f"{self.type.client} | Unset"

    @property
    def client_default(self) -> str | None:
        """Code for the field's default on the client, or None when it has none."""
        if self.tag:
            return py_literal(self.default)
        return None if self.required else "UNSET"

    @property
    def renamed(self) -> bool:
        return self.wire != self.name


@dataclass(frozen=True, slots=True)
class Model:
    name: str
    description: str
    fields: tuple[ModelField, ...]
    # Type of undeclared properties; None when the schema forbids them.
    additional: Type | None = ANY

    @property
    def renamed_fields(self) -> tuple[ModelField, ...]:
        return tuple(f for f in self.fields if f.renamed)

    # readOnly / writeOnly: a request never carries a readOnly property and a
    # response never a writeOnly one. Where the two shapes differ, a side that
    # wants exact types emits both (see `request_fields`, `response_fields`).

    @property
    def request_fields(self) -> tuple[ModelField, ...]:
        """What a client may send: every field but the readOnly ones."""
        return tuple(f for f in self.fields if not f.read_only)

    @property
    def response_fields(self) -> tuple[ModelField, ...]:
        """What a server may answer: every field but the writeOnly ones."""
        return tuple(f for f in self.fields if not f.write_only)

    @property
    def shapes_differ(self) -> bool:
        """True when request and response shapes are not the same set of fields."""
        return any(f.read_only or f.write_only for f in self.fields)

    @property
    def tag_field(self) -> ModelField | None:
        """The field a discriminated union dispatches this model on, if any."""
        return next((f for f in self.fields if f.tag), None)


@dataclass(frozen=True, slots=True)
class EnumMember:
    name: str
    value: str | int


@dataclass(frozen=True, slots=True)
class Enum:
    name: str
    description: str
    members: tuple[EnumMember, ...]
    is_int: bool


@dataclass(frozen=True, slots=True)
class Alias:
    name: str
    description: str
    type: Type
    # Part of a cycle of aliases (`Tree = dict[str, Tree]`): written as a
    # `TypeAliasType` whose value is a string, read once every name exists.
    recursive: bool = False

    @property
    def server_value(self) -> tuple[str, ...]:
        """A recursive alias's value as text, in pieces that fit a line."""
        return _pieces(self.type.server)

    @property
    def client_value(self) -> tuple[str, ...]:
        return _pieces(self.type.client)


def _pieces(text: str, width: int = 76) -> tuple[str, ...]:
    """`text` cut into pieces of at most `width` characters (a longer word stays
    whole), before a ` | ` where one serves, else before a space: adjacent string
    literals, which Python joins again."""
    pieces = [""]
    for part in re.split(r"(?= \| )", text):
        for word in re.split(r"(?= )", part) if len(part) > width else [part]:
            if pieces[-1] and len(pieces[-1]) + len(word) > width:
                pieces.append(word)
            else:
                pieces[-1] += word
    return tuple(pieces)


# --- operations -----------------------------------------------------------

ParamLocation = Literal["path", "query", "header", "cookie"]


@dataclass(frozen=True, slots=True)
class Param:
    wire: str
    name: str
    location: ParamLocation
    type: Type
    required: bool
    description: str
    style: str
    explode: bool
    json: bool = False  # `content: application/json`: the value is JSON text
    deprecated: bool = False
    default: object = None
    has_default: bool = False
    validate_default: bool = False  # as `ModelField.validate_default`
    server_attr: str = ""  # as `ModelField.server_attr`

    @property
    def server_name(self) -> str:
        return self.server_attr or self.name

    @property
    def server_annotation(self) -> str:
        # Only a JSON-encoded parameter can say null; text never reads as None,
        # so elsewhere there is no null to refuse (and no validator to run).
        if not self.json and not (
            self.required or self.has_default or is_nullable(self.type)
        ):
            return f"{self.type.server} | None"
        return self._as_field.server_annotation

    @property
    def server_default(self) -> str | None:
        return self._as_field.server_default

    @property
    def server_field(self) -> tuple[str, ...]:
        return self._as_field.server_field

    @property
    def _as_field(self) -> ModelField:
        return ModelField(
            self.wire,
            self.name,
            self.type,
            self.required,
            "",
            self.default,
            self.has_default,
            validate_default=self.validate_default,
            server_attr=self.server_attr,
        )

    @property
    def client_annotation(self) -> str:
        return self.type.client if self.required else f"{self.type.client} | Unset"

    @property
    def is_array(self) -> bool:
        inner = self.type.inner if isinstance(self.type, NullableType) else self.type
        return isinstance(inner, ArrayType)

    @property
    def renamed(self) -> bool:
        return self.wire != self.name

    @property
    def default_style(self) -> bool:
        """Serialised as OpenAPI's default for its location (form+explode, or simple)."""
        form = self.location in ("query", "cookie")
        return self.style == ("form" if form else "simple") and self.explode == form

    @property
    def is_object(self) -> bool:
        inner = self.type.inner if isinstance(self.type, NullableType) else self.type
        return isinstance(inner, MapType | NamedType) and not self.json


BodyKind = Literal["json", "form", "multipart", "binary", "text"]


@dataclass(frozen=True, slots=True)
class Body:
    content_type: str  # the default; the caller may choose any of `content_types`
    kind: BodyKind
    type: Type  # what any of the media types takes
    required: bool
    description: str
    # The other media types declared, in spec order, with the kind of each.
    alternatives: tuple[tuple[str, BodyKind], ...] = ()

    @property
    def content_types(self) -> tuple[str, ...]:
        return (self.content_type, *(c for c, _ in self.alternatives))


@dataclass(frozen=True, slots=True)
class Media:
    content_type: str
    kind: BodyKind
    type: Type


@dataclass(frozen=True, slots=True)
class Response:
    status: str  # "200", "4XX" or "default"
    description: str
    media: tuple[Media, ...]
    headers: tuple[str, ...] = ()

    @property
    def code(self) -> int:
        """The status code, or 0 for `default` and ranges."""
        return int(self.status) if self.status.isdigit() else 0

    @property
    def is_success(self) -> bool:
        return self.status.startswith("2")

    @property
    def json(self) -> Media | None:
        return next((m for m in self.media if m.kind == "json"), None)

    @property
    def body_type(self) -> Type | None:
        """The type a handler returns for this response: JSON, then text, else none."""
        chosen = self.json or next(iter(self.media), None)
        return chosen.type if chosen else None

    @property
    def server_reply(self) -> str:
        body = self.body_type.server if self.body_type else "None"
        return f"{reply_class(self.status)}[{body}]"

    @property
    def client_type(self) -> str:
        return self.body_type.client if self.body_type else "None"


def reply_class(status: str) -> str:
    """`Ok`, `Created`, ... for a status code; `Status4XX` and `Default` otherwise."""
    import http

    if status.isdigit():
        try:
            phrase = http.HTTPStatus(int(status)).phrase
        except ValueError:
            return f"Status{status}"
        return "".join(
            w[:1].upper() + w[1:].lower()
            for w in phrase.replace("-", " ").split()
            if w.isalnum()
        )
    return "Default" if status == "default" else f"Status{status.upper()}"


@dataclass(frozen=True, slots=True)
class SecurityScheme:
    key: str  # name in components.securitySchemes
    kind: Literal["bearer", "basic", "api_key"]
    location: Literal["header", "query", "cookie"]
    parameter: str  # header, query or cookie name carrying the credential


@dataclass(frozen=True, slots=True)
class Requirement:
    """All of `schemes` must authenticate, with all of their scopes."""

    schemes: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, slots=True)
class PathScope:
    name: str
    prefix: str
    param: str  # the path parameter in the prefix


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    name: str
    method: str
    path: str
    summary: str
    description: str
    deprecated: bool
    tags: tuple[str, ...]
    params: tuple[Param, ...]
    body: Body | None
    responses: tuple[Response, ...]
    security: tuple[Requirement, ...]
    handler: str
    scope: PathScope | None
    pointer: str

    @property
    def success(self) -> tuple[Response, ...]:
        return tuple(r for r in self.responses if r.is_success)

    @property
    def client_return(self) -> str:
        types = dict.fromkeys(r.client_type for r in self.success)
        return " | ".join(types) if types else "None"

    @property
    def docstring(self) -> str:
        parts = [p for p in (self.summary, self.description) if p]
        if self.deprecated:
            parts.append("Deprecated.")
        return "\n\n".join(parts) or f"{self.method} {self.path}"

    @property
    def produces_csv(self) -> bool:
        """Some response can also be rendered as CSV (`text/csv` beside JSON)."""
        return any(
            m.content_type.startswith("text/csv")
            for r in self.responses
            for m in r.media
        )

    def params_in(self, location: str) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.location == location)

    @property
    def path_params(self) -> tuple[Param, ...]:
        return self.params_in("path")


@dataclass(frozen=True, slots=True)
class Handler:
    """One method of the server interface, serving one or more scoped operations."""

    name: str
    params_model: str
    summary: str
    description: str
    params: tuple[Param, ...]  # without the scope's own path parameter
    body: Body | None
    responses: tuple[Response, ...]
    operations: tuple[Operation, ...]

    def params_in(self, location: str) -> tuple[Param, ...]:
        return tuple(p for p in self.params if p.location == location)

    @property
    def query_implied(self) -> bool:
        """The server tells query parameters apart by wire name: unique ones
        need no list (see the runtime's `route`)."""
        wires = [p.wire for p in self.params]
        return len(set(wires)) == len(wires)

    @property
    def security(self) -> tuple[Requirement, ...]:
        """The operations of one handler share their requirements (build checks it)."""
        return self.operations[0].security

    @property
    def produces_csv(self) -> bool:
        return self.operations[0].produces_csv

    @property
    def replies(self) -> tuple[str, ...]:
        """The members of the handler's return type, a union of reply classes."""
        return tuple(dict.fromkeys(r.server_reply for r in self.responses))

    @property
    def error_replies(self) -> tuple[str, ...]:
        """The members of `replies` for statuses other than 2xx."""
        return tuple(
            dict.fromkeys(
                r.server_reply for r in self.responses if not r.status.startswith("2")
            )
        )

    def replies_with(self, common_errors: tuple[str, ...]) -> tuple[str, ...]:
        """`replies`, with `CommonErrors` standing for `common_errors` when
        those are exactly this handler's error replies."""
        if not common_errors or self.error_replies != common_errors:
            return self.replies
        rest = tuple(r for r in self.replies if r not in common_errors)
        return (*rest, COMMON_ERRORS)

    @property
    def docstring(self) -> str:
        parts = [p for p in (self.summary, self.description) if p]
        routes = "\n".join(f"{o.method} {o.path}" for o in self.operations)
        return "\n\n".join([*parts, routes])


@dataclass(frozen=True, slots=True)
class Api:
    title: str
    version: str
    description: str
    spec_name: str
    spec_sha256: str
    spec_json: str
    servers: tuple[str, ...]
    models: tuple[Model, ...]
    enums: tuple[Enum, ...]
    aliases: tuple[Alias, ...]
    operations: tuple[Operation, ...]
    handlers: tuple[Handler, ...]
    security_schemes: tuple[SecurityScheme, ...]
    scopes: tuple[PathScope, ...]
    client_package: str = ""
    server_package: str = ""
    reply_classes: tuple[tuple[str, str], ...] = field(default=())

    @property
    def recursive_aliases(self) -> bool:
        return any(a.recursive for a in self.aliases)
