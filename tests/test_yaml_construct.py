"""The direct constructor in `load` gives what PyYAML's constructor gives."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from generator.load import MAX_DEPTH, _construct, _Loader
from tests.conftest import SPEC, shared_spec


def _standard(text: str) -> tuple[Any, list[tuple[str, int, int]]]:
    loader = _Loader(text)
    loader.duplicate_keys = []
    try:
        return loader.get_single_data(), loader.duplicate_keys
    finally:
        loader.dispose()


def _ours(text: str) -> tuple[Any, list[tuple[str, int, int]]]:
    duplicates: list[tuple[str, int, int]] = []
    return _construct(text, duplicates)[0], duplicates


TEXTS = [
    "",
    "a: 1",
    "- 1\n- two\n",
    "ints: [0, -3, 0x1f, 0o17, 1_000, 190:20:30]\n"
    "floats: [1.5, 1e3, .inf, -.Inf, .nan, 6.8523015e+5]\n"
    "bools: [true, False, yes, No, on, OFF]\n"
    "nulls: [~, null, '', Null]\n"
    "strings: [2024-01-01, '1', \"two\", 1.2.3, 0x, |\n    block\n  ]\n",
    "200: ok\ntrue: t\nnull: n\n1.5: f\n",
    "a: &x {b: [1, 2]}\nc: *x\nd: [*x, *x]\n",
    "a: 1\nb: 2\na: 3\nn: {k: 1, k: 2}\n",
    "base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n  y: 4\n",
    "a: !!str 123\nb: !!binary aGVsbG8=\nc: !!float 1\n",
    "a: &a [*a]\n",
    "? [1, 2]\n: complex\n",
    "a: " + "[" * 200 + "]" * 200 + "\n",
]


@pytest.mark.parametrize("text", TEXTS)
def test_same_data_and_duplicates(text: str) -> None:
    try:
        expected = _standard(text)
    except yaml.YAMLError as error:
        with pytest.raises(type(error)) as raised:
            _ours(text)
        assert str(raised.value) == str(error)
        return
    except RecursionError:
        with pytest.raises(RecursionError):
            _ours(text)
        return
    assert _ours(text) == expected


def test_aliases_share_their_data() -> None:
    data, _ = _ours("a: &x {b: 1}\nc: *x\n")
    assert data["a"] is data["c"]


def test_an_unknown_tag_fails_as_before() -> None:
    with pytest.raises(yaml.constructor.ConstructorError):
        _ours("a: !custom 1\n")


@pytest.mark.parametrize("name", ["persons", "spotify.yml", "petstore.yaml"])
def test_real_specs(name: str) -> None:
    path = SPEC if name == "persons" else shared_spec(name)
    text = path.read_text(encoding="utf-8")
    assert _ours(text) == _standard(text)


def test_only_an_alias_free_shallow_tree_skips_the_shape_check() -> None:
    """`load` trusts the tree flag to skip its alias-bomb and depth check."""
    assert _construct("a: {b: [1, 2]}\nc: x\n", [])[1] is True
    assert _construct("a: &x {b: 1}\nc: *x\n", [])[1] is False
    deepest = "[" * MAX_DEPTH + "]" * MAX_DEPTH  # the shape check lets it pass
    assert _construct(deepest, [])[1] is True
    assert _construct(f"[{deepest}]", [])[1] is False
