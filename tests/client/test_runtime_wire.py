"""The wire format of a call: path, query, header and cookie parameters in each
OpenAPI style, and every body kind, as the request leaves the client.

Operations are made inside each test (`Operation(...)` or `operation(...)`), as
generated methods make theirs, for features the persons spec does not use.
"""

from __future__ import annotations

import datetime
import enum
import types
import uuid
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import httpx
import pytest
from persons_client import UNSET, Client, Unset
from persons_client._runtime import Model, Operation, Param, operation

from .conftest import BASE, KEY


@pytest.fixture
def wire_client() -> Iterator[tuple[Client, list[httpx.Request]]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        return httpx.Response(204)

    client = Client(
        base_url=BASE,
        api_key=KEY,
        transport=httpx.MockTransport(handler),
        sleep=lambda _: None,
    )
    yield client, seen
    client.close()


Send = Callable[..., httpx.Request]


@pytest.fixture
def send(wire_client: tuple[Client, list[httpx.Request]]) -> Send:
    """Calls `op` with `args` as a generated method would; the request sent."""
    client, seen = wire_client

    def call(op: Operation, **args: Any) -> httpx.Request:
        method = types.SimpleNamespace(__operation__=op)
        client._call(method, args)  # type: ignore[arg-type]
        return seen[-1]

    return call


def _query(request: httpx.Request) -> list[tuple[str, str]]:
    return list(request.url.params.multi_items())


# --- the operation a decorator derives ---


def test_an_operation_reads_its_parameters_from_the_signature() -> None:
    @operation(
        "PATCH",
        "/a/{item-id}/b/{x/y}/c/{open",
        operation_id="patchItem",
        headers=["trace"],
        cookies=["session"],
        wire={"item_id": "item-id", "trace": "X-Trace"},
        styles={"tags": ("pipeDelimited", False)},
        json_params=["where"],
        body="form",
        responses={"200": str},
        deprecated=True,
        csv=True,
    )
    def method(
        self: Any,
        *,
        item_id: str,
        trace: str,
        tags: list[str],
        where: Any,
        session: str,
        body: Any,
        open: str = "",
        options: Any = None,
    ) -> None:
        raise NotImplementedError

    op: Operation = method.__operation__  # type: ignore[attr-defined]
    assert op == Operation(
        "patchItem",
        "PATCH",
        "/a/{item-id}/b/{x/y}/c/{open",
        path_params=["item_id"],
        query=["tags", "where", "open"],
        headers=["trace"],
        cookies=["session"],
        wire={"item_id": "item-id", "trace": "X-Trace"},
        styles={"tags": ("pipeDelimited", False)},
        json_params=["where"],
        body="form",
        content_type="application/x-www-form-urlencoded",
        media={},
        responses={"200": str},
        deprecated=True,
        csv=True,
    )
    assert op.params == (
        Param("item_id", "item-id", "path", "simple", False, False),
        Param("tags", "tags", "query", "pipeDelimited", False, False),
        Param("where", "where", "query", "form", True, True),
        Param("open", "open", "query", "form", True, False),
        Param("trace", "X-Trace", "header", "simple", False, False),
        Param("session", "session", "cookie", "form", True, False),
    )


def test_an_operation_defaults_its_name_body_kind_and_content_type() -> None:
    @operation("GET", "/plain")
    def plain(self: Any, *, q: int = 0, options: Any = None) -> None:
        raise NotImplementedError

    @operation("POST", "/json")
    def posting(self: Any, *, body: Any, options: Any = None) -> None:
        raise NotImplementedError

    @operation("PUT", "/bin", body="binary", content_type="image/png")
    def binary(self: Any, *, body: Any, options: Any = None) -> None:
        raise NotImplementedError

    @operation("PUT", "/multi", body="multipart", media={"text/plain": "text"})
    def multi(
        self: Any, *, body: Any, content_type: str = "", options: Any = None
    ) -> None:
        raise NotImplementedError

    functions: list[Any] = [plain, posting, binary, multi]
    ops: list[Operation] = [f.__operation__ for f in functions]
    assert [(o.name, o.body, o.content_type) for o in ops] == [
        ("plain", None, None),
        ("posting", "json", "application/json"),
        ("binary", "binary", "image/png"),
        ("multi", "multipart", "multipart/form-data"),
    ]
    assert [list(o.query) for o in ops] == [["q"], [], [], []]
    assert ops[3].media == {"text/plain": "text"}
    assert (ops[0].deprecated, ops[0].csv, dict(ops[0].responses)) == (
        False,
        False,
        {},
    )
    assert ops[0].params == (Param("q", "q", "query", "form", True, False),)


def test_without_media_a_content_type_parameter_is_a_query_parameter() -> None:
    @operation("POST", "/x")
    def method(self: Any, *, content_type: str, body: Any, options: Any = None) -> None:
        raise NotImplementedError

    op: Operation = method.__operation__  # type: ignore[attr-defined]
    assert list(op.query) == ["content_type"]


def test_a_path_placeholder_takes_the_first_parameter_of_its_wire_name() -> None:
    @operation("GET", "/x/{id}/{id}/{ref}", wire={"ref_": "ref", "ref": "ref"})
    def method(
        self: Any, *, id: str, ref_: str, ref: str = "", options: Any = None
    ) -> None:
        raise NotImplementedError

    op: Operation = method.__operation__  # type: ignore[attr-defined]
    assert list(op.path_params) == ["id", "ref_"]
    assert list(op.query) == ["ref"]


def test_a_placeholder_that_is_no_parameter_name_is_skipped() -> None:
    # A placeholder holding "/" is no path parameter, even if a wire name
    # matches it; nor is an unclosed one.
    @operation("GET", "/x/{a/b}/{}/{id}/{c", wire={"ab": "a/b"})
    def method(
        self: Any, *, id: str, ab: str = "", c: str = "", options: Any = None
    ) -> None:
        raise NotImplementedError

    op: Operation = method.__operation__  # type: ignore[attr-defined]
    assert (list(op.path_params), list(op.query)) == (["id"], ["ab", "c"])


def test_only_these_methods_are_idempotent() -> None:
    idempotent = {
        m: Operation("x", m, "/").idempotent
        for m in ("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE", "POST", "PATCH")
    }
    assert idempotent == {
        "GET": True,
        "HEAD": True,
        "OPTIONS": True,
        "PUT": True,
        "DELETE": True,
        "TRACE": True,
        "POST": False,
        "PATCH": False,
    }


# --- path parameters: `simple` style, percent-encoded ---


@pytest.mark.parametrize(
    ("value", "raw"),
    [
        ("plain-id_1.2~", "plain-id_1.2~"),
        ("a/b c", "a%2Fb%20c"),
        ("é", "%C3%A9"),
        (5, "5"),
        (True, "true"),
        (None, ""),
        (2.5, "2.5"),
        (uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
        (datetime.date(2024, 5, 1), "2024-05-01"),
        (datetime.datetime(2024, 5, 1, 12, 30), "2024-05-01T12%3A30%3A00"),
        (["a", "b/c", 3, False], "a%2Cb%2Fc%2C3%2Cfalse"),
    ],
)
def test_a_path_value_is_encoded_in_simple_style(
    send: Send, value: Any, raw: str
) -> None:
    op = Operation(
        "get",
        "GET",
        "/items/{item-id}/x",
        path_params=["item_id"],
        wire={"item_id": "item-id"},
    )
    request = send(op, item_id=value)
    assert request.url.raw_path == f"/items/{raw}/x".encode()


def test_a_path_object_is_keys_and_values_or_pairs_when_exploded(send: Send) -> None:
    op = Operation(
        "get",
        "GET",
        "/p/{a}/{b}",
        path_params=["a", "b"],
        styles={"b": ("simple", True)},
    )
    request = send(op, a={"k": "v", "n": 1}, b={"k": "v", "n": None})
    assert request.url.raw_path == b"/p/k%2Cv%2Cn%2C1/k%3Dv%2Cn%3D"


def test_an_unset_path_parameter_leaves_its_placeholder(send: Send) -> None:
    op = Operation("get", "GET", "/p/{a}", path_params=["a"])
    assert send(op).url.raw_path == b"/p/%7Ba%7D"


# --- query parameters ---


def test_query_lists_in_each_style(send: Send) -> None:
    op = Operation(
        "get",
        "GET",
        "/q",
        query=["form", "flat", "space", "pipe", "json", "none", "unset"],
        wire={"flat": "Flat"},
        styles={
            "flat": ("form", False),
            "space": ("spaceDelimited", False),
            "pipe": ("pipeDelimited", False),
        },
        json_params=["json"],
    )
    request = send(
        op,
        form=[1, True, None],
        flat=["a", "b"],
        space=["a", "b"],
        pipe=["a", "b"],
        json=[{"k": "é"}, 1],
        none=None,
    )
    assert _query(request) == [
        ("form", "1"),
        ("form", "true"),
        ("form", ""),
        ("Flat", "a,b"),
        ("space", "a b"),
        ("pipe", "a|b"),
        ("json", '[{"k":"\\u00e9"},1]'),
    ]


def test_a_null_query_value_is_left_out_unless_sent_as_json(send: Send) -> None:
    op = Operation("get", "GET", "/q", query=["a", "j"], json_params=["j"])
    assert _query(send(op, a=None, j=None)) == [("j", "null")]


def test_query_objects_in_each_style(send: Send) -> None:
    op = Operation(
        "get",
        "GET",
        "/q",
        query=["deep", "exploded", "flat", "pipe", "space"],
        styles={
            "deep": ("deepObject", True),
            "flat": ("form", False),
            "pipe": ("pipeDelimited", False),
            "space": ("spaceDelimited", False),
        },
    )
    request = send(
        op,
        deep={"a": 1, "b": False},
        exploded={"x": "1", "y": None},
        flat={"k": "v", "n": 2},
        pipe={"k": "v"},
        space={"k": "v"},
    )
    assert _query(request) == [
        ("deep[a]", "1"),
        ("deep[b]", "false"),
        ("x", "1"),
        ("y", ""),
        ("flat", "k,v,n,2"),
        ("pipe", "k|v"),
        ("space", "k v"),
    ]


def test_query_scalars_are_json_text(send: Send) -> None:
    class Colour(enum.Enum):
        RED = "red"

    op = Operation("get", "GET", "/q", query=["b", "n", "e", "d"])
    request = send(op, b=False, n=1.5, e=Colour.RED, d=datetime.date(2024, 1, 2))
    assert _query(request) == [
        ("b", "false"),
        ("n", "1.5"),
        ("e", "red"),
        ("d", "2024-01-02"),
    ]


# --- header and cookie parameters ---


def test_headers_in_each_form(send: Send) -> None:
    op = Operation(
        "get",
        "GET",
        "/h",
        headers=["plain", "items", "pairs", "flat", "as_json", "flag"],
        wire={
            "plain": "X-Plain",
            "items": "X-Items",
            "pairs": "X-Pairs",
            "flat": "X-Flat",
            "as_json": "X-Json",
            "flag": "X-Flag",
        },
        styles={"pairs": ("simple", True)},
        json_params=["as_json"],
    )
    request = send(
        op,
        plain="v",
        items=[1, "b", None],
        pairs={"k": "v", "n": 1},
        flat={"k": "v", "n": 1},
        as_json={"a": [1, 2]},
        flag=True,
    )
    assert request.headers["X-Plain"] == "v"
    assert request.headers["X-Items"] == "1,b,"
    assert request.headers["X-Pairs"] == "k=v,n=1"
    assert request.headers["X-Flat"] == "k,v,n,1"
    assert request.headers["X-Json"] == '{"a":[1,2]}'
    assert request.headers["X-Flag"] == "true"
    assert _query(request) == []


def test_cookies_travel_in_one_cookie_header(send: Send) -> None:
    op = Operation(
        "get",
        "GET",
        "/c",
        cookies=["session", "prefs", "gone"],
        wire={"session": "sid"},
        json_params=["prefs"],
    )
    request = send(op, session=["a", "b"], prefs={"x": 1})
    assert request.headers["Cookie"] == 'sid=a,b; prefs={"x":1}'
    assert _query(request) == []


def test_a_call_without_cookies_sends_no_cookie_header(send: Send) -> None:
    op = Operation("get", "GET", "/c", cookies=["session"])
    assert "Cookie" not in send(op).headers


# --- bodies ---


def test_a_json_body_is_compact_utf8_without_unset_fields(send: Send) -> None:
    op = Operation("post", "POST", "/b", body="json", content_type="application/json")
    request = send(
        op, body={"name": "Zoë", "gone": UNSET, "when": datetime.date(2024, 1, 2)}
    )
    assert request.headers["Content-Type"] == "application/json"
    assert request.content == '{"name":"Zoë","when":"2024-01-02"}'.encode()


def test_no_body_argument_or_no_body_kind_sends_no_content(send: Send) -> None:
    with_body = Operation("post", "POST", "/b", body="json", content_type="a/b")
    without = Operation("post", "POST", "/b")
    for request in (
        send(with_body),
        send(with_body, body=UNSET),
        send(without, body={"a": 1}),
    ):
        assert request.content == b""
        assert "Content-Type" not in request.headers


def test_a_header_parameter_named_content_type_wins(send: Send) -> None:
    op = Operation(
        "post",
        "POST",
        "/b",
        headers=["ct"],
        wire={"ct": "Content-Type"},
        body="text",
        content_type="text/plain",
    )
    request = send(op, ct="text/x-custom", body="hi")
    assert request.headers["Content-Type"] == "text/x-custom"
    assert request.content == b"hi"


def test_a_form_body(send: Send) -> None:
    op = Operation(
        "post",
        "POST",
        "/f",
        body="form",
        content_type="application/x-www-form-urlencoded",
    )
    request = send(op, body={"a": True, "b": None, "c": UNSET, "d": [1, 2], "e": 1.5})
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.content == b"a=true&b=&d=%5B1%2C+2%5D&e=1.5"


class _Upload(Model):
    _wire: ClassVar[dict[str, str]] = {"file_name": "file-name", "blob": "Blob"}
    file_name: str | Unset = UNSET
    blob: bytes | Unset = UNSET
    meta: dict[str, Any] | Unset = UNSET
    skipped: int | Unset = UNSET


def _parts(request: httpx.Request) -> dict[str, tuple[str, bytes]]:
    """name -> (the part's headers, its content)."""
    content = request.content
    boundary = request.headers["Content-Type"].partition("boundary=")[2].encode()
    parts: dict[str, tuple[str, bytes]] = {}
    for chunk in content.split(b"--" + boundary)[1:-1]:
        head, _, body = chunk.strip(b"\r\n").partition(b"\r\n\r\n")
        name = head.split(b'name="')[1].split(b'"')[0].decode()
        parts[name] = (head.decode(), body)
    return parts


def test_a_multipart_model_uses_wire_names_and_files_for_bytes(send: Send) -> None:
    op = Operation(
        "post", "POST", "/m", body="multipart", content_type="multipart/form-data"
    )
    body = _Upload(
        file_name="a.txt",
        blob=b"\x00\x01",
        meta={"k": [1]},
        additional_properties={"extra": "x"},
    )
    request = send(op, body=body)
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    parts = _parts(request)
    assert sorted(parts) == ["Blob", "file-name", "meta"]
    assert parts["file-name"][1] == b"a.txt"
    assert parts["meta"][1] == b'{"k": [1]}'
    assert 'filename="Blob"' in parts["Blob"][0]
    assert parts["Blob"][1] == b"\x00\x01"


def test_multipart_files_from_tuples_readers_and_bytearrays(send: Send) -> None:
    import io

    op = Operation(
        "post", "POST", "/m", body="multipart", content_type="multipart/form-data"
    )
    request = send(
        op,
        body={
            "doc": ("report.csv", b"a,b", "text/csv"),
            "stream": io.BytesIO(b"streamed"),
            "array": bytearray(b"arr"),
            "gone": UNSET,
            "n": None,
        },
    )
    parts = _parts(request)
    assert sorted(parts) == ["array", "doc", "n", "stream"]
    assert 'filename="report.csv"' in parts["doc"][0]
    assert "Content-Type: text/csv" in parts["doc"][0]
    assert parts["doc"][1] == b"a,b"
    assert 'filename="stream"' in parts["stream"][0]
    assert parts["stream"][1] == b"streamed"
    assert parts["array"][1] == b"arr"
    assert parts["n"][1] == b""


def test_text_and_binary_bodies(send: Send) -> None:
    text = Operation("put", "PUT", "/t", body="text", content_type="text/plain")
    binary = Operation(
        "put", "PUT", "/b", body="binary", content_type="application/octet-stream"
    )
    sent_text = send(text, body=12)
    sent_binary = send(binary, body=bytearray(b"\x00\xff"))
    assert (sent_text.content, sent_text.headers["Content-Type"]) == (
        b"12",
        "text/plain",
    )
    assert (sent_binary.content, sent_binary.headers["Content-Type"]) == (
        b"\x00\xff",
        "application/octet-stream",
    )


def test_content_type_chooses_among_the_declared_media(send: Send) -> None:
    op = Operation(
        "put_it",
        "PUT",
        "/m",
        body="json",
        content_type="application/json",
        media={"text/plain": "text", "application/octet-stream": "binary"},
    )
    assert (
        send(op, body=b"ab", content_type="application/octet-stream").content == b"ab"
    )
    as_json = send(op, body=[1], content_type="application/json")
    assert (as_json.content, as_json.headers["Content-Type"]) == (
        b"[1]",
        "application/json",
    )
    assert send(op, body=[1]).content == b"[1]"
    with pytest.raises(ValueError) as refused:
        send(op, body="x", content_type="text/html")
    assert str(refused.value) == (
        "put_it: the spec declares no body of type 'text/html'"
    )
    with pytest.raises(ValueError) as not_text:
        send(op, body="x", content_type=None)
    assert str(not_text.value) == "put_it: the spec declares no body of type None"


def test_without_media_content_type_argument_is_ignored_for_the_body(
    send: Send,
) -> None:
    op = Operation("post", "POST", "/m", body="json", content_type="application/json")
    request = send(op, body=1, content_type="text/plain")
    assert request.headers["Content-Type"] == "application/json"
    assert request.content == b"1"


def test_a_multipart_body_of_text_fields_only_is_still_multipart(send: Send) -> None:
    op = Operation(
        "post", "POST", "/m", body="multipart", content_type="multipart/form-data"
    )
    request = send(op, body={"note": "hé", "n": 2, "gone": UNSET})
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    parts = _parts(request)
    assert parts == {
        "note": ('Content-Disposition: form-data; name="note"', "hé".encode()),
        "n": ('Content-Disposition: form-data; name="n"', b"2"),
    }


# --- values as JSON ---


def test_to_json_converts_what_json_lacks_and_drops_unset() -> None:
    from persons_client._runtime import to_json

    class Colour(enum.Enum):
        RED = "red"

    value = {
        1: (Colour.RED, b"\x00\x01", uuid.UUID(int=2)),
        "t": datetime.time(1, 2, 3),
        "when": datetime.datetime(2024, 1, 2, 3, 4, tzinfo=datetime.UTC),
        "gone": UNSET,
        "nested": [{"x": UNSET, "y": 1.5}],
        "model": _Upload(file_name="f", additional_properties={"k": (1,)}),
    }
    assert to_json(value) == {
        "1": ["red", "AAE=", "00000000-0000-0000-0000-000000000002"],
        "t": "01:02:03",
        "when": "2024-01-02T03:04:00+00:00",
        "nested": [{"y": 1.5}],
        "model": {"file-name": "f", "k": [1]},
    }
    marker = object()
    assert to_json(marker) is marker
