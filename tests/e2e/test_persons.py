"""The generated client against the generated server and the SQLite implementation.

Over real HTTP on loopback. Every operation is called in both URL scopes (the
environment scope is deprecated, so its client methods warn); then each
operation's semantics and error paths.
"""

from __future__ import annotations

import csv
import datetime
import io
import time
import uuid
from typing import Any

import httpx
import pytest
from persons_client import (
    BadRequestError,
    Client,
    NotFoundError,
    PermissionDeniedError,
)
from persons_client.models import (
    PersonBatchByDistinctIdsRequest,
    PersonBatchByUuidsRequest,
    PersonBulkDeleteRequest,
    PersonDeletePropertyRequest,
    PersonResetDistinctIdRequest,
    PersonSplitRequest,
    PersonUpdatePropertyRequest,
    PersonUpdateRequest,
    PropertyFilter,
    PropertyFilterOperator,
    PropertyFilterType,
)

from examples.handler import run_deletion_job

from .conftest import FULL_KEY, SCOPES, Api, Live, add_person, new_team

# --- every operation, both scopes ---------------------------------------------

LEGACY = [
    ("persons_funnel_retrieve", {}),
    ("persons_funnel_create", {}),
    ("persons_funnel_correlation_retrieve", {}),
    ("persons_funnel_correlation_create", {}),
    ("persons_trends_retrieve", {}),
    ("persons_path_retrieve", {}),
    ("persons_path_create", {}),
    ("persons_retention_retrieve", {}),
    ("persons_stickiness_retrieve", {}),
    ("persons_lifecycle_retrieve", {"target_date": "-7d", "lifecycle_type": "new"}),
]


def test_every_operation_in_both_scopes(live: Live, client: Client) -> None:
    called: set[str] = set()
    for scope in SCOPES:
        api = Api(client, scope, new_team(live.service))
        person_id, person_uuid = add_person(
            live.service, api.team, ["ann@example.com", "anon-1"], {"plan": "pro"}
        )
        pid = str(person_id)
        calls: list[tuple[str, dict[str, Any]]] = [
            ("persons_list", {}),
            ("persons_retrieve", {"id": pid}),
            (
                "persons_update",
                {"id": pid, "body": PersonUpdateRequest(properties={"a": 1})},
            ),
            (
                "persons_partial_update",
                {"id": pid, "body": PersonUpdateRequest(properties={"b": 2})},
            ),
            (
                "persons_update_property_create",
                {"id": pid, "body": PersonUpdatePropertyRequest(key="c", value=3)},
            ),
            (
                "persons_delete_property_create",
                {"id": pid, "body": PersonDeletePropertyRequest(unset="c")},
            ),
            ("persons_activity_retrieve", {"id": pid}),
            ("persons_all_activity_retrieve", {}),
            (
                "persons_batch_by_distinct_ids_create",
                {"body": PersonBatchByDistinctIdsRequest(distinct_ids=["anon-1"])},
            ),
            (
                "persons_batch_by_uuids_create",
                {"body": PersonBatchByUuidsRequest(uuids=[person_uuid])},
            ),
            ("persons_values_retrieve", {"key": "plan"}),
            ("persons_cohorts_retrieve", {"person_id": pid}),
            (
                "persons_properties_at_time_retrieve",
                {"person_id": person_uuid, "timestamp": "2999-01-01T00:00:00Z"},
            ),
            ("persons_split_create", {"id": pid, "body": PersonSplitRequest()}),
            ("persons_delete_events_create", {"id": pid}),
            ("persons_delete_recordings_create", {"id": pid}),
            ("persons_deletion_status_list", {}),
            ("persons_destroy", {"id": pid}),
            (
                "persons_reset_person_distinct_id_create",
                {"body": PersonResetDistinctIdRequest(distinct_id="ann@example.com")},
            ),
            (
                "persons_bulk_delete_create",
                {"body": PersonBulkDeleteRequest(distinct_ids=["anon-1"])},
            ),
        ]
        for op, kwargs in calls:
            response = api.raw(op, **kwargs)
            assert response.status_code < 300, (scope, op, response.text)
            _ = response.parsed  # the body has the documented shape
            called.add(op)
        # The workflow-email feature is off here, as PostHog answers without it.
        with pytest.raises(NotFoundError):
            api("persons_emails_list", id=str(person_id))
        called.add("persons_emails_list")
        for op, kwargs in [
            *LEGACY,
            ("persons_properties_timeline_retrieve", {"id": pid}),
        ]:
            with pytest.raises(PermissionDeniedError) as refused:
                api(op, **kwargs)
            assert refused.value.body.detail == (
                "This action does not support Personal API Key access"
            )
            called.add(op)
    from persons_server import ROUTES

    assert called == {route.handler for route in ROUTES}


# --- list ----------------------------------------------------------------------


def test_list_newest_first_with_pagination_links(live: Live, api: Api) -> None:
    for n in range(5):
        add_person(
            live.service,
            api.team,
            properties={"n": n},
            created_at=f"2024-01-0{n + 1}T00:00:00Z",
        )
    page = api("persons_list", limit=2)
    assert [p.properties["n"] for p in page.results] == [4, 3]
    assert page.next is not None and "offset=2" in page.next and "limit=2" in page.next
    assert page.previous is None
    second = api("persons_list", limit=2, offset=2)
    assert [p.properties["n"] for p in second.results] == [2, 1]
    # PostHog's quirk: offset - limit == 0 gives the request URL back unchanged.
    assert second.previous is not None and "offset=2" in second.previous
    last = api("persons_list", limit=2, offset=4)
    assert [p.properties["n"] for p in last.results] == [0]
    assert last.next is None and last.previous is not None
    assert "offset=2" in last.previous
    assert "count" not in api.raw("persons_list").json()
    assert api("persons_list", include_total=True).count == 5
    everyone = (
        list(
            api.client.paginate(
                api._method("persons_list")[0],
                **(
                    {"project_id": str(api.team)}
                    if api.scope == "project"
                    else {"environment_id": str(api.team)}
                ),
                limit=2,
            )
        )
        if api.scope == "project"
        else None
    )
    if everyone is not None:
        assert [p.properties["n"] for p in everyone] == [4, 3, 2, 1, 0]
    item = page.results[0]
    assert (
        item.type == "person" and item.id == item.uuid and item.matched_recordings == []
    )


def test_list_filters(live: Live, api: Api) -> None:
    add_person(
        live.service,
        api.team,
        ["ann"],
        {"email": "ann@x.com", "age": 31, "plan": "pro"},
    )
    add_person(live.service, api.team, ["bob"], {"email": "bob@y.org", "age": 17})
    add_person(live.service, api.team, ["cy"], {"name": "Cy Young", "plan": "free"})

    def names(**kwargs: Any) -> list[str]:
        return sorted(p.distinct_ids[0] for p in api("persons_list", **kwargs).results)

    def prop(key: str, op: str, value: Any = None) -> list[PropertyFilter]:
        return [
            PropertyFilter(
                key=key,
                value=value,
                operator=PropertyFilterOperator(op),
                type=PropertyFilterType.PERSON,
            )
        ]

    assert names(distinct_id="bob") == ["bob"]
    assert names(distinct_id="nobody") == []
    assert names(email="ann@x.com") == ["ann"]
    assert names(search="Y.ORG") == ["bob"]
    assert names(search="young") == ["cy"]
    assert names(search="cy") == ["cy"]
    assert names(properties=prop("plan", "exact", "pro")) == ["ann"]
    assert names(properties=prop("plan", "exact", ["pro", "free"])) == ["ann", "cy"]
    assert names(properties=prop("plan", "is_not", "pro")) == ["bob", "cy"]
    assert names(properties=prop("email", "icontains", "X.C")) == ["ann"]
    assert names(properties=prop("email", "not_icontains", "x.c")) == ["bob", "cy"]
    assert names(properties=prop("email", "regex", r"^b.*\.org$")) == ["bob"]
    assert names(properties=prop("email", "not_regex", "^b")) == ["ann", "cy"]
    assert names(properties=prop("age", "gt", 17)) == ["ann"]
    assert names(properties=prop("age", "gte", 17)) == ["ann", "bob"]
    assert names(properties=prop("age", "lt", 31)) == ["bob"]
    assert names(properties=prop("age", "lte", "31")) == ["ann", "bob"]
    assert names(properties=prop("plan", "is_set")) == ["ann", "cy"]
    assert names(properties=prop("plan", "is_not_set")) == ["bob"]
    assert names(properties=prop("plan", "in", ["free"])) == ["cy"]
    assert names(properties=prop("plan", "not_in", ["free"])) == ["ann", "bob"]
    both = prop("plan", "is_set") + prop("age", "gt", 0)
    assert names(properties=both) == ["ann"]


def test_list_date_operators(live: Live, api: Api) -> None:
    for name, day in [
        ("jan", "2024-01-10"),
        ("feb", "2024-02-10"),
        ("mar", "2024-03-10"),
    ]:
        add_person(live.service, api.team, [name], {"signup": f"{day}T12:00:00Z"})
    add_person(live.service, api.team, ["never"], {})

    def names(op: str, value: str) -> list[str]:
        found = api(
            "persons_list",
            properties=[
                PropertyFilter(
                    key="signup",
                    value=value,
                    operator=PropertyFilterOperator(op),
                    type=PropertyFilterType.PERSON,
                )
            ],
        )
        return sorted(p.distinct_ids[0] for p in found.results)

    assert names("is_date_after", "2024-02-01") == ["feb", "mar"]
    assert names("is_date_before", "2024-02-01") == ["jan"]
    assert names("is_date_after", "2024-03-10T13:00:00Z") == []
    assert names("is_date_before", "2024-01-10T11:00:00Z") == []
    assert names("is_date_exact", "2024-02-10") == ["feb"]


def test_filtered_pages_keep_their_filters(live: Live, api: Api) -> None:
    """`next` keeps `search`, `properties` and `distinct_id`: page two of a
    filtered list holds only matches, never everybody."""
    for n in range(3):
        add_person(
            live.service,
            api.team,
            [f"m{n}"],
            {"email": f"m{n}@match.io", "plan": "pro"},
        )
        add_person(
            live.service,
            api.team,
            [f"o{n}"],
            {"email": f"o{n}@other.io", "plan": "free"},
        )
    pro = [
        PropertyFilter(
            key="plan",
            value="pro",
            operator=PropertyFilterOperator.EXACT,
            type=PropertyFilterType.PERSON,
        )
    ]
    auth = {"Authorization": f"Bearer {FULL_KEY}"}
    for filters, wanted in [
        ({"search": "MATCH.io"}, {"m0", "m1", "m2"}),
        ({"properties": pro}, {"m0", "m1", "m2"}),
        ({"distinct_id": "o1"}, {"o1"}),
    ]:
        limit = 2 if len(wanted) > 1 else 1
        first = api("persons_list", limit=limit, **filters)
        assert first.next is not None, filters
        sent = httpx.URL(first.next).params
        for name in filters:
            assert name in sent, (name, first.next)
        second = httpx.get(first.next, headers=auth).json()
        pages = [p.distinct_ids[0] for p in first.results] + [
            p["distinct_ids"][0] for p in second["results"]
        ]
        assert sorted(pages) == sorted(wanted), filters
    if api.scope == "project":
        every = api.client.paginate(
            api.client.persons_list, project_id=str(api.team), search="match", limit=1
        )
        assert sorted(p.distinct_ids[0] for p in every) == ["m0", "m1", "m2"]


def test_list_csv(live: Live, api: Api) -> None:
    add_person(live.service, api.team, ["ann"], {"email": "ann@x.com"})
    method, where = api._method("persons_list")
    if api.scope == "project":
        text = api.client.csv(method, **where, limit=1)
    else:
        with pytest.deprecated_call():
            text = api.client.csv(method, **where)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["properties.email"] == "ann@x.com"
    assert rows[0]["distinct_ids.0"] == "ann"
    response = api.raw("persons_list", format="csv")
    assert response.headers["content-type"].startswith("text/csv")


def test_list_bad_parameters(live: Live, api: Api) -> None:
    base = f"{live.base_url}/api/{'projects' if api.scope == 'project' else 'environments'}/{api.team}/persons/"
    headers = {"Authorization": f"Bearer {FULL_KEY}"}
    cases = {
        "limit=ten": ("limit", "invalid_input"),
        "offset=-1": ("offset", "min_value"),
        "format=xml": ("format", "invalid_choice"),
        "properties=[{": ("properties", "parse_error"),
        'properties={"key":1}': ("properties", "invalid_input"),
        'properties=[{"key":"a","operator":"nope"}]': (
            "properties__0__operator",
            "invalid_choice",
        ),
        'properties=[{"key":"a","operator":"regex","value":"("}]': (
            "properties",
            "invalid_input",
        ),
    }
    for query, (attr, code) in cases.items():
        response = httpx.get(f"{base}?{query}", headers=headers)
        assert response.status_code == 400, (query, response.text)
        body = response.json()
        assert set(body) == {"type", "code", "detail", "attr"}
        assert (body["attr"], body["code"]) == (attr, code), query


def test_unknown_project(live: Live, client: Client) -> None:
    for project in ("999999", "abc", "99999999999999999999999"):
        with pytest.raises(NotFoundError) as missing:
            client.persons_list(project_id=project)
        assert missing.value.body.detail == "Project not found."


# --- one person ----------------------------------------------------------------


def test_retrieve_by_id_or_uuid(live: Live, api: Api) -> None:
    pid, puuid = add_person(
        live.service,
        api.team,
        ["0190e4b5-0000-7000-8000-000000000001", "ann"],
        {"name": "Ann"},
    )
    by_id = api("persons_retrieve", id=pid)
    by_uuid = api("persons_retrieve", id=puuid)
    assert by_id == by_uuid
    assert by_id.id == pid and by_id.uuid == puuid and by_id.name == "Ann"
    # The model's fields are what the method takes, as they are.
    assert api("persons_retrieve", id=by_id.id) == api(
        "persons_retrieve", id=by_id.uuid
    )
    listed = api("persons_list", distinct_id="ann").results[0]
    assert api("persons_retrieve", id=listed.id) == by_id
    assert api("persons_retrieve", id=str(pid)) == by_id  # text still travels as is
    assert by_id.distinct_ids == ["ann", "0190e4b5-0000-7000-8000-000000000001"]
    with pytest.raises(BadRequestError) as bad:
        api("persons_retrieve", id="ann")  # the spec: an integer or a UUID
    assert (bad.value.body.type, bad.value.body.attr) == ("validation_error", "id")
    with pytest.raises(NotFoundError):
        api("persons_retrieve", id="987654321")
    with pytest.raises(NotFoundError):
        api("persons_retrieve", id=str(uuid.uuid4()))


def test_updates_merge_and_are_logged(live: Live, api: Api) -> None:
    pid, _ = add_person(live.service, api.team, properties={"keep": 1, "x": 0})
    api("persons_update", id=str(pid), body=PersonUpdateRequest(properties={"x": 1}))
    api(
        "persons_partial_update",
        id=str(pid),
        body=PersonUpdateRequest(properties={"y": 2}),
    )
    api(
        "persons_update_property_create",
        id=str(pid),
        body=PersonUpdatePropertyRequest(key="z", value=None),
    )
    assert api("persons_retrieve", id=str(pid)).properties == {
        "keep": 1,
        "x": 1,
        "y": 2,
        "z": None,
    }
    done = api(
        "persons_delete_property_create",
        id=str(pid),
        body=PersonDeletePropertyRequest(unset="keep"),
    )
    assert done.success is True
    assert "keep" not in api("persons_retrieve", id=str(pid)).properties
    log = api("persons_activity_retrieve", id=str(pid), limit=2)
    assert log.total_count == 4 and len(log.results) == 2
    assert [e.activity for e in log.results] == ["delete_property", "updated"]
    assert log.next is not None and "page=2" in log.next and log.previous is None
    assert log.results[1].detail.changes[0].field == "properties"
    everything = api("persons_all_activity_retrieve")
    assert everything.total_count == 4
    for op in ("persons_update", "persons_partial_update"):
        with pytest.raises(NotFoundError):
            api(op, id="424242", body=PersonUpdateRequest(properties={}))


def test_body_errors(live: Live, api: Api) -> None:
    pid, _ = add_person(live.service, api.team)
    prefix = "projects" if api.scope == "project" else "environments"
    url = f"{live.base_url}/api/{prefix}/{api.team}/persons/{pid}/"
    auth = {"Authorization": f"Bearer {FULL_KEY}"}
    malformed = httpx.patch(
        url, content=b"{nope", headers={**auth, "Content-Type": "application/json"}
    )
    assert malformed.status_code == 400 and malformed.json()["code"] == "parse_error"
    text = httpx.patch(
        url, content=b"properties=1", headers={**auth, "Content-Type": "text/plain"}
    )
    assert text.status_code == 415 and text.json()["code"] == "unsupported_media_type"
    missing = httpx.patch(url, json={}, headers=auth)
    assert missing.status_code == 400 and missing.json()["attr"] == "properties"
    null = httpx.patch(url, json={"properties": None}, headers=auth)
    assert null.status_code == 400 and null.json()["attr"] == "properties"
    empty = httpx.put(url, headers=auth)
    assert empty.status_code == 400
    surrogate = httpx.patch(
        url,
        content=b'{"properties": {"a": "\\ud800"}}',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert surrogate.status_code == 400 and surrogate.json()["code"] == "parse_error"
    no_value = httpx.post(url + "update_property/", json={"key": "a"}, headers=auth)
    assert no_value.status_code == 400 and no_value.json()["attr"] == "value"


def test_routing_errors(live: Live) -> None:
    auth = {"Authorization": f"Bearer {FULL_KEY}"}
    create = httpx.post(
        f"{live.base_url}/api/projects/1/persons/", json={}, headers=auth
    )
    assert create.status_code == 405
    assert create.json()["code"] == "method_not_allowed"
    assert "GET" in create.headers["allow"]
    unknown = httpx.get(f"{live.base_url}/api/projects/1/people/", headers=auth)
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    no_slash = httpx.get(f"{live.base_url}/api/projects/1/persons", headers=auth)
    assert no_slash.status_code == 200
    spec = httpx.get(f"{live.base_url}/openapi.json")
    assert spec.json()["info"]["title"] == "PostHog Persons API"
    assert (
        len(
            {
                op["operationId"]
                for item in spec.json()["paths"].values()
                for op in item.values()
                if isinstance(op, dict) and "operationId" in op
            }
        )
        == 64
    )


# --- deletion ------------------------------------------------------------------


def test_destroy_and_deletion_status(live: Live, api: Api) -> None:
    gone, gone_uuid = add_person(live.service, api.team, ["gone"])
    kept, kept_uuid = add_person(live.service, api.team, ["kept"])
    plain, _ = add_person(live.service, api.team, ["plain"])
    # Presence-based flags: `delete_events=false` still queues the events' deletion.
    api("persons_destroy", id=str(gone), delete_events=False)
    api("persons_destroy", id=kept_uuid, keep_person=True, delete_events=True)
    api("persons_destroy", id=str(plain))
    with pytest.raises(NotFoundError):
        api("persons_retrieve", id=str(gone))
    assert api("persons_retrieve", id=str(kept)).id == kept
    with pytest.raises(NotFoundError):
        api("persons_destroy", id=str(plain))
    status = api("persons_deletion_status_list")
    assert status.count == 2
    assert {s.person_uuid for s in status.results} == {gone_uuid, kept_uuid}
    assert {s.status for s in status.results} == {"pending"}
    one = api("persons_deletion_status_list", person_uuid=kept_uuid, limit=1)
    assert one.count == 1 and one.next is None
    assert api("persons_deletion_status_list", limit=1).next is not None
    run_deletion_job(live.service.db)
    done = api("persons_deletion_status_list", status="completed")
    assert done.count == 2 and all(s.delete_verified_at for s in done.results)
    assert api("persons_deletion_status_list", status="pending").count == 0
    with pytest.raises(BadRequestError) as bad:
        api("persons_deletion_status_list", person_uuid="nope")
    assert bad.value.body.attr == "person_uuid"


def test_delete_events_action(live: Live, api: Api) -> None:
    pid, puuid = add_person(live.service, api.team)
    api("persons_delete_events_create", id=str(pid))
    api("persons_delete_events_create", id=str(pid))  # queued once only
    assert [s.person_uuid for s in api("persons_deletion_status_list").results] == [
        puuid
    ]
    assert api("persons_retrieve", id=str(pid)).id == pid


def test_bulk_delete(live: Live, api: Api) -> None:
    a, a_uuid = add_person(live.service, api.team, ["a1", "a2"])
    b, b_uuid = add_person(live.service, api.team, ["b1"])
    c, _ = add_person(live.service, api.team, ["c1"])
    summary = api(
        "persons_bulk_delete_create",
        body=PersonBulkDeleteRequest(
            ids=[a_uuid, str(uuid.uuid4())], delete_events=True
        ),
    )
    assert (summary.persons_found, summary.persons_deleted) == (1, 1)
    assert summary.events_queued_for_deletion is True
    assert summary.recordings_queued_for_deletion is False
    assert summary.deletion_errors == []
    kept = api(
        "persons_bulk_delete_create",
        body=PersonBulkDeleteRequest(distinct_ids=["b1", "c1", "zz"], keep_person=True),
    )
    assert (kept.persons_found, kept.persons_deleted) == (2, 0)
    assert api("persons_retrieve", id=str(b)).id == b
    api(
        "persons_bulk_delete_create",
        body=PersonBulkDeleteRequest(distinct_ids=["b1", "c1"]),
    )
    assert api("persons_list").results == []
    for body, message in [
        (PersonBulkDeleteRequest(ids=[b_uuid], distinct_ids=["b1"]), "not both"),
        (PersonBulkDeleteRequest(), "You need to specify either distinct_ids or ids"),
        (PersonBulkDeleteRequest(ids=[]), "You need to specify"),
    ]:
        with pytest.raises(BadRequestError) as bad:
            api("persons_bulk_delete_create", body=body)
        assert message in bad.value.body.detail
    with pytest.raises(BadRequestError) as too_many:
        api(
            "persons_bulk_delete_create",
            body=PersonBulkDeleteRequest(distinct_ids=[f"d{i}" for i in range(1001)]),
        )
    assert too_many.value.body.attr == "distinct_ids"
    assert a  # deleted above


def test_reset_distinct_id(live: Live, api: Api) -> None:
    pid, _ = add_person(live.service, api.team, ["reuse-me"])
    api("persons_destroy", id=str(pid))
    with pytest.raises(Exception):  # noqa: B017 - import refuses a deleted person's id
        add_person(live.service, api.team, ["reuse-me"])
    api(
        "persons_reset_person_distinct_id_create",
        body=PersonResetDistinctIdRequest(distinct_id="reuse-me"),
    )
    new_id, _ = add_person(live.service, api.team, ["reuse-me"])
    assert new_id != pid


# --- lookups -------------------------------------------------------------------


def test_batch_lookups(live: Live, api: Api) -> None:
    many = [f"d{i}" for i in range(12)]
    pid, puuid = add_person(live.service, api.team, many)
    found = api(
        "persons_batch_by_distinct_ids_create",
        body=PersonBatchByDistinctIdsRequest(distinct_ids=["d0", "d5", "nobody"]),
    )
    assert set(found.results) == {"d0", "d5"}
    assert found.results["d0"].id == pid and len(found.results["d0"].distinct_ids) == 10
    assert api("persons_batch_by_distinct_ids_create").results == {}
    by_uuid = api(
        "persons_batch_by_uuids_create",
        body=PersonBatchByUuidsRequest(uuids=[str(puuid).upper(), str(uuid.uuid4())]),
    )
    assert list(by_uuid.results) == [str(puuid)]
    with pytest.raises(BadRequestError):
        api(
            "persons_batch_by_uuids_create", body=PersonBatchByUuidsRequest(uuids=["x"])
        )


def test_values(live: Live, api: Api) -> None:
    for plan in ["pro", "pro", "free", "enterprise"]:
        add_person(live.service, api.team, properties={"plan": plan})
    response = api.raw("persons_values_retrieve", key="plan")
    assert response.headers["cache-control"] == "max-age=10"
    values = response.parsed
    assert values.refreshing is False
    assert [(v.name, v.count) for v in values.results][0] == ("pro", 2)
    assert {
        v.name for v in api("persons_values_retrieve", key="plan", value="PR").results
    } == {"pro", "enterprise"}
    assert api("persons_values_retrieve").results == []
    assert api("persons_values_retrieve", key="$virt_x").results == []


def test_cohorts(live: Live, api: Api, client: Client) -> None:
    pid, puuid = add_person(live.service, api.team, properties={"plan": "pro"})
    with live.service.db.transaction(write=True) as tx:
        cohort = tx.execute(
            "INSERT INTO cohorts (team_id, name) VALUES (?, 'Pros')", (api.team,)
        ).lastrowid
        tx.execute(
            "INSERT INTO cohorts (team_id, name, deleted) VALUES (?, 'Old', 1)",
            (api.team,),
        )
        tx.execute("INSERT INTO cohort_people VALUES (?, ?)", (cohort, pid))
    result = api("persons_cohorts_retrieve", person_id=puuid)
    assert [(c.id, c.name, c.count) for c in result.results] == [(cohort, "Pros", 1)]
    listed = api(
        "persons_list",
        properties=[
            PropertyFilter(key="id", value=cohort, type=PropertyFilterType.COHORT)
        ],
    )
    assert [p.uuid for p in listed.results] == [puuid]
    with pytest.raises(NotFoundError):
        api("persons_cohorts_retrieve", person_id="123456789")


def test_properties_at_time(live: Live, api: Api) -> None:
    pid, puuid = add_person(
        live.service,
        api.team,
        ["ann"],
        {"plan": "free"},
        created_at="2024-01-01T00:00:00Z",
    )
    with live.service.db.transaction(write=True) as tx:
        for when, op, payload in [
            ("2024-02-01T00:00:00+00:00", "$set", '{"plan": "pro", "seats": 3}'),
            (
                "2024-02-15T00:00:00+00:00",
                "$set_once",
                '{"first_seen": "feb", "plan": "x"}',
            ),
            ("2024-03-01T00:00:00+00:00", "$unset", '["seats"]'),
        ]:
            tx.execute(
                "INSERT INTO property_events (person_id, timestamp, operation, payload)"
                " VALUES (?, ?, ?, ?)",
                (pid, when.replace("+00:00", ".000000+00:00"), op, payload),
            )

    def at(timestamp: str, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("distinct_id", "ann")
        return dict(
            api(
                "persons_properties_at_time_retrieve", timestamp=timestamp, **kwargs
            ).properties
        )

    assert at("2024-01-15T00:00:00Z") == {"plan": "free"}
    assert at("2024-02-20T00:00:00Z") == {"plan": "pro", "seats": 3}
    assert at("2024-02-20T00:00:00Z", include_set_once=True) == {
        "plan": "pro",
        "seats": 3,
        "first_seen": "feb",
    }
    # PostHog replays `$set` and `$set_once` only: the `$unset` is not undone.
    assert at("2024-03-02") == {"plan": "pro", "seats": 3}
    # 01:00 at +02:00 is 23:00 UTC the day before, ahead of the `$set_once`.
    assert "first_seen" not in at("2024-02-15T01:00:00+02:00", include_set_once=True)
    assert "first_seen" in at("2024-02-15T01:00:00Z", include_set_once=True)
    full = api(
        "persons_properties_at_time_retrieve",
        person_id=puuid,
        timestamp="2025-01-01T00:00:00Z",
    )
    meta = full.point_in_time_metadata
    assert meta.query_mode == "person_id" and meta.person_id_used == str(puuid)
    assert meta.distinct_ids_queried == ["ann"] and meta.distinct_ids_count == 1
    for kwargs, message in [
        (
            {"distinct_id": "ann", "person_id": puuid, "timestamp": "2024-01-01"},
            "Cannot provide both",
        ),
        ({"timestamp": "2024-01-01"}, "Must provide either"),
        ({"distinct_id": "", "timestamp": "2024-01-01"}, "Must provide either"),
    ]:
        with pytest.raises(BadRequestError) as bad:
            api("persons_properties_at_time_retrieve", **kwargs)
        assert message in bad.value.response.json()["error"]
    # The timestamp's pattern is in the spec: the standard body, `attr` timestamp.
    for when in ("yesterday", "2024-02-30", "2024-01-01T25:00"):
        with pytest.raises(BadRequestError) as bad:
            api(
                "persons_properties_at_time_retrieve", distinct_id="ann", timestamp=when
            )
        assert bad.value.body.attr == "timestamp", when
    with pytest.raises(NotFoundError) as missing:
        api(
            "persons_properties_at_time_retrieve",
            distinct_id="nobody",
            timestamp="2024-01-01",
        )
    assert missing.value.response.json() == {
        "error": "Person with distinct_id 'nobody' not found"
    }


def test_split(live: Live, api: Api) -> None:
    pid, _ = add_person(
        live.service, api.team, ["main", "x1", "x2", "x3"], {"plan": "pro"}
    )
    with pytest.raises(BadRequestError) as bad:
        api(
            "persons_split_create",
            id=str(pid),
            body=PersonSplitRequest(distinct_ids_to_split=["nope"]),
        )
    assert "not on this person" in bad.value.body.detail
    with pytest.raises(BadRequestError):
        api(
            "persons_split_create",
            id=str(pid),
            body=PersonSplitRequest(distinct_ids_to_split=[]),
        )
    with pytest.raises(BadRequestError):
        api(
            "persons_split_create",
            id=str(pid),
            body=PersonSplitRequest(
                main_distinct_id="main", distinct_ids_to_split=["x1"]
            ),
        )
    api(
        "persons_split_create",
        id=str(pid),
        body=PersonSplitRequest(distinct_ids_to_split=["x1"]),
    )
    assert api("persons_retrieve", id=str(pid)).distinct_ids == ["main", "x2", "x3"]
    api(
        "persons_split_create",
        id=str(pid),
        body=PersonSplitRequest(main_distinct_id="x2"),
    )
    person = api("persons_retrieve", id=str(pid))
    assert person.distinct_ids == ["x2"] and person.properties == {"plan": "pro"}
    listed = api("persons_list")
    assert sorted(p.distinct_ids[0] for p in listed.results) == [
        "main",
        "x1",
        "x2",
        "x3",
    ]
    moved = api("persons_list", distinct_id="x1").results[0]
    assert moved.uuid == uuid.uuid5(
        uuid.UUID("932979b4-65c3-4424-8467-0b66ec27bc22"), f"{api.team}:x1"
    )
    assert (
        api("persons_activity_retrieve", id=str(pid)).results[0].activity
        == "split_person"
    )


def test_keys_restricted_to_projects(live: Live, client: Client) -> None:
    team, other = new_team(live.service), new_team(live.service)
    live.service.keys.add("phx_test_one_team", ["person:read"], teams=[team])
    with Client(
        base_url=live.base_url, api_key="phx_test_one_team", max_retries=0
    ) as one:
        assert one.persons_list(project_id=str(team)).results == []
        assert one.persons_list(project_id="@current").results == []
        with pytest.raises(PermissionDeniedError) as denied:
            one.persons_list(project_id=str(other))
    assert denied.value.body.detail == (
        f"API key does not have access to the requested project: ID {other}."
    )


def test_timestamps_are_utc(live: Live, api: Api) -> None:
    pid, _ = add_person(live.service, api.team, created_at="2024-05-01T12:00:00+02:00")
    created = api("persons_retrieve", id=str(pid)).created_at
    assert created == datetime.datetime(2024, 5, 1, 10, tzinfo=datetime.UTC)
    assert time.time() > 0
