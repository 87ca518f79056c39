"""Runtime of the generated server: routing, validation, auth, replies, errors.

Copied verbatim into every generated server. The generated modules only
declare things (models, parameter models, the handler interface, the route
table); this module does the work, once, for every route.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import inspect
import io
import json
import logging
import math
import operator
import re
import types
import typing
import urllib.parse
import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Annotated, Any, ClassVar, Generic, Protocol, TypeAlias, TypeVar

from fastapi import FastAPI
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic._internal._model_construction import ModelMetaclass
from starlette import routing
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive
from starlette.types import Scope as AsgiScope

logger = logging.getLogger(__name__)

# Covariant: a reply whose body is one member of a documented union is that reply.
B = TypeVar("B", covariant=True)
_T = TypeVar("_T")


def _not_null(value: Any) -> Any:
    if value is None:
        raise ValueError("may be omitted, but must not be null")
    return value


# An optional field that is not nullable: it may be left out (and then reads
# as None), but an explicit null is refused, as the spec says.
Omittable: TypeAlias = Annotated[_T | None, AfterValidator(_not_null)]


class _SpecNames(ModelMetaclass):
    """Lets a spec name a field as pydantic names a method (`json`, `copy`,
    `schema`...). The field wins on the instance, as pydantic intends; the
    warning pydantic gives for it is an error where warnings are (test suites)
    and would stop the module from importing."""

    def __new__(
        mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], **kw: Any
    ) -> type:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", r"Field name .* shadows an attribute in parent", UserWarning
            )
            made: type = super().__new__(mcs, name, bases, namespace, **kw)
        return made


class ApiModel(BaseModel, metaclass=_SpecNames):
    """Base of generated models: wire names as aliases, Python regexes, extra fields kept."""

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        regex_engine="python-re",
        ser_json_inf_nan="constants",
    )


class ParamsModel(BaseModel, metaclass=_SpecNames):
    """Base of the per-operation parameter models."""

    model_config = ConfigDict(
        extra="ignore", populate_by_name=True, regex_engine="python-re"
    )

    @model_validator(mode="before")
    @classmethod
    def _int_literals(cls, data: Any) -> Any:
        """Read `"2"` as `2` where a field allows the integer literal 2.

        Parameters arrive as text, and pydantic's lax mode converts text to
        `int` but never to an integer `Literal` (an integer enum), so those
        are converted here, by what each field's annotation allows.
        """
        if not isinstance(data, dict):
            return data
        converters = _literal_converters(cls)
        if not converters:
            return data
        return {
            key: converters[key](value) if key in converters else value
            for key, value in data.items()
        }


@dataclasses.dataclass(frozen=True, slots=True)
class Reply(Generic[B]):
    """A response the spec documents: its status is the class, its body typed."""

    body: B
    headers: Mapping[str, str] | None = None
    status: ClassVar[int] = 200


@dataclasses.dataclass(frozen=True, slots=True)
class RangeReply(Generic[B]):
    """A response documented as a range (`4XX`) or `default`: the status is given."""

    key: ClassVar[str] = "default"  # the response's key in the spec
    status: int
    body: B
    headers: Mapping[str, str] | None = None


class Principal(Protocol):
    """Whoever a credential belongs to; the user's authenticate function returns one."""

    def has_scope(self, scope: str) -> bool: ...


@dataclasses.dataclass(frozen=True, slots=True)
class Scope:
    """Which URL scope a request came in on (`x-path-scopes`), and its id."""

    name: str
    param: str
    id: str


@dataclasses.dataclass(frozen=True, slots=True)
class Context:
    """What every handler method receives besides its parameters and body.

    `operation_id` is the operation the request matched (it differs between
    URL scopes); `handler` is the interface method serving it (the same for
    every scope).
    """

    request: Request
    principal: Principal | None
    scope: Scope | None
    operation_id: str
    handler: str = ""


Authenticator = Callable[[str, str], "Principal | None | Awaitable[Principal | None]"]
"""`authenticate(scheme_name, credential)`: the principal, or None to refuse (401).

It may also raise `Problem` to answer with its own error."""

RateLimiter = Callable[[Context], "float | None | Awaitable[float | None]"]
"""`rate_limit(ctx)`, called once the caller is authenticated and before the
request is parsed: None lets the request through; a number of seconds refuses
it with 429 and `Retry-After` (rounded up to whole seconds)."""


@dataclasses.dataclass(frozen=True, slots=True)
class SecurityScheme:
    name: str
    kind: str  # bearer, basic, api_key
    location: str  # header, query, cookie
    parameter: str


@dataclasses.dataclass(frozen=True, slots=True)
class ParamSpec:
    wire: str
    location: str
    style: str = "form"
    explode: bool = True
    json: bool = False
    array: bool = False
    object: bool = False
    # An object's property names (wire names), when its type declares them;
    # None for a free-form object (`dict[str, X]`).
    keys: tuple[str, ...] | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Route:
    """One operation: where it is served, what it takes, what it may answer."""

    operation_id: str
    method: str
    path: str
    handler: str
    params_model: type[BaseModel]
    params: tuple[ParamSpec, ...] = ()
    body: str | None = None  # body kind: json, form, multipart, binary, text
    body_type: Any = None
    body_required: bool = False
    responses: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    csv: bool = False
    security: tuple[tuple[tuple[str, tuple[str, ...]], ...], ...] = ()
    scope: tuple[str, str] | None = None  # (scope name, path parameter)
    # The other media types the body may come as, with the kind of each.
    media: Mapping[str, str] = dataclasses.field(default_factory=dict)


class Problem(Exception):
    """An error answered in the spec's error shape."""

    def __init__(
        self,
        status: int,
        type: str,
        code: str,
        detail: str,
        attr: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.type = type
        self.code = code
        self.detail = detail
        self.attr = attr
        self.headers = dict(headers or {})


def error_body(problem: Problem) -> dict[str, Any]:
    """PostHog's error body (drf-exceptions-hog): `{type, code, detail, attr}`."""
    return {
        "type": problem.type,
        "code": problem.code,
        "detail": problem.detail,
        "attr": problem.attr,
    }


ErrorBodyFactory = Callable[[Problem], Any]

_PYDANTIC_CODES = {
    "missing": "required",
    "literal_error": "invalid_choice",
    "enum": "invalid_choice",
    "too_long": "max_length",
    "too_short": "min_length",
    "string_too_long": "max_length",
    "string_too_short": "min_length",
    "greater_than_equal": "min_value",
    "greater_than": "min_value",
    "less_than_equal": "max_value",
    "less_than": "max_value",
    "extra_forbidden": "unexpected_field",
}


def validation_problem(
    error: ValidationError, prefix: tuple[str, ...] = (), data: Any = None
) -> Problem:
    """A 400 for the first error; `data`, what was validated, tells the
    fields of its location from the tags pydantic adds for union members
    (`id: int | UUID` fails at `("id", "int")`, and `attr` is `id`)."""
    first = error.errors(include_url=False, include_input=False)[0]
    loc = prefix + tuple(str(part) for part in _input_location(first, data))
    attr = "__".join(loc) or None
    detail = first["msg"] if not attr else f"{attr}: {first['msg']}"
    return Problem(
        400,
        "validation_error",
        _PYDANTIC_CODES.get(first["type"], "invalid_input"),
        detail,
        attr,
    )


def _input_location(error: Any, data: Any) -> tuple[Any, ...]:
    """An error's location without the union members' tags: the parts that
    are keys or indexes of `data`, and a missing field's name."""
    if data is None:
        return tuple(error["loc"])
    kept = []
    for i, part in enumerate(error["loc"]):
        if isinstance(data, Mapping) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        elif not (i == len(error["loc"]) - 1 and error["type"] == "missing"):
            continue  # a union member's tag: nothing of the input is there
        kept.append(part)
    return tuple(kept)


def _parse_error(detail: str, attr: str | None = None) -> Problem:
    return Problem(
        400, "invalid_request", "parse_error", f"JSON parse error - {detail}", attr
    )


# What the server accepts unless `create_app` says otherwise: nginx's default
# body size, and the nesting depth .NET's JSON reader allows.
MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 64
# Replies nest a stored value a few levels deeper than the request held it,
# and pydantic serializes at most about 250 levels: this leaves room for both.
_DEEPEST_ALLOWED = 128


def _loads(raw: str | bytes, attr: str | None = None, max_depth: int = 0) -> Any:
    """Parse JSON text nesting at most `max_depth` arrays and objects (0: any).

    Lone surrogates (legal JSON, not UTF-8) count as malformed: I-JSON (RFC
    7493) forbids them, and no UTF-8 store or wire can carry them, so accepting
    one would only move the failure to a 500 further down. So does deeper
    nesting: a value accepted now must be servable in every later reply.
    """
    try:
        value = json.loads(raw)
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise _parse_error("lone surrogate in string", attr) from None
    except (ValueError, RecursionError) as error:
        raise _parse_error(str(error), attr) from None
    if max_depth and not _nests_within(value, max_depth):
        raise _parse_error(f"nested deeper than {max_depth} levels", attr)
    return value


def _nests_within(value: Any, limit: int) -> bool:
    """Whether JSON data nests at most `limit` arrays and objects (`[[]]` is 2)."""
    pending = [(value, 1)] if isinstance(value, dict | list) else []
    while pending:
        item, depth = pending.pop()
        if depth > limit:
            return False
        children = item.values() if isinstance(item, dict) else item
        pending.extend(
            (child, depth + 1) for child in children if isinstance(child, dict | list)
        )
    return True


def body_too_large(limit: int) -> Problem:
    return Problem(
        413,
        "invalid_request",
        "request_too_large",
        f"The request body is larger than the {limit} bytes this server accepts.",
    )


def _limited(receive: Receive, declared: str | None, limit: int) -> Receive:
    """`receive` refusing, with 413, a body declared or found larger than `limit`.

    A `Content-Length` over the limit is refused before anything is read; a
    body sent in chunks is counted as it comes.
    """
    received = 0

    async def limited() -> Message:
        nonlocal received
        if declared is not None and _exceeds(declared, limit):
            raise body_too_large(limit)
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise body_too_large(limit)
        return message

    return limited


def _exceeds(length: str, limit: int) -> bool:
    # By length first: Python refuses to convert very long digit strings.
    digits = length.strip().lstrip("0")
    if not (digits.isascii() and digits.isdigit()):
        return False
    return len(digits) > len(str(limit)) or int(digits) > limit


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def adapter(tp: Any) -> TypeAdapter[Any]:
    found = _ADAPTERS.get(tp)
    if found is None:
        found = _ADAPTERS[tp] = TypeAdapter(tp)
    return found


# --- requests -------------------------------------------------------------


def route(
    method: str,
    path: str,
    handler: Callable[..., Any],
    scope: tuple[str, str] | None = None,
    operation_id: str | None = None,
    *,
    query: Sequence[str] | None = None,
    headers: Sequence[str] = (),
    cookies: Sequence[str] = (),
    styles: Mapping[str, tuple[str, bool]] | None = None,
    json_params: Sequence[str] = (),
    body: str = "json",
    body_required: bool = True,
    security: Sequence[Mapping[str, Sequence[str]]] = (),
    csv: bool = False,
    media: Mapping[str, str] | None = None,
) -> Route:
    """`handler`, a method of the handler interface, served at `method path`.

    What the interface method declares is read from it: its parameter model,
    its body type, and the replies its return type admits, which are the
    responses the spec documents. Parameters are named by wire name; path
    parameters are the path's placeholders (less the URL scope's, if any).
    Query parameters need no list when every wire name is unique: they are
    the parameter model's fields found in no other location. Only what departs
    from OpenAPI's defaults is spelled out: a style, a JSON-encoded value, a
    body that is not JSON or not required, the other media types a body may
    come as (`media`, with the kind of each). The operation id defaults to
    the handler's name.
    """
    params_model, body_type, responses = _declared(handler)
    in_path = [
        name
        for name in _TEMPLATE_PARAM.findall(path)
        if scope is None or name != scope[1]
    ]
    if query is None:
        elsewhere = {*in_path, *headers, *cookies}
        wires = (
            field.alias or name for name, field in params_model.model_fields.items()
        )
        query = [wire for wire in wires if wire not in elsewhere]
    shapes = _shapes(params_model)
    styles = styles or {}
    params = [ParamSpec(scope[1], "path", "simple", False)] if scope else []
    for location, names in (
        ("path", in_path),
        ("query", query),
        ("header", headers),
        ("cookie", cookies),
    ):
        form = location in ("query", "cookie")
        for wire in names:
            style, explode = styles.get(wire, ("form" if form else "simple", form))
            shape = shapes.get(wire, _Shape())
            params.append(
                ParamSpec(
                    wire,
                    location,
                    style,
                    explode,
                    json=wire in json_params,
                    array=shape.kind == "array",
                    object=shape.kind == "object",
                    keys=shape.keys,
                )
            )
    if body_type is not None and not body_required:
        body_type = _without_none(body_type)
    return Route(
        operation_id or handler.__name__,
        method,
        path,
        handler.__name__,
        params_model,
        tuple(params),
        body if body_type is not None else None,
        body_type,
        body_required and body_type is not None,
        responses,
        csv,
        tuple(
            tuple((name, tuple(scopes)) for name, scopes in requirement.items())
            for requirement in security
        ),
        scope,
        {k.lower(): v for k, v in (media or {}).items()},
    )


_DECLARED: dict[Callable[..., Any], tuple[Any, Any, dict[str, Any]]] = {}


def _declared(handler: Callable[..., Any]) -> tuple[Any, Any, dict[str, Any]]:
    """A handler method's parameter model, body type (None without a body),
    and documented responses by status key, read from its annotations."""
    found = _DECLARED.get(handler)
    if found is None:
        hints = typing.get_type_hints(handler, include_extras=True)
        returned = hints["return"]
        replies = (
            typing.get_args(returned)
            if typing.get_origin(returned) in (typing.Union, types.UnionType)
            else (returned,)
        )
        responses = {}
        for reply in replies:
            kind = typing.get_origin(reply)
            (content,) = typing.get_args(reply)
            key = kind.key if issubclass(kind, RangeReply) else str(kind.status)
            responses[key] = None if content is type(None) else content
        found = _DECLARED[handler] = (hints["params"], hints.get("body"), responses)
    return found


def _without_none(annotation: Any) -> Any:
    """`X | None` as X: the None an optional body's annotation adds."""
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return annotation
    options = [a for a in typing.get_args(annotation) if a is not type(None)]
    return functools.reduce(operator.or_, options)


@dataclasses.dataclass(frozen=True, slots=True)
class _Shape:
    kind: str = "scalar"  # scalar, array or object
    keys: tuple[str, ...] | None = None  # an object's property names, if declared


def _unwrap(annotation: Any) -> Any:
    """The type under `Annotated[...]` and `X | None`."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def _shapes(model: type[BaseModel]) -> dict[str, _Shape]:
    """The shape of each parameter (by wire name) that is an array or an object.

    An object's property names come from its model class; a free-form object
    (`dict[str, X]`) has none, which matters only when it is exploded into
    the query (`?a=1&b=2`): see `_spread`.
    """
    shapes = {}
    for name, info in model.model_fields.items():
        annotation = _unwrap(info.annotation)
        origin = typing.get_origin(annotation) or annotation
        wire = info.alias or name
        if origin in (list, tuple, set, frozenset):
            shapes[wire] = _Shape("array")
        elif origin is dict:
            shapes[wire] = _Shape("object")
        elif isinstance(origin, type) and issubclass(origin, BaseModel):
            keys = tuple(
                field.alias or key for key, field in origin.model_fields.items()
            )
            shapes[wire] = _Shape("object", keys)
    return shapes


# --- integer literals in parameters -----------------------------------------

_Converter = Callable[[Any], Any]
_CONVERTERS: dict[type[BaseModel], dict[str, _Converter]] = {}
_DIGITS = re.compile(r"-?[0-9]+")


def _literal_converters(model: type[BaseModel]) -> dict[str, _Converter]:
    """For each field (by wire and Python name) holding integer literals, a converter."""
    found = _CONVERTERS.get(model)
    if found is None:
        found = {}
        for name, info in model.model_fields.items():
            converter = _literal_converter(info.annotation, set())
            if converter is not None:
                found[name] = converter
                found[info.alias or name] = converter
        _CONVERTERS[model] = found
    return found


def _literal_converter(annotation: Any, seen: set[type]) -> _Converter | None:
    """A function reading digit strings as the integer literals `annotation` allows.

    None when the annotation allows none, so most fields cost nothing. It looks
    through unions, containers and parameter models' object fields (an object
    parameter's values are text too); `seen` stops at recursive models.
    """
    annotation = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        ints = {a for a in args if isinstance(a, int) and not isinstance(a, bool)}
        if not ints or any(isinstance(a, str) for a in args):
            return None
        return lambda value: (
            int(value)
            if isinstance(value, str)
            and _DIGITS.fullmatch(value)
            and int(value) in ints
            else value
        )
    if origin in (typing.Union, types.UnionType):
        if any(
            a is str
            or typing.get_origin(_unwrap(a)) is typing.Literal
            and any(isinstance(v, str) for v in typing.get_args(_unwrap(a)))
            for a in args
        ):
            return None  # the text may be meant as itself
        options = [_literal_converter(a, seen) for a in args]
        found = [c for c in options if c is not None]
        return found[0] if len(found) == 1 else None  # else ambiguous, or none
    if origin in (list, tuple, set, frozenset) and args:
        item = _literal_converter(args[0], seen)
        return None if item is None else _each_item(item)
    if origin is dict and len(args) == 2:
        item = _literal_converter(args[1], seen)
        return None if item is None else _each_value(lambda key: item)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return None
        fields = {
            info.alias or name: _literal_converter(info.annotation, seen | {annotation})
            for name, info in annotation.model_fields.items()
        }
        by_key = {k: c for k, c in fields.items() if c is not None}
        return _each_value(by_key.get) if by_key else None
    return None


def _each_item(item: _Converter) -> _Converter:
    def convert(value: Any) -> Any:
        return [item(v) for v in value] if isinstance(value, list) else item(value)

    return convert


def _each_value(by_key: Callable[[str], _Converter | None]) -> _Converter:
    def convert(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        converted = {}
        for key, item in value.items():
            converter = by_key(key)
            converted[key] = item if converter is None else converter(item)
        return converted

    return convert


# --- collecting parameters ----------------------------------------------------


def _split(value: str, style: str) -> list[str]:
    separator = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
    return value.split(separator) if value else []


def _object(value: str, style: str, explode: bool, strip: bool) -> dict[str, str]:
    """An object serialised in one value: `k,v,k,v`, or `k=v,k=v` when exploded."""
    parts = _split(value, style)
    if strip:
        parts = [part.strip() for part in parts]
    if explode:
        pairs = [part.partition("=") for part in parts]
        return {key: item for key, _, item in pairs}
    return dict(zip(parts[::2], parts[1::2], strict=False))


def _spread(
    route: Route, spec: ParamSpec, request: Request, reserved: frozenset[str]
) -> dict[str, str] | None:
    """An exploded form object, whose properties are query parameters of their own.

    With declared properties, those are taken. A free-form object
    (`dict[str, X]`) takes every query parameter the operation does not
    declare otherwise, nor a `reserved` one (a credential): the spec gives
    no other way to tell its keys apart.
    """
    query = request.query_params
    if spec.keys is not None:
        found = {key: query[key] for key in spec.keys if key in query}
    else:
        claimed = {p.wire for p in route.params if p.location == "query"}
        claimed.update(reserved)
        deep = tuple(p.wire + "[" for p in route.params if p.style == "deepObject")
        found = {
            key: value
            for key, value in query.items()
            if key not in claimed and not key.startswith(deep)
        }
    return found or None


def _collect(
    route: Route,
    request: Request,
    reserved: frozenset[str] = frozenset(),
    max_depth: int = MAX_JSON_DEPTH,
) -> dict[str, Any]:
    """Raw parameter values by wire name, decoded from their serialisation style.

    `reserved` names query parameters that are not the operation's own (API
    keys), which a free-form exploded object must not take. JSON values nest
    at most `max_depth` levels.
    """
    values: dict[str, Any] = {}
    query = request.query_params
    for spec in route.params:
        raw: Any
        if spec.location == "query":
            if spec.style == "deepObject":
                prefix = spec.wire + "["
                found = {
                    k[len(prefix) : -1]: v
                    for k, v in query.multi_items()
                    if k.startswith(prefix) and k.endswith("]")
                }
                raw = found or None
            elif spec.json:
                raw = query.get(spec.wire)
            elif spec.array:
                items = query.getlist(spec.wire)
                if not (spec.style == "form" and spec.explode):
                    items = [
                        part for item in items for part in _split(item, spec.style)
                    ]
                raw = items if spec.wire in query else None
            elif spec.object and spec.style == "form" and spec.explode:
                raw = _spread(route, spec, request, reserved)
            else:
                raw = query.get(spec.wire)
                if raw is not None and spec.object:
                    raw = _object(raw, spec.style, False, strip=False)
        else:
            if spec.location == "path":
                raw = request.path_params.get(spec.wire)
            elif spec.location == "header":
                # A name no header can have (not ASCII) is never sent.
                raw = request.headers.get(spec.wire) if spec.wire.isascii() else None
            else:
                raw = request.cookies.get(spec.wire)
            # Headers, cookies and path segments carry arrays and objects the
            # same way: comma-separated, `k=v` pairs when an object is exploded.
            strip = spec.location != "path"
            if raw is not None and not spec.json:
                if spec.array:
                    raw = _split(raw, "simple")
                    raw = [part.strip() for part in raw] if strip else raw
                elif spec.object:
                    raw = _object(raw, "simple", spec.explode, strip)
        if raw is None:
            continue
        if spec.json:
            raw = _loads(raw, spec.wire, max_depth)
        values[spec.wire] = raw
    return values


# No request body at all, as opposed to a JSON `null` (which is validated).
ABSENT: Any = object()


async def _read_body(route: Route, request: Request, max_depth: int) -> Any:
    raw = await request.body()
    if not raw:
        if route.body_required:
            raise Problem(
                400, "validation_error", "required", "A request body is required.", None
            )
        return ABSENT
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    kind = route.media.get(media, route.body)
    if kind == "json":
        if media != "application/json" and not media.endswith("+json"):
            shown = media or "none"
            raise Problem(
                415,
                "invalid_request",
                "unsupported_media_type",
                f'Unsupported media type "{shown}" in request.',
            )
        return _loads(raw, max_depth=max_depth)
    if kind in ("form", "multipart"):
        expected = (
            "application/x-www-form-urlencoded"
            if kind == "form"
            else "multipart/form-data"
        )
        if media != expected:
            raise Problem(
                415,
                "invalid_request",
                "unsupported_media_type",
                f'Unsupported media type "{media}" in request.',
            )
        data: dict[str, Any] = {}
        # As a context manager, so that uploaded files (spooled to temporary
        # files) are closed once read.
        async with request.form() as form:
            for key, value in form.multi_items():
                item: Any = await value.read() if hasattr(value, "read") else value
                if key in data:
                    data[key] = (
                        data[key] if isinstance(data[key], list) else [data[key]]
                    )
                    data[key].append(item)
                else:
                    data[key] = item
        return data
    if kind == "text":
        return raw.decode("utf-8", errors="replace")
    return raw


async def _authenticate(
    route: Route,
    request: Request,
    schemes: Mapping[str, SecurityScheme],
    authenticate: Authenticator,
) -> Principal | None:
    """Any requirement of the list may pass; within one, all schemes and all scopes.

    Each requirement is tried in turn, so a request carrying the credential of
    a later one passes whatever an earlier one lacked. An empty requirement
    (`{}`) makes authentication optional: a request none of the others passes
    goes through anonymous. Otherwise the refusal is the most telling one:
    a missing scope (403) over a refused credential (401) over none at all.
    """
    if not route.security:
        return None
    refusal: tuple[int, Problem] | None = None
    anonymous = False
    for requirement in route.security:
        if not requirement:
            anonymous = True
            continue
        principal: Principal | None = None
        failed: tuple[int, Problem] | None = None
        for scheme_name, scopes in requirement:
            credential = _credential(schemes[scheme_name], request)
            if credential is None:
                failed = 1, Problem(
                    401,
                    "authentication_error",
                    "not_authenticated",
                    "Authentication credentials were not provided.",
                    headers=_challenge(schemes[scheme_name]),
                )
                break
            result = authenticate(scheme_name, credential)
            principal = await result if inspect.isawaitable(result) else result
            if principal is None:
                failed = 2, Problem(
                    401,
                    "authentication_error",
                    "authentication_failed",
                    "The API key is invalid.",
                    headers=_challenge(schemes[scheme_name]),
                )
                break
            missing = [scope for scope in scopes if not principal.has_scope(scope)]
            if missing:
                failed = 3, Problem(
                    403,
                    "authentication_error",
                    "permission_denied",
                    f"API key missing required scope '{missing[0]}'",
                )
                break
        if failed is None:
            return principal
        if refusal is None or failed[0] > refusal[0]:
            refusal = failed
    if anonymous:
        return None
    assert refusal is not None
    raise refusal[1]


def _challenge(scheme: SecurityScheme) -> dict[str, str]:
    if scheme.kind == "bearer":
        return {"WWW-Authenticate": "Bearer"}
    if scheme.kind == "basic":
        return {"WWW-Authenticate": "Basic"}
    return {}


def _credential(scheme: SecurityScheme, request: Request) -> str | None:
    if scheme.kind in ("bearer", "basic"):
        header = request.headers.get("authorization", "")
        kind, _, value = header.partition(" ")
        expected = "bearer" if scheme.kind == "bearer" else "basic"
        value = value.strip()
        return value if kind.lower() == expected and value else None
    if scheme.location == "header":
        return request.headers.get(scheme.parameter) or None
    if scheme.location == "query":
        return request.query_params.get(scheme.parameter) or None
    return request.cookies.get(scheme.parameter) or None


# --- responses ------------------------------------------------------------


def _documented(route: Route, status: int) -> tuple[bool, Any]:
    for key in (str(status), f"{str(status)[0]}XX", "default"):
        if key in route.responses:
            return True, route.responses[key]
    return False, None


def _wants_csv(route: Route, request: Request) -> bool:
    if not route.csv:
        return False
    if request.query_params.get("format") == "csv":
        return True
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept


def _flatten(value: Any, prefix: str, row: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), row)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _flatten(item, f"{prefix}.{index}" if prefix else str(index), row)
    else:
        row[prefix] = value


def render_csv(data: Any) -> str:
    """Rows of `results` (or of a list body), nested fields as dotted columns."""
    rows_in = (
        data.get("results", [])
        if isinstance(data, dict)
        else data if isinstance(data, list) else []
    )
    rows: list[dict[str, Any]] = []
    for item in rows_in:
        row: dict[str, Any] = {}
        _flatten(item, "", row)
        rows.append(row)
    header = list(dict.fromkeys(key for row in rows for key in row))
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=header, extrasaction="ignore", lineterminator="\r\n"
    )
    if header:
        writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def _reply_response(route: Route, request: Request, reply: Any) -> Response:
    if isinstance(reply, Reply):
        status = type(reply).status
    elif isinstance(reply, RangeReply):
        status = reply.status
    else:
        raise TypeError(
            f"{route.handler} returned {type(reply).__name__}, not a reply the spec documents"
        )
    documented, body_type = _documented(route, status)
    if not documented:
        raise TypeError(
            f"{route.handler} answered {status}, which {route.operation_id} does not document"
        )
    headers = dict(reply.headers or {})
    if body_type is None or reply.body is None and body_type is not Any:
        if reply.body is not None:
            raise TypeError(
                f"{route.handler} returned a body for {status}, which documents none"
            )
        return Response(status_code=status, headers=headers)
    if body_type is bytes or body_type is str:
        return Response(
            reply.body,
            status_code=status,
            headers=headers,
            media_type=headers.get(
                "content-type",
                "text/plain" if body_type is str else "application/octet-stream",
            ),
        )
    body_adapter = adapter(body_type)
    value = body_adapter.validate_python(reply.body)
    if 200 <= status < 300 and _wants_csv(route, request):
        data = body_adapter.dump_python(
            value, mode="json", by_alias=True, exclude_unset=True
        )
        return Response(
            render_csv(data),
            status_code=status,
            headers=headers,
            media_type="text/csv; charset=utf-8",
        )
    content = body_adapter.dump_json(value, by_alias=True, exclude_unset=True)
    return Response(
        content, status_code=status, headers=headers, media_type="application/json"
    )


# --- the API page -----------------------------------------------------------

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

_DOCS_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 70em;
  padding: 0 1.5em 4em; color: #1d1d1f; }
h1 small, .muted { color: #6e6e73; font-weight: normal; }
nav ul { list-style: none; padding: 0; columns: 2; }
section { border-top: 1px solid #d2d2d7; padding-top: .5em; }
.text { white-space: pre-line; }
.method { display: inline-block; min-width: 4.5em; font: bold 13px monospace;
  text-transform: uppercase; }
.deprecated { text-decoration: line-through; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #d2d2d7; padding: .2em .6em; text-align: left;
  vertical-align: top; }
pre { background: #f5f5f7; padding: .8em; overflow-x: auto; }
"""


def docs_page(spec: Mapping[str, Any]) -> str:
    """The spec as one HTML page people can read: no script, nothing fetched.

    Every text of the spec is escaped; the page's Content-Security-Policy
    (`_docs_headers`) allows nothing but its own style, so that even a
    mistake here could not run code or load anything.
    """
    from html import escape

    schemas = _at(spec, "components", "schemas")
    anchors = {
        f"#/components/schemas/{name}": f"schema-{i}" for i, name in enumerate(schemas)
    }
    operations = [
        (path, method, operation)
        for path, item in _at(spec, "paths").items()
        for method, operation in _resolved(spec, item).items()
        if method in _METHODS and isinstance(operation, Mapping)
    ]
    info = _at(spec, "info")
    title = escape(str(info.get("title", "API")))
    out = [
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<title>{title}</title><link rel="icon" href="data:,">',
        f"<style>{_DOCS_STYLE}</style></head><body>",
        f'<h1>{title} <small>{escape(str(info.get("version", "")))}</small></h1>',
        _text(info.get("summary"), "p"),
        _text(info.get("description")),
        '<p class="muted">The same, for programs:',
        '<a href="openapi.json">openapi.json</a></p>',
        "<nav><h2>Operations</h2><ul>",
    ]
    for i, (path, method, operation) in enumerate(operations):
        crossed = ' class="deprecated"' if operation.get("deprecated") else ""
        out.append(
            f'<li><a href="#op-{i}"{crossed}><span class="method">{method}</span>'
            f" {escape(path)}</a></li>"
        )
    out.append("</ul></nav><main>")
    for i, (path, method, operation) in enumerate(operations):
        out += _docs_operation(spec, anchors, f"op-{i}", path, method, operation)
    if schemas:
        out.append("<h2>Schemas</h2>")
    for name, schema in schemas.items():
        shown = json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True)
        out.append(
            f'<section id="{anchors[f"#/components/schemas/{name}"]}">'
            f"<h3>{escape(str(name))}</h3><pre>{escape(shown)}</pre></section>"
        )
    out.append("</main></body></html>\n")
    return "\n".join(part for part in out if part)


def _docs_operation(
    spec: Mapping[str, Any],
    anchors: Mapping[str, str],
    anchor: str,
    path: str,
    method: str,
    operation: Mapping[str, Any],
) -> list[str]:
    from html import escape

    def row(*cells: str) -> str:
        return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"

    heading = escape(str(operation.get("operationId", "")))
    if operation.get("deprecated"):
        heading += " (deprecated)"
    out = [
        f'<section id="{anchor}"><h3><span class="method">{method}</span>'
        f' <code>{escape(path)}</code> <span class="muted">{heading}</span></h3>',
        _text(operation.get("summary"), "p"),
        _text(operation.get("description")),
    ]
    parameters = [_resolved(spec, p) for p in operation.get("parameters", ())]
    if parameters:
        out.append(
            "<h4>Parameters</h4><table><tr><th>Name</th><th>In</th><th>Type</th>"
            "<th>Required</th><th>Description</th></tr>"
        )
        for parameter in parameters:
            out.append(
                row(
                    f"<code>{escape(str(parameter.get('name', '')))}</code>",
                    escape(str(parameter.get("in", ""))),
                    _type_html(anchors, parameter.get("schema", {})),
                    "yes" if parameter.get("required") else "",
                    _text(parameter.get("description"), "span"),
                )
            )
        out.append("</table>")
    body = _resolved(spec, operation.get("requestBody", {}))
    if body.get("content"):
        required = " (required)" if body.get("required") else ""
        out.append(f"<h4>Request body{required}</h4><table>")
        for media, content in body["content"].items():
            schema = _type_html(anchors, _resolved(spec, content).get("schema", {}))
            out.append(row(f"<code>{escape(str(media))}</code>", schema))
        out.append("</table>" + _text(body.get("description")))
    out.append("<h4>Responses</h4><table>")
    for status, response in operation.get("responses", {}).items():
        response = _resolved(spec, response)
        types = [
            _type_html(anchors, _resolved(spec, content).get("schema", {}))
            for content in response.get("content", {}).values()
        ]
        out.append(
            row(
                f"<code>{escape(str(status))}</code>",
                _text(response.get("description"), "span"),
                " or ".join(dict.fromkeys(types)),
            )
        )
    out.append("</table>")
    security = operation.get("security", spec.get("security", ()))
    if security:
        options = [
            " and ".join(
                escape(str(name))
                + (f" ({escape(', '.join(map(str, scopes)))})" if scopes else "")
                for name, scopes in requirement.items()
            )
            or "none"
            for requirement in security
        ]
        out.append(f"<p>Authentication: {' or '.join(options)}</p>")
    out.append("</section>")
    return out


def _type_html(anchors: Mapping[str, str], schema: Any) -> str:
    """A schema in a few words, a referenced schema as a link to it."""
    from html import escape

    if not isinstance(schema, Mapping):
        return escape(json.dumps(schema))
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = escape(ref.rpartition("/")[2])
        anchor = anchors.get(ref)
        return f'<a href="#{anchor}">{name}</a>' if anchor else name
    for key, joiner in (("oneOf", " | "), ("anyOf", " | "), ("allOf", " & ")):
        if isinstance(schema.get(key), list):
            return joiner.join(_type_html(anchors, s) for s in schema[key])
    if isinstance(schema.get("enum"), list):
        return "one of " + ", ".join(escape(json.dumps(v)) for v in schema["enum"])
    if "const" in schema:
        return escape(json.dumps(schema["const"]))
    kinds = schema.get("type", "any")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    words = []
    for kind in kinds:
        if kind == "array":
            words.append("array of " + _type_html(anchors, schema.get("items", {})))
        else:
            words.append(escape(str(kind)))
    text = " | ".join(words)
    if "format" in schema:
        text += f" ({escape(str(schema['format']))})"
    return text + (" | null" if schema.get("nullable") is True else "")


def _text(value: Any, tag: str = "div") -> str:
    from html import escape

    if not isinstance(value, str) or not value:
        return ""
    css = ' class="text"' if tag == "div" else ""
    return f"<{tag}{css}>{escape(value)}</{tag}>"


def _at(spec: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    node: Any = spec
    for key in keys:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def _resolved(spec: Mapping[str, Any], node: Any) -> Mapping[str, Any]:
    """`node`, or what its local `$ref` points to (through a few references)."""
    for _ in range(8):
        ref = node.get("$ref") if isinstance(node, Mapping) else None
        if not isinstance(ref, str) or not ref.startswith("#/"):
            break
        keys = [
            part.replace("~1", "/").replace("~0", "~") for part in ref[2:].split("/")
        ]
        node = _at(spec, *keys[:-1]).get(keys[-1])
    return node if isinstance(node, Mapping) else {}


def _docs_headers() -> dict[str, str]:
    """A policy allowing the page its inline style and nothing else."""
    import base64
    import hashlib

    digest = hashlib.sha256(_DOCS_STYLE.encode()).digest()
    style = "'sha256-" + base64.b64encode(digest).decode() + "'"
    return {
        "Content-Security-Policy": (
            f"default-src 'none'; style-src {style}; img-src data:"
        ),
        "X-Content-Type-Options": "nosniff",
    }


# --- the application ------------------------------------------------------


def throttled(seconds: float) -> Problem:
    """429 in PostHog's words (DRF throttling), with `Retry-After` in whole seconds."""
    wait = max(1, math.ceil(seconds))
    return Problem(
        429,
        "throttled_error",
        "throttled",
        f"Request was throttled. Expected available in {wait} seconds.",
        headers={"Retry-After": str(wait)},
    )


def server_statuses(route: Route, *, rate_limited: bool = False) -> set[int]:
    """The statuses the runtime itself may answer on `route`, before or around the handler.

    Each must be documented by the operation, so that every response the server
    sends is in the spec; the tests of a generated server check this.
    """
    statuses: set[int] = set()
    if route.security and not any(not requirement for requirement in route.security):
        statuses.add(401)
        if any(scopes for req in route.security for _, scopes in req):
            statuses.add(403)
    if rate_limited:
        statuses.add(429)
    if route.body is not None:
        statuses.add(400)  # malformed JSON, a required body missing, validation
        if route.body in ("json", "form", "multipart"):
            statuses.add(415)
    in_path = {spec.wire for spec in route.params if spec.location == "path"}

    def can_fail(name: str, field: Any) -> bool:
        if field.metadata or field.annotation not in (str, str | None):
            return True
        # A path parameter is always present once the route matched.
        return bool(field.is_required()) and (field.alias or name) not in in_path

    if any(spec.json for spec in route.params) or any(
        can_fail(name, field) for name, field in route.params_model.model_fields.items()
    ):
        statuses.add(400)  # a parameter missing, malformed or out of range
    return statuses


@dataclasses.dataclass(frozen=True, slots=True)
class Limits:
    """What a request may hold: body size in bytes, JSON nesting depth."""

    max_body_bytes: int = MAX_BODY_BYTES
    max_json_depth: int = MAX_JSON_DEPTH

    def __post_init__(self) -> None:
        if self.max_body_bytes < 0:
            raise ValueError("max_body_bytes must not be negative")
        if not 1 <= self.max_json_depth <= _DEEPEST_ALLOWED:
            raise ValueError(
                f"max_json_depth must be between 1 and {_DEEPEST_ALLOWED}: replies"
                " must be able to nest what a request held"
            )


def not_implemented(route: Route) -> Problem:
    """501: the handler raised `NotImplementedError`, as an unimplemented one does."""
    return Problem(
        501,
        "server_error",
        "not_implemented",
        f"{route.operation_id} is not implemented by this server.",
    )


def _endpoint(
    route: Route,
    handler: Any,
    schemes: Mapping[str, SecurityScheme],
    authenticate: Authenticator,
    rate_limit: RateLimiter | None,
    problem_response: Callable[[Problem], Response],
    limits: Limits,
) -> Callable[[Request], Awaitable[Response]]:
    method = getattr(handler, route.handler)
    wants_body = route.body is not None
    credentials = frozenset(
        schemes[name].parameter
        for requirement in route.security
        for name, _ in requirement
        if schemes[name].kind == "api_key" and schemes[name].location == "query"
    )

    async def endpoint(request: Request) -> Response:
        if wants_body:
            receive = _limited(
                request.receive,
                request.headers.get("content-length"),
                limits.max_body_bytes,
            )
            request = Request(request.scope, receive)
        try:
            principal = await _authenticate(route, request, schemes, authenticate)
            scope = None
            if route.scope is not None:
                scope = Scope(
                    route.scope[0],
                    route.scope[1],
                    str(request.path_params.get(route.scope[1], "")),
                )
            ctx = Context(request, principal, scope, route.operation_id, route.handler)
            if rate_limit is not None:
                wait = rate_limit(ctx)
                wait = await wait if inspect.isawaitable(wait) else wait
                if wait is not None:
                    raise throttled(wait)
            raw_params = _collect(route, request, credentials, limits.max_json_depth)
            try:
                params = route.params_model.model_validate(raw_params)
            except ValidationError as error:
                raise validation_problem(error, data=raw_params) from None
            if wants_body:
                raw_body = await _read_body(route, request, limits.max_json_depth)
                body = None
                if raw_body is not ABSENT:
                    try:
                        body = adapter(route.body_type).validate_python(raw_body)
                    except ValidationError as error:
                        raise validation_problem(error, data=raw_body) from None
                reply = await method(ctx, params, body)
            else:
                reply = await method(ctx, params)
            return _reply_response(route, request, reply)
        except Problem as problem:
            return problem_response(problem)
        except NotImplementedError:
            return problem_response(not_implemented(route))
        except HTTPException:
            raise  # answered in the error shape by the app's handler
        except Exception:
            # Logged here, once: an error left to Starlette is logged by it,
            # and again by the server it re-raises it to.
            logger.exception(
                "unhandled error in %s %s (%s)",
                request.method,
                request.url.path,
                route.handler,
            )
            return problem_response(server_error())

    return endpoint


_TEMPLATE_PARAM = re.compile(r"\{([^{}]+)\}")


class _RawPathRoute(routing.Route):
    """A route matched on the path as sent, each parameter decoded once.

    Starlette matches the decoded path, where a `%2F` inside a value has
    become a `/` that splits it in two. Here the raw path is split at its
    real slashes first, then each segment is decoded and matched against the
    template's segment (literal text, or parameters as whole or part of it).

    A path that a more concrete route also matches is that route's, whatever
    the method (OpenAPI: concrete paths match before templated ones), so
    `PUT /persons/values/` is a 405 from `/persons/values/`, not a call to
    `/persons/{id}/`: Starlette alone prefers any route that takes the method.
    """

    def __init__(
        self, path: str, endpoint: Callable[..., Any], *, methods: Sequence[str]
    ) -> None:
        super().__init__(path, endpoint, methods=list(methods))
        self.segments = tuple(_segment_pattern(part) for part in path.split("/"))
        self.concrete = tuple(not names for _, names in self.segments)
        self.shadows: list[_RawPathRoute] = []

    def shadowed_by(self, other: _RawPathRoute) -> bool:
        """Whether `other` has a literal segment where this has a parameter,
        and is as literal everywhere else."""
        if len(other.segments) != len(self.segments) or other is self:
            return False
        pairs = list(zip(self.concrete, other.concrete, strict=True))
        return all(theirs or not mine for mine, theirs in pairs) and any(
            theirs and not mine for mine, theirs in pairs
        )

    def path_params(self, scope: AsgiScope) -> dict[str, str] | None:
        """The parameters if the path is this route's, else None."""
        segments = _path_segments(scope)
        if segments is None or len(segments) != len(self.segments):
            return None
        found: dict[str, str] = {}
        for (pattern, names), segment in zip(self.segments, segments, strict=True):
            match = pattern.fullmatch(segment)
            if match is None:
                return None
            found.update(zip(names, match.groups(), strict=True))
        return found

    def matches(self, scope: AsgiScope) -> tuple[routing.Match, AsgiScope]:
        if scope["type"] != "http":
            return routing.Match.NONE, {}
        found = self.path_params(scope)
        if found is None or any(
            other.path_params(scope) is not None for other in self.shadows
        ):
            return routing.Match.NONE, {}
        path_params = {**scope.get("path_params", {}), **found}
        child_scope = {"endpoint": self.endpoint, "path_params": path_params}
        if self.methods and scope["method"] not in self.methods:
            return routing.Match.PARTIAL, child_scope
        return routing.Match.FULL, child_scope


def _segment_pattern(template: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """A regex matching one decoded path segment, and its parameters' names in order."""
    names = tuple(_TEMPLATE_PARAM.findall(template))
    literals = _TEMPLATE_PARAM.split(template)[::2]
    regex = "(.+?)".join(re.escape(literal) for literal in literals)
    return re.compile(regex, re.DOTALL), names


_SEGMENTS = "generated.path_segments"  # a scope key: (inputs, segments)


def _path_segments(scope: AsgiScope) -> list[str] | None:
    """The route path's segments, each decoded on its own; None for an empty path.

    The router asks every route in turn, so the answer is kept in the scope,
    with the values it was computed from.
    """
    inputs = (scope["path"], scope.get("root_path", ""), scope.get("raw_path"))
    kept = scope.get(_SEGMENTS)
    if kept is not None and kept[0] == inputs:
        segments: list[str] | None = kept[1]
        return segments
    segments = _split_path(scope)
    scope[_SEGMENTS] = (inputs, segments)
    return segments


def _split_path(scope: AsgiScope) -> list[str] | None:
    """From the raw path when the server gives one (ASGI's `raw_path`, which
    uvicorn, hypercorn and Starlette's test client do), and it starts with the
    root path; else from the decoded path, where a `%2F` is already a `/`.
    """
    path: str = scope["path"]
    prefix: str = scope.get("root_path", "")
    if not prefix or not path.startswith(prefix + "/"):
        prefix = ""  # as Starlette: a root path that is not a prefix is ignored
    route_path = path[len(prefix) :]
    if not route_path.startswith("/"):
        return None
    raw = scope.get("raw_path")
    if isinstance(raw, bytes) and raw.startswith(b"/"):
        decoded = [
            urllib.parse.unquote_to_bytes(part).decode("utf-8", "replace")
            for part in raw.split(b"/")
        ]
        # Drop the root path's segments (literal ones: it is a mount point).
        skip = prefix.count("/")
        if "/".join(decoded[: skip + 1]) == prefix:
            return [""] + decoded[skip + 1 :]
    return route_path.split("/")


def _dispatch(
    methods: Mapping[str, Callable[[Request], Awaitable[Response]]],
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await methods[method](request)

    return endpoint


def build_app(
    handler: Any,
    routes: Sequence[Route],
    schemes: Sequence[SecurityScheme],
    *,
    authenticate: Authenticator,
    title: str,
    version: str,
    spec_json: str,
    error_body: ErrorBodyFactory = error_body,
    rate_limit: RateLimiter | None = None,
    limits: Limits = Limits(),
) -> FastAPI:
    """A FastAPI app serving `routes` with `handler`; FastAPI's own schema is off.

    A trailing slash is optional, as on PostHog (Django's `/?` routes): a route
    documented as `/x/` also answers `/x`, without a redirect. The spec is
    served at `/openapi.json`, and as a page people can read at `/docs`.
    """
    _check_handler(handler, routes)
    by_name = {scheme.name: scheme for scheme in schemes}

    def problem_response(problem: Problem) -> Response:
        content = json.dumps(error_body(problem))
        return Response(
            content,
            status_code=problem.status,
            headers=problem.headers,
            media_type="application/json",
        )

    app = FastAPI(
        title=title, version=version, openapi_url=None, docs_url=None, redoc_url=None
    )
    # One route per path, dispatching on the method, so that a 405 lists in
    # `Allow` every method the path serves.
    by_path: dict[str, dict[str, Callable[[Request], Awaitable[Response]]]] = {}
    for route in routes:
        by_path.setdefault(route.path, {})[route.method] = _endpoint(
            route, handler, by_name, authenticate, rate_limit, problem_response, limits
        )
    served: list[_RawPathRoute] = []
    for path, methods in by_path.items():
        endpoint = _dispatch(methods)
        served.append(_RawPathRoute(path, endpoint, methods=sorted(methods)))
        if path.endswith("/") and path != "/":
            served.append(
                _RawPathRoute(path.rstrip("/"), endpoint, methods=sorted(methods))
            )
    for raw_route in served:
        raw_route.shadows = [o for o in served if raw_route.shadowed_by(o)]
    app.router.routes.extend(served)

    async def openapi(request: Request) -> Response:
        return Response(spec_json, media_type="application/json")

    app.router.add_route("/openapi.json", openapi, methods=["GET"])

    @functools.cache
    def page() -> Response:
        html = docs_page(json.loads(spec_json))
        return Response(html, media_type="text/html", headers=_docs_headers())

    async def docs(request: Request) -> Response:
        return page()

    app.router.add_route("/docs", docs, methods=["GET"])

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if error.status_code == 405:
            problem = Problem(
                405,
                "invalid_request",
                "method_not_allowed",
                f'Method "{request.method}" not allowed.',
                headers=error.headers,
            )
        elif error.status_code == 404:
            problem = Problem(404, "invalid_request", "not_found", "Not found.")
        else:
            problem = Problem(
                error.status_code, "invalid_request", "error", str(error.detail)
            )
        return problem_response(problem)

    async def unhandled(request: Request, error: Exception) -> Response:
        logger.exception(
            "unhandled error in %s %s", request.method, request.url.path, exc_info=error
        )
        return problem_response(server_error())

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unhandled)
    return app


def server_error() -> Problem:
    return Problem(500, "server_error", "error", "A server error occurred.")


def _check_handler(handler: Any, routes: Sequence[Route]) -> None:
    """Refuse, at start-up and all at once, a handler lacking interface methods.

    Type checkers catch this against the `Handler` protocol; this is for code
    they do not check, which would otherwise fail on the first request.
    """
    missing = sorted(
        {
            route.handler
            for route in routes
            if not callable(getattr(handler, route.handler, None))
        }
    )
    if missing:
        raise TypeError(
            f"{type(handler).__name__} lacks {len(missing)} method(s) of the handler"
            f" interface: {', '.join(missing)}. Define each; one that raises"
            " NotImplementedError answers 501."
        )
