"""Forward-compatible models and parameter encoding."""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Callable

import httpx
import pytest
from persons_client import UNSET, Client, ResponseDecodeError, Unset
from persons_client._runtime import DecodeError, Operation, decoder, prepare
from persons_client.models import (
    ErrorResponse,
    PaginatedPersonList,
    PersonListItem,
    PersonListItemType,
    PersonRecord,
    PersonsDeletionStatusListStatus,
    PersonUpdateRequest,
    PropertyFilter,
    PropertyFilterOperator,
    PropertyFilterType,
)

from .conftest import FakeServer, json_response, person

MakeClient = Callable[..., Client]


# --- models -------------------------------------------------------------------


def test_unknown_fields_are_kept_and_sent_back() -> None:
    item = PersonListItem.from_dict(
        person(1, new_field={"nested": [1, 2]}, another=None)
    )
    assert item.additional_properties == {
        "new_field": {"nested": [1, 2]},
        "another": None,
    }
    assert item["new_field"] == {"nested": [1, 2]} and item["uuid"] == item.uuid
    assert item.to_dict()["new_field"] == {"nested": [1, 2]}
    assert "another" in item.to_dict()
    assert PersonListItem.from_dict(item.to_dict()) == item


def test_unknown_enum_values_are_accepted() -> None:
    item = PersonListItem.from_dict(person(1, type="group"))
    assert isinstance(item.type, PersonListItemType)
    assert item.type.value == "group" and item.type.name == "UNKNOWN_group"
    assert item.type == "group" and str(item.type) == "group"
    assert item.to_dict()["type"] == "group"
    assert PersonListItemType("person") is PersonListItemType.PERSON


def test_null_and_missing_are_distinct() -> None:
    missing = PersonListItem.from_dict(person(1))
    null = PersonListItem.from_dict(person(1, last_seen_at=None))
    present = PersonListItem.from_dict(
        person(1, last_seen_at="2024-06-01T10:00:00+00:00")
    )
    assert missing.last_seen_at is UNSET and isinstance(missing.last_seen_at, Unset)
    assert not missing.last_seen_at and repr(missing.last_seen_at) == "UNSET"
    assert null.last_seen_at is None
    assert present.last_seen_at == datetime.datetime(
        2024, 6, 1, 10, tzinfo=datetime.UTC
    )
    assert "last_seen_at" not in missing.to_dict()
    assert null.to_dict()["last_seen_at"] is None
    assert present.to_dict()["last_seen_at"] == "2024-06-01T10:00:00+00:00"


def test_required_fields() -> None:
    # A required nullable field left out reads as null; a required field does not.
    page = PaginatedPersonList.from_dict({"results": []})
    assert page.next is None and page.previous is None and page.count is UNSET
    with pytest.raises(DecodeError, match="PaginatedPersonList"):
        PaginatedPersonList.from_dict({"next": None})
    with pytest.raises(DecodeError, match="expected an object"):
        PersonRecord.from_dict([])  # type: ignore[arg-type]
    with pytest.raises(DecodeError, match="expected array"):
        PaginatedPersonList.from_dict({"results": {}, "next": None, "previous": None})


def test_decoded_models_share_no_container_with_the_caller() -> None:
    # Decoders adopt the lists and dicts of a response body; data a caller
    # passes to `from_dict` or `decoder` is copied first.
    data = {
        "results": [person(1, extra={"nested": [1]})],
        "next": None,
        "previous": None,
    }
    page = PaginatedPersonList.from_dict(data)
    item = page.results[0]
    source = data["results"][0]
    assert item.distinct_ids == source["distinct_ids"]
    assert item.distinct_ids is not source["distinct_ids"]
    assert item.properties is not source["properties"]
    assert item.additional_properties["extra"] is not source["extra"]
    assert (
        item.additional_properties["extra"]["nested"] is not source["extra"]["nested"]
    )
    decoded = decoder(list[PersonListItem])(data["results"])[0]
    assert decoded.properties is not source["properties"]
    assert data["results"][0] == person(1, extra={"nested": [1]})  # left as it was


def test_decoded_instances_equal_constructed_ones() -> None:
    # `from_dict` skips the dataclass `__init__` when it only assigns: the
    # result must be the same object graph, key order included.
    item = PersonListItem.from_dict(person(1, last_seen_at=None, extra=1))
    built = PersonListItem(**{**vars(item)})
    assert item == built and vars(item) == vars(built)
    assert list(vars(item)) == list(vars(built))
    assert item.additional_properties == {"extra": 1}


def test_as_many_keys_as_fields_but_not_the_same_ones() -> None:
    # Eleven keys for eleven fields, one of them unknown: readers take a
    # shortcut for objects with exactly the declared fields, not this one.
    complete = person(1, last_seen_at=None, matched_recordings=[])
    exact = PersonListItem.from_dict({**complete, "value_at_data_point": 1})
    assert exact.additional_properties == {} and exact.value_at_data_point == 1.0
    assert type(exact.value_at_data_point) is float
    other = PersonListItem.from_dict({**complete, "extra": 1})
    assert other.additional_properties == {"extra": 1}
    assert other.value_at_data_point is UNSET
    del complete["name"]
    with pytest.raises(DecodeError, match="name"):
        PersonListItem.from_dict({**complete, "extra": 1, "other": 2})


def test_subclasses_with_their_own_init_still_go_through_it() -> None:
    seen: list[str] = []

    @dataclasses.dataclass(kw_only=True)
    class Checked(PersonListItem):
        tags: list[str] = dataclasses.field(default_factory=list)

        def __post_init__(self) -> None:
            seen.append(self.name)

    item = Checked.from_dict(person(1))
    assert seen == [item.name] and item.tags == [] and item.type == "person"
    assert Checked.from_dict(person(2, tags=["a"])).tags == ["a"]
    with pytest.raises(DecodeError, match="Checked"):
        Checked.from_dict({"name": "x"})


def test_server_values_are_kept_when_they_do_not_parse() -> None:
    item = PersonListItem.from_dict(person(1, created_at="yesterday"))
    assert item.created_at == "yesterday"  # type: ignore[comparison-overlap]


def test_error_model() -> None:
    error = ErrorResponse.from_dict(
        {
            "type": "validation_error",
            "code": "required",
            "detail": "x",
            "attr": None,
            "extra": {"a": 1},
        }
    )
    assert (error.type, error.attr, error.additional_properties) == (
        "validation_error",
        None,
        {"extra": {"a": 1}},
    )


def test_bodies_omit_unset_and_keep_null(make_client: MakeClient) -> None:
    server = FakeServer(0)
    server.script = [httpx.Response(202)]
    client = make_client(server)
    body = PersonUpdateRequest(
        properties={"plan": "pro", "gone": None, "when": datetime.date(2024, 1, 2)}
    )
    assert client.persons_partial_update(project_id="1", id="9", body=body) is None
    request = server.requests[0]
    assert (
        request.method == "PATCH" and request.url.path == "/api/projects/1/persons/9/"
    )
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "properties": {"plan": "pro", "gone": None, "when": "2024-01-02"}
    }


# --- parameters -----------------------------------------------------------------


def test_properties_filter_is_json(make_client: MakeClient) -> None:
    server = FakeServer(0)
    filters = [
        PropertyFilter(
            key="email",
            value="@posthog.com",
            operator=PropertyFilterOperator.ICONTAINS,
            type=PropertyFilterType.PERSON,
        ),
        PropertyFilter(
            key="plan", value=["pro", "team"], operator=PropertyFilterOperator.IN
        ),
        PropertyFilter(key="age", value=30, operator=PropertyFilterOperator.GT),
        PropertyFilter(
            key="deleted", value=None, operator=PropertyFilterOperator.IS_NOT_SET
        ),
        PropertyFilter(key="beta"),
    ]
    make_client(server).persons_list(
        project_id="1", properties=filters, email="a@b.c", include_total=True, limit=5
    )
    params = server.requests[0].url.params
    assert json.loads(params["properties"]) == [
        {
            "key": "email",
            "value": "@posthog.com",
            "operator": "icontains",
            "type": "person",
        },
        {"key": "plan", "value": ["pro", "team"], "operator": "in"},
        {"key": "age", "value": 30, "operator": "gt"},
        {"key": "deleted", "value": None, "operator": "is_not_set"},
        {"key": "beta"},
    ]
    assert (params["email"], params["include_total"], params["limit"]) == (
        "a@b.c",
        "true",
        "5",
    )
    assert "distinct_id" not in params and "offset" not in params


def test_enum_parameters(make_client: MakeClient) -> None:
    server = FakeServer(0)
    server.script = [
        json_response(200, {"results": [], "next": None, "previous": None, "count": 0})
    ]
    make_client(server).persons_deletion_status_list(
        project_id="1", status=PersonsDeletionStatusListStatus("pending")
    )
    assert server.requests[0].url.params["status"] == "pending"


def test_path_parameters_are_quoted(make_client: MakeClient) -> None:
    server = FakeServer(0)
    server.script = [httpx.Response(202)]
    make_client(server).persons_destroy(
        project_id="1", id="a/b c?d", delete_events=True
    )
    assert (
        server.requests[0].url.raw_path
        == b"/api/projects/1/persons/a%2Fb%20c%3Fd/?delete_events=true"
    )


OP = Operation(
    "op",
    "GET",
    "/things/{ids}/{point}",
    path_params=["ids", "point"],
    query=["tags", "csv", "spaced", "piped", "deep", "flat", "kinds", "nothing"],
    headers=["trace"],
    cookies=["session"],
    wire={"trace": "X-Trace"},
    styles={
        "point": ("simple", True),
        "csv": ("form", False),
        "spaced": ("spaceDelimited", False),
        "piped": ("pipeDelimited", False),
        "deep": ("deepObject", True),
        "session": ("form", False),
    },
)


def test_array_and_object_styles() -> None:
    prepared = prepare(
        OP,
        {
            "ids": [1, 2],
            "point": {"x": 1, "y": 2},
            "tags": ["a", "b"],
            "csv": ["a", "b"],
            "spaced": ["a", "b"],
            "piped": ["a", "b"],
            "deep": {"k": "v", "n": 1},
            "flat": {"k": "v"},
            "kinds": [PropertyFilterOperator.EXACT, PropertyFilterOperator.IN],
            "trace": [1, 2],
            "session": "s1",
            "nothing": None,
        },
    )
    assert prepared.path == "/things/1%2C2/x%3D1%2Cy%3D2"
    assert prepared.params == [
        ("tags", "a"),
        ("tags", "b"),
        ("csv", "a,b"),
        ("spaced", "a b"),
        ("piped", "a|b"),
        ("deep[k]", "v"),
        ("deep[n]", "1"),
        ("k", "v"),
        ("kinds", "exact"),
        ("kinds", "in"),
    ]
    assert prepared.headers == {"X-Trace": "1,2"}
    assert prepared.cookies == {"session": "s1"}


def test_unset_parameters_are_left_out() -> None:
    prepared = prepare(OP, {"ids": 1, "point": 2, "tags": UNSET})
    assert (prepared.path, prepared.params, prepared.headers) == ("/things/1/2", [], {})


def test_decode_errors_reach_the_caller_typed(make_client: MakeClient) -> None:
    server = FakeServer(0)
    server.script = [
        json_response(200, {"results": [{"id": "x"}], "next": None, "previous": None})
    ]
    with pytest.raises(ResponseDecodeError, match="PersonListItem"):
        make_client(server).persons_list(project_id="1")
