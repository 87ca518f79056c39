"""Other people's specs: every diagnostic points at the node it is about.

The peer generators' test suites (503 OpenAPI documents, many broken on
purpose) and three large published specs, from the shared corpus (see
`tests/conftest.py`; without it these tests skip). `make test` validates
the documents and the two quicker published specs (seconds); `make corpus`
(GENERATOR_CORPUS=all) validates OpenAI's too, and generates and imports the
published specs (many minutes).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from generator import diagnostics as diag
from generator.pipeline import Options, check_spec
from tests.conftest import shared_spec

PEERS = shared_spec("peer-suites", module=True)
FULL = os.environ.get("GENERATOR_CORPUS") == "all"
# The ones issue 12 names.
NAMED = (
    "oapi-codegen/internal/test/references/external/pathalias/spec.yaml",
    "oapi-codegen/internal/test/schemas/recursive/spec.yaml",
    "oapi-codegen/internal/test/schemas/enums/spec.yaml",
    "datamodel-code-generator/tests/data/openapi/allof_required_inherited_rw_cycle.yaml",
    "datamodel-code-generator/tests/data/openapi/openapi_discriminated_oneof_allof_cycle.json",
    "datamodel-code-generator/tests/data/openapi/definitions.yaml",
    "opc/functional_inline/generator_failure_cases__test_invalid_defaults__L6.yaml",
)
PUBLISHED = {
    "openai.yaml": True,  # slow to validate (JSON Schema 2020-12): `make corpus`
    "k8s_api__v1_openapi.json": False,
    "digitalocean/specification/DigitalOcean-public.v2.yaml": False,
}


def _documents() -> list[str]:
    """The peer-suite documents SOURCES.md lists as run (`doc`), in its order."""
    sources = (PEERS / "SOURCES.md").read_text(encoding="utf-8")
    return re.findall(r"^\| [^|]+ \| `([^`]+)` \|.*\| doc \|$", sources, re.M)


DOCUMENTS = _documents()

# What a diagnostic about the document itself says: the only ones at `#`.
ABOUT_THE_ROOT = re.compile(
    r"^(['\"][\w$-]+['\"] is a required property"
    r"|not a valid document"
    r"|expected `openapi: 3\.0\.x` or `3\.1\.x`"
    r"|the document must be a mapping)"
)


def _assert_located(diagnostics: list[diag.Diagnostic]) -> None:
    for d in diagnostics:
        shown = d.render()
        assert d.line >= 1 and d.col >= 1, shown
        if not d.pointer and not d.code.startswith(("yaml-", "spec-")):
            assert ABOUT_THE_ROOT.match(d.message), shown
        # The validator failing is a located error, and should not happen.
        assert "cannot check" not in d.message, shown


def test_the_corpus_is_the_one_described() -> None:
    assert len(DOCUMENTS) == 503
    assert set(NAMED) <= set(DOCUMENTS)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_diagnostic_is_at_its_node(name: str) -> None:
    result = check_spec(Options(spec=str(PEERS / name)))
    _assert_located(result.diagnostics)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.slow)
        for name, slow in PUBLISHED.items()
        if FULL or not slow
    ],
)
def test_a_published_spec_validates_with_located_warnings(name: str) -> None:
    result = check_spec(Options(spec=str(shared_spec(f"published/{name}"))))
    _assert_located(result.diagnostics)
    errors = [d.render() for d in result.diagnostics if d.severity == "error"]
    assert errors == []
    assert result.diagnostics, "SOURCES.md says each has problems"
    assert all(d.pointer for d in result.diagnostics)


@pytest.mark.skipif(not FULL, reason="generates 1,200 operations: `make corpus`")
@pytest.mark.parametrize("name", list(PUBLISHED))
def test_a_published_spec_generates_and_imports(name: str, tmp_path: Path) -> None:
    from tests.generality.support import generate, imported

    out = tmp_path / "out"
    generate(shared_spec(f"published/{name}"), out, "published", "--no-cache")
    with imported(out, "published_client", "published_server"):
        import importlib
        import pkgutil
        import warnings

        with warnings.catch_warnings():
            # pydantic's about a field named `schema`: another part of issue 12.
            warnings.filterwarnings("ignore", "Field name .schema.", UserWarning)
            for package in ("published_client", "published_server"):
                module = importlib.import_module(package)
                for info in pkgutil.walk_packages(module.__path__, f"{package}."):
                    importlib.import_module(info.name)
