"""The templates emit black's own layout, so black changes (almost) nothing.

Black formats a second time any text it changed, so a template that drifts
from black's layout doubles black's cost on every block it shapes. The output
stays right either way (black fixes it), which is why this is its own test:
persons must come out untouched; for the other specs a few rare shapes (a
long nested security list, a one-scheme tuple) are left to black, within a
bound that a drifting template would break.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import build
from generator.format import _format_block, _header, _split
from generator.load import load
from generator.render import RenderOptions, render
from tests.conftest import SPEC, shared_spec


@pytest.mark.parametrize(
    ("name", "share"),
    [("persons", 0.0), ("spotify.yml", 0.05), ("petstore-expanded.yaml", 0.05)],
)
def test_black_changes_little(name: str, share: float) -> None:
    spec = SPEC if name == "persons" else shared_spec(name)
    loaded, problems = load(str(spec))
    assert loaded is not None, problems
    api, problems = build.build(loaded, build.Options("", ""))
    assert api is not None, problems
    total, changed = 0, []
    for file in render(api, RenderOptions(api_key_env="API_KEY")):
        if not file.python:
            continue
        for indent, block in _split(file.text[len(_header(file.text)) :]):
            total += len(block)
            if _format_block((indent, block)) != block:
                changed.append(block)
    changed_bytes = sum(len(block) for block in changed)
    assert changed_bytes <= share * total, "\n\n".join(b[:300] for b in changed[:3])


def test_a_field_docstring_follows_its_field() -> None:
    """An attribute docstring sits right under its field, never one blank
    line down where it would read as the next field's."""
    generated = Path(__file__).resolve().parent.parent / "generated"
    for name in ("persons_server/models.py", "persons_client/models.py"):
        lines = (generated / name).read_text().splitlines()
        for number, line in enumerate(lines[1:], start=1):
            if line.startswith('    """') and not lines[number - 1].strip():
                assert lines[number - 2].startswith("class "), (
                    f"{name}:{number + 1}: a blank line parts this docstring "
                    "from its field"
                )
