"""The 3.1 meta-schema pre-check in jsonschema-rs (`oas._valid_in_rust`) never
passes a schema that openapi-spec-validator's own check fails, and is used."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.load import load
from generator.validate import oas, validate

ROOT = Path(__file__).resolve().parent.parent
SPECS_31 = [
    ROOT / "spec" / "persons.yaml",
    ROOT / "tests" / "generality" / "dialects" / "v31.yaml",
    *sorted((ROOT / "tests" / "bad_specs" / "cases").glob("*/spec.yaml")),
]

# Schemas the meta-schema rejects, or that only Python's own check can judge.
HANDMADE: list[Any] = [
    {"type": 5},
    {"type": ["string", "nope"]},
    {"properties": []},
    {"required": "id"},
    {"items": 3},
    {"$ref": 7},
    {"allOf": {}},
    {"minLength": -1},
    {"enum": "a"},
    {"discriminator": {"mapping": {}}},
    {"xml": {"name": 1}},
    {"exclusiveMinimum": True},
    {"pattern": "("},
    {"pattern": "\\p{L}"},
    {"patternProperties": {"(": {}}},
    {"properties": {"a": {"pattern": "["}}},
    {"type": "string"},
    {"type": ["string", "null"], "const": None},
    {"$dynamicRef": "#meta"},
    True,
    {"properties": {"a": {"$ref": "#/components/schemas/A"}, "b": {"type": 1}}},
]


def _schemas(node: Any) -> list[Any]:
    """Every mapping under `node` (a superset of its schemas)."""
    found: list[Any] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            found.append(current)
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return found


def _candidates() -> list[Any]:
    values = list(HANDMADE)
    for path in SPECS_31:
        spec, _ = load(str(path))
        if spec is None or not str(spec.root.data.get("openapi", "")).startswith("3.1"):
            continue
        values += _schemas(spec.root.data.get("components", {}))
    return values


def _python_passes(expected: Any, format_checker: Any, value: Any) -> bool:
    try:
        expected.check_schema(value, format_checker=format_checker)
    except Exception:
        return False
    return True


def test_rust_passes_nothing_python_fails() -> None:
    rust = oas._rust_meta_validator()
    assert rust is not None, "jsonschema-rs or the 3.1 dialect is not as vetted"
    expected, format_checker, check = rust
    values = _candidates()
    assert len(values) > 400
    rejected = 0
    for value in values:
        if oas._has_pattern(value):
            continue
        python = _python_passes(expected, format_checker, value)
        rejected += not python
        if check(value):
            assert python, value
    assert rejected >= 10  # the comparison covers failures, not only passes


def test_pattern_goes_to_python() -> None:
    assert oas._has_pattern({"properties": {"a": {"pattern": "x"}}})
    assert oas._has_pattern([{"patternProperties": {}}])
    assert not oas._has_pattern({"properties": {"a": {"type": "string"}}})


def test_used_on_a_31_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    answers: list[bool] = []
    plain = oas._valid_in_rust

    def counted(*args: Any) -> bool:
        answer = plain(*args)
        answers.append(answer)
        return answer

    monkeypatch.setattr(oas, "_valid_in_rust", counted)
    spec, _ = load(str(ROOT / "spec" / "persons.yaml"))
    assert spec is not None
    validate(spec)
    assert answers.count(True) > 10
