"""`operation`: what a client method's decorator and signature say its request is."""

from __future__ import annotations

import datetime
import importlib
import json
from pathlib import Path
from typing import Any

import httpx
from persons_client import Client
from persons_client._runtime import Operation, _operation_of, operation, prepare

from tests.generality.support import generate, imported


def _op(function: Any) -> Operation:
    op: Operation = function.__operation__
    return op


def test_parameters_are_read_from_the_signature() -> None:
    @operation(
        "POST",
        "/things/{thing-id}/parts/{part}",
        headers=["trace"],
        cookies=["session"],
        wire={"thing_id": "thing-id", "trace": "X-Trace"},
        responses={"201": str},
    )
    def make_part(
        self: Any,
        *,
        thing_id: str,
        part: int,
        size: int,
        trace: str,
        colour: str = "",
        session: str = "",
        body: Any = None,
        options: Any = None,
    ) -> str:
        raise NotImplementedError

    op = _op(make_part)
    assert (op.name, op.method, op.path) == (
        "make_part",
        "POST",
        "/things/{thing-id}/parts/{part}",
    )
    assert list(op.path_params) == ["thing_id", "part"]
    # Query parameters keep the signature's order.
    assert list(op.query) == ["size", "colour"]
    assert (list(op.headers), list(op.cookies)) == (["trace"], ["session"])
    assert (op.body, op.content_type) == ("json", "application/json")
    assert [(p.name, p.wire, p.location) for p in op.params] == [
        ("thing_id", "thing-id", "path"),
        ("part", "part", "path"),
        ("size", "size", "query"),
        ("colour", "colour", "query"),
        ("trace", "X-Trace", "header"),
        ("session", "session", "cookie"),
    ]
    prepared = prepare(op, {"thing_id": "t", "part": 2, "size": 3, "trace": "x"})
    assert (prepared.path, prepared.params) == ("/things/t/parts/2", [("size", "3")])


def test_name_body_and_content_type_default_and_can_be_given() -> None:
    def plain(self: Any, *, options: Any = None) -> None:
        raise NotImplementedError

    op = _op(operation("GET", "/plain")(plain))
    assert (op.name, op.body, op.content_type, op.query) == ("plain", None, None, [])

    def upload(self: Any, *, body: Any, options: Any = None) -> None:
        raise NotImplementedError

    defaults = {
        "form": "application/x-www-form-urlencoded",
        "multipart": "multipart/form-data",
        "binary": "application/octet-stream",
        "text": "text/plain",
    }
    for kind, content_type in defaults.items():
        op = _op(operation("PUT", "/up", body=kind)(upload))
        assert (op.body, op.content_type) == (kind, content_type)
    op = _op(
        operation(
            "PUT", "/up", operation_id="upIt", body="binary", content_type="image/png"
        )(upload)
    )
    assert (op.name, op.body, op.content_type) == ("upIt", "binary", "image/png")


def test_a_path_parameter_wins_over_a_query_parameter_of_its_wire_name() -> None:
    # Path parameters are required, so they come first in a generated signature.
    def first(self: Any, *, id_2: str, id: str = "", options: Any = None) -> None:
        raise NotImplementedError

    def second(self: Any, *, id: str, id_2: str = "", options: Any = None) -> None:
        raise NotImplementedError

    op = _op(operation("GET", "/items/{id}/{id}", wire={"id_2": "id"})(first))
    assert (list(op.path_params), list(op.query)) == (["id_2"], ["id"])
    op = _op(operation("GET", "/items/{id}", wire={"id_2": "id"})(second))
    assert (list(op.path_params), list(op.query)) == (["id"], ["id_2"])


def test_the_async_twin_calls_the_same_operation() -> None:
    from persons_client import AsyncClient

    op = _operation_of(Client.persons_list)
    assert _operation_of(AsyncClient.persons_list) is op
    assert op.name == "persons_list" and op.csv


def _returning(op_id: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "operationId": op_id,
        "responses": {
            "200": {
                "description": "ok",
                "content": {"application/json": {"schema": schema}},
            }
        },
    }


SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Derived", "version": "1"},
    "paths": {
        "/items/{id}": {
            "get": {
                "operationId": "query-first",
                "parameters": [
                    {"name": "id", "in": "query", "schema": {"type": "string"}},
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {"204": {"description": "none"}},
            },
            "put": {
                "operationId": "path_first",
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {"name": "id", "in": "query", "schema": {"type": "string"}},
                    {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
                    {"name": "session", "in": "cookie", "schema": {"type": "string"}},
                ],
                "requestBody": {
                    "required": True,
                    "content": {"image/png": {"schema": {"type": "string"}}},
                },
                "responses": {"204": {"description": "none"}},
            },
        },
        # Named like the types a later decorator names: the decorator's
        # arguments are evaluated in the class body, beside these methods.
        "/list": {"get": _returning("list", {"type": "array", "items": {}})},
        "/str": {"get": _returning("str", {"type": "string"})},
        "/datetime": {
            "get": _returning("datetime", {"type": "string", "format": "date-time"})
        },
        "/z/later": {
            "post": {
                **_returning(
                    "later",
                    {
                        "type": "array",
                        "items": {"type": "string", "format": "date-time"},
                    },
                ),
                "requestBody": {
                    "content": {"text/plain": {"schema": {"type": "string"}}}
                },
            }
        },
    },
}


def test_derived_operations_send_what_the_spec_says(tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    generate(spec, tmp_path / "out", "derived", "--only", "client", "--no-cache")
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/z/later":
            return httpx.Response(200, json=["2024-05-01T12:00:00+00:00"])
        return httpx.Response(204)

    with imported(tmp_path / "out", "derived_client"):
        module = importlib.import_module("derived_client.client")
        with module.Client(
            base_url="http://x", transport=httpx.MockTransport(handle)
        ) as client:
            client.query_first(id_2="p", id="q")
            client.path_first(
                id="p", id_2="q", x_trace="t", session="s", body=b"\x89PNG"
            )
            assert client.later(body="hello") == [
                datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.UTC)
            ]
    get, put, post = seen
    assert (get.url.path, get.url.params.multi_items()) == ("/items/p", [("id", "q")])
    assert (put.url.path, put.url.params.multi_items()) == ("/items/p", [("id", "q")])
    assert put.headers["X-Trace"] == "t" and put.headers["Cookie"] == "session=s"
    assert (put.headers["Content-Type"], put.content) == ("image/png", b"\x89PNG")
    assert (post.headers["Content-Type"], post.content) == ("text/plain", b"hello")
