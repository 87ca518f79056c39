"""A live persons server on loopback (uvicorn in a thread) and clients for it."""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from persons_client import Client

from examples import data
from examples.app import Service, build
from examples.ratelimit import RateLimits

FULL_KEY = "phx_test_full"
KEYS = {
    FULL_KEY: ["*"],
    "phx_test_read": ["person:read"],
    "phx_test_write": ["person:write"],
    "phx_test_nothing": ["feature_flag:read"],
}
_teams = itertools.count(100)


@dataclass
class Live:
    service: Service
    base_url: str


class LiveServer:
    """uvicorn serving `app` on an ephemeral loopback port, in a daemon thread."""

    def __init__(self, app: Any) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def start_service(
    path: Path, rate_limits: RateLimits | None = None, *, busy_timeout: float = 30.0
) -> Service:
    service = build(
        path,
        rate_limits=rate_limits or RateLimits(enabled=False),
        busy_timeout=busy_timeout,
    )
    for key, scopes in KEYS.items():
        service.keys.add(key, scopes, label=key)
    return service


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    service = start_service(tmp_path_factory.mktemp("live") / "persons.db")
    data.seed(service.db, 30)
    with LiveServer(service.app) as server:
        yield Live(service, f"http://127.0.0.1:{server.port}")
    service.db.close()


def new_team(service: Service) -> int:
    """A fresh, empty project: tests that list or count use their own."""
    team = next(_teams)
    with service.db.transaction(write=True) as tx:
        tx.execute("INSERT INTO teams (id, name) VALUES (?, ?)", (team, f"t{team}"))
    return team


def add_person(
    service: Service,
    team: int,
    distinct_ids: list[str] | None = None,
    properties: dict[str, Any] | None = None,
    **extra: Any,
) -> tuple[int, uuid.UUID]:
    """Import one person; returns its numeric id and UUID."""
    person_uuid = str(extra.pop("uuid", None) or uuid.uuid4())
    line = {
        "team_id": team,
        "uuid": person_uuid,
        "distinct_ids": distinct_ids or [f"user-{uuid.uuid4().hex[:12]}"],
        "properties": properties or {},
        **extra,
    }
    data.import_jsonl(service.db, [json.dumps(line)])
    row = (
        service.db.connection()
        .execute("SELECT id FROM persons WHERE uuid = ?", (person_uuid,))
        .fetchone()
    )
    return int(row["id"]), uuid.UUID(person_uuid)


# --- the client, in one URL scope or the other -------------------------------

SCOPES = ["project", "environment"]
# Deprecated in the project scope too; every environment operation is deprecated.
DEPRECATED = {"persons_delete_events_create", "persons_delete_recordings_create"}


class Api:
    """Calls an operation in one URL scope: `api("persons_list", limit=1)`."""

    def __init__(self, client: Client, scope: str, team: int) -> None:
        self.client, self.scope, self.team = client, scope, team

    def _method(self, op: str) -> tuple[Any, dict[str, str]]:
        if self.scope == "project":
            return getattr(self.client, op), {"project_id": str(self.team)}
        return getattr(self.client, f"environments_{op}"), {
            "environment_id": str(self.team)
        }

    def __call__(self, op: str, **kwargs: Any) -> Any:
        method, where = self._method(op)
        if self.scope == "project" and op not in DEPRECATED:
            return method(**where, **kwargs)
        with pytest.deprecated_call():
            return method(**where, **kwargs)

    def raw(self, op: str, **kwargs: Any) -> Any:
        method, where = self._method(op)
        if self.scope == "project" and op not in DEPRECATED:
            return self.client.raw(method, **where, **kwargs)
        with pytest.deprecated_call():
            return self.client.raw(method, **where, **kwargs)


@pytest.fixture
def client(live: Live) -> Iterator[Client]:
    with Client(base_url=live.base_url, api_key=FULL_KEY, max_retries=0) as c:
        yield c


@pytest.fixture(params=SCOPES)
def api(request: pytest.FixtureRequest, live: Live, client: Client) -> Api:
    return Api(client, request.param, new_team(live.service))
