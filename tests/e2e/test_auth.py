"""Auth on every operation, over HTTP: no key is 401, a key without the scope is 403."""

from __future__ import annotations

import re

import httpx
import pytest
from persons_server import ROUTES

from .conftest import Live

# Parameters are validated before the handler refuses the key (PostHog refuses first).
REQUIRED = {
    "persons_lifecycle_retrieve": {"target_date": "-7d", "lifecycle_type": "new"}
}


def _url(live: Live, path: str) -> str:
    return live.base_url + re.sub(r"\{[^}]+\}", "1", path)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.operation_id)
def test_missing_or_bad_key_is_401(live: Live, route: object) -> None:
    from persons_server._runtime import Route

    assert isinstance(route, Route)
    for headers in (
        {},
        {"Authorization": "Bearer phx_not_a_key"},
        {"Authorization": "Basic eDp5"},
    ):
        response = httpx.request(route.method, _url(live, route.path), headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        body = response.json()
        assert body["type"] == "authentication_error"
        assert set(body) == {"type", "code", "detail", "attr"}


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.operation_id)
def test_key_without_scope_is_403_naming_it(live: Live, route: object) -> None:
    from persons_server._runtime import Route

    assert isinstance(route, Route)
    scopes = [scope for req in route.security for _, needed in req for scope in needed]
    response = httpx.request(
        route.method,
        _url(live, route.path),
        params=REQUIRED.get(route.handler, {}),
        headers={"Authorization": "Bearer phx_test_nothing"},
    )
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["code"] == "permission_denied"
    if scopes:
        assert body["detail"] == f"API key missing required scope '{scopes[0]}'"
    else:
        assert body["detail"] == "This action does not support Personal API Key access"


def test_write_implies_read_and_star_grants_all(live: Live) -> None:
    url = f"{live.base_url}/api/projects/1/persons/"
    writer = httpx.get(url, headers={"Authorization": "Bearer phx_test_write"})
    assert writer.status_code == 200
    reader = httpx.post(
        url + "bulk_delete/",
        json={"ids": []},
        headers={"Authorization": "Bearer phx_test_read"},
    )
    assert reader.status_code == 403
    assert reader.json()["detail"] == "API key missing required scope 'person:write'"
    cohorts = httpx.get(
        url + "cohorts/?person_id=1", headers={"Authorization": "Bearer phx_test_read"}
    )
    assert cohorts.json()["detail"] == "API key missing required scope 'cohort:read'"
