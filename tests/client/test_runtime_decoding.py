"""Decoding JSON into annotations: models, containers, nullables, unions,
discriminators, recursive aliases, and the tolerance the runtime promises
(what does not parse is kept, unknown fields and enum values are kept).

The decoder and plan caches are emptied for each test, so that every test
makes the decoders it uses.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import enum
import typing
import uuid
from typing import Any, ClassVar, Literal

import pytest
import typing_extensions
from persons_client import UNSET, Unset
from persons_client import _runtime as rt
from persons_client._runtime import DecodeError, Model, OpenEnum, OpenIntEnum, decoder


@pytest.fixture(autouse=True)
def _fresh_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rt, "_DECODERS", {})
    monkeypatch.setattr(rt, "_PLANS", {})


def _typed(value: Any) -> Any:
    """`value` with the type of every scalar in it: `1 == 1.0`, but not here."""
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    return (type(value), value)


class Shade(OpenEnum):
    LIGHT = "light"
    DARK = "dark"


class Level(OpenIntEnum):
    LOW = 1
    HIGH = 2


class Closed(enum.Enum):
    A = "a"


class Everything(Model):
    _wire: ClassVar[dict[str, str]] = {"when_": "when", "shade": "Shade"}
    name: str
    count: int | None
    ratio: float | Unset = UNSET
    when_: datetime.datetime | Unset = UNSET
    day: datetime.date | None = None
    at: datetime.time | Unset = UNSET
    ident: uuid.UUID | Unset = UNSET
    blob: bytes | Unset = UNSET
    shade: Shade | None | Unset = UNSET
    level: Level | Unset = UNSET
    tags: list[str] = dataclasses.field(default_factory=list)
    scores: dict[str, float] | Unset = UNSET
    meta: dict[str, Any] | None | Unset = UNSET
    mode: Literal["a", "b"] | Unset = UNSET


_FULL = {
    "name": "n",
    "count": 3,
    "ratio": 2,
    "when": "2024-05-01T12:00:00+00:00",
    "day": "2024-05-02",
    "at": "10:11:12",
    "ident": "00000000-0000-0000-0000-000000000007",
    "blob": base64.b64encode(b"\x00\x01").decode(),
    "Shade": "dark",
    "level": 2,
    "tags": ["x"],
    "scores": {"a": 1, "b": 1.5},
    "meta": {"k": [1]},
    "mode": "b",
}


def _check_full(item: Everything) -> None:
    assert item.name == "n"
    assert item.count == 3
    assert item.ratio == 2.0 and type(item.ratio) is float
    assert item.when_ == datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.UTC)
    assert item.day == datetime.date(2024, 5, 2)
    assert item.at == datetime.time(10, 11, 12)
    assert item.ident == uuid.UUID(int=7)
    assert item.blob == b"\x00\x01"
    assert item.shade is Shade.DARK
    assert item.level is Level.HIGH
    assert item.tags == ["x"]
    assert item.scores == {"a": 1.0, "b": 1.5}
    assert [type(v) for v in item.scores.values()] == [float, float]
    assert item.meta == {"k": [1]}
    assert item.mode == "b"
    assert item.additional_properties == {}


def test_every_kind_of_field_decodes_when_all_are_present() -> None:
    _check_full(Everything.from_dict(_FULL))


def test_every_kind_of_field_decodes_among_unknown_fields() -> None:
    data = {"first": 1, **_FULL, "last": {"z": None}}
    item = Everything.from_dict(data)
    _check_full(dataclasses.replace(item, additional_properties={}))
    # Unknown fields are kept, in the order received.
    assert list(item.additional_properties.items()) == [
        ("first", 1),
        ("last", {"z": None}),
    ]


def test_a_mapping_that_is_not_a_dict_is_read_as_an_object() -> None:
    import types

    item = Everything.from_dict(types.MappingProxyType(_FULL))
    _check_full(item)


def test_left_out_fields_take_their_defaults() -> None:
    item = Everything.from_dict({"name": "n", "count": None})
    assert item == Everything(name="n", count=None)
    assert item.ratio is UNSET and item.day is None and item.tags == []
    # A required nullable field left out reads as null (a tolerant reader).
    assert Everything.from_dict({"name": "n"}).count is None
    # Factories give each instance its own value.
    a, b = Everything.from_dict({"name": "a"}), Everything.from_dict({"name": "b"})
    assert a.tags is not b.tags


def test_a_missing_required_field_is_a_decode_error_naming_it() -> None:
    with pytest.raises(DecodeError) as missing:
        Everything.from_dict({"count": 1})
    assert str(missing.value) == (
        "Everything: Everything.__init__() missing 1 required keyword-only"
        " argument: 'name'"
    )
    with pytest.raises(DecodeError) as wrong_field:
        Everything.from_dict({"count": 1, "other": 2})
    assert "'name'" in str(wrong_field.value)


def test_nulls_stay_null_without_decoding() -> None:
    item = Everything.from_dict(
        {"name": "n", "count": None, "day": None, "Shade": None, "meta": None}
    )
    assert (item.count, item.day, item.shade, item.meta) == (None, None, None, None)


def test_what_does_not_parse_is_kept_as_sent() -> None:
    item = Everything.from_dict(
        {
            "name": "n",
            "count": 1,
            "when": "yesterday",
            "at": "noonish",
            "ident": "not-a-uuid",
            "ratio": True,
            "blob": 5,
        }
    )
    assert item.when_ == "yesterday"
    assert item.at == "noonish"
    assert item.ident == "not-a-uuid"
    assert item.ratio is True
    assert item.blob == 5
    other = Everything.from_dict(
        {"name": "n", "count": 1, "when": 17, "at": 3, "ident": 4, "day": 5}
    )
    assert (other.when_, other.at, other.ident, other.day) == (17, 3, 4, 5)


def test_unknown_enum_values_are_kept_and_closed_enums_refuse_them() -> None:
    item = Everything.from_dict({"name": "n", "count": 1, "Shade": "dim", "level": 9})
    assert isinstance(item.shade, Shade) and item.shade.value == "dim"
    assert item.shade.name == "UNKNOWN_dim"
    assert isinstance(item.level, Level) and item.level == 9
    assert decoder(Closed)("a") is Closed.A
    with pytest.raises(ValueError):
        decoder(Closed)("b")
    # An unhashable value goes through the enum, which refuses it.
    with pytest.raises(ValueError):
        decoder(Shade)(["light"])
    assert decoder(Shade | Unset)("light") is Shade.LIGHT


def test_containers_of_the_wrong_shape_are_decode_errors() -> None:
    cases: list[tuple[Any, Any, str]] = [
        (list[float], {"a": 1}, "expected array, got dict"),
        (list[str], "abc", "expected array, got str"),
        (dict[str, float], [1], "expected object, got list"),
        (dict[str, str], "x", "expected object, got str"),
    ]
    for tp, value, message in cases:
        with pytest.raises(DecodeError) as refused:
            decoder(tp)(value)
        assert str(refused.value) == message
    with pytest.raises(DecodeError) as not_object:
        Everything.from_dict(["name"])  # type: ignore[arg-type]
    assert str(not_object.value) == "Everything: expected an object, got list"


def test_containers_decode_their_items() -> None:
    assert _typed(decoder(list[float])([1, 2.5])) == _typed([1.0, 2.5])
    assert [type(v) for v in decoder(list[float])([1, 2])] == [float, float]
    assert _typed(decoder(list[float])([])) == _typed([])
    assert decoder(dict[str, datetime.date])({"d": "2024-01-02"}) == {
        "d": datetime.date(2024, 1, 2)
    }
    assert _typed(decoder(list[int])([1, 2])) == _typed([1, 2])
    assert _typed(decoder(dict[str, int])({"a": 1})) == _typed({"a": 1})
    assert _typed(decoder(list[list[float]])([[1]])) == _typed([[1.0]])
    assert decoder(float | None)(None) is None
    assert _typed(decoder(float | None)(3)) == _typed(3.0)
    assert type(decoder(float | None)(3)) is float
    assert _typed(decoder(float | Unset)(4)) == _typed(4.0)
    assert type(decoder(float | Unset)(4)) is float
    assert decoder(int | None)(None) is None
    assert _typed(decoder(Literal["x"])("y")) == _typed("y")
    assert _typed(decoder(bytes)("AAE=")) == _typed(b"\x00\x01")
    assert decoder(datetime.date | None)(None) is None


def test_decoding_copies_the_data_given() -> None:
    data = {"name": "n", "count": 1, "tags": ["a"], "meta": {"k": [1]}}
    item = Everything.from_dict(data)
    item.tags.append("b")
    assert isinstance(item.meta, dict)
    item.meta["k"].append(2)
    assert data == {"name": "n", "count": 1, "tags": ["a"], "meta": {"k": [1]}}
    listed = [[1]]
    decoded = decoder(list[list[int]])(listed)
    decoded[0].append(2)
    assert listed == [[1]]


# --- models with their own __init__ machinery ---


class WithPostInit(Model):
    name: str
    upper: str = ""

    def __post_init__(self) -> None:
        self.upper = self.name.upper()


@dataclasses.dataclass(kw_only=True, slots=True)
class _Slotted:
    pass


def test_a_post_init_runs_when_a_model_is_decoded() -> None:
    item = WithPostInit.from_dict({"name": "ada", "upper": ""})
    assert item.upper == "ADA"
    assert WithPostInit.from_dict({"name": "bo"}).upper == "BO"


class Child(Model):
    kids: list[Child] | Unset = UNSET
    label: str | Unset = UNSET


def test_a_model_that_contains_itself_decodes_at_every_depth() -> None:
    item = Child.from_dict({"kids": [{"kids": [{"label": "leaf"}]}]})
    assert isinstance(item.kids, list)
    (middle,) = item.kids
    assert isinstance(middle, Child) and isinstance(middle.kids, list)
    assert middle.kids == [Child(label="leaf")]


def test_to_dict_and_item_access_use_wire_names() -> None:
    item = Everything.from_dict({"name": "n", "count": 1, "Shade": "light", "x": 1})
    assert item["Shade"] is Shade.LIGHT
    assert item["x"] == 1
    assert item.to_dict() == {
        "name": "n",
        "count": 1,
        "day": None,
        "Shade": "light",
        "tags": [],
        "x": 1,
    }
    with pytest.raises(KeyError):
        item["when_"]


# --- unions ---


class Cat(Model):
    _discriminator: ClassVar[tuple[str, str]] = ("kind", "cat")
    kind: str
    lives: int | Unset = UNSET


class Dog(Model):
    _discriminator: ClassVar[tuple[str, str]] = ("kind", "dog")
    kind: str
    good: bool | Unset = UNSET


class Plain(Model):
    size: int


def test_a_discriminated_union_chooses_by_the_tag_or_keeps_the_value() -> None:
    decode = decoder(Cat | Dog | None)
    assert decode({"kind": "dog", "good": True}) == Dog(kind="dog", good=True)
    assert decode({"kind": "cat"}) == Cat(kind="cat")
    assert decode(None) is None
    assert decode({"kind": "fox"}) == {"kind": "fox"}
    # Without the tag: tried in order, as any union.
    assert decode({"lives": 9, "kind_": 1}) == {"lives": 9, "kind_": 1}
    assert decode("text") == "text"


def test_a_union_with_an_undiscriminated_option_decodes_by_trial() -> None:
    decode = decoder(Cat | Plain)
    assert decode({"size": 2}) == Plain(size=2)
    assert decode({"kind": "cat"}) == Cat(kind="cat")
    assert decode({"kind": "dog"}) == Cat(kind="dog")
    assert decode({"other": 1}) == {"other": 1}
    assert _typed(decoder(int | Cat)({"kind": "x"})) == _typed(Cat(kind="x"))


def test_a_union_tries_only_the_options_a_value_could_be() -> None:
    assert _typed(decoder(bool | float)(1)) == _typed(1.0)
    assert decoder(bool | float)(True) is True
    assert decoder(float | bool)(True) is True
    assert _typed(decoder(list[float] | float)([1])) == _typed([1.0])
    assert _typed(decoder(list[float] | float)(2)) == _typed(2.0)
    assert _typed(decoder(dict[str, float] | list[float])({"a": 1})) == _typed(
        {"a": 1.0}
    )
    assert _typed(decoder(datetime.date | float)("2024-01-02")) == _typed(
        datetime.date(2024, 1, 2)
    )
    assert _typed(decoder(datetime.date | str)("not a date")) == _typed("not a date")
    assert decoder(Shade | float)("dark") is Shade.DARK
    assert decoder(Closed | float)(True) is True
    assert decoder(str | float)(True) is True
    assert _typed(decoder(Closed | list[int])(1)) == _typed(1)
    assert decoder(Level | str)(2) is Level.HIGH
    assert _typed(decoder(bytes | float)("AAE=")) == _typed(b"\x00\x01")
    assert decoder(float | Plain)(None) is None


# --- recursive aliases ---

Tree = typing_extensions.TypeAliasType("Tree", "list[Tree] | float")


def test_a_recursive_alias_decodes_at_every_depth() -> None:
    decode = decoder(Tree)
    assert decode([1, [2, [3.5]]]) == [1.0, [2.0, [3.5]]]
    assert decode(4) == 4.0 and type(decode(4)) is float
    assert decode([]) == []


def test_null_is_a_mismatch_unless_the_annotation_allows_it() -> None:
    # `float | None` and `list[float] | None` keep null; without None in the
    # annotation a null where an array belongs is a decode error.
    assert decoder(list[float] | None)(None) is None
    assert _typed(decoder(list[float] | None)([2])) == _typed([2.0])
    assert decoder(dict[str, float] | None)(None) is None
    with pytest.raises(DecodeError) as refused:
        decoder(list[float] | Unset)(None)
    assert str(refused.value) == "expected array, got NoneType"


def test_bare_list_and_dict_annotations_keep_their_items() -> None:
    assert _typed(decoder(typing.List)([1, "a"])) == _typed([1, "a"])  # noqa: UP006
    assert _typed(decoder(typing.Dict)({"a": 1})) == _typed({"a": 1})  # noqa: UP006
    with pytest.raises(DecodeError):
        decoder(typing.List)({"a": 1})  # noqa: UP006


def test_decoders_adopt_the_containers_they_are_given() -> None:
    # `decoder` copies the caller's data once; the decoders under it adopt
    # what they are given rather than copy it again.
    data = [1, 2]
    assert rt._decoder(list[int])(data) is data
    mapping = {"a": 1}
    assert rt._decoder(dict[str, int])(mapping) is mapping
    assert decoder(list[int])(data) is not data


def test_a_text_option_is_tried_only_for_text_and_numbers() -> None:
    decoded = decoder(str | list[float])([1])
    assert decoded == [1.0] and type(decoded[0]) is float
    assert _typed(decoder(str | list[float])("x")) == _typed("x")
    assert decoder(str | dict[str, float])(True) is True
    assert _typed(decoder(Literal["x"] | list[float])("x")) == _typed("x")
    assert _typed(decoder(Literal["x"] | list[float])([3])) == _typed([3])


class Owner(Model):
    pet: Cat | Dog | None


def test_a_required_nullable_union_left_out_reads_as_null() -> None:
    assert Owner.from_dict({}).pet is None
    assert Owner.from_dict({"pet": None}).pet is None
    assert Owner.from_dict({"pet": {"kind": "dog"}}).pet == Dog(kind="dog")


class Nothing(Model):
    pass


def test_a_model_without_fields_keeps_everything_as_unknown() -> None:
    assert Nothing.from_dict({}) == Nothing()
    assert Nothing.from_dict({"a": 1}).additional_properties == {"a": 1}
    assert Nothing.from_dict({"a": 1}).to_dict() == {"a": 1}


def test_a_null_field_that_is_not_nullable_is_a_decode_error() -> None:
    with pytest.raises(DecodeError) as refused:
        Everything.from_dict({"name": "n", "count": 1, "scores": None})
    assert str(refused.value) == "expected object, got NoneType"
    with pytest.raises(DecodeError):
        Everything.from_dict({"name": "n", "count": 1, "tags": None, "x": 1})
