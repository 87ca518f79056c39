"""Loading an edited spec with the memo of its last load gives what loading
it from scratch gives: the same data, the same diagnostics, the same failures."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.load import _may_refer_out, load
from tests.conftest import SHARED_SPECS

BASE = SHARED_SPECS / "spotify.yml"
TEXT = BASE.read_text(encoding="utf-8")
LINES = TEXT.splitlines(keepends=True)


def _loaded(path: Path, memo: dict[str, Any] | None) -> tuple[Any, list[Any]]:
    spec, problems = load(str(path), memo)
    return (None if spec is None else spec.root.data), problems


@pytest.fixture(scope="module")
def memo() -> dict[str, Any]:
    found: dict[str, Any] = {}
    load(str(BASE), found)
    (entry,) = found.values()
    assert len(entry["items"]) > 50  # the path items are cut apart
    return found


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


EDITS = st.tuples(
    st.sampled_from(["delete", "insert", "splice"]),
    st.integers(min_value=0, max_value=len(LINES) - 1),
    st.sampled_from(
        [
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
        ]
    ),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(edit=EDITS)
def test_an_edit_loads_as_it_would_from_scratch(
    edit: tuple[str, int, str], memo: dict[str, Any], tmp_path_factory: Any
) -> None:
    folder = tmp_path_factory.mktemp("spec")
    path = folder / BASE.name
    path.write_text(_edited(edit), encoding="utf-8")
    kept = {str(path.resolve()): entry for entry in memo.values()}
    assert _loaded(path, kept) == _loaded(path, None)


def test_an_unchanged_file_and_a_changed_path_item(
    memo: dict[str, Any], tmp_path: Path
) -> None:
    """The common cases, spelled out: nothing changed, one summary changed."""
    path = tmp_path / BASE.name
    shutil.copyfile(BASE, path)
    kept = {str(path.resolve()): entry for entry in memo.values()}
    assert _loaded(path, dict(kept)) == _loaded(path, None)
    edited = TEXT.replace(
        "summary: |\n        Get Album\n", "summary: Get an album\n", 1
    )
    assert edited != TEXT
    path.write_text(edited, encoding="utf-8")
    data, problems = _loaded(path, kept)
    assert (data, problems) == _loaded(path, None)
    assert data["paths"]["/albums/{id}"]["get"]["summary"] == "Get an album"
    # The memo now describes the edited file.
    assert kept[str(path.resolve())]["data"] is data


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
