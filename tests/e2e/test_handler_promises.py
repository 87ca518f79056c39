"""Promises of the reference server (examples/handler.py, examples/filters.py)
that the other end-to-end tests leave unchecked: what examples/README.md,
the spec and the modules' docstrings say, asked over HTTP where a client can
see it."""

from __future__ import annotations

import datetime
import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from persons_client.models import PersonBulkDeleteRequest, PersonResetDistinctIdRequest
from persons_server.models import PropertyFilter

from examples import filters, handler
from examples.handler import run_deletion_job

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


def _queue_event_deletion(live: Live, api: Api, distinct_id: str) -> Any:
    """A person whose events' deletion is queued (the person itself stays)."""
    pid, person_uuid = add_person(live.service, api.team, [distinct_id])
    api("persons_delete_events_create", id=str(pid))
    return person_uuid


def test_completed_deletion_statuses_are_only_the_verified_ones(
    live: Live, api: Api
) -> None:
    # `status` keeps "only deletions in this state": `completed` once the
    # batch job verified them, `pending` before; the default is all of them.
    done = _queue_event_deletion(live, api, "deleted-first")
    run_deletion_job(live.service.db)
    waiting = _queue_event_deletion(live, api, "deleted-later")

    def listed(**params: Any) -> list[tuple[Any, str]]:
        page = api("persons_deletion_status_list", **params)
        return [(s.person_uuid, s.status) for s in page.results]

    assert listed(status="completed") == [(done, "completed")]
    assert listed(status="pending") == [(waiting, "pending")]
    assert listed() == [(waiting, "pending"), (done, "completed")]


def test_a_deletion_status_page_near_the_start_links_back_without_an_offset(
    live: Live, api: Api
) -> None:
    # DRF's LimitOffsetPagination: when the previous page starts at the
    # beginning, its link drops `offset` and keeps the rest of the query
    # (unlike the persons list's quirk, which keeps the URL as it was).
    for name in ("status-a", "status-b", "status-c"):
        _queue_event_deletion(live, api, name)
    for offset, limit in ((1, 2), (2, 2)):
        response = httpx.get(
            _url(live, api, "deletion_status/"),
            params={"status": "pending", "limit": str(limit), "offset": str(offset)},
            headers=AUTH,
        )
        assert response.status_code == 200, response.text
        previous = httpx.URL(response.json()["previous"])
        assert dict(previous.params) == {"status": "pending", "limit": str(limit)}
        assert previous.path == httpx.URL(response.url).path


def test_a_not_in_cohort_filter_lists_only_those_outside_the_cohort(
    live: Live, api: Api
) -> None:
    inside, _ = add_person(live.service, api.team, ["in-cohort"])
    add_person(live.service, api.team, ["outside-cohort"])
    with live.service.db.transaction(write=True) as tx:
        cohort = tx.execute(
            "INSERT INTO cohorts (team_id, name) VALUES (?, 'Members')", (api.team,)
        ).lastrowid
        tx.execute("INSERT INTO cohort_people VALUES (?, ?)", (cohort, inside))

    def listed(operator: str) -> list[list[str]]:
        wanted = [
            {"key": "id", "value": cohort, "type": "cohort", "operator": operator}
        ]
        response = httpx.get(
            _url(live, api),
            params={"properties": json.dumps(wanted)},
            headers=AUTH,
        )
        assert response.status_code == 200, response.text
        return [p["distinct_ids"] for p in response.json()["results"]]

    assert listed("in") == [["in-cohort"]]
    assert listed("not_in") == [["outside-cohort"]]
    assert listed("is_not") == [["outside-cohort"]]


def test_a_split_without_a_body_keeps_only_the_first_distinct_id(
    live: Live, api: Api
) -> None:
    # The body is optional: no `main_distinct_id` means the person's first
    # distinct id stays and every other one moves to a new person (201).
    pid, _ = add_person(live.service, api.team, ["first", "second", "third"])
    response = httpx.post(_url(live, api, f"{pid}/split/"), headers=AUTH)
    assert response.status_code == 201, response.text
    assert response.json() == {"success": True}
    assert api("persons_retrieve", id=str(pid)).distinct_ids == ["first"]
    listed = api("persons_list").results
    assert sorted(p.distinct_ids for p in listed) == [["first"], ["second"], ["third"]]


def test_a_split_of_a_person_left_without_distinct_ids_moves_nothing(
    live: Live, api: Api
) -> None:
    # A `main_distinct_id` that is not the person's moves every distinct id
    # away (as PostHog does); splitting that person again has nothing to move.
    pid, _ = add_person(live.service, api.team, ["a", "b"])
    away = httpx.post(
        _url(live, api, f"{pid}/split/"),
        headers=AUTH,
        json={"main_distinct_id": "not-this-persons"},
    )
    assert away.status_code == 201, away.text
    assert api("persons_retrieve", id=str(pid)).distinct_ids == []
    again = httpx.post(_url(live, api, f"{pid}/split/"), headers=AUTH)
    assert again.status_code == 201, again.text
    assert api("persons_retrieve", id=str(pid)).distinct_ids == []
    listed = api("persons_list").results
    assert sorted(p.distinct_ids for p in listed) == [[], ["a"], ["b"]]


@pytest.mark.parametrize(
    ("action", "body", "status"),
    [("delete_events", None, 202), ("split", {"distinct_ids_to_split": ["b"]}, 201)],
)
def test_a_write_waits_for_another_writer_instead_of_failing_busy(
    tmp_path: Path, action: str, body: dict[str, Any] | None, status: int
) -> None:
    # A write request takes the write lock up front (examples/db.py): while
    # another connection writes, it waits (within the busy timeout) and then
    # succeeds; 503 is only for a lock held past the timeout.
    service = start_service(tmp_path / "write.db", busy_timeout=10)
    pid, person_uuid = add_person(service, 1, ["a", "b"], {"plan": "free"})
    with LiveServer(service.app) as server:
        base = f"http://127.0.0.1:{server.port}/api/projects/1/persons/"
        writer = sqlite3.connect(tmp_path / "write.db", isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # e.g. ingestion updating the person
        writer.execute(
            "UPDATE persons SET properties = ? WHERE id = ?",
            (json.dumps({"plan": "pro"}), pid),
        )
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(
                httpx.post,
                f"{base}{pid}/{action}/",
                headers=AUTH,
                json=body,
                timeout=30,
            )
            wait([pending], timeout=0.5)  # the request reaches the lock meanwhile
            writer.execute("COMMIT")
            writer.close()
            response = pending.result()
        statuses = httpx.get(f"{base}deletion_status/", headers=AUTH).json()
        person = httpx.get(f"{base}{pid}/", headers=AUTH).json()
    service.db.close()
    assert response.status_code == status, response.text
    assert person["properties"] == {"plan": "pro"}
    if action == "delete_events":
        assert [s["person_uuid"] for s in statuses["results"]] == [str(person_uuid)]
    else:
        assert person["distinct_ids"] == ["a"]


def test_a_split_of_chosen_distinct_ids_is_logged_with_them(
    live: Live, api: Api
) -> None:
    # The activity entry of a split names the distinct ids it was asked to
    # move, beside those the person had (examples/persons.py, `split`).
    pid, _ = add_person(live.service, api.team, ["a", "b", "c"])
    response = httpx.post(
        _url(live, api, f"{pid}/split/"),
        headers=AUTH,
        json={"distinct_ids_to_split": ["c"]},
    )
    assert response.status_code == 201, response.text
    entry = api("persons_activity_retrieve", id=str(pid)).results[0]
    assert entry.activity == "split_person"
    assert entry.detail.changes[0].after == {
        "distinct_ids": ["a", "b", "c"],
        "distinct_ids_to_split": ["c"],
    }
