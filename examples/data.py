"""Getting persons in: a JSON-lines import and a deterministic demo seed.

PostHog creates persons from ingested events, never through the persons API,
so the reference server needs another way in.

Import format, one JSON object per line (blank lines are skipped):

    {"distinct_ids": ["user@example.com", "0190..."],   # required, at least one
     "properties": {"email": "user@example.com"},        # optional
     "uuid": "...", "created_at": "2024-01-31T12:00:00Z",  # optional
     "last_seen_at": null, "is_identified": true, "team_id": 1}  # optional
"""

from __future__ import annotations

import datetime
import json
import random
import sqlite3
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import persons
from .db import Database, now


class ImportedPerson(BaseModel):
    model_config = ConfigDict(extra="forbid")

    distinct_ids: list[str] = Field(min_length=1)
    properties: dict[str, Any] = Field(default_factory=dict)
    uuid: UUID | None = None
    created_at: datetime.datetime | None = None
    last_seen_at: datetime.datetime | None = None
    is_identified: bool | None = None
    team_id: int = Field(default=1, ge=1, le=persons.MAX_SQLITE_INT)


class ImportFailed(ValueError):
    """A line that cannot be imported; nothing of the file was imported."""


def import_jsonl(db: Database, lines: Iterable[str], *, source: str = "<input>") -> int:
    """Import persons from JSON lines in one transaction; returns how many."""
    count = 0
    with db.transaction(write=True) as tx:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{source}:{number}"
            try:
                item = ImportedPerson.model_validate_json(line)
            except ValidationError as error:
                first = error.errors(include_url=False)[0]
                loc = ".".join(str(part) for part in first["loc"]) or "line"
                raise ImportFailed(f"{where}: {loc}: {first['msg']}") from None
            _import_one(tx, item, where)
            count += 1
    return count


def import_file(db: Database, path: str | Path) -> int:
    with open(path, encoding="utf-8") as lines:
        return import_jsonl(db, lines, source=str(path))


def _import_one(tx: sqlite3.Connection, item: ImportedPerson, where: str) -> None:
    tx.execute(
        "INSERT OR IGNORE INTO teams (id, name) VALUES (?, ?)",
        (item.team_id, f"Project {item.team_id}"),
    )
    ids = list(dict.fromkeys(item.distinct_ids))
    for distinct_id in ids:
        row = tx.execute(
            "SELECT person_id FROM distinct_ids WHERE team_id = ? AND distinct_id = ?",
            (item.team_id, distinct_id),
        ).fetchone()
        if row is not None:
            owner = "a deleted person (reset it first)"
            if row["person_id"] is not None:
                owner = f"person {row['person_id']}"
            raise ImportFailed(
                f"{where}: distinct id {distinct_id!r} already belongs to {owner}"
            )
    if (
        item.uuid is not None
        and tx.execute(
            "SELECT 1 FROM persons WHERE uuid = ?", (str(item.uuid),)
        ).fetchone()
    ):
        raise ImportFailed(f"{where}: a person with uuid {item.uuid} exists")
    identified = item.is_identified
    if identified is None:
        identified = any(not persons.is_anonymous_id(d) for d in ids)
    persons.create(
        tx,
        item.team_id,
        ids,
        item.properties,
        person_uuid=item.uuid,
        created_at=item.created_at,
        last_seen_at=item.last_seen_at,
        is_identified=identified,
    )


# --- demo seed ----------------------------------------------------------------

_FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken"]
_LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen"]
_PLANS = ["free", "startup", "scale", "enterprise"]
_COUNTRIES = ["US", "GB", "DE", "FR", "NL", "BR", "IN", "JP"]
_BROWSERS = ["Chrome", "Firefox", "Safari", "Edge"]


def is_empty(db: Database) -> bool:
    row = db.connection().execute("SELECT COUNT(*) FROM persons").fetchone()
    return int(row[0]) == 0


def seed(db: Database, count: int, *, team_id: int = 1, seed: int = 1) -> int:
    """`count` demo persons (and two cohorts) in team 1, the same for a given seed."""
    rng = random.Random(seed)
    start = now() - datetime.timedelta(days=90)
    lines = []
    for index in range(count):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        email = f"{first}.{last}{index}@example.com".lower()
        identified = rng.random() < 0.8
        anonymous = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        created = start + datetime.timedelta(minutes=rng.randrange(90 * 24 * 60))
        properties: dict[str, Any] = {
            "$browser": rng.choice(_BROWSERS),
            "$geoip_country_code": rng.choice(_COUNTRIES),
        }
        if identified:
            properties |= {
                "email": email,
                "name": f"{first} {last}",
                "plan": rng.choice(_PLANS),
                "logins": rng.randrange(1, 200),
            }
        lines.append(
            json.dumps(
                {
                    "distinct_ids": [email, anonymous] if identified else [anonymous],
                    "properties": properties,
                    "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "created_at": created.isoformat(),
                    "last_seen_at": (
                        created + datetime.timedelta(hours=rng.randrange(1, 500))
                    ).isoformat(),
                    "is_identified": identified,
                    "team_id": team_id,
                }
            )
        )
    imported = import_jsonl(db, lines, source="<seed>")
    with db.transaction(write=True) as tx:
        for name, plans in (
            ("Paying customers", _PLANS[1:]),
            ("Free users", _PLANS[:1]),
        ):
            cursor = tx.execute(
                "INSERT INTO cohorts (team_id, name) VALUES (?, ?)", (team_id, name)
            )
            marks = ",".join("?" * len(plans))
            tx.execute(
                "INSERT INTO cohort_people (cohort_id, person_id)"
                " SELECT ?, id FROM persons WHERE team_id = ?"
                f" AND json_extract(properties, '$.plan') IN ({marks})",
                (cursor.lastrowid, team_id, *plans),
            )
    return imported
