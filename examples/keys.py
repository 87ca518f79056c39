"""Personal API keys and their scopes, matched the way PostHog matches them.

Keys are stored hashed (sha256); a key's scopes are `object:action` strings.
`*` grants every scope, `object:write` also grants `object:read`, and a key
with no scopes at all is a legacy key that may do everything.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import secrets
import sqlite3
from collections.abc import Iterable

from .db import Database

SCOPE_PATTERN = re.compile(r"^(\*|[a-z_]+:(read|write))$")

# Every scope a persons operation can ask for (posthog/scopes.py has many more).
ALL_SCOPES = ("person:read", "person:write", "cohort:read", "activity_log:read")


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True, slots=True)
class ApiKey:
    """The principal behind a personal API key."""

    key_hash: str
    label: str
    scopes: frozenset[str]
    teams: frozenset[int] | None = None  # None: every project

    def has_scope(self, scope: str) -> bool:
        if not self.scopes or "*" in self.scopes or scope in self.scopes:
            return True
        obj, _, action = scope.partition(":")
        return action == "read" and f"{obj}:write" in self.scopes

    def may_access(self, team_id: int) -> bool:
        return self.teams is None or team_id in self.teams


def parse_key_spec(spec: str) -> tuple[str, frozenset[str]]:
    """`KEY=SCOPE,SCOPE` (as given to `serve --api-key`) into the key and its scopes."""
    key, sep, scopes_text = spec.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"expected KEY=SCOPE,SCOPE, got {spec!r}")
    scopes = frozenset(s.strip() for s in scopes_text.split(",") if s.strip())
    bad = sorted(s for s in scopes if not SCOPE_PATTERN.match(s))
    if bad:
        raise ValueError(f"not a scope (object:read, object:write or *): {bad}")
    return key.strip(), scopes


def new_key() -> str:
    return "phx_" + secrets.token_urlsafe(30)


class KeyStore:
    """Keys held in the database and cached in memory; `authenticate` plugs into create_app."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._keys: dict[str, ApiKey] = {}
        for row in db.connection().execute("SELECT * FROM api_keys"):
            self._keys[row["key_hash"]] = _from_row(row)

    def add(
        self,
        key: str,
        scopes: Iterable[str],
        *,
        label: str = "",
        teams: Iterable[int] | None = None,
    ) -> ApiKey:
        api_key = ApiKey(
            key_hash(key),
            label or f"key {key[:8]}...",
            frozenset(scopes),
            None if teams is None else frozenset(teams),
        )
        with self._db.transaction(write=True) as tx:
            tx.execute(
                "INSERT OR REPLACE INTO api_keys (key_hash, label, scopes, teams)"
                " VALUES (?, ?, ?, ?)",
                (
                    api_key.key_hash,
                    api_key.label,
                    json.dumps(sorted(api_key.scopes)),
                    (
                        None
                        if api_key.teams is None
                        else json.dumps(sorted(api_key.teams))
                    ),
                ),
            )
        self._keys[api_key.key_hash] = api_key
        return api_key

    def demo_key(self) -> str:
        """The demo key with every scope, created on first use and kept in the database."""
        row = (
            self._db.connection()
            .execute("SELECT value FROM meta WHERE key = 'demo_key'")
            .fetchone()
        )
        key = str(row["value"]) if row else new_key()
        if row is None:
            with self._db.transaction(write=True) as tx:
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('demo_key', ?)", (key,)
                )
        if key_hash(key) not in self._keys:
            self.add(key, ["*"], label="Demo key")
        return key

    def authenticate(self, scheme: str, credential: str) -> ApiKey | None:
        return self._keys.get(key_hash(credential))


def _from_row(row: sqlite3.Row) -> ApiKey:
    teams = None if row["teams"] is None else frozenset(json.loads(row["teams"]))
    return ApiKey(
        row["key_hash"], row["label"], frozenset(json.loads(row["scopes"])), teams
    )
