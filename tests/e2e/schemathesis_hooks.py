"""Business rules the spec states in prose, taught to schemathesis.

OpenAPI cannot say these two, so each operation's description does; without
them the fuzzer would count PostHog's own 400s as "schema-valid data
refused". Each hook reshapes a generated request until the rule holds and
changes nothing else:

- `properties_at_time`: exactly one of `distinct_id` and `person_id`.
- `split`: `distinct_ids_to_split` names distinct ids of the person split.

The split rule depends on the data, so the hook reads the server's database,
read-only, from `PERSONS_DB`; `PERSONS_FUZZ_DISTINCT_ID` is a distinct id of a
person that exists, for `properties_at_time` to find.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from typing import Any

import schemathesis


@schemathesis.hook
def before_call(
    context: schemathesis.HookContext, case: schemathesis.Case, kwargs: dict[str, Any]
) -> None:
    """Just before sending, so that the split rule sees the data as it is then
    (requests are generated ahead of time, and earlier ones change the data);
    schemathesis re-derives whether the case is positive or negative after."""
    operation = context.operation
    path = operation.path if operation is not None else ""
    if path.endswith("/persons/properties_at_time/"):
        _one_lookup(case)
    elif path.endswith("/persons/{id}/split/"):
        _ids_on_the_person(case)


def _one_lookup(case: schemathesis.Case) -> None:
    query = dict(case.query or {})
    if query.get("distinct_id") and query.get("person_id") is not None:
        del query["distinct_id"]  # keep person_id: it may be the negative part
    elif not query.get("distinct_id") and query.get("person_id") is None:
        query["distinct_id"] = os.environ["PERSONS_FUZZ_DISTINCT_ID"]
    case.query = query


def _ids_on_the_person(case: schemathesis.Case) -> None:
    body = case.body
    if not isinstance(body, dict):
        return
    wanted = body.get("distinct_ids_to_split")
    if not (
        isinstance(wanted, list)
        and wanted
        and all(isinstance(item, str) for item in wanted)
    ):
        return  # absent, null, or itself the negative part
    scope = case.path_parameters or {}
    team = scope.get("project_id") or scope.get("environment_id")
    ids = _distinct_ids(str(team), str(scope.get("id", "")))
    if ids is None:
        return  # no such person: the server answers 404
    if ids:
        body["distinct_ids_to_split"] = ids[:1]
    else:
        del body["distinct_ids_to_split"]


def _distinct_ids(team: str, key: str) -> list[str] | None:
    try:
        column, value = "uuid", str(uuid.UUID(key))
    except ValueError:
        column, value = "id", key
    with sqlite3.connect(f"file:{os.environ['PERSONS_DB']}?mode=ro", uri=True) as db:
        person = db.execute(
            f"SELECT id FROM persons WHERE team_id = ? AND {column} = ?", (team, value)
        ).fetchone()
        if person is None:
            return None
        rows = db.execute(
            "SELECT distinct_id FROM distinct_ids WHERE person_id = ? ORDER BY position",
            (person[0],),
        ).fetchall()
    return [row[0] for row in rows]
