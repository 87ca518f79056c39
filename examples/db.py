"""SQLite storage: schema, per-thread connections, one transaction per request.

Handlers run their whole request in `Database.run`, on a worker thread, inside
a single transaction: writes take the write lock up front (`BEGIN IMMEDIATE`),
so read-modify-write cycles such as merging properties never lose an update,
and any exception or error reply rolls the whole request back.
"""

from __future__ import annotations

import asyncio
import datetime
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from persons_server import Reply

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS persons (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id INTEGER NOT NULL REFERENCES teams(id),
    uuid TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_seen_at TEXT,
    is_identified INTEGER NOT NULL DEFAULT 0,
    properties TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS persons_by_team
    ON persons(team_id, created_at DESC, id DESC);
-- A deleted person's distinct ids stay (person_id NULL) until they are reset.
CREATE TABLE IF NOT EXISTS distinct_ids (
    team_id INTEGER NOT NULL,
    distinct_id TEXT NOT NULL,
    person_id INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    position INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, distinct_id)
);
CREATE INDEX IF NOT EXISTS distinct_ids_by_person ON distinct_ids(person_id);
-- Every $set / $set_once / $unset applied to a person: properties_at_time replays them.
CREATE TABLE IF NOT EXISTS property_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    timestamp TEXT NOT NULL,
    operation TEXT NOT NULL CHECK (operation IN ('$set', '$set_once', '$unset')),
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS property_events_by_person
    ON property_events(person_id, timestamp, id);
CREATE TABLE IF NOT EXISTS activity_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    team_id INTEGER NOT NULL,
    person_id INTEGER NOT NULL,
    activity TEXT NOT NULL,
    detail TEXT NOT NULL,
    user TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS activity_by_person ON activity_log(team_id, person_id, seq);
CREATE TABLE IF NOT EXISTS async_deletions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id INTEGER NOT NULL,
    person_uuid TEXT NOT NULL,
    created_at TEXT NOT NULL,
    delete_verified_at TEXT,
    UNIQUE (team_id, person_uuid)
);
CREATE TABLE IF NOT EXISTS cohorts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id INTEGER NOT NULL REFERENCES teams(id),
    name TEXT,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS cohort_people (
    cohort_id INTEGER NOT NULL REFERENCES cohorts(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    PRIMARY KEY (cohort_id, person_id)
);
CREATE TABLE IF NOT EXISTS api_keys (
    key_hash TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    scopes TEXT NOT NULL,
    teams TEXT
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def timestamp(value: datetime.datetime) -> str:
    """Stored form of a time: UTC, fixed width, so text order is time order."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def parse_timestamp(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


class DatabaseUnavailable(Exception):
    """The database file cannot be served: its path and what is wrong, in one line."""

    def __init__(self, path: str, problem: sqlite3.Error) -> None:
        super().__init__(f"cannot open the database {path}: {_reason(path, problem)}")


def _reason(path: str, problem: sqlite3.Error) -> str:
    name = getattr(problem, "sqlite_errorname", "")
    where = Path(path)
    if name.startswith("SQLITE_READONLY"):
        return "it is read-only"
    if name == "SQLITE_NOTADB":
        return "the file is not an SQLite database"
    if name.startswith("SQLITE_CANTOPEN"):
        if where.is_dir():
            return "it is a folder"
        if not where.parent.is_dir():
            return f"the folder {where.parent} does not exist"
        return "the file cannot be opened or created there (check permissions)"
    return str(problem)


def is_busy(error: sqlite3.Error) -> bool:
    """A lock another connection held for longer than the busy timeout: transient."""
    return getattr(error, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED")


class Database:
    """One SQLite file in WAL mode; a connection per worker thread.

    A connection waits up to `busy_timeout` seconds for another one's lock
    before the request fails as busy (see `is_busy`).
    """

    def __init__(self, path: str | Path, *, busy_timeout: float = 30.0) -> None:
        self.path = str(path)
        self.busy_timeout = busy_timeout
        if self.path == ":memory:" or self.path.startswith("file::memory:"):
            raise ValueError("an in-memory database cannot be shared by threads")
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            connection = self.connection()
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(SCHEMA)
            with self.transaction(write=True) as tx:
                tx.execute(
                    "INSERT OR IGNORE INTO teams (id, name) VALUES (1, 'Default')"
                )
                # Always a write, so that a read-only database fails here and
                # not on the first request that changes something.
                tx.execute("UPDATE teams SET name = name WHERE id = 1")
        except sqlite3.Error as problem:
            self.close()
            raise DatabaseUnavailable(self.path, problem) from None

    def connection(self) -> sqlite3.Connection:
        found: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if found is None:
            found = sqlite3.connect(
                self.path,
                timeout=self.busy_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
            found.row_factory = sqlite3.Row
            found.execute("PRAGMA foreign_keys=ON")
            found.execute("PRAGMA synchronous=NORMAL")
            self._local.connection = found
            with self._lock:
                self._connections.append(found)
        return found

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        connection = self.connection()
        connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def run_sync(self, fn: Callable[[sqlite3.Connection], T], *, write: bool) -> T:
        """`fn` in one transaction; an error reply rolls back like an exception."""
        connection = self.connection()
        connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            result = fn(connection)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        failed = isinstance(result, Reply) and type(result).status >= 400
        connection.execute("ROLLBACK" if failed else "COMMIT")
        return result

    async def run(self, fn: Callable[[sqlite3.Connection], T], *, write: bool) -> T:
        return await asyncio.to_thread(self.run_sync, fn, write=write)

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()
