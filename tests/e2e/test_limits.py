"""What a write may hold, and that every read can serve what a write accepted.

Over real HTTP against the reference server, with `create_app`'s default
limits (README, Security): a body of at most 1 MiB, JSON nesting at most 64
levels. The deepest and the largest accepted values are written, then read
back through every operation that shows a person's properties, in both URL
scopes; one level deeper, or one byte more, is refused in the error shape.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from persons_server._runtime import MAX_BODY_BYTES, MAX_JSON_DEPTH

from .conftest import FULL_KEY, Live, add_person, new_team

AUTH = {"Authorization": f"Bearer {FULL_KEY}"}
JSON = {**AUTH, "Content-Type": "application/json"}
SCOPES = ["projects", "environments"]


def deepest(levels: int) -> Any:
    """A value of `levels` nested arrays and objects, alternating."""
    value: Any = "bottom"
    for level in range(levels):
        value = [value] if level % 2 else {"down": value}
    return value


def patch_body(key: str, value: Any) -> bytes:
    return json.dumps({"properties": {key: value}}).encode()


# In the body, the value sits in two objects: `{"properties": {key: value}}`.
DEEP = deepest(MAX_JSON_DEPTH - 2)
PADDING = MAX_BODY_BYTES - len(patch_body("big", ""))
BIG = "x" * PADDING


@pytest.fixture
def http(live: Live) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.base_url, headers=AUTH, timeout=60) as client:
        yield client


def test_the_limits_are_the_documented_defaults() -> None:
    assert (MAX_BODY_BYTES, MAX_JSON_DEPTH) == (1024 * 1024, 64)


def test_the_deepest_and_largest_values_written_are_served_by_every_read(
    live: Live, http: httpx.Client
) -> None:
    team = new_team(live.service)
    person = str(add_person(live.service, team, ["limits-d1"])[1])
    written = {"deep": DEEP, "big": BIG}
    for key, value in written.items():
        body = patch_body(key, value)
        assert len(body) <= MAX_BODY_BYTES
        response = http.patch(
            f"/api/projects/{team}/persons/{person}/", content=body, headers=JSON
        )
        assert response.status_code == 202, response.text
    assert len(patch_body("big", BIG)) == MAX_BODY_BYTES  # the largest, exactly
    now = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=1)

    def read(method: str, path: str, **kwargs: Any) -> Any:
        response = http.request(method, path, **kwargs)
        assert response.status_code == 200, (path, response.text[:300])
        return response

    def properties(found: dict[str, Any]) -> dict[str, Any]:
        return {key: found["properties"].get(key) for key in written}

    for scope in SCOPES:
        base = f"/api/{scope}/{team}/persons"
        assert properties(read("GET", f"{base}/{person}/").json()) == written
        (listed,) = read("GET", f"{base}/").json()["results"]
        assert properties(listed) == written
        batch = read(
            "POST",
            f"{base}/batch_by_distinct_ids/",
            json={"distinct_ids": ["limits-d1"]},
        )
        assert properties(batch.json()["results"]["limits-d1"]) == written
        by_uuid = read("POST", f"{base}/batch_by_uuids/", json={"uuids": [person]})
        assert properties(by_uuid.json()["results"][person]) == written
        for key, value in written.items():
            values = read("GET", f"{base}/values/", params={"key": key})
            assert [v["name"] for v in values.json()["results"]] == [value]
        at_time = read(
            "GET",
            f"{base}/properties_at_time/",
            params={"person_id": person, "timestamp": now.isoformat()},
        )
        assert properties(at_time.json()) == written
        for path in (f"{base}/{person}/activity/", f"{base}/activity/"):
            # PostHog logs that the properties changed, not their values.
            entries = read("GET", path).json()["results"]
            fields = {
                change["field"]
                for entry in entries
                for change in entry["detail"]["changes"] or ()
            }
            assert "properties" in fields
        table = read("GET", f"{base}/?format=csv").text
        header, row = table.split("\r\n")[:2]
        columns = dict(zip(header.split(","), row.split(","), strict=True))
        assert columns["properties.big"] == BIG
        (deep,) = [name for name in columns if name.startswith("properties.deep.")]
        assert columns[deep] == "bottom"
        assert deep.count(".") == 1 + MAX_JSON_DEPTH - 2  # a segment per level


@pytest.mark.parametrize("scope", SCOPES)
def test_one_level_deeper_is_refused(
    live: Live, http: httpx.Client, scope: str
) -> None:
    team = new_team(live.service)
    _, person = add_person(live.service, team)
    url = f"/api/{scope}/{team}/persons/{person}/"
    # The case measured on main: 256 levels were accepted, then every read of
    # that person answered 500.
    for levels in (MAX_JSON_DEPTH - 1, 256):
        response = http.patch(
            url, content=patch_body("deep", deepest(levels)), headers=JSON
        )
        assert response.status_code == 400
        assert response.json() == {
            "type": "invalid_request",
            "code": "parse_error",
            "detail": f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels",
            "attr": None,
        }
    assert http.get(url).status_code == 200
    assert "deep" not in http.get(url).json()["properties"]


def too_large(response: httpx.Response) -> None:
    assert response.status_code == 413
    assert response.json() == {
        "type": "invalid_request",
        "code": "request_too_large",
        "detail": f"The request body is larger than the {MAX_BODY_BYTES} bytes"
        " this server accepts.",
        "attr": None,
    }


@pytest.mark.parametrize("scope", SCOPES)
def test_one_byte_more_is_refused(live: Live, http: httpx.Client, scope: str) -> None:
    team = new_team(live.service)
    _, person = add_person(live.service, team)
    url = f"/api/{scope}/{team}/persons/{person}/"
    body = patch_body("big", BIG + "x")
    assert len(body) == MAX_BODY_BYTES + 1
    too_large(http.patch(url, content=body, headers=JSON))

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it comes
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    too_large(http.patch(url, content=chunks(), headers=JSON))
    assert "big" not in http.get(url).json()["properties"]


def test_a_50_mb_body_is_refused_before_it_is_read(
    live: Live, http: httpx.Client
) -> None:
    team = new_team(live.service)
    _, person = add_person(live.service, team)
    body = patch_body("big", "x" * 50_000_000)
    url = f"/api/projects/{team}/persons/{person}/"
    too_large(http.patch(url, content=body, headers=JSON))
    listed = http.get(f"/api/projects/{team}/persons/")
    assert listed.status_code == 200 and len(listed.content) < 10_000
