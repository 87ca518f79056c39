"""The meta-schema pre-check in jsonschema-rs (`oas._valid_in_rust`), for 3.0
and 3.1, never passes a schema that openapi-spec-validator's own check fails,
and is used."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from generator.load import load
from generator.validate import oas, validate

ROOT = Path(__file__).resolve().parent.parent
SPECS = [
    ROOT / "spec" / "persons.yaml",
    ROOT / "tests" / "generality" / "dialects" / "v31.yaml",
    ROOT / "tests" / "generality" / "dialects" / "v30.yaml",
    *sorted((ROOT / "tests" / "bad_specs" / "cases").glob("*/spec.yaml")),
]

# Schemas the meta-schemas reject, or that only Python's own check can judge.
HANDMADE: list[Any] = [
    {"type": 5},
    {"type": ["string", "nope"]},
    {"properties": []},
    {"required": "id"},
    {"required": []},
    {"items": 3},
    {"$ref": 7},
    {"allOf": {}},
    {"minLength": -1},
    {"enum": "a"},
    {"enum": []},
    {"nullable": "yes"},
    {"discriminator": {"mapping": {}}},
    {"xml": {"name": 1}},
    {"exclusiveMinimum": True},
    {"exclusiveMinimum": 3},
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


def _candidates(version: str) -> list[Any]:
    values = list(HANDMADE)
    for path in SPECS:
        spec, _ = load(str(path))
        if spec is None:
            continue
        if str(spec.root.data.get("openapi", "")).startswith(version):
            values += _schemas(spec.root.data.get("components", {}))
    return values


@pytest.mark.parametrize(("index", "version"), [(0, "3.0"), (1, "3.1")])
def test_rust_passes_nothing_python_fails(index: int, version: str) -> None:
    checks = oas._rust_meta_checks()
    assert len(checks) == 2, "jsonschema-rs or the dialects are not as vetted"
    python_check, rust_check, formats = checks[index]
    values = _candidates(version)
    assert len(values) > 80
    rejected = taken = 0
    # As outside the tests: a regex Python warns about is a warning, not an error.
    warnings.simplefilter("ignore", FutureWarning)
    for value in values:
        try:
            python_check(value)
            passes = True
        except Exception:
            passes = False
        rejected += not passes
        if rust_check(value) and oas._patterns_conform(value, formats):
            taken += 1
            assert passes, value
    # The comparison covers failures, not only passes, and takes most passes.
    assert rejected >= 8
    assert taken >= (len(values) - rejected) * 0.8


@pytest.mark.parametrize("index", [0, 1])
def test_a_bad_regex_goes_to_python(index: int) -> None:
    formats = oas._rust_meta_checks()[index][2]
    for value in (
        {"pattern": "("},
        {"properties": {"a": {"pattern": "["}}},
        {"patternProperties": {"(": {}}},
    ):
        assert not oas._patterns_conform(value, formats)
    assert oas._patterns_conform({"pattern": "^[a-z]+$"}, formats)


@pytest.mark.parametrize(
    "path",
    [
        ROOT / "spec" / "persons.yaml",
        ROOT / "tests" / "generality" / "dialects" / "v30.yaml",
    ],
)
def test_used(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answers: list[bool] = []
    plain = oas._valid_in_rust

    def counted(*args: Any) -> bool:
        answer = plain(*args)
        answers.append(answer)
        return answer

    monkeypatch.setattr(oas, "_valid_in_rust", counted)
    spec, _ = load(str(path))
    assert spec is not None
    validate(spec)
    assert answers.count(True) >= 3
