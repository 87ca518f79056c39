"""What the server runtime promises where the persons spec does not reach.

Parameter shapes the persons spec does not use (objects in the query or a
header, optional arrays, integer literals in unions and maps), optional
union bodies, HTTP basic authentication, the `/docs` page's content, the
path splitting a root path needs, and the refusal of unservable limits.
Routes are built here, at test time, from handler methods of this module.
"""

from __future__ import annotations

from typing import Any, Literal

import pytest
from persons_server._runtime import (
    Context,
    Limits,
    ParamsModel,
    Route,
    SecurityScheme,
    _split_path,
    build_app,
    docs_page,
    route,
)
from persons_server.interface import NotFound, Ok, Unauthorized
from pydantic import Field

from tests.server.test_runtime import Http

# --- a small API of this module's own ----------------------------------------


class SearchParams(ParamsModel):
    limit: int | None = None
    tags: list[str] | None = None
    filters: dict[str, str] | None = None


class MetaParams(ParamsModel):
    meta: dict[str, str] | None = Field(None, alias="X-Meta")


class NoParams(ParamsModel):
    pass


class Api:
    async def search(self, ctx: Context, params: SearchParams) -> Ok[dict[str, Any]]:
        return Ok(params.model_dump(by_alias=True))

    async def meta(self, ctx: Context, params: MetaParams) -> Ok[dict[str, Any]]:
        return Ok(params.model_dump(by_alias=True))

    async def store(
        self, ctx: Context, params: NoParams, body: int | list[int] | None
    ) -> Ok[dict[str, Any]]:
        return Ok({"body": body})

    async def fetch(
        self, ctx: Context, params: NoParams
    ) -> Ok[dict[str, Any]] | NotFound[None] | Unauthorized[dict[str, Any]]:
        return Ok({})


class Anyone:
    def has_scope(self, scope: str) -> bool:
        return True


def serve(routes: list[Route], schemes: tuple[SecurityScheme, ...] = ()) -> Http:
    app = build_app(
        Api(),
        routes,
        schemes,
        authenticate=lambda scheme, credential: (
            Anyone() if credential == "b3BlbjpzZXNhbWU=" else None
        ),
        title="t",
        version="1",
        spec_json="{}",
    )
    return Http(app)


# --- parameter shapes ---------------------------------------------------------


def test_a_free_form_exploded_query_object_takes_the_undeclared_parameters() -> None:
    # OpenAPI's default for an object in the query is form, exploded: each of
    # its properties is a query parameter of its own, `?a=1&b=2`.
    http = serve([route("GET", "/search", Api.search)])
    reply = http.get("/search?limit=5&a=1&b=2")
    assert reply.status_code == 200, reply.text
    assert reply.json()["filters"] == {"a": "1", "b": "2"}
    assert reply.json()["limit"] == 5


def test_an_optional_array_in_the_query_is_each_of_its_repeats() -> None:
    http = serve([route("GET", "/search", Api.search)])
    reply = http.get("/search?tags=a&tags=b")
    assert reply.status_code == 200, reply.text
    assert reply.json()["tags"] == ["a", "b"]


def test_an_object_in_a_header_is_comma_separated_keys_and_values() -> None:
    http = serve([route("GET", "/meta", Api.meta, headers=["X-Meta"])])
    reply = http.get("/meta", headers={"X-Meta": "a,1, b,2"})
    assert reply.status_code == 200, reply.text
    assert reply.json()["X-Meta"] == {"a": "1", "b": "2"}


def test_an_integer_literal_in_a_map_is_read_from_its_text() -> None:
    class Params(ParamsModel):
        weights: dict[str, Literal[1, 2]] | None = None

    assert Params.model_validate({"weights": {"a": "1", "b": "2"}}).weights == {
        "a": 1,
        "b": 2,
    }


def test_text_that_a_union_allows_as_text_is_kept_as_text() -> None:
    class Params(ParamsModel):
        mode: Literal["auto"] | int | None = None

    assert Params.model_validate({"mode": "auto"}).mode == "auto"
    assert Params.model_validate({"mode": "5"}).mode == 5


# --- what a handler method declares -----------------------------------------


def test_the_documented_responses_are_the_replies_the_return_type_admits() -> None:
    fetch = route("GET", "/fetch", Api.fetch)
    assert dict(fetch.responses) == {
        "200": dict[str, Any],
        "404": None,
        "401": dict[str, Any],
    }
    assert dict(route("GET", "/search", Api.search).responses) == {
        "200": dict[str, Any]
    }


def test_an_optional_body_of_several_types_takes_each_or_none() -> None:
    http = serve([route("POST", "/store", Api.store, body_required=False)])
    assert http.post("/store", json=3).json() == {"body": 3}
    assert http.post("/store", json=[1, 2]).json() == {"body": [1, 2]}
    assert http.post("/store").json() == {"body": None}


# --- authentication -----------------------------------------------------------


def test_a_basic_scheme_challenges_with_basic() -> None:
    basic = SecurityScheme("Basic", "basic", "header", "Authorization")
    http = serve(
        [route("GET", "/search", Api.search, security=[{"Basic": []}])], (basic,)
    )
    for headers in ({}, {"Authorization": "Basic d3Jvbmc6d3Jvbmc="}):
        refused = http.get("/search", headers=headers)
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == "Basic"
    let_in = http.get("/search", headers={"Authorization": "Basic b3BlbjpzZXNhbWU="})
    assert let_in.status_code == 200


# --- the /docs page -----------------------------------------------------------

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Shelf", "version": "2.7.1"},
    "paths": {
        "/books/{id}": {"$ref": "#/components/pathItems/Book"},
        "/notes": {
            "post": {
                "operationId": "notes_create",
                "parameters": [
                    {"name": "draft", "in": "query", "schema": {"type": "boolean"}},
                    {"$ref": "#/components/parameters/Nowhere"},
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/Note"}
                        }
                    },
                },
                "responses": {"201": {"description": "Created"}},
            }
        },
        "/tags": {
            "put": {
                "operationId": "tags_replace",
                "requestBody": {
                    "content": {"text/plain": {"schema": {"type": "string"}}}
                },
                "responses": {"204": {"description": "Replaced"}},
            }
        },
    },
    "components": {
        "pathItems": {
            "Book": {
                "get": {
                    "operationId": "books_retrieve",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": {"200": {"description": "The book"}},
                }
            }
        },
        "schemas": {"Note": {"type": "object"}},
    },
}


def section(page: str, operation_id: str) -> str:
    """The page's section for one operation."""
    start = page.index(f'<span class="muted">{operation_id}</span>')
    return page[start : page.index("</section>", start)]


def test_the_page_shows_the_apis_version() -> None:
    page = docs_page(SPEC)
    assert "<h1>Shelf <small>2.7.1</small></h1>" in page


def test_a_path_item_given_by_reference_is_shown() -> None:
    page = docs_page(SPEC)
    assert "books_retrieve" in page
    assert "/books/{id}" in page.split("</nav>")[0]  # listed with the operations


def test_the_page_lists_each_operations_parameters() -> None:
    book = section(docs_page(SPEC), "books_retrieve")
    assert "<h4>Parameters</h4>" in book
    assert "<tr><td><code>id</code></td><td>path</td><td>integer</td><td>yes</td>" in (
        book
    )
    notes = section(docs_page(SPEC), "notes_create")
    assert "<tr><td><code>draft</code></td><td>query</td><td>boolean</td><td>" in (
        notes
    )


def test_a_parameter_the_page_cannot_read_is_shown_without_made_up_text() -> None:
    # Its reference leads nowhere: a row with no name, place or type.
    notes = section(docs_page(SPEC), "notes_create")
    assert "<tr><td><code></code></td><td></td><td>any</td><td></td>" in notes


def test_the_page_says_whether_a_body_is_required_and_of_what_type() -> None:
    page = docs_page(SPEC)
    notes = section(page, "notes_create")
    assert "<h4>Request body (required)</h4>" in notes
    assert '<td><code>application/json</code></td><td><a href="#schema-0">Note</a>' in (
        notes
    )
    tags = section(page, "tags_replace")
    assert "<h4>Request body</h4>" in tags
    assert "<td><code>text/plain</code></td><td>string</td>" in tags


# --- paths behind a root path -------------------------------------------------


def test_a_path_is_split_into_its_segments() -> None:
    scope = {"type": "http", "path": "/books/7", "root_path": ""}
    assert _split_path(scope) == ["", "books", "7"]


def test_an_encoded_slash_stays_in_its_segment_behind_a_root_path() -> None:
    scope = {
        "type": "http",
        "path": "/api/v1/files/a/b",
        "root_path": "/api/v1",
        "raw_path": b"/api/v1/files/a%2Fb",
    }
    assert _split_path(scope) == ["", "files", "a/b"]


# --- limits ------------------------------------------------------------------


def test_an_unservable_depth_limit_is_refused_saying_what_is_allowed() -> None:
    for depth in (0, 129):
        with pytest.raises(
            ValueError, match="max_json_depth must be between 1 and 128"
        ):
            Limits(max_json_depth=depth)
    assert Limits(max_json_depth=1).max_json_depth == 1
    assert Limits(max_json_depth=128).max_json_depth == 128
