"""Golden files: the generator's output, byte for byte, for persons and for each feature case."""

from __future__ import annotations

import pytest

from tests.conftest import run_generator
from tests.golden.regenerate import cases, expected_output, on_disk


def test_generated_matches_a_fresh_run_over_spec() -> None:
    status, diff, err = run_generator("check", "--no-cache")
    assert status == 0, f"generated/ is stale; run `make generate`\n{diff}\n{err}"


@pytest.mark.parametrize("case", cases(), ids=lambda p: p.name)
def test_feature_case(case) -> None:  # type: ignore[no-untyped-def]
    expected = on_disk(case)
    actual = expected_output(case)
    assert sorted(actual) == sorted(
        expected
    ), "files differ; run `make golden` and review"
    for path, text in actual.items():
        assert (
            text == expected[path]
        ), f"{case.name}/{path} differs; run `make golden` and review"


def test_every_feature_the_issue_names_has_a_case() -> None:
    names = {case.name for case in cases()}
    wanted = {
        "parameters",
        "enums",
        "nullable",
        "arrays",
        "nested_objects",
        "refs",
        "all_of",
        "request_bodies",
        "responses",
        "security",
    }
    assert wanted <= names
