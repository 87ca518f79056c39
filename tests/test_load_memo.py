"""Loading an edited spec with the memo of its last load gives what loading
it from scratch gives: the same data, the same diagnostics, the same failures."""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.load import _digest, _may_refer_out, load
from tests.conftest import shared_spec

BASE = shared_spec("spotify.yml", module=True)
TEXT = BASE.read_text(encoding="utf-8")
LINES = TEXT.splitlines(keepends=True)


def _key(path: Path) -> str:
    """How the loader names a file in its memo: absolute, links not followed."""
    return os.path.abspath(path)


def _loaded(path: Path, memo: dict[str, Any] | None) -> tuple[Any, list[Any]]:
    spec, problems = load(str(path), memo)
    return (None if spec is None else spec.root.data), problems


@functools.cache
def _base_memo() -> dict[str, Any]:
    """What loading the unedited spec leaves in the memo.

    Not a fixture: hypothesis would print a fixture argument beside the
    falsifying edit, and its repr (hundreds of kB) turns the report into a
    warning that `filterwarnings = error` raises in place of the assertion.
    """
    found: dict[str, Any] = {}
    load(str(BASE), found)
    assert len(found[_key(BASE)]["items"]) > 50  # path items cut apart
    return found


@pytest.fixture(scope="module")
def memo() -> dict[str, Any]:
    return _base_memo()


def _moved(memo: dict[str, Any], path: Path) -> dict[str, Any]:
    """The memo, as if the spec had been loaded from `path`."""
    return {"key": memo["key"], _key(path): memo[_key(BASE)]}


def _edited(edit: tuple[str, int, str]) -> str:
    kind, index, text = edit
    lines = list(LINES)
    index %= len(lines)
    if kind == "delete":
        del lines[index]
    elif kind == "insert":
        lines.insert(index, text + "\n")
    else:
        line = lines[index]
        at = len(text) % max(1, len(line))
        lines[index] = line[:at] + text + line[at:]
    return "".join(lines)


LINE_TEXTS = [
    "x",
    " ",
    ":",
    "#",
    "- ",
    "{",
    "'",
    "\t",
    "  /new/path:",
    "  /me:",
    "    get: {operationId: extra}",
    "paths:",
    "  &anchor",
    "*anchor",
    "      description: edited",
    "components:",
    "summary: moved",
    # Lines that look like the start of a path item to the cut, and are not.
    "  !!map",
    "  !!str",
    "  &a /anchored:",
    "  ? /explicit",
    "  : value",
    "  - item",
    "  [a, b]:",
    "  {/flow: 1}",
    "  |",
    "  /a: {x: 1,",
    "  y: 2}",
]
EDITS = st.tuples(
    st.sampled_from(["delete", "insert", "splice"]),
    st.integers(min_value=0, max_value=len(LINES) - 1),
    st.sampled_from(LINE_TEXTS),
)


def _write(folder: Path, edit: tuple[str, int, str]) -> Path:
    path = folder / BASE.name
    path.write_text(_edited(edit), encoding="utf-8")
    return path


def _check_edit(edit: tuple[str, int, str], folder: Path) -> None:
    path = _write(folder, edit)
    assert _loaded(path, _moved(_base_memo(), path)) == _loaded(path, None)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(edit=EDITS)
def test_an_edit_loads_as_it_would_from_scratch(
    edit: tuple[str, int, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    _check_edit(edit, tmp_path_factory.mktemp("spec"))


# Each of these once loaded through the memo without the `yaml-syntax` error a
# fresh load reports: alone, the inserted line started a path item of its own
# whose value (or key) was the path item's body below it.
@pytest.mark.parametrize(
    "edit",
    [
        ("insert", 415, "  &anchor"),  # found by the property test above
        ("insert", 418, "  &anchor"),
        ("insert", 418, "  !!map"),
    ],
)
def test_a_line_that_only_looks_like_a_path_item(
    edit: tuple[str, int, str], tmp_path: Path
) -> None:
    _, problems = _loaded(_write(tmp_path, edit), None)
    assert [p.code for p in problems] == ["yaml-syntax"]
    _check_edit(edit, tmp_path)


def test_an_unchanged_file_and_a_changed_path_item(
    memo: dict[str, Any], tmp_path: Path
) -> None:
    """The common cases, spelled out: nothing changed, one summary changed."""
    path = tmp_path / BASE.name
    shutil.copyfile(BASE, path)
    assert _loaded(path, _moved(memo, path)) == _loaded(path, None)
    kept = _moved(memo, path)
    edited = TEXT.replace(
        "summary: |\n        Get Album\n", "summary: Get an album\n", 1
    )
    assert edited != TEXT
    path.write_text(edited, encoding="utf-8")
    data, problems = _loaded(path, kept)
    assert (data, problems) == _loaded(path, None)
    assert data["paths"]["/albums/{id}"]["get"]["summary"] == "Get an album"
    # The memo now describes the edited file.
    assert kept[_key(path)]["data"] is data


def test_a_memo_made_by_other_code_is_dropped(
    memo: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / BASE.name
    path.write_text(TEXT.replace("Get Album", "Get Albums"), encoding="utf-8")
    stale = _moved(memo, path)
    stale["key"] = "made by another version"
    # Data that says it is this very text: only the key tells it apart.
    text = path.read_text(encoding="utf-8")
    stale[_key(path)] = {"sha": _digest(text), "data": {"x": 1}}
    assert _loaded(path, stale) == _loaded(path, None)
    assert stale["key"] == memo["key"]


@pytest.mark.parametrize(
    ("text", "out"),
    [
        ('a:\n  $ref: "#/x"\n', False),
        ("a: {$ref: '#/b'}", False),
        ('{"$ref": "#/b"}', False),
        ("a:\n  $ref: other.yaml#/x\n", True),
        ('a: {"$ref": "./b.json"}', True),
        ("$ref:\n  '#/x'", True),  # the value on its own line: not seen, so maybe
        ('"\\u0024ref": x.yaml', True),
        ("description: see $ref below", True),
    ],
)
def test_only_local_refs_skip_the_walk_for_files(text: str, out: bool) -> None:
    assert _may_refer_out(text) is out
