"""`/docs`: a page people can read, served whole by the app, working offline.

The page and everything it references are loaded from the app itself; a
hostile spec cannot put markup, script or a reference to elsewhere in it.
"""

from __future__ import annotations

import asyncio
import html.parser
import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from persons_server import ROUTES
from persons_server._runtime import docs_page

from examples.app import build
from examples.ratelimit import RateLimits


class Page(html.parser.HTMLParser):
    """The tags, ids and references (href, src, ...) of an HTML page."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.ids: set[str] = set()
        self.references: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in ("href", "src", "action", "srcset", "data", "poster") and value:
                self.references.append(value)


def load(app: Any, *paths: str) -> list[httpx.Response]:
    async def fetch() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver"
        ) as client:
            return [await client.get(path) for path in paths]

    return asyncio.run(fetch())


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("docs")
    service = build(folder / "docs.db", rate_limits=RateLimits(enabled=False))
    yield service.app
    service.db.close()


def test_the_page_and_every_asset_it_references_load_from_the_app(app: Any) -> None:
    (page,) = load(app, "/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    parsed = Page(page.text)
    external = []
    local = set()
    for reference in parsed.references:
        url = httpx.URL("http://testserver/docs").join(reference)
        if reference.startswith("#"):
            assert reference[1:] in parsed.ids, f"{reference} points at nothing"
        elif url.scheme == "data":
            continue
        elif url.host != "testserver":
            external.append(reference)
        else:
            local.add(url.raw_path.decode())
    assert external == []
    assert local, "the page links the spec it shows"
    for path, response in zip(sorted(local), load(app, *sorted(local)), strict=True):
        assert response.status_code == 200, path
    assert json.loads(load(app, "/openapi.json")[0].text)["openapi"].startswith("3.")


def test_the_page_lists_every_operation(app: Any) -> None:
    (page,) = load(app, "/docs")
    for route in ROUTES:
        assert f"<code>{route.path}</code>" in page.text
        assert route.operation_id in page.text


def test_the_page_may_load_nothing_and_run_nothing(app: Any) -> None:
    (page,) = load(app, "/docs")
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script" not in policy and "unsafe" not in policy
    assert "script" not in Page(page.text).tags


# --- a hostile spec ------------------------------------------------------------

TRICKY = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "</style><script>",
        "javascript:alert(1)",
        "&lt;b&gt;",
        "'",
        "\u2028",
        "<!--",
        "]]>",
    ]
)
TEXT = st.lists(TRICKY | st.text(max_size=20), max_size=4).map("".join)
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "link", "style", "body", "h1", "h2", "h3",
    "h4", "small", "p", "div", "span", "nav", "ul", "li", "a", "main", "section",
    "code", "table", "tr", "th", "td", "pre",
}  # fmt: skip


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    schema_names = draw(st.lists(TEXT, min_size=1, max_size=3, unique=True))
    schema = {"description": draw(TEXT), "type": draw(TEXT), "format": draw(TEXT)}
    ref = {"$ref": f"#/components/schemas/{schema_names[0]}"}
    operation = {
        "operationId": draw(TEXT),
        "summary": draw(TEXT),
        "description": draw(TEXT),
        "deprecated": draw(st.booleans()),
        "parameters": [
            {
                "name": draw(TEXT),
                "in": draw(TEXT),
                "description": draw(TEXT),
                "schema": {"enum": [draw(TEXT)], "items": ref},
            }
        ],
        "requestBody": {"content": {draw(TEXT): {"schema": ref}}},
        "responses": {draw(TEXT): {"description": draw(TEXT), "content": {}}},
        "security": [{draw(TEXT): [draw(TEXT)]}],
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": draw(TEXT), "version": draw(TEXT), "description": draw(TEXT)},
        "paths": {
            draw(TEXT): {"get": operation, "post": {**operation, "x": draw(TEXT)}}
        },
        "components": {"schemas": {name: schema for name in schema_names}},
    }


@settings(max_examples=150, deadline=None)
@given(specs())
def test_no_spec_text_becomes_markup(spec: dict[str, Any]) -> None:
    text = docs_page(spec)
    parsed = Page(text)
    assert set(parsed.tags) <= ALLOWED_TAGS
    for reference in parsed.references:
        assert (
            reference == "openapi.json"
            or reference == "data:,"
            or (
                reference.startswith(("#op-", "#schema-"))
                and reference[1:] in parsed.ids
            )
        ), reference
    assert text.count("<style>") == 1 and text.count("</style>") == 1


def test_a_hostile_title_is_shown_as_text() -> None:
    spec = {"info": {"title": "<script>alert(1)</script>"}, "paths": {}}
    text = docs_page(spec)
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_unreadable_parts_of_a_spec_do_not_break_the_page() -> None:
    spec = {
        "info": "not a mapping",
        "paths": {"/a": {"get": {"parameters": [{"$ref": "#/nowhere"}, 3]}}},
        "components": {"schemas": {"Loop": {"$ref": "#/components/schemas/Loop"}}},
    }
    assert "<code>/a</code>" in docs_page(spec)
