"""Rate limits per key: 429 with Retry-After, deletes counted apart from the rest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from examples.ratelimit import Rate, RateLimits

from .conftest import FULL_KEY, LiveServer, start_service


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[str]:
    limits = RateLimits(other=(Rate(3, 60),), delete=(Rate(2, 60), Rate(5, 3600)))
    service = start_service(tmp_path / "limited.db", limits)
    with LiveServer(service.app) as server:
        yield f"http://127.0.0.1:{server.port}/api/projects/1/persons/"
    service.db.close()


def test_throttled_with_retry_after(limited: str) -> None:
    with httpx.Client(headers={"Authorization": f"Bearer {FULL_KEY}"}) as http:
        assert [http.get(limited).status_code for _ in range(3)] == [200] * 3
        throttled = http.get(limited)
        assert throttled.status_code == 429
        assert 1 <= int(throttled.headers["retry-after"]) <= 60
        assert throttled.json() == {
            "type": "throttled_error",
            "code": "throttled",
            "detail": f"Request was throttled. Expected available in {throttled.headers['retry-after']} seconds.",
            "attr": None,
        }
        # Deletes have their own budget, shared by every delete action.
        deletes = [
            http.post(limited + "bulk_delete/", json={"ids": []}).status_code,
            http.post(limited + "999999/delete_recordings/").status_code,
            http.post(limited + "999999/delete_events/").status_code,
            http.delete(limited + "999999/").status_code,
        ]
        assert deletes == [400, 404, 429, 429]
    # Another key is not affected; an unauthenticated request is a 401, not a 429.
    other = httpx.get(limited, headers={"Authorization": "Bearer phx_test_read"})
    assert other.status_code == 200
    assert httpx.get(limited).status_code == 401


def test_rate_parsing() -> None:
    assert Rate.parse("480/minute") == Rate(480, 60)
    assert Rate.parse("4800/h") == Rate(4800, 3600)
    assert Rate.parse("5/2.5") == Rate(5, 2.5)
    for bad in ("fast", "0/minute", "3/fortnight"):
        with pytest.raises(ValueError):
            Rate.parse(bad)
