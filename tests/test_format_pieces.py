"""A class cut into pieces (`format._pieces`) comes out of black, joined, as
the whole class does: the cut only lets black format a shared field once."""

from __future__ import annotations

import pytest

from generator import build
from generator.format import _format_block, _header, _joined, _pieces, _split
from generator.load import load
from generator.render import RenderOptions, render
from tests.conftest import SPEC, shared_spec


def _blocks(name: str) -> list[tuple[int, str]]:
    spec = SPEC if name == "persons" else shared_spec(name)
    loaded, problems = load(str(spec))
    assert loaded is not None, problems
    api, problems = build.build(loaded, build.Options("", ""))
    assert api is not None, problems
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
