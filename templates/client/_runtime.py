"""Runtime of the generated client: models, encoding, transport, retries, errors.

This module is copied verbatim into every generated client. It depends on the
standard library and httpx only, and imports httpx lazily, when the first
client is created, so that importing the package stays cheap.
"""

from __future__ import annotations

import contextvars
import dataclasses
import datetime
import enum
import json
import os
import random
import sys
import time
import types
import typing
import uuid
import warnings
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterator,
    Mapping,
    Sequence,
)
from typing import TYPE_CHECKING, Any, ClassVar, Concatenate, Generic, Protocol, TypeVar

if TYPE_CHECKING:
    from typing import Self

    import httpx

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
P = typing.ParamSpec("P")


# --- values ---------------------------------------------------------------


class Unset:
    """The type of `UNSET`: a field or parameter that is absent, not null."""

    _instance: ClassVar[Unset | None] = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = Unset()


class _OpenEnumMixin:
    """Accepts values the spec did not list, so a newer server cannot break us."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        base = str if issubclass(cls, str) else int
        if not isinstance(value, base):
            return None
        construct: Any = base.__new__
        member = construct(cls, value)
        member._name_ = f"UNKNOWN_{value}"
        member._value_ = value
        return member


# Not StrEnum: its `_missing_` handling would refuse unknown values.
class OpenEnum(_OpenEnumMixin, str, enum.Enum):  # noqa: UP042
    """A string enum that keeps unknown values."""

    def __str__(self) -> str:
        return str(self.value)


class OpenIntEnum(_OpenEnumMixin, int, enum.Enum):
    """An integer enum that keeps unknown values."""


# --- models ---------------------------------------------------------------


class DecodeError(ValueError):
    """A response body did not have the shape the spec promised."""


@typing.dataclass_transform(kw_only_default=True)
@dataclasses.dataclass(kw_only=True)
class Model:
    """Base of generated models: wire names, unknown fields and JSON conversion.

    Every subclass is a keyword-only dataclass, made so when it is defined;
    type checkers know it from `dataclass_transform`.
    """

    # Fields the spec does not declare, kept as received (forward compatibility).
    additional_properties: dict[str, Any] = dataclasses.field(
        default_factory=dict, repr=False, compare=False
    )

    # Python attribute -> wire name, for attributes whose names differ.
    _wire: ClassVar[Mapping[str, str]] = {}

    # (property wire name, value) telling this model apart in a discriminated
    # `oneOf`; see `_union_decoder`.
    _discriminator: ClassVar[tuple[str, str] | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclasses.dataclass(kw_only=True)(cls)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        # A copy first: the model adopts the lists and dicts it is given.
        instance: Self = (_PLANS.get(cls) or _plan(cls)).read(_fresh(data))
        return instance

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for attr, wire in _plan(type(self)).fields:
            value = getattr(self, attr)
            if value is not UNSET:
                data[wire] = to_json(value)
        data.update({k: to_json(v) for k, v in self.additional_properties.items()})
        return data

    def __getitem__(self, wire: str) -> Any:
        """Read a field by its wire name, declared or not."""
        for attr, name in _plan(type(self)).fields:
            if name == wire:
                return getattr(self, attr)
        return self.additional_properties[wire]


@dataclasses.dataclass(frozen=True, slots=True)
class _Plan:
    """How one model class maps to JSON, worked out on its first use."""

    fields: tuple[tuple[str, str], ...]  # (attribute, wire name), declared order
    read: Callable[[Mapping[str, Any]], Any]  # `from_dict`, adopting the data


_PLANS: dict[type, _Plan] = {}


_PLANNING: set[type] = set()  # classes whose plan is being made


def _plan(cls: type[Model]) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        _PLANNING.add(cls)
        try:
            hints = typing.get_type_hints(cls)
            fields = [
                _FieldPlan.of(cls, field, hints[field.name])
                for field in dataclasses.fields(cls)
                if field.name != "additional_properties"
            ]
        finally:
            _PLANNING.discard(cls)
        plan = _Plan(
            tuple((f.attr, f.wire) for f in fields), _write_reader(cls, fields)
        )
        _PLANS[cls] = plan
    return plan


class _Absent:
    """The type of `_ABSENT`: no value at all, where None and UNSET are values."""


_ABSENT: Any = _Absent()


@dataclasses.dataclass(frozen=True, slots=True)
class _FieldPlan:
    """How `from_dict` reads one field."""

    attr: str
    wire: str
    # Decodes the JSON value; None when it is kept as it is (str, bool, Any...).
    decode: Callable[[Any], Any] | None
    # The annotation without null and UNSET, when one type remains.
    tp: Any
    nullable: bool  # null stays None without decoding
    # The value when the server leaves the field out: its default, None when
    # it is required but nullable (a tolerant reader), or `_ABSENT` when only
    # `__init__` can tell (a default factory, or an error).
    absent: Any

    @classmethod
    def of(cls, model: type[Model], field: dataclasses.Field[Any], tp: Any) -> Self:
        nullable, inner, decode = _split_null(tp)
        if field.default is not dataclasses.MISSING:
            absent = field.default
        elif field.default_factory is dataclasses.MISSING and nullable:
            absent = None
        else:
            absent = _ABSENT
        return cls(
            field.name,
            model._wire.get(field.name, field.name),
            None if decode is _identity else decode,
            inner,
            nullable,
            absent,
        )


def _write_reader(
    cls: type[Model], fields: list[_FieldPlan]
) -> Callable[[Mapping[str, Any]], Any]:
    """`from_dict` for one class as straight-line code, the way dataclasses
    writes `__init__`: a page of a hundred items is a hundred instances.

    The reader adopts the lists and dicts it is given and never changes
    them (a union tries one option after another on the same data).
    Only names made here (`w0`, `v0`...) enter the source; wire names,
    attributes, defaults and decoders are passed in as values, so no text of
    the spec is ever compiled.
    """
    scope: dict[str, Any] = {
        "cls": cls,
        "new": object.__new__,
        "construct": _construct,
        "as_object": _as_object,
        "fromisoformat": datetime.datetime.fromisoformat,
        "declared": frozenset(field.wire for field in fields),
        "ADDITIONAL": "additional_properties",
    }
    for i, field in enumerate(fields):
        scope.update({f"k{i}": field.attr, f"w{i}": field.wire, f"a{i}": field.absent})
    lines = [
        "def from_dict(data):",
        "    if type(data) is not dict:",
        "        data = as_object(cls, data)",
        # Most objects have exactly the declared fields, which can then be
        # read without defaults, and leave no unknown ones to look for.
        f"    exact = len(data) == {len(fields)}",
        "    if exact:",
        "        try:",
        *(
            [f"            v{i} = data[w{i}]" for i in range(len(fields))]
            or ["            pass"]
        ),
        "        except KeyError:",
        "            exact = False",
        "    if not exact:",
        "        get = data.get",
        *[f"        v{i} = get(w{i}, a{i})" for i in range(len(fields))],
    ]
    for i, field in enumerate(fields):
        if field.decode is not None:
            scope[f"d{i}"] = field.decode
            lines += _decode_lines(i, field, scope)
    values = ", ".join(f"k{i}: v{i}" for i in range(len(fields)))
    lines += [
        # What the spec does not declare, kept in received order.
        "    if exact or declared.issuperset(data):",
        "        extra = {}",
        "    else:",
        "        extra = {k: v for k, v in data.items() if k not in declared}",
        f"    values = {{ADDITIONAL: extra, {values}}}",
    ]
    maybe_absent = [
        f"v{i} is a{i}" for i, f in enumerate(fields) if f.absent is _ABSENT
    ]
    if _builds_directly(cls):
        if maybe_absent:
            lines.append(f"    if not exact and ({' or '.join(maybe_absent)}):")
            lines.append("        return construct(cls, values)")
        # Every field has its value: set them as `__init__` would, at a
        # third of its cost.
        lines += ["    instance = new(cls)", "    instance.__dict__ = values"]
        lines.append("    return instance")
    else:
        lines.append("    return construct(cls, values)")
    exec("\n".join(lines), scope)
    reader: Callable[[Mapping[str, Any]], Any] = scope["from_dict"]
    return reader


def _decode_lines(i: int, field: _FieldPlan, scope: dict[str, Any]) -> list[str]:
    """The reader's lines decoding field `i`: a call of its decoder, after a
    test inline for the values the most common decoders keep as they are."""
    v = f"v{i}"
    present = f"{v} is not a{i}" + (f" and {v} is not None" if field.nullable else "")
    call = [f"    if {present}:", f"        {v} = d{i}({v})"]
    if field.decode is _parse_datetime:
        return [
            f"    if type({v}) is str and {v} is not a{i}:",
            "        try:",
            f"            {v} = fromisoformat({v})",
            "        except ValueError:",
            "            pass",
            f"    elif {present}:",
            call[1],
        ]
    if isinstance(field.tp, type) and issubclass(field.tp, enum.Enum):
        scope[f"m{i}"] = field.tp._value2member_map_
        return [
            f"    if {present}:",
            "        try:",
            f"            {v} = m{i}[{v}]",
            "        except (KeyError, TypeError):",
            f"            {v} = d{i}({v})",
        ]
    kept = _KEEPS.get(field.decode)
    if kept is not None:
        return [f"    if type({v}) is not {kept} and {present}:", call[1]]
    return call


def _as_object(cls: type[Model], data: Any) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise DecodeError(
            f"{cls.__name__}: expected an object, got {type(data).__name__}"
        )
    return dict(data)


def _construct(cls: type[Model], values: dict[str, Any]) -> Any:
    """An instance through `__init__`, which fills in default factories and
    refuses a missing required field."""
    try:
        return cls(**{k: v for k, v in values.items() if v is not _ABSENT})
    except TypeError as error:
        raise DecodeError(f"{cls.__name__}: {error}") from None


def _builds_directly(cls: type[Model]) -> bool:
    """Whether `__init__` may be skipped: it is the one dataclasses wrote, which
    only assigns, there is no `__post_init__`, and no slots bypass `__dict__`.

    Any doubt answers False, which costs speed, never correctness.
    """
    code = getattr(cls.__init__, "__code__", None)
    return (
        code is not None
        and code.co_filename == "<string>"  # written by dataclasses, not by hand
        and not hasattr(cls, "__post_init__")
        and not any("__slots__" in vars(klass) for klass in cls.__mro__)
    )


def _identity(value: Any) -> Any:
    return value


_DECODERS: dict[Any, Callable[[Any], Any]] = {}


def decoder(tp: Any) -> Callable[[Any], Any]:
    """A function turning JSON data into `tp`; tolerant where the spec allows growth.

    It decodes a copy of the data, as `from_dict` does.
    """
    decode = _decoder(tp)
    return lambda value: decode(_fresh(value))


def _fresh(value: Any) -> Any:
    """JSON data in new lists and dicts, all the way down.

    Decoders adopt the containers they are given rather than copy them: a
    response body, just parsed, belongs to nobody else. Data from a caller
    is copied first, so that no model shares it.
    """
    kind = type(value)
    if kind in _JSON_SCALARS:
        return value
    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        return {k: _fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    return value


def _decoder(tp: Any) -> Callable[[Any], Any]:
    """`decoder` without the copy, cached: for data nobody else holds."""
    try:
        cached = _DECODERS.get(tp)
    except TypeError:  # unhashable annotation
        cached = None
    if cached is not None:
        return cached
    made = _make_decoder(tp)
    try:
        _DECODERS[tp] = made
    except TypeError:
        pass
    return made


def _split_null(tp: Any) -> tuple[bool, Any, Callable[[Any], Any]]:
    """(nullable?, the type other than null if only one remains, and the
    decoder of the values other than null) of an annotation."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return False, tp, _decoder(tp)
    args = typing.get_args(tp)
    options = [a for a in args if a is not Unset and a is not type(None)]
    if len(options) == 1:
        return type(None) in args, options[0], _decoder(options[0])
    return type(None) in args, None, _union_decoder(options)


def _make_decoder(tp: Any) -> Callable[[Any], Any]:
    if type(tp).__name__ == "TypeAliasType":  # a recursive alias of the models
        return _alias_decoder(tp)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        nullable, _, inner = _split_null(tp)
        if not nullable or inner is _identity:
            return inner
        return lambda value: None if value is None else inner(value)
    if origin is list:
        item = _decoder(args[0]) if args else _identity
        return _list_as_is if item is _identity else _list_decoder(item)
    if origin is dict:
        value_decoder = _decoder(args[1]) if len(args) == 2 else _identity
        if value_decoder is _identity:
            return _dict_as_is
        return lambda value: (
            {k: value_decoder(v) for k, v in value.items()}
            if isinstance(value, dict)
            else _mismatch("object", value)
        )
    if origin is typing.Literal:
        return _identity
    if isinstance(tp, type):
        if issubclass(tp, Model):
            return _model_decoder(tp)
        if issubclass(tp, enum.Enum):
            return _enum_decoder(tp)
        if tp is datetime.datetime:
            return _parse_datetime
        if tp is datetime.date:
            return lambda value: (
                datetime.date.fromisoformat(value) if isinstance(value, str) else value
            )
        if tp is datetime.time or tp is uuid.UUID:
            return _parse_text(tp)
        if tp is float:
            return _decode_float
        if tp is bytes:
            return _decode_bytes
    return _identity


def _alias_decoder(alias: Any) -> Callable[[Any], Any]:
    """A recursive alias's value is text naming the alias itself: read when the
    first value is decoded, once its module has defined every name in it."""
    decode: Callable[[Any], Any] | None = None

    def lazy(value: Any) -> Any:
        nonlocal decode
        if decode is None:
            module = vars(sys.modules[alias.__module__])
            holder = types.SimpleNamespace(__annotations__={"value": alias.__value__})
            decode = _decoder(typing.get_type_hints(holder, module)["value"])
        return decode(value)

    return lazy


def _model_decoder(cls: type[Model]) -> Callable[[Any], Any]:
    """`cls.from_dict` without its method call and plan lookup, unless `cls`
    is being planned already (a model that contains itself)."""
    if cls not in _PLANNING:
        return _plan(cls).read

    def decode(value: Any) -> Any:
        return (_PLANS.get(cls) or _plan(cls)).read(value)

    return decode


def _list_decoder(item: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def decode(value: Any) -> Any:
        if type(value) is not list and not isinstance(value, list):
            return _mismatch("array", value)
        # An empty list is adopted as it is, saving a new one.
        return [item(v) for v in value] if value else value

    return decode


def _list_as_is(value: Any) -> Any:
    return value if isinstance(value, list) else _mismatch("array", value)


def _dict_as_is(value: Any) -> Any:
    return value if isinstance(value, dict) else _mismatch("object", value)


def _decode_float(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


# The type of value a decoder returns unchanged, tested inline by readers.
_KEEPS: dict[Any, str] = {
    _list_as_is: "list",
    _dict_as_is: "dict",
    _decode_float: "float",
}


def _enum_decoder(tp: type[enum.Enum]) -> Callable[[Any], Any]:
    # The table lookup `tp(value)` makes first, without its call overhead;
    # values the spec did not list, or unhashable ones, still go through it.
    members = tp._value2member_map_

    def decode(value: Any) -> Any:
        try:
            return members[value]
        except (KeyError, TypeError):
            return tp(value)

    return decode


def _decode_bytes(value: Any) -> Any:
    import base64

    return base64.b64decode(value) if isinstance(value, str) else value


def _mismatch(expected: str, value: Any) -> Any:
    raise DecodeError(f"expected {expected}, got {type(value).__name__}")


def _parse_datetime(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        return value  # keep what the server sent rather than fail the call


def _parse_text(tp: Any) -> Callable[[Any], Any]:
    """A decoder of text into `tp` (`uuid.UUID`, `datetime.time`), as
    `_parse_datetime`: what does not parse is kept as the server sent it."""
    parse = tp.fromisoformat if tp is datetime.time else tp

    def decode(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return parse(value)
        except ValueError:
            return value

    return decode


def _union_decoder(options: list[Any]) -> Callable[[Any], Any]:
    decoders = [(option, _decoder(option)) for option in options]
    tags = _discriminators(options)

    def decode(value: Any) -> Any:
        if tags is not None and isinstance(value, dict):
            for wire, by_value in tags.items():
                tag = value.get(wire)
                if tag in by_value:
                    return by_value[tag](value)
            if any(wire in value for wire in tags):
                return value  # a variant newer than this client: kept as received
        for option, decode_option in decoders:
            if _plausible(option, value):
                try:
                    return decode_option(value)
                except (DecodeError, ValueError, TypeError):
                    continue
        return value

    return decode


def _discriminators(
    options: list[Any],
) -> dict[str, dict[Any, Callable[[Any], Any]]] | None:
    """Decoders by discriminator property and value, when every option declares one.

    A union where any option lacks `_discriminator` is decoded by trial, in
    order, as is a value without the discriminator property; a value whose
    discriminator names no option is returned as received.
    """
    tags: dict[str, dict[Any, Callable[[Any], Any]]] = {}
    for option in options:
        if not (isinstance(option, type) and issubclass(option, Model)):
            return None
        if option._discriminator is None:
            return None
        wire, value = option._discriminator
        tags.setdefault(wire, {}).setdefault(value, _model_decoder(option))
    return tags


def _plausible(tp: Any, value: Any) -> bool:
    origin = typing.get_origin(tp) or tp
    if origin is list:
        return isinstance(value, list)
    if origin is dict or (isinstance(origin, type) and issubclass(origin, Model)):
        return isinstance(value, dict)
    if origin in (int, float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if origin is bool:
        return isinstance(value, bool)
    if origin is str or (
        isinstance(origin, type) and issubclass(origin, enum.Enum | datetime.date)
    ):
        return isinstance(value, str | int) and not isinstance(value, bool)
    return True


def to_json(value: Any) -> Any:
    """Models, enums, dates and containers as JSON data; UNSET entries dropped."""
    if type(value) in _JSON_SCALARS:
        return value
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode()
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items() if v is not UNSET}
    return value


# Exactly these types (not subclasses: enums derive from str and int) are
# JSON as they are.
_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


# --- operations -----------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Param:
    """How one parameter travels: where, under which name, in which style."""

    name: str
    wire: str
    location: str
    style: str = "form"
    explode: bool = True
    json: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class Operation:
    """Everything the runtime needs to call one operation.

    Parameters are listed by their Python names, per location; only what
    departs from the defaults is spelled out (a wire name that differs, a
    non-default style, a JSON-encoded value). The generated client does not
    build these itself: `operation` derives one from each method's decorator
    and signature.
    """

    name: str
    method: str
    path: str
    path_params: Sequence[str] = ()
    query: Sequence[str] = ()
    headers: Sequence[str] = ()
    cookies: Sequence[str] = ()
    wire: Mapping[str, str] = dataclasses.field(default_factory=dict)
    styles: Mapping[str, tuple[str, bool]] = dataclasses.field(default_factory=dict)
    json_params: Sequence[str] = ()
    body: str | None = None  # body kind: json, form, multipart, binary, text
    content_type: str | None = None
    # The other media types the body may be sent as (the `content_type`
    # argument), with the kind of each.
    media: Mapping[str, str] = dataclasses.field(default_factory=dict)
    responses: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    deprecated: bool = False
    csv: bool = False  # also answers `text/csv` (see `client.csv`)
    params: tuple[Param, ...] = dataclasses.field(init=False)
    # `_response_type` by status, filled in as statuses come.
    by_status: dict[int, tuple[bool, Any]] = dataclasses.field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        params = []
        for location, names in (
            ("path", self.path_params),
            ("query", self.query),
            ("header", self.headers),
            ("cookie", self.cookies),
        ):
            default = (
                ("form", True) if location in ("query", "cookie") else ("simple", False)
            )
            for name in names:
                style, explode = self.styles.get(name, default)
                wire = self.wire.get(name, name)
                params.append(
                    Param(
                        name, wire, location, style, explode, name in self.json_params
                    )
                )
        object.__setattr__(self, "params", tuple(params))

    @property
    def idempotent(self) -> bool:
        return self.method in ("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE")


def _scalar(value: Any) -> str:
    value = to_json(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


# The characters `quote(..., safe="")` leaves as they are.
_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"


def _encode_path_value(param: Param, value: Any) -> str:
    # Most path parameters are ids, with nothing to escape.
    if type(value) is str and not value.rstrip(_UNRESERVED):
        return value
    from urllib.parse import quote

    if type(value) is str:
        return quote(value, safe="")
    value = to_json(value)
    if isinstance(value, list):
        text = ",".join(_scalar(v) for v in value)
    elif isinstance(value, dict):
        sep = "," if not param.explode else "="
        pairs = [f"{k}{sep}{_scalar(v)}" for k, v in value.items()]
        text = ",".join(pairs)
    else:
        text = _scalar(value)
    return quote(text, safe="")


def _encode_query(param: Param, value: Any) -> list[tuple[str, str]]:
    if param.json:
        return [(param.wire, json.dumps(to_json(value), separators=(",", ":")))]
    value = to_json(value)
    if isinstance(value, list):
        if param.style == "form" and param.explode:
            return [(param.wire, _scalar(v)) for v in value]
        separator = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(param.style, ",")
        return [(param.wire, separator.join(_scalar(v) for v in value))]
    if isinstance(value, dict):
        if param.style == "deepObject":
            return [(f"{param.wire}[{k}]", _scalar(v)) for k, v in value.items()]
        if param.explode:
            return [(str(k), _scalar(v)) for k, v in value.items()]
        separator = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(param.style, ",")
        flat = [text for k, v in value.items() for text in (str(k), _scalar(v))]
        return [(param.wire, separator.join(flat))]
    return [(param.wire, _scalar(value))]


def _encode_header(param: Param, value: Any) -> str:
    if param.json:
        return json.dumps(to_json(value), separators=(",", ":"))
    value = to_json(value)
    if isinstance(value, list):
        return ",".join(_scalar(v) for v in value)
    if isinstance(value, dict):
        sep = "=" if param.explode else ","
        return ",".join(f"{k}{sep}{_scalar(v)}" for k, v in value.items())
    return _scalar(value)


@dataclasses.dataclass(slots=True)
class _Prepared:
    method: str
    path: str
    params: list[tuple[str, str]]
    headers: dict[str, str]
    cookies: dict[str, str]
    content: bytes | None = None
    data: Mapping[str, Any] | None = None
    files: Mapping[str, Any] | None = None


def prepare(op: Operation, args: Mapping[str, Any]) -> _Prepared:
    """Turn the keyword arguments of a client method into the parts of a request."""
    path = op.path
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    for param in op.params:
        value = args.get(param.name, UNSET)
        if value is UNSET:
            continue
        if param.location == "path":
            path = path.replace(
                "{" + param.wire + "}", _encode_path_value(param, value)
            )
        elif param.location == "query":
            if value is not None or param.json:
                query.extend(_encode_query(param, value))
        elif param.location == "header":
            headers[param.wire] = _encode_header(param, value)
        elif param.location == "cookie":
            cookies[param.wire] = _encode_header(param, value)
    body = args.get("body", UNSET)
    if op.body is None or body is UNSET:
        return _Prepared(op.method, path, query, headers, cookies)
    kind, content_type = op.body, op.content_type
    chosen = args.get("content_type", content_type) if op.media else content_type
    if chosen != content_type:
        if not isinstance(chosen, str) or chosen not in op.media:
            raise ValueError(f"{op.name}: the spec declares no body of type {chosen!r}")
        kind, content_type = op.media[chosen], chosen
    if content_type:
        headers.setdefault("Content-Type", content_type)
    if kind == "json":
        content = json.dumps(
            to_json(body), separators=(",", ":"), ensure_ascii=False
        ).encode()
        return _Prepared(op.method, path, query, headers, cookies, content=content)
    if kind == "form":
        fields = {k: _scalar(v) for k, v in to_json(body).items() if v is not UNSET}
        headers.pop("Content-Type", None)
        return _Prepared(op.method, path, query, headers, cookies, data=fields)
    if kind == "multipart":
        headers.pop("Content-Type", None)
        data: dict[str, Any] = {}
        files: dict[str, Any] = {}
        items = body.items() if isinstance(body, Mapping) else vars(body).items()
        for key, value in items:
            if value is UNSET or key == "additional_properties":
                continue
            wire = type(body)._wire.get(key, key) if isinstance(body, Model) else key
            if isinstance(value, bytes | bytearray) or hasattr(value, "read"):
                # httpx reads bytes or a file, not a bytearray.
                blob = bytes(value) if isinstance(value, bytearray) else value
                files[wire] = (wire, blob)
            elif isinstance(value, tuple):
                files[wire] = value
            else:
                encoded = to_json(value)
                data[wire] = (
                    json.dumps(encoded)
                    if isinstance(encoded, dict | list)
                    else _scalar(encoded)
                )
        if not files:
            # httpx would send fields alone as a urlencoded form: as parts
            # without a file name they are sent as multipart, part for part.
            files, data = {k: (None, v) for k, v in data.items()}, {}
        return _Prepared(
            op.method, path, query, headers, cookies, data=data, files=files or None
        )
    if kind == "text":
        return _Prepared(
            op.method, path, query, headers, cookies, content=str(body).encode()
        )
    return _Prepared(op.method, path, query, headers, cookies, content=bytes(body))


def _response_type(op: Operation, status: int) -> tuple[bool, Any]:
    """(documented?, type) for a status: exact code, then `2XX`, then `default`."""
    known = op.by_status.get(status)
    if known is None:
        known = (False, None)
        for key in (str(status), f"{str(status)[0]}XX", "default"):
            if key in op.responses:
                known = (True, op.responses[key])
                break
        op.by_status[status] = known
    return known


def parse(op: Operation, response: httpx.Response) -> Any:
    """The value of a successful response, of the type its status documents."""
    _, tp = _response_type(op, response.status_code)
    if tp is None or not response.content:
        return None
    content_type = response.headers.get("content-type", "")
    if tp is bytes:
        return response.content
    if tp is str:
        return response.text
    if "json" not in content_type:
        raise DecodeError(
            f"{op.name}: expected JSON, got {content_type or 'no content type'}; use `client.csv(...)` or `client.raw(...)` for other formats"
        )
    try:
        data = response.json()
    except ValueError as error:
        raise DecodeError(
            f"{op.name}: the response is not valid JSON: {error}"
        ) from None
    return _decoder(tp)(data)


# --- errors ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class ErrorBody:
    """The error body as the server sent it: PostHog's `{type, code, detail, attr}` when it fits."""

    type: str | None = None
    code: str | None = None
    detail: str | None = None
    attr: str | None = None
    raw: Any = None

    @classmethod
    def from_response(cls, response: httpx.Response) -> ErrorBody:
        try:
            data = response.json()
        except ValueError:
            return cls(detail=response.text[:500] or None, raw=response.text)
        if not isinstance(data, dict):
            return cls(raw=data)

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) else None

        return cls(
            text("type"),
            text("code"),
            text("detail") or text("error") or text("message"),
            text("attr"),
            data,
        )


class ApiError(Exception):
    """Base of every error the client raises.

    `status_code`, `body` and `response` are None only when no response came
    (connection errors and timeouts); `ApiStatusError` always has them.
    """

    request: httpx.Request | None = None
    response: httpx.Response | None = None
    status_code: int | None = None
    body: ErrorBody | None = None


class ApiConnectionError(ApiError):
    """The server could not be reached, or the connection broke."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = request


class ApiTimeoutError(ApiConnectionError):
    """The request, or the deadline across its retries, timed out."""


class ResponseTooLargeError(ApiError):
    """The response body was larger than the client's `max_response_bytes`.

    The body is not kept: `response` has the status and headers only.
    """

    def __init__(self, message: str, *, response: httpx.Response) -> None:
        super().__init__(message)
        self.response = response
        self.request = response.request
        self.status_code = response.status_code


class ResponseDecodeError(ApiError, DecodeError):
    """The server answered, but not in the shape the spec documents."""

    def __init__(self, message: str, *, response: httpx.Response) -> None:
        super().__init__(message)
        self.response = response
        self.request = response.request
        self.status_code = response.status_code


class ApiStatusError(ApiError):
    """The server answered with an error status."""

    request: httpx.Request
    response: httpx.Response
    status_code: int
    body: ErrorBody

    def __init__(self, response: httpx.Response, body: ErrorBody) -> None:
        self.response = response
        self.request = response.request
        self.status_code = response.status_code
        self.body = body
        detail = body.detail or response.reason_phrase
        code = f" [{body.code}]" if body.code else ""
        # The path only: a query string may carry user data.
        where = f"{response.request.method} {response.request.url.path}"
        super().__init__(f"{response.status_code}{code}: {detail} ({where})")


class BadRequestError(ApiStatusError):
    """400: the request was refused; `body.attr` names the field."""


class AuthenticationError(ApiStatusError):
    """401: no API key, or a key the server does not accept."""


class PermissionDeniedError(ApiStatusError):
    """403: the key lacks a scope, or the action is not allowed for API keys."""


class NotFoundError(ApiStatusError):
    """404."""


class ConflictError(ApiStatusError):
    """409."""


class UnprocessableEntityError(ApiStatusError):
    """422."""


class RateLimitError(ApiStatusError):
    """429: throttled; `retry_after` says for how long, when the server said."""

    @property
    def retry_after(self) -> float | None:
        return retry_after(self.response)


class ServerError(ApiStatusError):
    """5xx."""


_STATUS_ERRORS: dict[int, type[ApiStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error(response: httpx.Response) -> ApiStatusError:
    cls = _STATUS_ERRORS.get(response.status_code) or (
        ServerError if response.status_code >= 500 else ApiStatusError
    )
    return cls(response, ErrorBody.from_response(response))


def _transport_failure(
    op: Operation, error: Exception, timed_out: bool
) -> ApiConnectionError:
    try:
        request: httpx.Request | None = getattr(error, "request", None)
    except RuntimeError:  # httpx raises when the error has no request
        request = None
    if timed_out:
        failure: ApiConnectionError = ApiTimeoutError(
            f"{op.name}: timed out ({type(error).__name__})", request=request
        )
    else:
        failure = ApiConnectionError(
            f"{op.name}: {type(error).__name__}: {error}", request=request
        )
    failure.__cause__ = error
    return failure


# --- retries --------------------------------------------------------------

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def retry_after(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds, from either of its forms."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, (when - datetime.datetime.now(datetime.UTC)).total_seconds())


@dataclasses.dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter, honouring `Retry-After`.

    Connection errors, 408, 429 and 5xx are retried for idempotent methods;
    a request that never reached the server (connect errors) is retried for
    any method. A `Retry-After` longer than `max_retry_after` is not waited
    for: the call raises `RateLimitError` at once, carrying `retry_after`.
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0
    retry_non_idempotent: bool = False

    def delay(self, attempt: int, response: httpx.Response | None) -> float | None:
        """Seconds to wait before retry number `attempt + 1`; None: do not retry."""
        if response is not None:
            after = retry_after(response)
            if after is not None:
                return after if after <= self.max_retry_after else None
        ceiling = min(self.max_delay, self.initial_delay * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)

    def should_retry(
        self,
        op: Operation,
        attempt: int,
        status: int | None,
        *,
        sent: bool = True,
    ) -> bool:
        if attempt >= self.max_retries:
            return False
        if sent and not (op.idempotent or self.retry_non_idempotent):
            return False
        return status is None or status in RETRY_STATUSES


@dataclasses.dataclass(frozen=True, slots=True)
class RequestOptions:
    """Per-call settings; anything left as None falls back to the client's."""

    timeout: float | None = None
    max_retries: int | None = None
    deadline: float | None = None  # seconds across all attempts
    headers: Mapping[str, str] | None = None


class _Secret(Generic[T]):
    """Holds the API key (or headers carrying it) so that no repr, str or
    traceback shows it."""

    __slots__ = ("_value",)

    def __init__(self, value: T) -> None:
        self._value = value

    def reveal(self) -> T:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("the API key cannot be pickled")


class Page(Protocol[T_co]):
    """A page of a paginated list: its items, and the URL of the next page."""

    @property
    def results(self) -> typing.Sequence[T_co]: ...

    @property
    def next(self) -> str | None | Unset: ...


@dataclasses.dataclass(frozen=True, slots=True)
class ApiResponse(Generic[T]):
    """A raw response together with its parsed value (parsed on first access)."""

    http: httpx.Response
    _parse: Callable[[], T]

    @property
    def status_code(self) -> int:
        return self.http.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self.http.headers

    @property
    def content(self) -> bytes:
        return self.http.content

    @property
    def text(self) -> str:
        return self.http.text

    def json(self) -> Any:
        return self.http.json()

    @property
    def parsed(self) -> T:
        return self._parse()


# Set while `client.raw(...)` runs: the call then returns its raw response.
_RAW: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "_RAW", default=None
)

# The request that follows a `next` link (no parameters, no deprecation).
_FOLLOW = Operation("follow", "GET", "")


# --- exchanges ------------------------------------------------------------

# The most a response body may hold (decoded) unless the client says otherwise.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
# Redirects followed within one attempt (only to the origin that answered).
MAX_REDIRECTS = 5


class _Body:
    """A response body collected within a size limit and a call's deadline.

    Decoded bytes are counted, so that a compressed body cannot expand past
    the limit; the deadline is checked as each chunk comes.
    """

    __slots__ = ("chunks", "deadline_at", "limit", "op", "response", "size")

    def __init__(
        self,
        op: Operation,
        response: httpx.Response,
        limit: int,
        deadline_at: float | None,
    ) -> None:
        self.op = op
        self.response = response
        self.limit = limit
        self.deadline_at = deadline_at
        self.chunks: list[bytes] = []
        self.size = 0
        declared = response.headers.get("content-length", "").strip()
        # Refused before reading, when the server says so (the first 20 digits
        # tell: Python refuses to convert very long digit strings).
        if declared.isascii() and declared.isdigit() and int(declared[:20]) > limit:
            raise self._too_large()

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise self._too_large()
        if self.deadline_at is not None and time.monotonic() > self.deadline_at:
            raise ApiTimeoutError(
                f"{self.op.name}: the deadline passed while the response was read",
                request=self.response.request,
            )
        self.chunks.append(chunk)

    def _too_large(self) -> ResponseTooLargeError:
        return ResponseTooLargeError(
            f"{self.op.name}: the response is larger than {self.limit} bytes"
            " (max_response_bytes)",
            response=self.response,
        )

    def done(self) -> None:
        # What `response.read()` would have kept, had it been read whole.
        self.response._content = b"".join(self.chunks)


def _redirect(response: httpx.Response, hops: int) -> httpx.Request | None:
    """The request a redirect asks for, if it is to be followed: only to the
    origin (scheme, host and port) that answered, so that no body, key or
    header of ours ever reaches another host. Any other redirect is the answer."""
    target = response.next_request
    if target is None or hops >= MAX_REDIRECTS:
        return None
    here, there = response.request.url, target.url
    if (here.scheme, here.host, here.port) != (there.scheme, there.host, there.port):
        return None
    return target


def _checked_key(api_key: str, location: str, source: str) -> str:
    """`api_key`, if it can travel where API keys go (a header, a cookie, the query).

    Otherwise a ValueError raised here, outside any handler, so that no
    chained exception carries the key either; the message says what is wrong
    and where, but holds no character of the key.
    """
    forbidden = '",;\\' if location == "cookie" else ""
    bad = next(
        (i for i, c in enumerate(api_key) if not "!" <= c <= "~" or c in forbidden),
        None,
    )
    if bad is None:
        return api_key
    char = api_key[bad]
    if not char.isascii():
        what = "a non-ASCII character"
    elif char.isspace() or not char.isprintable():
        what = "whitespace or a control character"
    else:
        what = "a character a cookie cannot carry"
    raise ValueError(
        f"the API key ({source}) cannot be sent: character {bad + 1} of"
        f" {len(api_key)} is {what}; an API key is printable ASCII without spaces"
    )


# --- clients --------------------------------------------------------------


class _BaseClient:
    """Configuration shared by the sync and async clients."""

    _default_base_url: ClassVar[str] = ""
    _api_key_env: ClassVar[str] = ""
    # (location, name, prefix): how the API key travels.
    _auth: ClassVar[tuple[str, str, str]] = ("header", "Authorization", "Bearer ")

    _http: Any
    _owns_http: bool
    # The headers the httpx client sends by itself, and its timeout, when this
    # client (or the one it was copied from) made it with them; see `_build`
    # and `_send`.
    _preset: _Secret[dict[str, str]] | None
    _preset_timeout: object

    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        timeout: float,
        max_retries: int,
        deadline: float | None,
        max_response_bytes: int,
        headers: Mapping[str, str] | None,
        retry: RetryPolicy | None,
    ) -> None:
        source = "api_key"
        if api_key is None and self._api_key_env:
            api_key = os.environ.get(self._api_key_env)
            source = f"the {self._api_key_env} environment variable"
        self._api_key = self._secret(api_key, source)
        self.base_url = (base_url or self._default_base_url).rstrip("/")
        self.timeout = timeout
        self.deadline = deadline
        self.max_response_bytes = max_response_bytes
        self.retry = retry or RetryPolicy(max_retries=max_retries)
        self.headers = dict(headers or {})

    def _secret(self, key: str | None, source: str) -> _Secret[str] | None:
        if not key:
            return None
        return _Secret(_checked_key(key, self._auth[0], source))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def with_options(
        self,
        *,
        base_url: str | Unset = UNSET,
        api_key: str | None | Unset = UNSET,
        timeout: float | Unset = UNSET,
        max_retries: int | Unset = UNSET,
        deadline: float | None | Unset = UNSET,
        max_response_bytes: int | Unset = UNSET,
        headers: Mapping[str, str] | Unset = UNSET,
        retry: RetryPolicy | Unset = UNSET,
    ) -> Self:
        """A copy with some settings changed, sharing this client's connections.

        `headers` are added to the current ones. Closing the copy does not
        close the original's connection pool.
        """
        import copy

        clone = copy.copy(self)
        clone._owns_http = False
        if not isinstance(base_url, Unset):
            clone.base_url = base_url.rstrip("/")
        if not isinstance(api_key, Unset):
            clone._api_key = self._secret(api_key, "api_key")
        if not isinstance(timeout, Unset):
            clone.timeout = timeout
        if not isinstance(retry, Unset):
            clone.retry = retry
        if not isinstance(max_retries, Unset):
            clone.retry = dataclasses.replace(clone.retry, max_retries=max_retries)
        if not isinstance(deadline, Unset):
            clone.deadline = deadline
        if not isinstance(max_response_bytes, Unset):
            clone.max_response_bytes = max_response_bytes
        if not isinstance(headers, Unset):
            clone.headers = {**self.headers, **headers}
        return clone

    def _headers(self) -> dict[str, str]:
        """The headers of every request: Accept, the client's own and, when it
        travels in a header, the API key."""
        headers = {"Accept": "application/json", **self.headers}
        location, name, prefix = self._auth
        if self._api_key is not None and location == "header":
            headers.setdefault(name, prefix + self._api_key.reveal())
        return headers

    def _build(
        self,
        op: Operation,
        args: Mapping[str, Any],
        options: RequestOptions | None,
    ) -> dict[str, Any]:
        if op.deprecated:
            _warn_deprecated(op)
        prepared = prepare(op, args)
        headers = self._headers()
        headers.update(prepared.headers)
        if options is not None and options.headers:
            headers.update(options.headers)
        params = prepared.params  # made for this request: no copy needed
        cookies = prepared.cookies
        if self._api_key is not None:
            location, name, _ = self._auth
            if location == "query":
                params.append((name, self._api_key.reveal()))
            elif location != "header":
                cookies[name] = self._api_key.reveal()
        request: dict[str, Any] = {
            "method": prepared.method,
            "url": self.base_url + prepared.path,
        }
        if params:
            # Only then: httpx parses the URL again to merge even an empty list.
            request["params"] = params
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if self._preset is None or headers != self._preset.reveal():
            # Only then: httpx merging headers into its own costs more than
            # all the rest of the request.
            request["headers"] = headers
        if prepared.content is not None:
            request["content"] = prepared.content
        if prepared.data is not None:
            request["data"] = prepared.data
        if prepared.files is not None:
            request["files"] = prepared.files
        return request

    def _follow(self, url: str, options: RequestOptions | None) -> dict[str, Any]:
        """The request for a `next` link: relative links resolve against the base
        URL, and a link to another origin is rebased onto ours, so that the API
        key is never sent to a host the user did not choose."""
        from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

        request = self._build(_FOLLOW, {}, options)
        base = urlsplit(self.base_url)
        target = urlsplit(urljoin(self.base_url + "/", url))
        if (target.scheme, target.netloc) != (base.scheme, base.netloc):
            target = target._replace(scheme=base.scheme, netloc=base.netloc)
        location, name, _ = self._auth
        query = [
            (k, v)
            for k, v in parse_qsl(target.query, keep_blank_values=True)
            if not (location == "query" and k == name)
        ]
        request["url"] = urlunsplit(target._replace(query="", fragment=""))
        request["params"] = query + request.get("params", [])
        return request

    def _unwanted(self, request: Mapping[str, Any]) -> list[str]:
        """Preset headers the request must not carry, though the httpx client
        adds them: the API key, in a copy made by `with_options(api_key=None)`."""
        headers = request.get("headers")
        if headers is None or self._preset is None:
            return []
        sent = {name.lower() for name in headers}
        return [name for name in self._preset.reveal() if name.lower() not in sent]

    def _limits(
        self, options: RequestOptions | None
    ) -> tuple[float, RetryPolicy, float | None]:
        timeout = (
            options.timeout if options and options.timeout is not None else self.timeout
        )
        retry = self.retry
        if options and options.max_retries is not None:
            retry = dataclasses.replace(retry, max_retries=options.max_retries)
        deadline = (
            options.deadline
            if options and options.deadline is not None
            else self.deadline
        )
        return (
            timeout,
            retry,
            (time.monotonic() + deadline) if deadline is not None else None,
        )


def _warn_deprecated(op: Operation) -> None:
    # Point the warning at the first frame outside this package, however the
    # call came in (directly, or through `raw`, `paginate` or `csv`).
    import sys

    package = __name__.rpartition(".")[0]
    level = 2
    if package:
        frame = sys._getframe(0)
        level = 1
        while frame.f_back is not None and frame.f_globals.get(
            "__name__", ""
        ).startswith(package + "."):
            frame = frame.f_back
            level += 1
    warnings.warn(f"{op.name} is deprecated", DeprecationWarning, stacklevel=level)


def _remaining(deadline_at: float | None, timeout: float) -> float:
    if deadline_at is None:
        return timeout
    left = deadline_at - time.monotonic()
    if left <= 0:
        raise ApiTimeoutError("the deadline for this call passed")
    return min(timeout, left)


def _with_timeout(
    request: dict[str, Any], timeout: float, preset: object
) -> dict[str, Any]:
    """The request with its timeout, unless it is the httpx client's own
    (httpx would make a `Timeout` of it for every call)."""
    return request if timeout == preset else {**request, "timeout": timeout}


def _retry_delay(
    op: Operation,
    retry: RetryPolicy,
    attempt: int,
    deadline_at: float | None,
    response: httpx.Response | None,
    failure: ApiConnectionError | None,
    sent: bool,
) -> float | None:
    """Seconds to wait before the next attempt, or None to stop trying."""
    status = response.status_code if response is not None else None
    if not retry.should_retry(op, attempt, status, sent=sent):
        return None
    delay = retry.delay(attempt, response)
    if delay is None:
        return None
    if deadline_at is not None and time.monotonic() + delay >= deadline_at:
        return None
    import logging

    reason = f"HTTP {status}" if failure is None else type(failure).__name__
    logging.getLogger(__name__.rpartition(".")[0] or __name__).info(
        "%s: %s; retry %d of %d in %.2fs",
        op.name,
        reason,
        attempt + 1,
        retry.max_retries,
        delay,
    )
    return delay


def _finish(op: Operation, response: httpx.Response) -> Any:
    if response.status_code >= 400 or (
        response.status_code >= 300 and not _response_type(op, response.status_code)[0]
    ):
        raise status_error(response)
    captured = _RAW.get()
    if captured is not None:
        captured.append(response)
        return None
    try:
        return parse(op, response)
    except DecodeError as error:
        raise ResponseDecodeError(str(error), response=response) from None


def _options_in(kwargs: Mapping[str, object]) -> RequestOptions | None:
    options = kwargs.get("options")
    return options if isinstance(options, RequestOptions) else None


def _next_link(page: Any, seen: set[str]) -> str | None:
    """The page's `next` URL, or None at the end (null, empty, absent or a loop)."""
    link = getattr(page, "next", None)
    if not isinstance(link, str) or not link or link in seen:
        return None
    seen.add(link)
    return link


def _csv_arguments(
    method: Callable[..., Any], kwargs: Mapping[str, Any]
) -> dict[str, Any]:
    """The keyword arguments of `method` asking for CSV: `format=csv`, `Accept: text/csv`."""
    op = _operation_of(method)
    if not op.csv:
        raise TypeError(f"{op.name} has no CSV form")
    arguments = dict(kwargs)
    for param in op.params:
        if param.wire == "format" and param.location == "query":
            arguments[param.name] = "csv"
    options = arguments.get("options") or RequestOptions()
    arguments["options"] = dataclasses.replace(
        options, headers={**(options.headers or {}), "Accept": "text/csv"}
    )
    return arguments


def _csv_text(op: Operation, response: httpx.Response) -> str:
    if "csv" not in response.headers.get("content-type", ""):
        raise ResponseDecodeError(
            f"{op.name}: expected text/csv, got {response.headers.get('content-type') or 'no content type'}",
            response=response,
        )
    return response.text


class SyncClient(_BaseClient):
    """The synchronous transport; generated `Client` adds one method per operation."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        deadline: float | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        headers: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """Configure the client; nothing is sent until the first call.

        `api_key` defaults to the environment variable the package documents;
        a key that cannot be sent (whitespace, non-ASCII) is refused here.
        `timeout` bounds each network wait, `deadline` the whole call: every
        attempt, and the reading of each response (seconds). A response body
        larger than `max_response_bytes` raises `ResponseTooLargeError`. Pass
        `http_client` to share your own `httpx.Client` (it is not closed by
        `close()`), or `transport` to replace the network.
        """
        super().__init__(
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            max_retries=max_retries,
            deadline=deadline,
            max_response_bytes=max_response_bytes,
            headers=headers,
            retry=retry,
        )
        import httpx

        self._owns_http = http_client is None
        # A client of our own sends the usual headers by itself.
        self._preset = _Secret(self._headers()) if self._owns_http else None
        self._preset_timeout = timeout if self._owns_http else _ABSENT
        self._http: httpx.Client = http_client or httpx.Client(
            transport=transport,
            follow_redirects=False,
            headers=self._preset.reveal() if self._preset else None,
            timeout=timeout,
        )
        self._sleep = sleep or time.sleep

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def _send(
        self,
        op: Operation,
        request: dict[str, Any],
        options: RequestOptions | None,
    ) -> httpx.Response:
        import httpx

        timeout, retry, deadline_at = self._limits(options)
        unwanted = self._unwanted(request)
        attempt = 0
        while True:
            response: httpx.Response | None = None
            failure: ApiConnectionError | None = None
            sent = True
            try:
                call = _with_timeout(
                    request, _remaining(deadline_at, timeout), self._preset_timeout
                )
                response = self._exchange(op, call, unwanted, deadline_at)
            except httpx.TransportError as error:
                sent = not isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
                failure = _transport_failure(
                    op, error, isinstance(error, httpx.TimeoutException)
                )
            delay = _retry_delay(
                op, retry, attempt, deadline_at, response, failure, sent
            )
            if delay is None:
                if response is None:
                    assert failure is not None
                    raise failure
                return response
            if response is not None:
                response.close()
            self._sleep(delay)
            attempt += 1

    def _exchange(
        self,
        op: Operation,
        call: dict[str, Any],
        unwanted: list[str],
        deadline_at: float | None,
    ) -> httpx.Response:
        """One attempt: the request, redirects within its origin, and the body,
        read within the size limit; the deadline is checked as it comes."""
        out = self._http.build_request(**call)
        for name in unwanted:
            out.headers.pop(name, None)
        hops = 0
        while True:
            response = self._http.send(out, stream=True, follow_redirects=False)
            following = _redirect(response, hops)
            if following is None:
                break
            response.close()
            out, hops = following, hops + 1
        try:
            body = _Body(op, response, self.max_response_bytes, deadline_at)
            for chunk in response.iter_bytes():
                body.add(chunk)
            body.done()
        finally:
            response.close()
        return response

    def _call(
        self,
        method: Callable[..., T],
        args: Mapping[str, Any],
        options: RequestOptions | None = None,
    ) -> T:
        """Call the operation of `method` (marked by `operation`) with `args`,
        its keyword arguments; typed as what `method` returns."""
        op: Operation = method.__operation__  # type: ignore[attr-defined]
        response = self._send(op, self._build(op, args, options), options)
        result: T = _finish(op, response)
        return result

    def raw(
        self, method: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> ApiResponse[T]:
        """Call `method` and return the raw response; `.parsed` gives its value."""
        op = _operation_of(method)
        captured: list[Any] = []
        token = _RAW.set(captured)
        try:
            method(*args, **kwargs)
        finally:
            _RAW.reset(token)
        response: httpx.Response = captured[0]
        return ApiResponse(response, lambda: _finish(op, response))

    def csv(
        self, method: Callable[P, Any], /, *args: P.args, **kwargs: P.kwargs
    ) -> str:
        """Call a list `method` with `format=csv` and return the CSV text."""
        call: Callable[..., Any] = method
        response = self.raw(call, *args, **_csv_arguments(method, kwargs))
        return _csv_text(_operation_of(method), response.http)

    def paginate(
        self, method: Callable[P, Page[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> Iterator[T]:
        """Every item of a paginated list, fetched lazily page by page (`next`)."""
        op = _operation_of(method)
        options = _options_in(kwargs)
        page: Page[T] = method(*args, **kwargs)
        seen: set[str] = set()
        while True:
            yield from page.results
            link = _next_link(page, seen)
            if link is None:
                return
            response = self._send(op, self._follow(link, options), options)
            page = _finish(op, response)


class AsyncClientBase(_BaseClient):
    """The asynchronous transport; generated `AsyncClient` adds one method per operation."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        deadline: float | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        headers: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        """Configure the client; nothing is sent until the first call.

        `api_key` defaults to the environment variable the package documents;
        a key that cannot be sent (whitespace, non-ASCII) is refused here.
        `timeout` bounds each network wait, `deadline` the whole call: every
        attempt, and the reading of each response (seconds). A response body
        larger than `max_response_bytes` raises `ResponseTooLargeError`. Pass
        `http_client` to share your own `httpx.AsyncClient` (it is not closed by
        `aclose()`), or `transport` to replace the network.
        """
        super().__init__(
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            max_retries=max_retries,
            deadline=deadline,
            max_response_bytes=max_response_bytes,
            headers=headers,
            retry=retry,
        )
        import asyncio

        import httpx

        self._owns_http = http_client is None
        # A client of our own sends the usual headers by itself.
        self._preset = _Secret(self._headers()) if self._owns_http else None
        self._preset_timeout = timeout if self._owns_http else _ABSENT
        self._http: httpx.AsyncClient = http_client or httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            headers=self._preset.reveal() if self._preset else None,
            timeout=timeout,
        )
        self._sleep = sleep or asyncio.sleep

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def _send(
        self,
        op: Operation,
        request: dict[str, Any],
        options: RequestOptions | None,
    ) -> httpx.Response:
        import httpx

        timeout, retry, deadline_at = self._limits(options)
        unwanted = self._unwanted(request)
        attempt = 0
        while True:
            response: httpx.Response | None = None
            failure: ApiConnectionError | None = None
            sent = True
            try:
                call = _with_timeout(
                    request, _remaining(deadline_at, timeout), self._preset_timeout
                )
                if deadline_at is None:
                    response = await self._exchange(op, call, unwanted)
                else:
                    response = await self._exchange_by(op, call, unwanted, deadline_at)
            except httpx.TransportError as error:
                sent = not isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
                failure = _transport_failure(
                    op, error, isinstance(error, httpx.TimeoutException)
                )
            delay = _retry_delay(
                op, retry, attempt, deadline_at, response, failure, sent
            )
            if delay is None:
                if response is None:
                    assert failure is not None
                    raise failure
                return response
            if response is not None:
                await response.aclose()
            await self._sleep(delay)
            attempt += 1

    async def _exchange_by(
        self,
        op: Operation,
        call: dict[str, Any],
        unwanted: list[str],
        deadline_at: float,
    ) -> httpx.Response:
        """`_exchange`, cancelled when the deadline passes, wherever it is."""
        import asyncio

        try:
            async with asyncio.timeout(deadline_at - time.monotonic()):
                return await self._exchange(op, call, unwanted)
        except TimeoutError:
            raise ApiTimeoutError(
                f"{op.name}: the deadline for this call passed"
            ) from None

    async def _exchange(
        self, op: Operation, call: dict[str, Any], unwanted: list[str]
    ) -> httpx.Response:
        """`SyncClient._exchange`, awaited."""
        out = self._http.build_request(**call)
        for name in unwanted:
            out.headers.pop(name, None)
        hops = 0
        while True:
            response = await self._http.send(out, stream=True, follow_redirects=False)
            following = _redirect(response, hops)
            if following is None:
                break
            await response.aclose()
            out, hops = following, hops + 1
        try:
            body = _Body(op, response, self.max_response_bytes, None)
            async for chunk in response.aiter_bytes():
                body.add(chunk)
            body.done()
        finally:
            await response.aclose()
        return response

    async def _call(
        self,
        method: Callable[..., T],
        args: Mapping[str, Any],
        options: RequestOptions | None = None,
    ) -> T:
        """`SyncClient._call`, awaited: `method` is the `Client` method."""
        op: Operation = method.__operation__  # type: ignore[attr-defined]
        response = await self._send(op, self._build(op, args, options), options)
        result: T = _finish(op, response)
        return result

    async def raw(
        self, method: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> ApiResponse[T]:
        """Call `method` and return the raw response; `.parsed` gives its value."""
        op = _operation_of(method)
        captured: list[Any] = []
        token = _RAW.set(captured)
        try:
            await method(*args, **kwargs)
        finally:
            _RAW.reset(token)
        response: httpx.Response = captured[0]
        return ApiResponse(response, lambda: _finish(op, response))

    async def csv(
        self, method: Callable[P, Awaitable[Any]], /, *args: P.args, **kwargs: P.kwargs
    ) -> str:
        """Call a list `method` with `format=csv` and return the CSV text."""
        call: Callable[..., Awaitable[Any]] = method
        response = await self.raw(call, *args, **_csv_arguments(method, kwargs))
        return _csv_text(_operation_of(method), response.http)

    async def paginate(
        self,
        method: Callable[P, Awaitable[Page[T]]],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> AsyncIterator[T]:
        """Every item of a paginated list, fetched lazily page by page (`next`)."""
        op = _operation_of(method)
        options = _options_in(kwargs)
        page: Page[T] = await method(*args, **kwargs)
        seen: set[str] = set()
        while True:
            for item in page.results:
                yield item
            link = _next_link(page, seen)
            if link is None:
                return
            response = await self._send(op, self._follow(link, options), options)
            page = _finish(op, response)


def asynchronous(
    method: Callable[Concatenate[Any, P], T],
) -> Callable[Concatenate[AsyncClientBase, P], Coroutine[Any, Any, T]]:
    """The `AsyncClient` twin of a `Client` method: same operation, arguments and docs.

    Arguments are bound to the sync method's signature, so a wrong one fails
    the same way, and left-out ones take its defaults (`UNSET`).
    """
    import functools
    import inspect

    _operation_of(method)  # refuses anything else now, not at the first call
    signature = inspect.signature(method)

    @functools.wraps(method)
    async def call(self: AsyncClientBase, /, *args: P.args, **kwargs: P.kwargs) -> T:
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        arguments = bound.arguments
        return await self._call(method, arguments, _options_in(arguments))

    return call


def _operation_of(method: Callable[..., Any]) -> Operation:
    """The `Operation` a bound client method calls (recorded by `operation`)."""
    function = getattr(method, "__func__", method)
    op = getattr(function, "__operation__", None)
    if not isinstance(op, Operation):
        raise TypeError(f"{method!r} is not an operation of a generated client")
    return op


F = TypeVar("F", bound=Callable[..., Any])

# The content type each body kind sends unless the spec names another.
_CONTENT_TYPES = {
    "json": "application/json",
    "form": "application/x-www-form-urlencoded",
    "multipart": "multipart/form-data",
    "binary": "application/octet-stream",
    "text": "text/plain",
}


def operation(
    method: str,
    path: str,
    /,
    *,
    operation_id: str | None = None,
    headers: Sequence[str] = (),
    cookies: Sequence[str] = (),
    wire: Mapping[str, str] | None = None,
    styles: Mapping[str, tuple[str, bool]] | None = None,
    json_params: Sequence[str] = (),
    body: str | None = None,
    content_type: str | None = None,
    media: Mapping[str, str] | None = None,
    responses: Mapping[str, Any] | None = None,
    deprecated: bool = False,
    csv: bool = False,
) -> Callable[[F], F]:
    """Mark a client method with the `Operation` it calls, derived once, here,
    from these arguments and the method's signature.

    The operation is named after the method unless `operation_id` says
    otherwise. Its keyword-only parameters, in order, are its parameters:
    those named in a `{placeholder}` of the path (by wire name, see `wire`)
    go in the path, `headers` and `cookies` as listed, `body` (sent as JSON
    unless `body` names another kind, with that kind's content type unless
    `content_type` names another) in the body, `options` nowhere, and all
    the others in the query. With `media` (the other media types the body
    may be sent as, and the kind of each), the keyword `content_type`
    chooses one.
    """
    wires: Mapping[str, str] = wire or {}
    listed = {
        *headers,
        *cookies,
        "body",
        "options",
        *(["content_type"] if media else []),
    }

    def mark(function: F) -> F:
        code = function.__code__
        start = code.co_argcount
        names = code.co_varnames[start : start + code.co_kwonlyargcount]
        path_params: list[str] = []
        for piece in path.split("{")[1:]:
            placeholder, closed, _ = piece.partition("}")
            if not closed or "/" in placeholder:
                continue
            # The first parameter of that wire name: path parameters, being
            # required, come first in the signature, before any query
            # parameter of the same wire name.
            for name in names:
                if name not in listed and wires.get(name, name) == placeholder:
                    if name not in path_params:
                        path_params.append(name)
                    break
        kind = (body or "json") if "body" in names else None
        function.__operation__ = Operation(  # type: ignore[attr-defined]
            operation_id or function.__name__,
            method,
            path,
            path_params=path_params,
            query=[n for n in names if n not in listed and n not in path_params],
            headers=headers,
            cookies=cookies,
            wire=wires,
            styles=styles or {},
            json_params=json_params,
            body=kind,
            content_type=content_type or _CONTENT_TYPES.get(kind or ""),
            media=media or {},
            responses=responses or {},
            deprecated=deprecated,
            csv=csv,
        )
        return function

    return mark
