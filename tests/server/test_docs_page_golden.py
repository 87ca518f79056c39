"""`/docs`, byte for byte: the page the runtime renders for a spec using many
features, and for one using none, held to reviewed golden files.

Each case is `docs_golden/NAME.json` (the spec) and `docs_golden/NAME.html`
(the page, as reviewed). After a deliberate change to the page, rewrite the
pages and review the diff:

    .venv/bin/python -m tests.server.test_docs_page_golden

The features spec holds what the page has to show and must not trip on:
path items, parameters, bodies, responses and media given by reference (and
through a chain of eight references, and `~0`/`~1` escapes), references that
lead nowhere or elsewhere, every schema combinator, enums, consts, formats,
nullable types, security requirements (with scopes, optional, inherited,
cleared), deprecated operations, and spec text that is markup.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from persons_server._runtime import build_app, docs_page

from tests.server.test_docs import Page, load

HERE = Path(__file__).resolve().parent / "docs_golden"
CASES = sorted(p.stem for p in HERE.glob("*.json"))


def spec_of(case: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((HERE / f"{case}.json").read_text("utf-8"))
    return spec


@pytest.mark.parametrize("case", CASES)
def test_the_page_is_the_reviewed_one(case: str) -> None:
    expected = (HERE / f"{case}.html").read_text("utf-8")
    page = docs_page(spec_of(case))
    assert page == expected, (
        f"the /docs page of docs_golden/{case}.json changed: if meant, "
        "run `python -m tests.server.test_docs_page_golden` and review the diff"
    )


def test_the_cases_are_there() -> None:
    # A glob that found nothing would pass every parametrized test vacuously.
    assert {"features", "minimal"} <= set(CASES)


# --- what the golden page must be, checked without the golden ---------------


def features_page() -> tuple[dict[str, Any], str, Page]:
    spec = spec_of("features")
    text = docs_page(spec)
    return spec, text, Page(text)


def test_every_link_on_the_page_leads_somewhere_on_it() -> None:
    _, _, parsed = features_page()
    inner = [r for r in parsed.references if r.startswith("#")]
    assert inner, "the page links its operations and schemas"
    for reference in inner:
        assert reference[1:] in parsed.ids, reference
    assert set(parsed.references) - set(inner) == {"data:,", "openapi.json"}


def test_every_operation_is_listed_and_shown_once_in_order() -> None:
    spec, text, parsed = features_page()
    nav, _, main = text.partition("</nav>")
    shown = [
        (method, path)
        for path, item in spec["paths"].items()
        for method, operation in (
            spec["components"]["pathItems"]["Book"] if "$ref" in item else item
        ).items()
        if method in ("get", "put", "post", "delete") and isinstance(operation, dict)
    ]
    assert len(shown) == 5
    listed = re.findall(
        r'<a href="#(op-\d+)"[^>]*><span class="method">(\w+)</span> ([^<]*)</a>', nav
    )
    assert [(m, html.unescape(p)) for _, m, p in listed] == shown
    assert [anchor for anchor, _, _ in listed] == [f"op-{i}" for i in range(5)]
    for anchor, method, path in listed:
        heading = f'<section id="{anchor}"><h3><span class="method">{method}</span> <code>{path}</code>'
        assert main.count(heading) == 1, heading
    assert {f"op-{i}" for i in range(5)} <= parsed.ids


def test_every_schema_is_shown_whole_under_its_name() -> None:
    spec, text, _ = features_page()
    schemas = spec["components"]["schemas"]
    sections = re.findall(
        r'<section id="(schema-\d+)"><h3>([^<]*)</h3><pre>([^<]*)</pre></section>', text
    )
    assert [name for _, name, _ in sections] == list(schemas)
    for anchor, name, shown in sections:
        assert json.loads(html.unescape(shown)) == schemas[name]
        # Linked from wherever it is referenced, by its name.
        assert f'<a href="#{anchor}">{name}</a>' in text


def test_no_spec_text_is_markup_on_the_page() -> None:
    _, text, parsed = features_page()
    assert "script" not in parsed.tags and "b" not in parsed.tags
    assert "i" not in parsed.tags
    for hostile in ("<script>", "<b>", "<i>", "<all>", "<admin>", "<beta>", "<f>"):
        assert hostile not in text
    # ... and still there, as text, for a reader.
    assert "Shelf &lt;b&gt;&amp;&lt;/b&gt; &quot;Co&quot;" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_the_minimal_page_has_the_defaults() -> None:
    text = docs_page(spec_of("minimal"))
    assert "<title>API</title>" in text and "<h1>API <small></small></h1>" in text
    assert "<h2>Schemas</h2>" not in text
    assert "Authentication" not in text


# --- served by the app -------------------------------------------------------


def test_the_app_serves_the_page_under_a_policy_allowing_only_its_style() -> None:
    spec = spec_of("features")
    app = build_app(
        object(),
        [],
        [],
        authenticate=lambda scheme, credential: None,
        title="Shelf",
        version="2.7.1",
        spec_json=json.dumps(spec),
    )
    assert (app.title, app.version) == ("Shelf", "2.7.1")
    assert app.openapi_url is None and app.docs_url is None and app.redoc_url is None
    page, again, spec_json = load(app, "/docs", "/docs", "/openapi.json")
    assert page.status_code == 200
    assert page.text == docs_page(spec) == again.text
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["x-content-type-options"] == "nosniff"
    style = re.findall(r"<style>(.*?)</style>", page.text, re.DOTALL)
    assert len(style) == 1
    digest = base64.b64encode(hashlib.sha256(style[0].encode()).digest()).decode()
    assert page.headers["content-security-policy"] == (
        f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:"
    )
    assert json.loads(spec_json.text) == spec
    assert spec_json.headers["content-type"] == "application/json"


def regenerate() -> int:
    for case in CASES:
        page = docs_page(spec_of(case))
        (HERE / f"{case}.html").write_text(page, encoding="utf-8", newline="\n")
        print(f"docs_golden/{case}.html: {len(page)} characters", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(regenerate())
