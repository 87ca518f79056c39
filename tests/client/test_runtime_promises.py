"""What the client runtime promises, where mutation testing found no test holding it.

Each test states a documented behaviour (a docstring of `_runtime.py`, the
client's README, the project README) and checks it through the public
surface: a client call over `httpx.MockTransport`, `decoder`, `Model`.
"""

from __future__ import annotations

import datetime
import enum
import sys
import types
from collections.abc import Callable
from typing import Any, ClassVar

import httpx
import pytest
from persons_client import UNSET, ApiStatusError, Client, NotFoundError, Unset
from persons_client._runtime import Model, decoder, operation

from .conftest import KEY, error_body, json_response

# --- operations of a made-up API, called as generated methods call theirs ---


# Header and cookie parameters are listed by their Python names.
@operation(
    "GET", "/things/{thing_id}", headers=["x_filter"], wire={"x_filter": "X-Filter"}
)
def _get_thing(
    self: Client,
    *,
    thing_id: list[str],
    tags: list[str] | Unset = UNSET,
    where: dict[str, Any] | Unset = UNSET,
    x_filter: dict[str, Any] | Unset = UNSET,
    options: Any = None,
) -> None:
    self._call(_get_thing, locals(), options)


@operation("POST", "/forms", cookies=["session"], body="form")
def _send_form(
    self: Client, *, session: str | Unset = UNSET, body: Any, options: Any = None
) -> None:
    self._call(_send_form, locals(), options)


@operation("POST", "/uploads", cookies=["session"], body="multipart")
def _upload(
    self: Client, *, session: str | Unset = UNSET, body: Any, options: Any = None
) -> None:
    self._call(_upload, locals(), options)


@operation("PUT", "/notes", media={"text/plain": "text"})
def _put_note(
    self: Client,
    *,
    body: Any,
    content_type: str = "application/json",
    options: Any = None,
) -> None:
    self._call(_put_note, locals(), options)


def _calling(
    make_client: Callable[..., Client], method: Any
) -> tuple[Callable[..., Any], list[httpx.Request]]:
    """`method` bound to a client whose server records each request, answers 204."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    client = make_client(handler)
    bound: Callable[..., Any] = method.__get__(client)
    return bound, seen


# --- parameters: the default style of each location ---


def test_each_location_has_its_default_style(
    make_client: Callable[..., Client],
) -> None:
    # README: `simple` for path and header, `form` (exploded) for query and cookie.
    call, seen = _calling(make_client, _get_thing)
    call(
        thing_id=["a", "b"],
        tags=["red", "blue"],
        where={"size": 3, "shape": "round"},
        x_filter={"k": "v", "n": 1},
    )
    (request,) = seen
    assert request.url.path == "/things/a,b"
    # form, exploded: one pair per item, and per property.
    assert request.url.params.multi_items() == [
        ("tags", "red"),
        ("tags", "blue"),
        ("size", "3"),
        ("shape", "round"),
    ]
    # simple, not exploded: keys and values all separated by commas.
    assert request.headers["X-Filter"] == "k,v,n,1"


# --- bodies ---


def test_a_form_body_keeps_the_cookie_parameters(
    make_client: Callable[..., Client],
) -> None:
    call, seen = _calling(make_client, _send_form)
    call(session="s-1", body={"name": "Ada", "age": 36})
    (request,) = seen
    assert request.headers["Cookie"] == "session=s-1"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.content == b"name=Ada&age=36"


def test_a_multipart_body_keeps_the_cookie_parameters(
    make_client: Callable[..., Client],
) -> None:
    call, seen = _calling(make_client, _upload)
    call(session="s-2", body={"note": "hi", "file": b"\x00\x01"})
    (request,) = seen
    assert request.headers["Cookie"] == "session=s-2"
    assert request.headers["Content-Type"].startswith("multipart/form-data")


def test_multipart_text_fields_are_sent_as_text_and_structures_as_json(
    make_client: Callable[..., Client],
) -> None:
    call, seen = _calling(make_client, _upload)
    call(
        body={
            "note": "hello",
            "count": 3,
            "flag": True,
            "meta": {"a": [1, 2]},
            "file": b"raw bytes",
        }
    )
    (request,) = seen
    request.read()
    content = request.content

    def part(name: str) -> bytes:
        head = f'name="{name}"'.encode()
        start = content.index(head)
        body_start = content.index(b"\r\n\r\n", start) + 4
        return content[body_start : content.index(b"\r\n--", body_start)]

    assert part("note") == b"hello"
    assert part("count") == b"3"
    assert part("flag") == b"true"
    assert part("meta") == b'{"a": [1, 2]}'
    assert part("file") == b"raw bytes"


def test_the_content_type_keyword_chooses_the_media_and_is_no_query_parameter(
    make_client: Callable[..., Client],
) -> None:
    # `operation`: with `media`, the keyword `content_type` chooses one.
    call, seen = _calling(make_client, _put_note)
    call(body="plain words", content_type="text/plain")
    call(body={"words": 2})
    text, json_body = seen
    assert text.url.query == b""
    assert text.headers["Content-Type"] == "text/plain"
    assert text.content == b"plain words"
    assert json_body.url.query == b""
    assert json_body.headers["Content-Type"] == "application/json"
    assert json_body.content == b'{"words":2}'


# --- errors ---


def test_an_error_message_shows_a_code_only_when_the_server_sent_one(
    make_client: Callable[..., Client],
) -> None:
    bodies = [
        error_body("invalid_request", "not_found", "Not found."),
        {"detail": "Not found."},
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(404, bodies.pop(0))

    client = make_client(handler)
    call: Callable[..., Any] = _get_thing.__get__(client)
    with pytest.raises(NotFoundError) as coded:
        call(thing_id=["t1"])
    assert str(coded.value) == "404 [not_found]: Not found. (GET /things/t1)"
    with pytest.raises(ApiStatusError) as plain:
        call(thing_id=["t1"], tags=["secret"])
    assert plain.value.body.code is None
    # The path only (the query may carry user data), and no code at all.
    assert str(plain.value) == "404: Not found. (GET /things/t1)"


# --- the API key ---


@pytest.mark.parametrize("key", [KEY + "\n", "phx key", KEY + "\x7f"])
def test_a_key_with_whitespace_or_a_control_character_is_refused_saying_so(
    make_client: Callable[..., Client], key: str
) -> None:
    with pytest.raises(ValueError) as refused:
        make_client(lambda request: httpx.Response(204), api_key=key)
    message = str(refused.value)
    assert "is whitespace or a control character" in message
    assert key.strip() not in message


# --- decoding ---


class _Cat(Model):
    _discriminator: ClassVar[tuple[str, str]] = ("kind", "cat")
    kind: str | Unset = UNSET
    name: str | Unset = UNSET


class _Dog(Model):
    _discriminator: ClassVar[tuple[str, str]] = ("kind", "dog")
    kind: str | Unset = UNSET
    name: str | Unset = UNSET


def test_a_discriminated_union_decodes_by_its_discriminator() -> None:
    decode = decoder(_Cat | _Dog)
    # Both options would take this object: the discriminator chooses.
    dog = decode({"kind": "dog", "name": "Rex"})
    assert type(dog) is _Dog
    assert dog.name == "Rex"
    assert type(decode({"kind": "cat"})) is _Cat
    # A discriminator naming no option: the value as received.
    assert decode({"kind": "bird", "name": "Tweety"}) == {
        "kind": "bird",
        "name": "Tweety",
    }


class _Colour(enum.Enum):
    RED = "red"


def test_a_union_with_an_enum_or_a_date_decodes_text_into_it() -> None:
    assert decoder(int | _Colour)("red") is _Colour.RED
    assert decoder(int | _Colour)(7) == 7
    assert decoder(int | datetime.date)("2024-05-01") == datetime.date(2024, 5, 1)


_LATE_MODELS = """
from __future__ import annotations

from persons_client._runtime import UNSET, Model, Unset


class Node(Model):
    children: list[Node] | Unset = UNSET
    tag: Tag | Unset = UNSET


class Tag(Model):
    label: Label | Unset = UNSET
"""


def test_a_model_whose_first_use_failed_decodes_once_its_names_exist() -> None:
    # Plans are made on first use; one that fails (a name not defined yet)
    # must not leave the model undecodable, nor its self-reference broken.
    name = "tests.client._runtime_promises_late_models"
    module = types.ModuleType(name)
    sys.modules[name] = module
    try:
        exec(compile(_LATE_MODELS, name, "exec"), module.__dict__)
        with pytest.raises(NameError):
            decoder(module.Node)
        module.__dict__["Label"] = str
        node = decoder(module.Node)(
            {"children": [{"children": []}], "tag": {"label": "x"}}
        )
    finally:
        del sys.modules[name]
    assert type(node) is module.Node
    assert [type(child) for child in node.children] == [module.Node]
    assert node.children[0].children == []
    assert node.tag == module.Tag(label="x")
