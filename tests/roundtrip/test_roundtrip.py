"""Round trip, the way oapi-codegen proves its parameter handling: generated client to generated server.

`spec.yaml` has every parameter style (path, query, header, cookie; form,
simple, spaceDelimited, pipeDelimited, deepObject; exploded or not; JSON
`content` parameters) and every body kind (JSON, form, multipart with a file,
octet-stream, text). The handler echoes what the server decoded; the test
compares it with what the client was given. The client's decoding of
discriminated unions is exercised on the generated runtime directly.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.generality import calls
from tests.generality.support import generate, imported

SPEC = Path(__file__).resolve().parent / "spec.yaml"
NAME = "rt"


def _json(value: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode()}
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


class Echo:
    """Every handler method answers 200 with the parameters and body as decoded."""

    def __init__(self, interface: Any) -> None:
        self.ok = interface.Ok

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        async def method(ctx: Any, params: Any, body: Any = None) -> Any:
            decoded = params.model_dump(mode="json", by_alias=True, exclude_none=True)
            if (
                body is not None
                and not isinstance(body, bytes | str)
                and hasattr(body, "model_dump")
            ):
                fields = {k: getattr(body, k) for k in type(body).model_fields}
                body_json = {
                    (type(body).model_fields[k].alias or k): _json(v)
                    for k, v in fields.items()
                    if v is not None
                }
            else:
                body_json = _json(body)
            return self.ok({"params": decoded, "body": body_json})

        return method


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    out = tmp_path_factory.mktemp("roundtrip")
    generate(SPEC, out, NAME)
    with imported(out, f"{NAME}_client", f"{NAME}_server"):
        client_module = importlib.import_module(f"{NAME}_client.client")
        models = importlib.import_module(f"{NAME}_client.models")
        interface = importlib.import_module(f"{NAME}_server.interface")
        app = importlib.import_module(f"{NAME}_server.app").create_app(
            Echo(interface), authenticate=calls.authenticate
        )
        with calls.test_client_class()(app) as http:
            yield client_module.Client(
                base_url="http://testserver", transport=http._transport
            ), models


def _echo(client: tuple[Any, Any], op: str, **args: Any) -> dict[str, Any]:
    result = getattr(client[0], op)(**args)
    assert isinstance(result, dict)
    return result


def test_path_styles(client: tuple[Any, Any]) -> None:
    m = client[1]
    echo = _echo(
        client,
        "path_params",
        scalar=42,
        list_=["a", "b c", "d;e"],
        object_=m.Point(x=1, y=2),
    )
    assert echo["params"] == {
        "scalar": 42,
        "list": ["a", "b c", "d;e"],
        "object": {"x": 1, "y": 2},
    }


def test_path_exploded_object(client: tuple[Any, Any]) -> None:
    m = client[1]
    echo = _echo(client, "exploded_path_param", exploded=m.Point(x=3, y=4))
    assert echo["params"] == {"exploded": {"x": 3, "y": 4}}


def test_path_value_with_a_slash(client: tuple[Any, Any]) -> None:
    """Sent as `%2F`, a slash stays inside its value; each value is decoded once."""
    m = client[1]
    echo = _echo(
        client,
        "path_params",
        scalar=1,
        list_=["d/e", "%2F", "f g/"],
        object_=m.Point(x=1, y=2),
    )
    assert echo["params"]["list"] == ["d/e", "%2F", "f g/"]


QUERY_CASES = {
    "text": ("a b&c=d/é", "a b&c=d/é"),
    "number": (1.5, 1.5),
    "flag": (False, False),
    "color": ("with space", "with space"),
    "level": (2, 2),
    "levels": ([3, 1], [3, 1]),
    "when": (
        datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        "2024-01-02T03:04:05Z",
    ),
    "day": (datetime.date(2024, 1, 2), "2024-01-02"),
    "id": (
        "12345678-1234-5678-1234-567812345678",
        "12345678-1234-5678-1234-567812345678",
    ),
    "form_exploded": ([1, 2, 3], [1, 2, 3]),
    "form_flat": (["a", "b"], ["a", "b"]),
    "spaced": (["a", "b"], ["a", "b"]),
    "piped": (["a", "b"], ["a", "b"]),
    "deep": ("POINT", {"x": 5, "y": 6}),
    "form_object": ("POINT", {"x": 5, "y": 6}),
    "spread": ("POINT", {"x": 5, "y": 6}),
    "as_json": ("PET", {"name": "Rex", "kind": "red", "tags": ["a,b", "c|d"]}),
}
WIRE = {
    "form_exploded": "formExploded",
    "form_flat": "formFlat",
    "form_object": "formObject",
    "as_json": "asJson",
}


@pytest.mark.parametrize("name", sorted(QUERY_CASES))
def test_query_styles(client: tuple[Any, Any], name: str) -> None:
    m = client[1]
    value, expected = QUERY_CASES[name]
    if value == "POINT":
        value = m.Point(x=5, y=6)
    elif value == "PET":
        value = m.Pet.from_dict({"name": "Rex", "kind": "red", "tags": ["a,b", "c|d"]})
    echo = _echo(client, "query_params", **{name: value})
    assert echo["params"] == {WIRE.get(name, name): expected, "withDefault": 7}


def test_free_form_exploded_object_takes_the_undeclared_query_keys(
    client: tuple[Any, Any],
) -> None:
    """Not the other parameters (`limit`, `deep[x]`), nor the API key in the query."""
    m = client[1]
    keyed = (client[0].with_options(api_key="secret"), m)
    echo = _echo(
        keyed,
        "free_form_params",
        extras={"a": "1", "b c": "d&e"},
        limit=3,
        deep=m.Point(x=1, y=2),
    )
    assert echo["params"] == {
        "extras": {"a": "1", "b c": "d&e"},
        "limit": 3,
        "deep": {"x": 1, "y": 2},
    }
    assert _echo(keyed, "free_form_params", limit=3)["params"] == {"limit": 3}


def test_query_default_is_applied_by_the_server(client: tuple[Any, Any]) -> None:
    assert _echo(client, "query_params")["params"] == {"withDefault": 7}
    assert _echo(client, "query_params", with_default=0)["params"] == {"withDefault": 0}


def test_header_and_cookie_styles(client: tuple[Any, Any]) -> None:
    echo = _echo(
        client,
        "header_params",
        x_text="hello, world",
        x_number=12,
        x_list=["a", "b"],
        session="abc",
        count=3,
    )
    assert echo["params"] == {
        "X-Text": "hello, world",
        "X-Number": 12,
        "X-List": ["a", "b"],
        "session": "abc",
        "count": 3,
    }


@pytest.mark.parametrize("name", ["x_object", "x_exploded"])
def test_header_object_styles(client: tuple[Any, Any], name: str) -> None:
    m = client[1]
    echo = _echo(client, "header_params", **{name: m.Point(x=1, y=2)})
    wire = {"x_object": "X-Object", "x_exploded": "X-Exploded"}[name]
    assert echo["params"] == {wire: {"x": 1, "y": 2}}


def test_json_body(client: tuple[Any, Any]) -> None:
    m = client[1]
    data = {
        "name": "Rex",
        "kind": "green",
        "born": "2024-01-02T03:04:05+00:00",
        "nickname": None,
        "tags": ["a", "b"],
        "attributes": {"legs": 4},
        "owner": {"x": 1, "y": 2},
        "children": [{"name": "Pup", "kind": "red", "children": []}],
    }
    echo = _echo(client, "json_body", body=m.Pet.from_dict(data))
    sent = dict(data)
    sent["born"] = "2024-01-02T03:04:05Z"
    del sent["nickname"]  # null reads as "not given" on the server side of the echo
    assert echo["body"] == sent


def test_form_body(client: tuple[Any, Any]) -> None:
    m = client[1]
    echo = _echo(client, "form_body", body=m.Form(name="a b&c", age=3, subscribed=True))
    assert echo["body"] == {"name": "a b&c", "age": 3, "subscribed": True}


def test_multipart_body_with_a_file(client: tuple[Any, Any]) -> None:
    m = client[1]
    blob = bytes(range(256))
    body = m.MultipartBodyRequest(file=blob, name="photo", count=2)
    echo = _echo(client, "multipart_body", body=body)
    assert echo["body"] == {
        "file": {"b64": base64.b64encode(blob).decode()},
        "name": "photo",
        "count": 2,
    }


def test_octet_stream_body(client: tuple[Any, Any]) -> None:
    blob = b"\x00\xff binary \r\n"
    echo = _echo(client, "octet_body", body=blob)
    assert echo["body"] == {"b64": base64.b64encode(blob).decode()}


def test_text_body(client: tuple[Any, Any]) -> None:
    echo = _echo(client, "text_body", body="héllo\nworld")
    assert echo["body"] == "héllo\nworld"


def test_uuid_parameter_is_validated_by_the_server(client: tuple[Any, Any]) -> None:
    bad = importlib.import_module(f"{NAME}_client").BadRequestError
    with pytest.raises(bad):
        _echo(client, "query_params", id="12345678-1234-5678-1234-56781234567x")


def _pets(rt: Any) -> tuple[type[Any], type[Any]]:
    """Two models of a discriminated `oneOf`, written as the models template writes them."""

    @dataclasses.dataclass(kw_only=True)
    class Cat(rt.Model):
        _wire: ClassVar[dict[str, str]] = {"pet_type": "petType"}
        _discriminator: ClassVar[tuple[str, str]] = ("petType", "cat")
        pet_type: str
        name: str | None = None

    @dataclasses.dataclass(kw_only=True)
    class Dog(rt.Model):
        _wire: ClassVar[dict[str, str]] = {"pet_type": "petType"}
        _discriminator: ClassVar[tuple[str, str]] = ("petType", "dog")
        pet_type: str
        name: str | None = None

    return Cat, Dog


def test_discriminated_union_dispatches_on_the_property(
    client: tuple[Any, Any],
) -> None:
    rt = importlib.import_module(f"{NAME}_client._runtime")
    cat, dog = _pets(rt)
    decode = rt.decoder(cat | dog)
    # Cat comes first and would accept a dog's fields; the discriminator decides.
    rex = decode({"petType": "dog", "name": "Rex"})
    assert type(rex) is dog and rex.name == "Rex"
    assert type(decode({"petType": "cat"})) is cat
    # A variant this client does not know is kept as received, not misread.
    assert decode({"petType": "lizard", "name": "Liz"}) == {
        "petType": "lizard",
        "name": "Liz",
    }
    # Without the property, options are tried in order, as for any union; here
    # none fits (the property is required), so the value is kept as received.
    assert decode({"name": "Tom"}) == {"name": "Tom"}


def test_union_without_discriminators_is_decoded_by_trial(
    client: tuple[Any, Any],
) -> None:
    rt = importlib.import_module(f"{NAME}_client._runtime")
    cat, dog = _pets(rt)

    @dataclasses.dataclass(kw_only=True)
    class Plain(rt.Model):
        pet_type: str

    decode = rt.decoder(Plain | dog)
    assert type(decode({"pet_type": "dog", "petType": "dog"})) is Plain
    assert rt.decoder(dog | int)(3) == 3
    assert type(rt.decoder(dog | int)({"petType": "cat"})) is dog
