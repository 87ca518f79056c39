"""Black's work, spared without changing its output: a class cut into pieces
(`format._pieces`) comes out of black, joined, as the whole class does (the
cut only lets black format a shared field once), and a block taken as it is
(`format._as_black_gives`) is what black gives for it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from generator import build
from generator.format import (
    _as_black_gives,
    _format_block,
    _header,
    _joined,
    _pieces,
    _split,
)
from generator.load import load
from generator.render import RenderOptions, render
from tests.conftest import SHARED_SPECS, SPEC, shared_spec
from tests.golden.regenerate import cases
from tests.hostile.test_hostile_specs import make_spec, slot_texts


def _blocks(name: str | Path) -> list[tuple[int, str]]:
    spec = name if isinstance(name, Path) else SPEC if name == "persons" else None
    blocks = _generated_blocks(spec or shared_spec(str(name)))
    assert blocks is not None, f"{name} does not generate"
    return blocks


def _generated_blocks(spec: Path) -> list[tuple[int, str]] | None:
    """The blocks of the Python files `spec` renders to; None if it does not generate."""
    loaded, _ = load(str(spec))
    api = build.build(loaded, build.Options("", ""))[0] if loaded else None
    if api is None:
        return None
    blocks: list[tuple[int, str]] = []
    for file in render(api, RenderOptions(api_key_env="API_KEY")):
        if file.python:
            blocks += _split(file.text[len(_header(file.text)) :])
    return blocks


@pytest.mark.parametrize(("name", "least"), [("persons", 50), ("spotify.yml", 50)])
def test_pieces_join_to_the_whole(name: str, least: int) -> None:
    cut = 0
    for block in _blocks(name):
        pieces = _pieces(*block)
        if pieces is None:
            continue
        cut += 1
        assert _joined([_format_block(piece) for piece in pieces]) == _format_block(
            block
        ), block[1][:300]
    assert cut >= least


@pytest.mark.parametrize(
    "text",
    [
        # A method: black's blank lines around it look beyond one statement.
        'class A:\n    """Doc."""\n    a: int\n    b: int\n    def f(self) -> None:\n'
        "        pass\n",
        # A blank line between fields, a comment between them.
        'class A:\n    """Doc."""\n    a: int\n\n    b: int\n',
        'class A:\n    """Doc."""\n    a: int\n    # note\n    b: int\n',
        # Two statements on one line; a `fmt:` directive; not a class.
        'class A:\n    """Doc."""\n    a: int; b: int\n',
        'class A:\n    """Doc."""\n    a: int\n    b: int  # fmt: skip\n',
        "a: int\nb: int\nc: int\n",
    ],
)
def test_not_cut_where_black_looks_further(text: str) -> None:
    assert _pieces(0, text) is None


def test_cut_before_each_field_after_the_second_statement() -> None:
    text = (
        'class A:\n    """Doc."""\n    a: int\n    """A."""\n    b: int\n    c: str\n'
    )
    pieces = _pieces(0, text)
    assert pieces == [
        (0, 'class A:\n    """Doc."""\n    a: int\n    """A."""\n'),
        (0, "class _:\n    b: int\n"),
        (0, "class _:\n    c: str\n"),
    ]
    assert _pieces(4, text) is None  # indented blocks are left whole


def _taken_as_they_are_differ(blocks: list[tuple[int, str]]) -> list[str]:
    """The blocks taken as they are that black would change."""
    return [
        text
        for indent, text in blocks
        if _as_black_gives(indent, text) and _format_block((indent, text)) != text
    ]


def _peer_sample() -> list[str]:
    """Every fifth spec of the peer generators' suites, by path: a fixed sample."""
    suites = SHARED_SPECS / "peer-suites"
    found = sorted(
        str(p.relative_to(SHARED_SPECS))
        for p in suites.rglob("*")
        if p.suffix in (".yaml", ".yml", ".json")
    )
    return found[::5] or ["peer-suites (absent)"]


@pytest.mark.parametrize(
    "name",
    [
        "persons",
        *(str(case.name) for case in cases()),
        "spotify.yml",
        "petstore.yaml",
        "published/k8s_api__v1_openapi.json",
    ],
)
def test_a_block_taken_as_it_is_is_what_black_gives(name: str) -> None:
    golden = Path(__file__).parent / "golden" / name
    spec = next(golden.glob("spec.*")) if golden.is_dir() else name
    assert _taken_as_they_are_differ(_blocks(spec)) == []


@pytest.mark.parametrize("name", _peer_sample())
def test_a_block_taken_as_it_is_is_what_black_gives_on_peer_specs(name: str) -> None:
    blocks = _generated_blocks(shared_spec(name))
    if blocks is None:
        pytest.skip("the spec does not generate")
    assert _taken_as_they_are_differ(blocks) == []


def test_numbers_are_taken_as_black_writes_them(tmp_path: Path) -> None:
    """Defaults and bounds in exponent form: Python's repr writes 1e+20, black 1e20."""
    number = {"type": "number", "default": 1e20, "maximum": 1.5e30, "minimum": -1e-7}
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "openapi": "3.0.3",
                "info": {"title": "Numbers", "version": "1"},
                "paths": {
                    "/n": {
                        "get": {
                            "operationId": "n",
                            "parameters": [
                                {"name": "n", "in": "query", "schema": number}
                            ],
                            "responses": {"204": {"description": "none"}},
                        }
                    }
                },
            }
        )
    )
    blocks = _blocks(spec)
    assert any("= 1e20" in text for _, text in blocks)
    assert _taken_as_they_are_differ(blocks) == []


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    # The path slots filter for what a URL path may hold (`slot_texts`).
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
    phases=[Phase.explicit, Phase.generate],
)
@given(slot_texts)
def test_a_block_of_a_hostile_spec_taken_as_it_is_is_what_black_gives(
    tmp_path_factory: pytest.TempPathFactory, texts: dict[str, str]
) -> None:
    spec = tmp_path_factory.mktemp("hostile") / "spec.json"
    spec.write_text(json.dumps(make_spec(texts)))
    blocks = _generated_blocks(spec)
    if blocks is not None:
        assert _taken_as_they_are_differ(blocks) == []


LONG = (
    "/v2/apps/{app_id}/deployments/{deployment_id}/components/{name}/exec/" + "x" * 20
)


@pytest.mark.parametrize(
    ("text", "taken"),
    [
        # A long string item after the first of a split call: black leaves it.
        (f'_route(\n    "GET",\n    "{LONG}",\n    Handler.x,\n)\n', True),
        # The first or only item: black may treat its bracket otherwise.
        (f'Literal[\n    "{LONG}",\n]\n', False),
        (f'_route(\n    "{LONG}",\n    Handler.x,\n)\n', False),
        # Not one string alone: black may split it.
        (f'_route(\n    "GET",\n    "{LONG}" + x,\n)\n', False),
        # An entry of two strings in a dict split one per line, first or not.
        (f'W = {{\n    "{LONG}": "{LONG}",\n}}\n', True),
        (f'W = {{\n    "a": "b",\n    "{LONG}": "{LONG}",\n}}\n', True),
        (f'W = {{\n    "{LONG}": x.{LONG[:20]},\n}}\n', False),
        # A keyword argument of a string alone in its call: black leaves it.
        (f'X = Field(\n    pattern="{LONG}"\n)\n', True),
        (
            f'X: TypeAlias = Annotated[\n    str,\n    Field(\n        pattern="{LONG}"\n    ),\n]\n',
            True,
        ),
        # A keyword argument of a string after the first, one per line.
        (f'X = Field(\n    min_length=2,\n    pattern="{LONG}",\n)\n', True),
        # Not alone: black may lay the call out otherwise.
        (f'X = Field(\n    pattern="{LONG}",\n    ge=0,\n)\n', False),
        # A long docstring line: black never wraps one.
        (f'def f() -> None:\n    """Summary.\n\n    {LONG}\n    """\n', True),
    ],
)
def test_long_lines_black_cannot_split_are_taken(text: str, taken: bool) -> None:
    assert _as_black_gives(0, text) is taken
    if taken:
        assert _format_block((0, text)) == text
