"""One schema, one type: the persons client and server spell each schema alike.

Every field of every model, every parameter and every request body is
compared, as `typing.get_type_hints` resolves it on each side, after taking
away what only says how a side carries it: the client's `Unset`, the
server's constraints (`Annotated[..., Field(...)]`) and `Omittable` (a
field that may be left out, but not null). A string enum is an open enum
class in the client and a `Literal` in the server: both are compared by
their values.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="module")
def sides(generated_on_path: Path) -> Iterator[tuple[Any, Any]]:
    import persons_client.models as client_models
    import persons_server.models as server_models

    yield client_models, server_models


def shape(tp: Any) -> Any:
    """A hashable description of an annotation, the same for both sides."""
    from persons_client import Unset
    from persons_server import _runtime as server_runtime

    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        inner = shape(args[0])
        if server_runtime._not_null in [getattr(m, "func", None) for m in args[1:]]:
            inner = inner - {type(None)}  # Omittable: absent, never null
        return inner
    if origin in (typing.Union, types.UnionType):
        return frozenset().union(*(shape(a) for a in args if a is not Unset))
    if origin is typing.Literal:
        return frozenset({("value", v) for v in args})
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return frozenset(
            {("value", m.value) for m in tp if not m.name.startswith("UNKNOWN_")}
        )
    if origin in (list, dict):
        return frozenset({(origin.__name__, *(shape(a) for a in args))})
    if isinstance(tp, type) and tp.__module__.endswith(".models"):
        return frozenset({("model", tp.__name__)})
    return frozenset({tp})


def client_fields(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    wire = getattr(cls, "_wire", {})
    return {
        wire.get(f.name, f.name): hints[f.name]
        for f in dataclasses.fields(cls)
        if f.name != "additional_properties"
    }


def server_fields(cls: Any) -> dict[str, Any]:
    hints = typing.get_type_hints(cls, include_extras=True)
    return {info.alias or name: hints[name] for name, info in cls.model_fields.items()}


def test_both_sides_define_the_same_models(sides: tuple[Any, Any]) -> None:
    client, server = sides
    assert set(client.__all__) == set(server.__all__)


def test_every_model_field_has_one_type(sides: tuple[Any, Any]) -> None:
    client, server = sides
    compared = 0
    for name in client.__all__:
        client_cls, server_cls = getattr(client, name), getattr(server, name)
        if not (isinstance(client_cls, type) and hasattr(server_cls, "model_fields")):
            assert shape(client_cls) == shape(server_cls), name  # enums, aliases
            continue
        ours, theirs = client_fields(client_cls), server_fields(server_cls)
        assert ours.keys() == theirs.keys(), name
        for wire in ours:
            assert shape(ours[wire]) == shape(theirs[wire]), f"{name}.{wire}"
            compared += 1
    assert compared >= 150  # every model of the persons spec, not a few


def test_every_parameter_and_body_has_one_type(generated_on_path: Path) -> None:
    from persons_client import Client
    from persons_server import ROUTES

    for route in ROUTES:
        method = getattr(Client, route.operation_id)
        taken = typing.get_type_hints(method)
        wanted = inspect.signature(method).parameters
        hints = typing.get_type_hints(route.params_model, include_extras=True)
        for python, info in route.params_model.model_fields.items():
            assert python in wanted, (route.operation_id, python)
            ours, theirs = shape(taken[python]), shape(hints[python])
            if not info.is_required():
                # The server reads a parameter left out as None; the client
                # leaves it UNSET. (A JSON parameter may be null on both.)
                ours, theirs = ours - {type(None)}, theirs - {type(None)}
            assert ours == theirs, (route.operation_id, python)
        if route.body_type is not None:
            assert shape(taken["body"]) == shape(route.body_type), route.operation_id


def test_a_person_id_is_passed_as_a_model_holds_it(sides: tuple[Any, Any]) -> None:
    """`PersonRecord.id` (numeric), `PersonListItem.id` and `.uuid` (UUIDs):
    each is what the operations on one person take as `id`."""
    from persons_client import Client

    client, _ = sides
    takes = shape(typing.get_type_hints(Client.persons_retrieve)["id"])
    for model, field in [
        ("PersonRecord", "id"),
        ("PersonRecord", "uuid"),
        ("PersonListItem", "id"),
        ("PersonListItem", "uuid"),
        ("MinimalPerson", "id"),
    ]:
        holds = shape(client_fields(getattr(client, model))[field])
        assert holds <= takes, (model, field, holds, takes)
