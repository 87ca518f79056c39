"""The list's `properties` filter and `search`, evaluated in Python.

Registered as the SQLite functions `person_matches(properties_json,
filters_json)` and `contains(text, needle)` so that filtering, ordering and
paging all stay in one SQL query. Comparison follows PostHog's HogQL property
filters loosely: values compare as text, `icontains` and the `starts_with` /
`ends_with` family case-insensitively (HogQL's ILIKE), `gt`/`lt` numerically,
a missing property matches only the negative operators.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
from collections.abc import Callable
from typing import Any

from persons_server.models import PropertyFilter

Check = Callable[[dict[str, Any]], bool]


class FilterError(ValueError):
    """A filter that cannot be evaluated (an invalid regex, say); answered as 400."""


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _date(value: Any) -> datetime.datetime | None:
    try:
        parsed = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def contains(text: Any, needle: str) -> int:
    """SQLite function: 1 when `needle` is a case-insensitive substring of `text`."""
    return int(text is not None and needle.lower() in _text(text).lower())


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def compile_filter(f: PropertyFilter) -> Check:
    """One person-property filter as a predicate over a person's properties."""
    key, op, value = f.key, f.operator, f.value
    wanted = [_text(v) for v in _values(value) if v is not None]

    def present(props: dict[str, Any]) -> bool:
        return props.get(key) is not None

    if op in ("exact", "in"):
        return lambda p: present(p) and _text(p[key]) in wanted
    if op in ("is_not", "not_in"):
        return lambda p: not present(p) or _text(p[key]) not in wanted
    if op in ("icontains", "not_icontains"):
        needle = _text(value).lower() if value is not None else ""
        if op == "icontains":
            return lambda p: present(p) and needle in _text(p[key]).lower()
        return lambda p: not present(p) or needle not in _text(p[key]).lower()
    if op in ("starts_with", "not_starts_with", "ends_with", "not_ends_with"):
        affix = _text(value).lower() if value is not None else ""
        at_start = op.endswith("starts_with")

        def has_affix(p: dict[str, Any]) -> bool:
            text = _text(p[key]).lower()
            return text.startswith(affix) if at_start else text.endswith(affix)

        if op.startswith("not_"):
            return lambda p: not present(p) or not has_affix(p)
        return lambda p: present(p) and has_affix(p)
    if op in ("regex", "not_regex"):
        try:
            pattern = re.compile(_text(value) if value is not None else "")
        except (re.error, RecursionError, OverflowError) as error:
            raise FilterError(f"invalid regex {value!r}: {error}") from None
        if op == "regex":
            return lambda p: present(p) and pattern.search(_text(p[key])) is not None
        return lambda p: not present(p) or pattern.search(_text(p[key])) is None
    if op in ("gt", "gte", "lt", "lte"):
        bound = _number(value)
        if bound is None:
            return lambda p: False
        compare: Callable[[float, float], bool] = {
            "gt": float.__gt__,
            "gte": float.__ge__,
            "lt": float.__lt__,
            "lte": float.__le__,
        }[op]

        def numeric(p: dict[str, Any]) -> bool:
            number = _number(p.get(key))
            return number is not None and compare(number, bound)

        return numeric
    if op == "is_set":
        return present
    if op == "is_not_set":
        return lambda p: not present(p)
    # is_date_exact / is_date_after / is_date_before
    when = _date(value)
    if when is None:
        return lambda p: False

    def dated(p: dict[str, Any]) -> bool:
        seen = _date(p.get(key))  # None when missing: "None" is no date
        if seen is None or when is None:
            return False
        if op == "is_date_exact":
            return seen.date() == when.date()
        return seen > when if op == "is_date_after" else seen < when

    return dated


def person_filters(filters: list[PropertyFilter]) -> list[PropertyFilter]:
    """The filters on person properties (cohort filters are answered in SQL)."""
    return [f for f in filters if f.type != "cohort"]


def validate(filters: list[PropertyFilter]) -> None:
    for f in person_filters(filters):
        compile_filter(f)


@functools.lru_cache(maxsize=64)
def _compiled(filters_json: str) -> tuple[Check, ...]:
    filters = [PropertyFilter.model_validate(f) for f in json.loads(filters_json)]
    return tuple(compile_filter(f) for f in filters)


def person_matches(properties_json: str, filters_json: str) -> int:
    """SQLite function: 1 when every filter matches the person's properties."""
    checks = _compiled(filters_json)
    props = json.loads(properties_json)
    return int(all(check(props) for check in checks))


def encode(filters: list[PropertyFilter]) -> str:
    """The person filters as `person_matches` reads them (and caches them by)."""
    return json.dumps([f.model_dump(by_alias=True) for f in person_filters(filters)])
