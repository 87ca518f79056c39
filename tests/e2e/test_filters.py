"""The reference server's `properties` filter, as its module promises: values
compare as text (JSON's spelling for booleans and objects), `gt`/`lt` only
numerically, dates in their own time zone (naive ones in UTC). What the list
endpoint does with them is in test_persons.py."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from persons_server.models import PropertyFilter

from examples import filters


def matches(props: dict[str, Any], operator: str, value: Any, key: str = "k") -> bool:
    check = filters.compile_filter(
        PropertyFilter(key=key, operator=operator, value=value)  # type: ignore[arg-type]
    )
    return check(props)


@pytest.mark.parametrize(
    ("held", "value", "expected"),
    [
        (True, True, True),
        (False, True, False),
        (True, False, False),
        (False, False, True),
        ("true", True, True),
        (True, "true", True),
        (False, "false", True),
        (True, "TRUE", False),
    ],
)
def test_booleans_compare_as_json_spells_them(
    held: Any, value: Any, expected: bool
) -> None:
    assert matches({"k": held}, "exact", value) is expected


def test_an_object_or_list_compares_as_its_json_text_whatever_its_key_order() -> None:
    held = {"b": 2, "a": 1}
    assert matches({"k": held}, "icontains", '{"a": 1, "b": 2}')
    assert matches({"k": held}, "starts_with", '{"a"')
    assert not matches({"k": held}, "icontains", "null")
    assert matches({"k": [1, "x"]}, "exact", '[1, "x"]')


def test_a_boolean_is_not_a_number() -> None:
    assert not matches({"k": True}, "gt", 0)
    assert not matches({"k": False}, "lt", 1)
    assert not matches({"k": 1}, "gt", True)
    assert matches({"k": 1}, "gt", 0)
    assert matches({"k": "2.5"}, "lte", "2.5")


def test_dates_compare_in_their_own_time_zone() -> None:
    # 01:00 at +02:00 is 23:00 UTC the day before.
    assert matches(
        {"k": "2024-01-01T01:00:00+02:00"}, "is_date_before", "2024-01-01T00:00:00Z"
    )
    assert not matches(
        {"k": "2024-01-01T01:00:00+02:00"}, "is_date_after", "2024-01-01T00:00:00Z"
    )
    assert matches(
        {"k": "2024-01-01T00:30:00Z"}, "is_date_after", "2024-01-01T00:00:00+00:00"
    )


def test_a_naive_date_is_utc() -> None:
    assert matches(
        {"k": "2024-01-01T00:30:00"}, "is_date_after", "2024-01-01T00:00:00Z"
    )
    assert matches(
        {"k": "2024-01-01T00:30:00Z"}, "is_date_before", "2024-01-01T01:00:00"
    )
    assert matches({"k": "2024-01-01"}, "is_date_exact", "2024-01-01T23:59:00Z")
    assert not matches({"k": "not a date"}, "is_date_before", "2024-01-01")
    assert not matches({"k": "2024-01-01"}, "is_date_before", "not a date")


def test_the_encoded_filters_are_the_ones_given_without_cohorts() -> None:
    given = [
        PropertyFilter(key="plan", operator="exact", value="pro"),
        PropertyFilter(key="7", type="cohort"),
    ]
    assert filters.person_matches('{"plan": "pro"}', filters.encode(given)) == 1
    assert filters.person_matches('{"plan": "free"}', filters.encode(given)) == 0
    assert filters.person_matches("{}", filters.encode(given[1:])) == 1


def test_the_same_instant_is_neither_before_nor_after() -> None:
    for op in ("is_date_before", "is_date_after"):
        assert not matches(
            {"k": "2024-01-01T00:00:00Z"}, op, "2024-01-01T02:00:00+02:00"
        )
    assert matches({"k": "2024-01-01T00:00:00Z"}, "is_date_exact", "2024-01-01")
    assert not matches({}, "is_date_before", "2030-01-01")


@given(st.one_of(st.text(max_size=8), st.integers(), st.booleans()))
def test_a_text_filter_without_a_value_matches_every_set_property(held: object) -> None:
    for op in ("icontains", "starts_with", "ends_with", "regex"):
        assert matches({"k": held}, op, None)
        assert not matches({}, op, None)


def test_a_numeric_filter_on_something_else_matches_nothing() -> None:
    assert not matches({"k": 5}, "gt", "five")
    assert not matches({"k": "five"}, "lt", 10)
    assert not matches({"k": 5}, "lte", None)


def test_an_invalid_regex_names_itself() -> None:
    with pytest.raises(filters.FilterError, match=r"invalid regex '\(a': "):
        matches({"k": "a"}, "regex", "(a")
