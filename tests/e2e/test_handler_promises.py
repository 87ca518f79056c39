"""Promises of the reference server (examples/handler.py, examples/filters.py)
that the other end-to-end tests leave unchecked: what examples/README.md,
the spec and the modules' docstrings say, asked over HTTP where a client can
see it."""

from __future__ import annotations

import datetime
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from persons_client.models import PersonBulkDeleteRequest, PersonResetDistinctIdRequest
from persons_server.models import PropertyFilter

from examples import filters, handler

from .conftest import FULL_KEY, Api, Live, LiveServer, add_person, start_service

AUTH = {"Authorization": f"Bearer {FULL_KEY}"}
_SPEC = yaml.safe_load(
    (Path(__file__).parents[2] / "spec" / "persons.yaml").read_text()
)
_POINT_IN_TIME = _SPEC["components"]["schemas"]["PointInTime"]["pattern"]


def _url(live: Live, api: Api, suffix: str = "") -> str:
    prefix = "projects" if api.scope == "project" else "environments"
    return f"{live.base_url}/api/{prefix}/{api.team}/persons/{suffix}"


def test_a_list_without_an_accept_header_is_json(live: Live, api: Api) -> None:
    # CSV only when asked for (`format=csv` or `Accept: text/csv`); a request
    # that states no Accept at all gets the JSON page.
    add_person(live.service, api.team, ["no-accept"])
    with httpx.Client(headers=AUTH) as plain:
        del plain.headers["accept"]
        request = plain.build_request("GET", _url(live, api))
        assert "accept" not in request.headers
        response = plain.send(request)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert [p["distinct_ids"] for p in response.json()["results"]] == [["no-accept"]]


def test_a_read_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    # WAL, and only writes take the write lock (examples/db.py): a list
    # answers while another connection holds the lock past the busy timeout.
    service = start_service(tmp_path / "read.db", busy_timeout=0.2)
    add_person(service, 1, ["reader"])
    with LiveServer(service.app) as server:
        base = f"http://127.0.0.1:{server.port}/api/projects/1/persons/"
        blocker = sqlite3.connect(tmp_path / "read.db", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        try:
            listed = httpx.get(base, headers=AUTH)
            statuses = httpx.get(f"{base}deletion_status/", headers=AUTH)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
    service.db.close()
    assert listed.status_code == 200, listed.text
    assert [p["distinct_ids"] for p in listed.json()["results"]] == [["reader"]]
    assert statuses.status_code == 200, statuses.text


def test_properties_at_time_carries_the_persons_last_seen_at(
    live: Live, api: Api
) -> None:
    seen = "2024-05-01T12:30:00Z"
    pid, _ = add_person(
        live.service,
        api.team,
        ["seen-once"],
        {"plan": "pro"},
        created_at="2024-01-01T00:00:00Z",
        last_seen_at=seen,
    )
    person = api("persons_retrieve", id=str(pid))
    at = api(
        "persons_properties_at_time_retrieve",
        distinct_id="seen-once",
        timestamp="2025-01-01T00:00:00Z",
    )
    expected = datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.UTC)
    assert person.last_seen_at == expected
    assert at.last_seen_at == person.last_seen_at


def test_reset_of_a_distinct_id_in_use_bumps_its_version(live: Live, api: Api) -> None:
    # The spec: the server bumps the distinct id's version so that new events
    # create a fresh person; the person keeps the distinct id until then.
    pid, _ = add_person(live.service, api.team, ["in-use"])

    def version() -> int:
        row = (
            live.service.db.connection()
            .execute(
                "SELECT version FROM distinct_ids WHERE team_id = ? AND distinct_id = ?",
                (api.team, "in-use"),
            )
            .fetchone()
        )
        return int(row["version"])

    before = version()
    response = api.raw(
        "persons_reset_person_distinct_id_create",
        body=PersonResetDistinctIdRequest(distinct_id="in-use"),
    )
    assert response.status_code == 202 and response.content == b""
    assert version() > before
    assert api("persons_retrieve", id=str(pid)).distinct_ids == ["in-use"]


def _check(operator: str, value: Any) -> Any:
    return filters.compile_filter(
        PropertyFilter(key="k", operator=operator, value=value)  # type: ignore[arg-type]
    )


def test_a_numeric_comparison_with_no_number_to_compare_is_false() -> None:
    # `gt`/`lt` compare only numerically; a filter value that is no number
    # matches nobody, and a check answers a bool (filters.Check).
    for operator in ("gt", "gte", "lt", "lte"):
        for value in ("abc", None, True):
            for props in ({"k": 5}, {"k": "abc"}, {}):
                assert _check(operator, value)(props) is False, (operator, value)


def test_a_page_past_the_end_links_back_by_a_whole_page_number(
    live: Live, api: Api
) -> None:
    # `page` has no maximum in the spec; the handler clamps it to what SQLite
    # can offset, and its links stay whole page numbers a client can follow.
    add_person(live.service, api.team, ["paged"])
    response = httpx.get(
        _url(live, api, "activity/"),
        params={"page": str(10**30), "limit": "7"},
        headers=AUTH,
    )
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["results"] == [] and page["next"] is None
    previous = httpx.URL(page["previous"]).params
    assert previous["limit"] == "7"
    assert previous["page"].isdigit() and int(previous["page"]) > 1


def test_a_bulk_deletion_is_logged_as_the_keys_owner(live: Live, api: Api) -> None:
    pid, person_uuid = add_person(live.service, api.team, ["bulk-gone"])
    api("persons_bulk_delete_create", body=PersonBulkDeleteRequest(ids=[person_uuid]))
    entry = api("persons_all_activity_retrieve").results[0]
    assert (entry.activity, entry.item_id) == ("deleted", str(pid))
    assert entry.user.first_name == FULL_KEY  # the key stands for its owner


@settings(max_examples=300, deadline=None)
@given(st.from_regex(_POINT_IN_TIME, fullmatch=True))
def test_every_timestamp_the_spec_admits_is_one_the_handler_reads(text: str) -> None:
    # properties_at_time answers PostHog's "Invalid timestamp format" only for
    # what its pattern admits and Python cannot read: nothing, so that reply
    # is never reached over HTTP (its mutants are marked equivalent for this).
    assert handler._point_in_time(text) is not None


def test_values_count_equal_objects_as_one_value(live: Live, api: Api) -> None:
    # A value is counted by what it is, not by how its keys happen to be ordered.
    add_person(live.service, api.team, ["ab"], {"shape": {"a": 1, "b": 2}})
    add_person(live.service, api.team, ["ba"], {"shape": {"b": 2, "a": 1}})
    values = api("persons_values_retrieve", key="shape").results
    assert [(v.name, v.count) for v in values] == [({"a": 1, "b": 2}, 2)]
