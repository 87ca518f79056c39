"""The client against the reference server over real HTTP on loopback.

The issue's "done when": the example program pages through 10,000 persons with
a properties filter, survives the server's 429s, and reports a typed 403.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from persons_client import (
    AsyncClient,
    AuthenticationError,
    BadRequestError,
    Client,
    NotFoundError,
    PermissionDeniedError,
)
from persons_client.models import PropertyFilter, PropertyFilterOperator

from .test_example_program import load_program

uvicorn = pytest.importorskip("uvicorn")
reference = pytest.importorskip("examples.app", reason="the reference server")
from examples import data  # noqa: E402
from examples.ratelimit import Rate, RateLimits  # noqa: E402

PERSONS = 10_000


class _Server:
    """uvicorn serving `app` on an ephemeral loopback port, in a daemon thread."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive()
            time.sleep(0.01)
        return self.url

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    path: Path = tmp_path_factory.mktemp("client-e2e") / "persons.db"
    # Reads limited to 5 a second: paging 10,000 persons 500 at a time hits it.
    limits = RateLimits(other=(Rate(5, 1.0),))
    service = reference.build(path, rate_limits=limits)
    data.seed(service.db, PERSONS)
    service.keys.add("phx_client_e2e_read", ["person:read"], label="read only")
    with _Server(service.app) as url:
        yield url, service.keys.demo_key()
    service.db.close()


def test_done_when_program(
    server: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    url, key = server
    with Client(base_url=url, api_key=key) as client:
        everyone = [
            PropertyFilter(key="$browser", operator=PropertyFilterOperator.IS_SET)
        ]
        page = client.persons_list(
            project_id="1", properties=everyone, limit=1, include_total=True
        )
        assert page.count == PERSONS
    program = load_program()
    args = ["--base-url", url, "--api-key", key, "--property", "$browser"]
    args += ["--page-size", "500"]
    assert program.main([*args, "--expect", str(PERSONS)]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert f"{PERSONS} persons whose '$browser' is set" in out
    assert "survived 0 429" not in out and "429 responses" in out
    assert "refused as expected: 403" in out


def test_features_against_the_server(server: tuple[str, str]) -> None:
    url, key = server
    with Client(base_url=url, api_key=key, max_retries=5) as client:
        page = client.persons_list(project_id="1", limit=5)
        first = page.results[0]
        assert len(page.results) == 5 and page.next and "offset=5" in page.next
        record = client.persons_retrieve(project_id="1", id=first.id)
        assert record.uuid == first.uuid
        raw = client.raw(client.persons_retrieve, project_id="1", id=first.id)
        assert raw.status_code == 200 and raw.parsed.uuid == first.uuid
        text = client.csv(client.persons_list, project_id="1", search=first.name)
        header, *rows = text.splitlines()
        assert "properties.email" in header.split(",") and rows
        assert any(str(first.uuid) in row for row in rows)
        with pytest.raises(NotFoundError) as missing:
            client.persons_retrieve(
                project_id="1", id="00000000-0000-0000-0000-000000000000"
            )
        assert missing.value.body.code == "not_found"
        with pytest.raises(BadRequestError) as bad:
            client.persons_retrieve(project_id="1", id="neither-a-number-nor-a-uuid")
        assert bad.value.status_code == 400 and bad.value.body.type
        with pytest.raises(AuthenticationError):
            client.with_options(api_key="phx_wrong").persons_list(project_id="1")
        with pytest.raises(PermissionDeniedError) as denied:
            client.with_options(api_key="phx_client_e2e_read").persons_destroy(
                project_id="1", id=first.id
            )
        assert "person:write" in (denied.value.body.detail or "")
        with pytest.warns(DeprecationWarning):
            assert client.environments_persons_list(environment_id="1", limit=1).results


def test_async_pagination_against_the_server(server: tuple[str, str]) -> None:
    url, key = server

    async def main() -> int:
        async with AsyncClient(base_url=url, api_key=key, max_retries=5) as client:
            only = [
                PropertyFilter(
                    key="email",
                    value="@example.com",
                    operator=PropertyFilterOperator.ICONTAINS,
                )
            ]
            count = 0
            async for _ in client.paginate(
                client.persons_list, project_id="1", properties=only, limit=1000
            ):
                count += 1
            return count

    assert asyncio.run(main()) > 0
