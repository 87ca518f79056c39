"""A JSON spec's diagnostics are placed without composing the whole text
(`load._JsonPositions`), exactly where the YAML composer would place them."""

from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import assume, given
from hypothesis import strategies as st

from generator.load import SourceFile, _composed, _JsonPositions
from tests.conftest import SPEC, shared_spec

KEYS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | KEYS,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=25,
)


def _paths(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [path, (*path, "absent"), (*path, 7)]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


def _both(text: str, paths: list[tuple[str | int, ...]]) -> tuple[list[Any], list[Any]]:
    fast = SourceFile("s.json", "s.json", text, None)
    composed = SourceFile("s.json", "s.json", text, None)
    with _composed(text) as (_, root):
        composed._root = root
    composed._json = False
    return [fast.locate(p) for p in paths], [composed.locate(p) for p in paths]


@given(
    st.dictionaries(KEYS, JSON, max_size=5),
    st.sampled_from([None, 1, 2]),
    st.booleans(),
)
def test_a_json_text_is_placed_as_yaml_places_it(
    document: dict[str, Any], indent: int | None, ascii_only: bool
) -> None:
    text = json.dumps(document, indent=indent, ensure_ascii=ascii_only)
    assert _JsonPositions.fits(text) is not any(c in text for c in "\r\x85\u2028\u2029")
    try:
        fast, composed = _both(text, _paths(document))
    except yaml.YAMLError:
        # YAML 1.1 reads no surrogate-pair escape and no control character:
        # there the composer placed everything at 1:1, and JSON now places.
        assume(False)
    assert fast == composed


def test_repeated_keys_are_placed_at_the_first_as_yaml_does() -> None:
    text = '{"a": {"b": 1},\n "a": {"c": 2}, "l": [1,\n [2, {"k": 3}]]}'
    fast, composed = _both(text, [("a",), ("a", "b"), ("a", "c"), ("l", 1, 1, "k")])
    assert fast == composed == [(1, 2), (1, 8), (1, 2), (3, 7)]


def test_text_that_is_not_json_on_the_way_is_placed_by_yaml() -> None:
    text = '{"a": {"b": [1, 2]},\n "c": {d: 1}}'  # `d` unquoted: YAML flow, not JSON
    source = SourceFile("s.yaml", "s.yaml", text, None)
    assert source.locate(("a", "b", 1)) == (1, 17)
    assert source.locate(("c", "d")) == (2, 8)  # YAML's answer, from here on
    assert source._json is False


def test_a_line_break_json_keeps_but_yaml_counts_leaves_it_to_yaml() -> None:
    assert not _JsonPositions.fits('{"a":\r\n 1}')
    assert not _JsonPositions.fits('{"a": "x\u2028y"}')
    assert not _JsonPositions.fits("a: 1\n")


def test_the_published_json_spec_is_placed_as_yaml_places_it() -> None:
    spec = shared_spec("published/k8s_api__v1_openapi.json")
    text = spec.read_text(encoding="utf-8")
    paths = _paths(json.loads(text))[::37]
    fast, composed = _both(text, paths)
    assert fast == composed
    assert len(paths) > 1000
    assert SPEC.suffix != ".json"  # our own spec is YAML: placed by the composer
