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


def start_service(path: Path, rate_limits: RateLimits | None = None) -> Service:
    service = build(path, rate_limits=rate_limits or RateLimits(enabled=False))
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
    person_uuid = str(uuid.uuid4())
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
