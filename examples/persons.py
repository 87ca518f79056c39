"""Persons in the database: loading, serializing, changing, deleting, splitting.

Plain functions over a connection already inside a transaction; `handler`
decides what to call and which reply to give. Property changes are applied at
once (PostHog queues them through ingestion) and every change is recorded in
`property_events` (for properties_at_time) and `activity_log`.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from persons_server.models import (
    MinimalPerson,
    PersonListItem,
    PersonRecord,
)

from .db import now, parse_timestamp, timestamp

# PostHog's namespace for the UUIDs it derives from distinct ids (uuidFromDistinctId).
SPLIT_NAMESPACE = uuid.UUID("932979b4-65c3-4424-8467-0b66ec27bc22")
DISPLAY_NAME_PROPERTIES = ("email", "name", "username")
MAX_SQLITE_INT = 2**63 - 1


@dataclasses.dataclass(slots=True)
class Person:
    id: int
    team_id: int
    uuid: uuid.UUID
    created_at: datetime.datetime
    last_seen_at: datetime.datetime | None
    is_identified: bool
    properties: dict[str, Any]
    distinct_ids: list[str]

    @property
    def name(self) -> str:
        """PostHog's display name: a display property, else the first distinct id
        (identified ones sort first, so an anonymous one only when none is), else
        the numeric id."""
        for key in DISPLAY_NAME_PROPERTIES:
            value = self.properties.get(key)
            if value:
                return str(value)
        return self.distinct_ids[0] if self.distinct_ids else str(self.id)

    def record(self) -> PersonRecord:
        return PersonRecord(
            id=self.id,
            name=self.name,
            distinct_ids=self.distinct_ids,
            properties=self.properties,
            created_at=self.created_at,
            uuid=self.uuid,
            last_seen_at=self.last_seen_at,
        )

    def minimal(self) -> MinimalPerson:
        return MinimalPerson(
            id=self.id,
            name=self.name,
            distinct_ids=self.distinct_ids[:10],
            properties=self.properties,
            created_at=self.created_at,
            uuid=self.uuid,
            last_seen_at=self.last_seen_at,
        )

    def list_item(self) -> PersonListItem:
        return PersonListItem(
            type="person",
            id=self.uuid,
            uuid=self.uuid,
            created_at=self.created_at,
            last_seen_at=self.last_seen_at,
            properties=self.properties,
            is_identified=self.is_identified,
            name=self.name,
            distinct_ids=self.distinct_ids[:1000],
            matched_recordings=[],
            value_at_data_point=None,
        )


def is_anonymous_id(distinct_id: str) -> bool:
    """PostHog's `is_anonymous_id`: UUID-looking ids are anonymous."""
    try:
        uuid.UUID(distinct_id)
    except ValueError:
        return False
    return True


def sort_distinct_ids(ids: Iterable[str]) -> list[str]:
    return sorted(ids, key=is_anonymous_id)


def load(tx: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> list[Person]:
    """Persons from `persons` rows, with their distinct ids, in the rows' order."""
    if not rows:
        return []
    ids = [int(row["id"]) for row in rows]
    by_person: dict[int, list[str]] = {i: [] for i in ids}
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        marks = ",".join("?" * len(part))
        for d in tx.execute(
            f"SELECT person_id, distinct_id FROM distinct_ids"
            f" WHERE person_id IN ({marks}) ORDER BY position",
            part,
        ):
            by_person[int(d["person_id"])].append(str(d["distinct_id"]))
    return [
        Person(
            id=int(row["id"]),
            team_id=int(row["team_id"]),
            uuid=uuid.UUID(row["uuid"]),
            created_at=parse_timestamp(row["created_at"]),
            last_seen_at=(
                parse_timestamp(row["last_seen_at"]) if row["last_seen_at"] else None
            ),
            is_identified=bool(row["is_identified"]),
            properties=json.loads(row["properties"]),
            distinct_ids=sort_distinct_ids(by_person[int(row["id"])]),
        )
        for row in rows
    ]


def parse_key(key: str) -> int | uuid.UUID | None:
    """A person key as PostHog reads it: a UUID, else an integer, else None."""
    try:
        return uuid.UUID(key)
    except ValueError:
        pass
    try:
        return int(key)
    except ValueError:
        return None


def by_key(
    tx: sqlite3.Connection, team_id: int, key: int | uuid.UUID | str
) -> Person | None:
    """A person by numeric ID or UUID (or either as text); None when unknown or
    `key` is neither."""
    parsed = parse_key(key) if isinstance(key, str) else key
    if isinstance(parsed, uuid.UUID):
        return by_uuid(tx, team_id, parsed)
    if parsed is None or not 0 <= parsed <= MAX_SQLITE_INT:
        return None
    rows = tx.execute(
        "SELECT * FROM persons WHERE team_id = ? AND id = ?", (team_id, parsed)
    ).fetchall()
    return next(iter(load(tx, rows)), None)


def by_uuid(
    tx: sqlite3.Connection, team_id: int, person_uuid: uuid.UUID
) -> Person | None:
    rows = tx.execute(
        "SELECT * FROM persons WHERE team_id = ? AND uuid = ?",
        (team_id, str(person_uuid)),
    ).fetchall()
    return next(iter(load(tx, rows)), None)


def by_distinct_id(
    tx: sqlite3.Connection, team_id: int, distinct_id: str
) -> Person | None:
    rows = tx.execute(
        "SELECT p.* FROM persons p JOIN distinct_ids d ON d.person_id = p.id"
        " WHERE d.team_id = ? AND d.distinct_id = ?",
        (team_id, distinct_id),
    ).fetchall()
    return next(iter(load(tx, rows)), None)


# --- changes --------------------------------------------------------------


def log_activity(
    tx: sqlite3.Connection,
    person: Person,
    activity: str,
    user: dict[str, Any],
    changes: list[dict[str, Any]] | None = None,
    *,
    name: str | None = None,
) -> None:
    """An activity log entry, with PostHog's detail: its changes and a name."""
    detail = {
        "changes": changes,
        "trigger": None,
        "type": None,
        "name": name,
        "short_id": None,
    }
    tx.execute(
        "INSERT INTO activity_log"
        " (uuid, team_id, person_id, activity, detail, user, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            str(uuid.uuid4()),
            person.team_id,
            person.id,
            activity,
            json.dumps(detail),
            json.dumps(user),
            timestamp(now()),
        ),
    )


def record_event(
    tx: sqlite3.Connection,
    person_id: int,
    operation: str,
    payload: Any,
    when: datetime.datetime | None = None,
) -> None:
    tx.execute(
        "INSERT INTO property_events (person_id, timestamp, operation, payload)"
        " VALUES (?, ?, ?, ?)",
        (person_id, timestamp(when or now()), operation, json.dumps(payload)),
    )


def _save_properties(tx: sqlite3.Connection, person: Person) -> None:
    tx.execute(
        "UPDATE persons SET properties = ? WHERE id = ?",
        (json.dumps(person.properties), person.id),
    )


def _change(action: str, field: str | None = None, after: Any = None) -> dict[str, Any]:
    """One change of an activity entry, as PostHog records it (no values before)."""
    return {
        "type": "Person",
        "action": action,
        "field": field,
        "before": None,
        "after": after,
    }


def set_properties(
    tx: sqlite3.Connection, person: Person, values: dict[str, Any], user: dict[str, Any]
) -> None:
    """`$set`: listed keys are set or overwritten, the others are left alone."""
    person.properties.update(values)
    _save_properties(tx, person)
    record_event(tx, person.id, "$set", values)
    log_activity(tx, person, "updated", user, [_change("changed", "properties")])


def unset_properties(
    tx: sqlite3.Connection, person: Person, keys: list[str], user: dict[str, Any]
) -> None:
    """`$unset`: the keys are removed."""
    for key in keys:
        person.properties.pop(key, None)
    _save_properties(tx, person)
    record_event(tx, person.id, "$unset", keys)
    log_activity(
        tx,
        person,
        "delete_property",
        user,
        [_change("changed")],
        name=str(person.uuid),
    )


def delete(
    tx: sqlite3.Connection,
    person: Person,
    user: dict[str, Any],
    *,
    keep_person: bool,
    delete_events: bool,
) -> None:
    """Delete a person's profile and/or queue deletion of its events."""
    if delete_events:
        queue_event_deletion(tx, person)
    if not keep_person:
        log_activity(tx, person, "deleted", user, name=str(person.uuid))
        tx.execute("DELETE FROM persons WHERE id = ?", (person.id,))


def queue_event_deletion(tx: sqlite3.Connection, person: Person) -> None:
    """Queue deletion of the person's events (PostHog's AsyncDeletion)."""
    tx.execute(
        "INSERT OR IGNORE INTO async_deletions (team_id, person_uuid, created_at)"
        " VALUES (?, ?, ?)",
        (person.team_id, str(person.uuid), timestamp(now())),
    )


def create(
    tx: sqlite3.Connection,
    team_id: int,
    distinct_ids: Sequence[str],
    properties: dict[str, Any],
    *,
    person_uuid: uuid.UUID | None = None,
    created_at: datetime.datetime | None = None,
    last_seen_at: datetime.datetime | None = None,
    is_identified: bool = False,
) -> int:
    """Insert a person (import, seed, split); distinct ids must be free."""
    created = created_at or now()
    cursor = tx.execute(
        "INSERT INTO persons"
        " (team_id, uuid, created_at, last_seen_at, is_identified, properties)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            team_id,
            str(person_uuid or uuid.uuid4()),
            timestamp(created),
            timestamp(last_seen_at) if last_seen_at else None,
            int(is_identified),
            json.dumps(properties),
        ),
    )
    person_id = int(cursor.lastrowid or 0)
    attach(tx, team_id, person_id, distinct_ids)
    if properties:
        record_event(tx, person_id, "$set", properties, created)
    return person_id


def attach(
    tx: sqlite3.Connection, team_id: int, person_id: int, distinct_ids: Iterable[str]
) -> None:
    """Point distinct ids at a person, after its existing ones."""
    row = tx.execute(
        "SELECT COALESCE(MAX(position), -1) AS last FROM distinct_ids"
        " WHERE person_id = ?",
        (person_id,),
    ).fetchone()
    position = int(row["last"]) + 1
    for distinct_id in distinct_ids:
        tx.execute(
            "INSERT INTO distinct_ids (team_id, distinct_id, person_id, position)"
            " VALUES (?, ?, ?, ?)"
            " ON CONFLICT (team_id, distinct_id)"
            " DO UPDATE SET person_id = excluded.person_id,"
            " position = excluded.position",
            (team_id, distinct_id, person_id, position),
        )
        position += 1


def distinct_ids_by_age(tx: sqlite3.Connection, person: Person) -> list[str]:
    """The person's distinct ids, oldest first (PostHog's `Person.distinct_ids`)."""
    return [
        str(row["distinct_id"])
        for row in tx.execute(
            "SELECT distinct_id FROM distinct_ids WHERE person_id = ? ORDER BY position",
            (person.id,),
        )
    ]


def split_uuid(team_id: int, distinct_id: str, source: uuid.UUID) -> uuid.UUID:
    """PostHog's `splitTargetUuid`: the UUID derived from (team, distinct id), or,
    when that is the UUID of the person split from, its `:split` variant."""
    derived = uuid.uuid5(SPLIT_NAMESPACE, f"{team_id}:{distinct_id}")
    if derived == source:
        return uuid.uuid5(SPLIT_NAMESPACE, f"{team_id}:{distinct_id}:split")
    return derived


def split(
    tx: sqlite3.Connection,
    person: Person,
    moving: list[str],
    requested: list[str] | None,
    user: dict[str, Any],
) -> None:
    """Move each of `moving` off `person` onto the person of its split UUID.

    That person is created unless it exists already (a person ingestion once
    made for the distinct id), in which case the distinct id joins it.
    """
    for distinct_id in moving:
        target = split_uuid(person.team_id, distinct_id, person.uuid)
        tx.execute(
            "DELETE FROM distinct_ids WHERE team_id = ? AND distinct_id = ?",
            (person.team_id, distinct_id),
        )
        existing = tx.execute(
            "SELECT id, team_id FROM persons WHERE uuid = ?", (str(target),)
        ).fetchone()
        if existing is not None and existing["team_id"] == person.team_id:
            attach(tx, person.team_id, int(existing["id"]), [distinct_id])
        else:
            # Taken in another project (only an import can do that): any new UUID.
            fresh = target if existing is None else uuid.uuid4()
            create(tx, person.team_id, [distinct_id], {}, person_uuid=fresh)
    after: dict[str, Any] = {"distinct_ids": person.distinct_ids}
    if requested is not None:
        after["distinct_ids_to_split"] = list(requested)
    log_activity(
        tx,
        person,
        "split_person",
        user,
        [_change("split", after=after)],
        name=str(person.uuid),
    )
