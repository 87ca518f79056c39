"""The persons API on SQLite: an implementation of the generated `Handler`.

One method per operation, serving both URL scopes (`ctx.scope.id` is the team
in both). Each request runs in one database transaction (`Database.run`);
validation replies come before any write, and an error reply rolls back.
Semantics follow PostHog's `posthog/api/person.py` (see the reference notes).
"""

from __future__ import annotations

import collections
import datetime
import json
import sqlite3
import uuid
from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar

from persons_server import Context
from persons_server.interface import (
    Accepted,
    BadRequest,
    Created,
    Forbidden,
    NotFound,
    Ok,
    PersonsActivityRetrieveParams,
    PersonsAllActivityRetrieveParams,
    PersonsBatchByDistinctIdsCreateParams,
    PersonsBatchByUuidsCreateParams,
    PersonsBulkDeleteCreateParams,
    PersonsCohortsRetrieveParams,
    PersonsDeleteEventsCreateParams,
    PersonsDeletePropertyCreateParams,
    PersonsDeleteRecordingsCreateParams,
    PersonsDeletionStatusListParams,
    PersonsDestroyParams,
    PersonsEmailsListParams,
    PersonsFunnelCorrelationCreateParams,
    PersonsFunnelCorrelationRetrieveParams,
    PersonsFunnelCreateParams,
    PersonsFunnelRetrieveParams,
    PersonsLifecycleRetrieveParams,
    PersonsListParams,
    PersonsPartialUpdateParams,
    PersonsPathCreateParams,
    PersonsPathRetrieveParams,
    PersonsPropertiesAtTimeRetrieveParams,
    PersonsPropertiesTimelineRetrieveParams,
    PersonsResetPersonDistinctIdCreateParams,
    PersonsRetentionRetrieveParams,
    PersonsRetrieveParams,
    PersonsSplitCreateParams,
    PersonsStickinessRetrieveParams,
    PersonsTrendsRetrieveParams,
    PersonsUpdateParams,
    PersonsUpdatePropertyCreateParams,
    PersonsValuesRetrieveParams,
    ServiceUnavailable,
    UnsupportedMediaType,
)
from persons_server.models import (
    ActivityDetail,
    ActivityLogEntry,
    ActivityLogPage,
    ActivityLogUser,
    ActorsPage,
    ActorsResponse,
    AsyncDeletionStatus,
    ErrorResponse,
    LegacyErrorMessage,
    LegacyInsightFilter,
    MessageAsset,
    PaginatedAsyncDeletionStatusList,
    PaginatedPersonList,
    PersonBatchByDistinctIdsRequest,
    PersonBatchByUuidsRequest,
    PersonBatchResponse,
    PersonBulkDeleteRequest,
    PersonBulkDeleteResponse,
    PersonCohort,
    PersonCohortsResponse,
    PersonDeletePropertyFailure,
    PersonDeletePropertyRequest,
    PersonPropertiesAtTimeResponse,
    PersonPropertyValue,
    PersonPropertyValuesResponse,
    PersonRecord,
    PersonResetDistinctIdRequest,
    PersonSplitRequest,
    PersonUpdatePropertyRequest,
    PersonUpdateRequest,
    PointInTimeMetadata,
    PropertiesAtTimeError,
    PropertiesTimelineResponse,
    RetentionActorsResponse,
    SuccessResponse,
)

from . import filters, persons
from .db import Database, is_busy, now, parse_timestamp, timestamp
from .keys import ApiKey
from .persons import Person

R = TypeVar("R")

# PostHog's limits: list pages are capped by the HogQL paginator, which also
# caps CSV exports (PostHog asks for CSV_EXPORT_LIMIT rows, the paginator gives
# at most MAX_LIST_LIMIT); batch lookups read 200 ids; values show the top 20.
MAX_LIST_LIMIT = 50_000
CSV_EXPORT_LIMIT = 300_000
BATCH_LIMIT = 200
VALUES_LIMIT = 20
MAX_OFFSET = 2**62
# How long a client should wait when the database was busy past its timeout.
BUSY_RETRY_AFTER = 1

# Error replies, in PostHog's words.
NOT_FOUND = "Not found."
PROJECT_NOT_FOUND = "Project not found."
NO_API_KEYS = "This action does not support Personal API Key access"

# Every operation may answer 503 when the database stays locked (`_run`).
Busy: TypeAlias = ServiceUnavailable[ErrorResponse]


def error(type_: str, code: str, detail: str, attr: str | None = None) -> ErrorResponse:
    return ErrorResponse(type=type_, code=code, detail=detail, attr=attr)


def invalid(detail: str, attr: str | None = None) -> BadRequest[ErrorResponse]:
    return BadRequest(error("validation_error", "invalid_input", detail, attr))


def not_found(detail: str = NOT_FOUND) -> NotFound[ErrorResponse]:
    return NotFound(error("invalid_request", "not_found", detail))


def forbidden(detail: str) -> Forbidden[ErrorResponse]:
    return Forbidden(error("authentication_error", "permission_denied", detail))


def busy() -> Busy:
    return ServiceUnavailable(
        error(
            "server_error",
            "service_unavailable",
            "The database is busy; try again shortly.",
        ),
        headers={"Retry-After": str(BUSY_RETRY_AFTER)},
    )


def _user(ctx: Context) -> dict[str, Any]:
    """Who made a change, as the activity log shows it: the key stands for its owner."""
    principal = ctx.principal
    label = principal.label if isinstance(principal, ApiKey) else "API"
    return {"first_name": label, "email": None}


def _page_url(ctx: Context, **params: int) -> str:
    return str(ctx.request.url.include_query_params(**params))


class PersonsHandler:
    """The generated `Handler` interface, implemented on one SQLite database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- plumbing ---------------------------------------------------------

    def _team(
        self, ctx: Context
    ) -> int | NotFound[ErrorResponse] | Forbidden[ErrorResponse]:
        """The team of the URL (project and environment ids are both team ids)."""
        principal = ctx.principal
        raw = ctx.scope.id if ctx.scope else "1"
        if raw == "@current":
            teams = principal.teams if isinstance(principal, ApiKey) else None
            raw = str(min(teams)) if teams else "1"
        try:
            team_id = int(raw)
        except ValueError:
            return not_found(PROJECT_NOT_FOUND)
        if isinstance(principal, ApiKey) and not principal.may_access(team_id):
            return forbidden(
                f"API key does not have access to the requested project: ID {team_id}."
            )
        return team_id

    async def _run(
        self,
        ctx: Context,
        fn: Callable[[sqlite3.Connection, int], R],
        *,
        write: bool = False,
    ) -> R | NotFound[ErrorResponse] | Forbidden[ErrorResponse] | Busy:
        """`fn(tx, team_id)` in one transaction, once the team is known to exist.

        A lock held elsewhere past the busy timeout answers 503 with
        `Retry-After`, as PostHog answers transient database errors.
        """
        team = self._team(ctx)
        if not isinstance(team, int):
            return team
        team_id = team

        def body(tx: sqlite3.Connection) -> R | NotFound[ErrorResponse]:
            if (
                not 0 <= team_id <= persons.MAX_SQLITE_INT
                or not tx.execute(
                    "SELECT 1 FROM teams WHERE id = ?", (team_id,)
                ).fetchone()
            ):
                return not_found(PROJECT_NOT_FOUND)
            return fn(tx, team_id)

        try:
            return await self.db.run(body, write=write)
        except sqlite3.OperationalError as problem:
            if is_busy(problem):
                return busy()
            raise

    async def _with_person(
        self,
        ctx: Context,
        key: int | uuid.UUID,
        fn: Callable[[sqlite3.Connection, Person], R],
        *,
        write: bool = False,
    ) -> (
        R
        | BadRequest[ErrorResponse]
        | NotFound[ErrorResponse]
        | Forbidden[ErrorResponse]
        | Busy
    ):
        # An id that is neither a number nor a UUID never gets here: the spec's
        # pattern answers it with 400 (PostHog checks it in code).
        def body(tx: sqlite3.Connection, team_id: int) -> R | NotFound[ErrorResponse]:
            found = persons.by_key(tx, team_id, key)
            if found is None:
                return not_found()
            return fn(tx, found)

        return await self._run(ctx, body, write=write)

    # --- list, retrieve ---------------------------------------------------

    async def persons_list(
        self, ctx: Context, params: PersonsListParams
    ) -> (
        Ok[PaginatedPersonList]
        | BadRequest[ErrorResponse]
        | Forbidden[ErrorResponse]
        | NotFound[ErrorResponse]
        | Busy
    ):
        props = params.properties or []
        try:
            filters.validate(props)
        except filters.FilterError as problem:
            return invalid(str(problem), "properties")
        query = ctx.request.query_params
        csv = params.format == "csv" or (
            "text/csv" in ctx.request.headers.get("accept", "")
            and "format" not in query
        )
        if csv:
            limit, offset = min(CSV_EXPORT_LIMIT, MAX_LIST_LIMIT), 0
        else:
            limit = params.limit if params.limit > 0 else 100
            limit = min(limit, MAX_LIST_LIMIT)
            offset = min(params.offset, MAX_OFFSET)
        include_total = "include_total" in query
        search = (params.search or "").strip()

        def body(tx: sqlite3.Connection, team_id: int) -> Ok[PaginatedPersonList]:
            where = ["p.team_id = ?"]
            args: list[Any] = [team_id]
            # PostHog filters on these only when they are non-empty.
            if params.distinct_id:
                where.append(
                    "p.id IN (SELECT person_id FROM distinct_ids"
                    " WHERE team_id = ? AND distinct_id = ?)"
                )
                args += [team_id, params.distinct_id]
            if params.email:
                where.append("json_extract(p.properties, '$.email') = ?")
                args.append(params.email)
            if search:
                # A case-insensitive substring of the email, the name, the UUID
                # or any distinct id (PostHog's actor search).
                where.append(
                    "(contains(json_extract(p.properties, '$.email'), ?)"
                    " OR contains(json_extract(p.properties, '$.name'), ?)"
                    " OR contains(p.uuid, ?)"
                    " OR EXISTS (SELECT 1 FROM distinct_ids d"
                    " WHERE d.person_id = p.id AND contains(d.distinct_id, ?)))"
                )
                args += [search] * 4
            for f in props:
                if f.type == "cohort":
                    cohort = f.value if f.value is not None else f.key
                    member = (
                        "EXISTS (SELECT 1 FROM cohort_people c"
                        " WHERE c.person_id = p.id AND CAST(c.cohort_id AS TEXT) = ?)"
                    )
                    negate = f.operator in ("is_not", "not_in")
                    where.append(f"NOT {member}" if negate else member)
                    args.append(filters._text(cohort))
            if filters.person_filters(props):
                where.append("person_matches(p.properties, ?)")
                args.append(filters.encode(props))
            tx.create_function(
                "person_matches", 2, filters.person_matches, deterministic=True
            )
            tx.create_function("contains", 2, filters.contains, deterministic=True)
            clause = " AND ".join(where)
            rows = tx.execute(
                f"SELECT p.* FROM persons p WHERE {clause}"
                " ORDER BY p.created_at DESC, p.id DESC LIMIT ? OFFSET ?",
                [*args, limit, offset],
            ).fetchall()
            found = persons.load(tx, rows)
            next_url = (
                _page_url(ctx, offset=offset + limit) if len(found) >= limit else None
            )
            previous_url: str | None = None
            if offset - limit >= 0:
                # PostHog's quirk: offset 0 is falsy, the URL comes back unchanged.
                previous_url = (
                    _page_url(ctx, offset=offset - limit)
                    if offset - limit
                    else str(ctx.request.url)
                )
            page = PaginatedPersonList(
                results=[p.list_item() for p in found],
                next=next_url,
                previous=previous_url,
            )
            if include_total:
                page.count = int(
                    tx.execute(
                        f"SELECT COUNT(*) FROM persons p WHERE {clause}", args
                    ).fetchone()[0]
                )
            return Ok(page)

        return await self._run(ctx, body)

    async def persons_retrieve(
        self, ctx: Context, params: PersonsRetrieveParams
    ) -> (
        Ok[PersonRecord]
        | BadRequest[ErrorResponse]
        | Forbidden[ErrorResponse]
        | NotFound[ErrorResponse]
        | Busy
    ):
        return await self._with_person(ctx, params.id, lambda tx, p: Ok(p.record()))

    # --- property changes -------------------------------------------------

    async def _set(
        self, ctx: Context, key: int | uuid.UUID, values: dict[str, Any]
    ) -> (
        Accepted[None]
        | BadRequest[ErrorResponse]
        | Forbidden[ErrorResponse]
        | NotFound[ErrorResponse]
        | Busy
    ):
        user = _user(ctx)

        def body(tx: sqlite3.Connection, person: Person) -> Accepted[None]:
            persons.set_properties(tx, person, values, user)
            return Accepted(None)

        return await self._with_person(ctx, key, body, write=True)

    async def persons_update(
        self, ctx: Context, params: PersonsUpdateParams, body: PersonUpdateRequest
    ) -> (
        Accepted[None]
        | BadRequest[ErrorResponse]
        | Forbidden[ErrorResponse]
        | NotFound[ErrorResponse]
        | UnsupportedMediaType[ErrorResponse]
        | Busy
    ):
        return await self._set(ctx, params.id, body.properties)

    async def persons_partial_update(
        self,
        ctx: Context,
        params: PersonsPartialUpdateParams,
        body: PersonUpdateRequest,
    ) -> (
        Accepted[None]
        | BadRequest[ErrorResponse]
        | Forbidden[ErrorResponse]
        | NotFound[ErrorResponse]
        | Busy
    ):
        return await self._set(ctx, params.id, body.properties)

    async def persons_update_property_create(
        self,
        ctx: Context,
        params: PersonsUpdatePropertyCreateParams,
        body: PersonUpdatePropertyRequest,
    ) -> (
        Accepted[None]
        | BadRequest[ErrorResponse]
        | Forbidden[ErrorResponse]
        | NotFound[ErrorResponse]
        | Busy
    ):
        return await self._set(ctx, params.id, {body.key: body.value})

    async def persons_delete_property_create(
        self,
        ctx: Context,
        params: PersonsDeletePropertyCreateParams,
        body: PersonDeletePropertyRequest,
    ) -> (
        Created[SuccessResponse]
        | BadRequest[ErrorResponse | PersonDeletePropertyFailure]
        | Forbidden[ErrorResponse]
        | NotFound[ErrorResponse]
        | Busy
    ):
        user = _user(ctx)

        keys = [body.unset] if isinstance(body.unset, str) else body.unset

        def run(tx: sqlite3.Connection, person: Person) -> Created[SuccessResponse]:
            persons.unset_properties(tx, person, keys, user)
            return Created(SuccessResponse(success=True))

        return await self._with_person(ctx, params.id, run, write=True)

    # --- deletion ---------------------------------------------------------

    async def persons_destroy(
        self, ctx: Context, params: PersonsDestroyParams
    ) -> (
        Accepted[None]
        | BadRequest[ErrorResponse]
        | Forbidden[ErrorResponse]
        | NotFound[ErrorResponse]
        | Busy
    ):
        # The flags are presence-based: `?delete_events=false` still deletes events.
        query = ctx.request.query_params
        delete_events = "delete_events" in query
        keep_person = "keep_person" in query
        user = _user(ctx)

        def body(tx: sqlite3.Connection, person: Person) -> Accepted[None]:
            persons.delete(
                tx, person, user, keep_person=keep_person, delete_events=delete_events
            )
            return Accepted(None)

        return await self._with_person(ctx, params.id, body, write=True)

    async def persons_delete_events_create(
        self, ctx: Context, params: PersonsDeleteEventsCreateParams
    ) -> (
        Accepted[None]
        | BadRequest[ErrorResponse]
        | Forbidden[ErrorResponse]
        | NotFound[ErrorResponse]
        | Busy
    ):
        def body(tx: sqlite3.Connection, person: Person) -> Accepted[None]:
            persons.queue_event_deletion(tx, person)
            return Accepted(None)

        return await self._with_person(ctx, params.id, body, write=True)

    async def persons_delete_recordings_create(
        self, ctx: Context, params: PersonsDeleteRecordingsCreateParams
    ) -> (
        Accepted[None]
        | BadRequest[ErrorResponse]
        | Forbidden[ErrorResponse]
        | NotFound[ErrorResponse]
        | Busy
    ):
        # This database holds no recordings: queueing their deletion is a no-op,
        # but the person must exist, as in PostHog.
        return await self._with_person(ctx, params.id, lambda tx, p: Accepted(None))

    async def persons_bulk_delete_create(
        self,
        ctx: Context,
        params: PersonsBulkDeleteCreateParams,
        body: PersonBulkDeleteRequest,
    ) -> (
        Accepted[PersonBulkDeleteResponse]
        | BadRequest[ErrorResponse]
        | Forbidden[ErrorResponse]
        | NotFound[ErrorResponse]
        | Busy
    ):
        ids, distinct_ids = body.ids or [], body.distinct_ids or []
        if ids and distinct_ids:
            return invalid("You must provide either distinct_ids or ids, not both")
        if not ids and not distinct_ids:
            return invalid("You need to specify either distinct_ids or ids")
        # PostHog reads the flags with bool(): the string "false" is true.
        delete_events = bool(body.delete_events)
        delete_recordings = bool(body.delete_recordings)
        keep_person = bool(body.keep_person)
        user = _user(ctx)

        def run(
            tx: sqlite3.Connection, team_id: int
        ) -> Accepted[PersonBulkDeleteResponse]:
            found: dict[int, Person] = {}
            for key in ids:
                # An id that is not a UUID matches no person.
                parsed = persons.parse_key(key)
                if not isinstance(parsed, uuid.UUID):
                    continue
                person = persons.by_uuid(tx, team_id, parsed)
                if person is not None:
                    found[person.id] = person
            for distinct_id in distinct_ids:
                person = persons.by_distinct_id(tx, team_id, distinct_id)
                if person is not None:
                    found[person.id] = person
            for person in found.values():
                persons.delete(
                    tx,
                    person,
                    user,
                    keep_person=keep_person,
                    delete_events=delete_events,
                )
            return Accepted(
                PersonBulkDeleteResponse(
                    persons_found=len(found),
                    persons_deleted=0 if keep_person else len(found),
                    events_queued_for_deletion=delete_events and bool(found),
                    recordings_queued_for_deletion=delete_recordings and bool(found),
                    deletion_errors=[],
                )
            )

        return await self._run(ctx, run, write=True)

    async def persons_deletion_status_list(
        self, ctx: Context, params: PersonsDeletionStatusListParams
    ) -> (
        Ok[PaginatedAsyncDeletionStatusList]
        | BadRequest[ErrorResponse]
        | Forbidden[ErrorResponse]
        | NotFound[ErrorResponse]
        | Busy
    ):
        limit = min(params.limit if params.limit > 0 else 100, MAX_LIST_LIMIT)
        offset = min(params.offset, MAX_OFFSET)

        def body(
            tx: sqlite3.Connection, team_id: int
        ) -> Ok[PaginatedAsyncDeletionStatusList]:
            where, args = ["team_id = ?"], [str(team_id)]
            if params.status == "pending":
                where.append("delete_verified_at IS NULL")
            elif params.status == "completed":
                where.append("delete_verified_at IS NOT NULL")
            if params.person_uuid is not None:
                where.append("person_uuid = ?")
                args.append(str(params.person_uuid))
            clause = " AND ".join(where)
            count = int(
                tx.execute(
                    f"SELECT COUNT(*) FROM async_deletions WHERE {clause}", args
                ).fetchone()[0]
            )
            rows = tx.execute(
                f"SELECT * FROM async_deletions WHERE {clause}"
                " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                [*args, limit, offset],
            ).fetchall()
            results = [
                AsyncDeletionStatus(
                    person_uuid=uuid.UUID(row["person_uuid"]),
                    created_at=parse_timestamp(row["created_at"]),
                    status="completed" if row["delete_verified_at"] else "pending",
                    delete_verified_at=(
                        parse_timestamp(row["delete_verified_at"])
                        if row["delete_verified_at"]
                        else None
                    ),
                )
                for row in rows
            ]
            # DRF's LimitOffsetPagination links.
            next_url = (
                _page_url(ctx, limit=limit, offset=offset + limit)
                if offset + limit < count
                else None
            )
            previous_url: str | None = None
            if offset > 0:
                previous_url = (
                    str(ctx.request.url.remove_query_params("offset"))
                    if offset - limit <= 0
                    else _page_url(ctx, limit=limit, offset=offset - limit)
                )
            return Ok(
                PaginatedAsyncDeletionStatusList(
                    count=count, next=next_url, previous=previous_url, results=results
                )
            )

        return await self._run(ctx, body)

    # --- split, reset -----------------------------------------------------

    async def persons_split_create(
        self,
        ctx: Context,
        params: PersonsSplitCreateParams,
        body: PersonSplitRequest | None,
    ) -> (
        Created[SuccessResponse]
        | BadRequest[ErrorResponse]
        | Forbidden[ErrorResponse]
        | NotFound[ErrorResponse]
        | Busy
    ):
        main = body.main_distinct_id if body else None
        to_split = body.distinct_ids_to_split if body else None
        # An empty `distinct_ids_to_split` never gets here: the spec's minItems.
        if to_split is not None and main is not None:
            return invalid(
                "main_distinct_id cannot be combined with distinct_ids_to_split"
            )
        user = _user(ctx)

        def run(
            tx: sqlite3.Connection, person: Person
        ) -> Created[SuccessResponse] | BadRequest[ErrorResponse]:
            if to_split is not None:
                unknown = sorted(set(to_split) - set(person.distinct_ids))
                if unknown:
                    return invalid(
                        f"not on this person: {unknown}", "distinct_ids_to_split"
                    )
                moving = list(dict.fromkeys(to_split))
            else:
                # By default the person's oldest distinct id stays. PostHog does
                # not check that main_distinct_id is the person's: if it is
                # not, every distinct id moves.
                by_age = persons.distinct_ids_by_age(tx, person)
                keep = main if main is not None else next(iter(by_age), None)
                moving = [d for d in by_age if d != keep]
            persons.split(tx, person, moving, to_split, user)
            return Created(SuccessResponse(success=True))

        return await self._with_person(ctx, params.id, run, write=True)

    async def persons_reset_person_distinct_id_create(
        self,
        ctx: Context,
        params: PersonsResetPersonDistinctIdCreateParams,
        body: PersonResetDistinctIdRequest,
    ) -> (
        Accepted[None]
        | BadRequest[ErrorResponse]
        | Forbidden[ErrorResponse]
        | NotFound[ErrorResponse]
        | Busy
    ):
        distinct_id = body.distinct_id

        def run(tx: sqlite3.Connection, team_id: int) -> Accepted[None]:
            row = tx.execute(
                "SELECT person_id FROM distinct_ids WHERE team_id = ? AND distinct_id = ?",
                (team_id, distinct_id),
            ).fetchone()
            if row is None:
                return Accepted(None)  # nobody uses it: nothing to reset
            if row["person_id"] is None:
                # Freed: the next person to use this distinct id is a new one.
                tx.execute(
                    "DELETE FROM distinct_ids WHERE team_id = ? AND distinct_id = ?",
                    (team_id, distinct_id),
                )
            else:
                tx.execute(
                    "UPDATE distinct_ids SET version = version + 100"
                    " WHERE team_id = ? AND distinct_id = ?",
                    (team_id, distinct_id),
                )
            return Accepted(None)

        return await self._run(ctx, run, write=True)

    # --- lookups ----------------------------------------------------------

    async def persons_batch_by_distinct_ids_create(
        self,
        ctx: Context,
        params: PersonsBatchByDistinctIdsCreateParams,
        body: PersonBatchByDistinctIdsRequest | None,
    ) -> (
        Ok[PersonBatchResponse]
        | Forbidden[ErrorResponse]
        | NotFound[ErrorResponse]
        | Busy
    ):
        wanted = list(
            dict.fromkeys((body.distinct_ids or [])[:BATCH_LIMIT] if body else [])
        )

        def run(tx: sqlite3.Connection, team_id: int) -> Ok[PersonBatchResponse]:
            results = {}
            for distinct_id in wanted:
                person = persons.by_distinct_id(tx, team_id, distinct_id)
                if person is not None:
                    results[distinct_id] = person.minimal()
            return Ok(PersonBatchResponse(results=results))

        return await self._run(ctx, run)

    async def persons_batch_by_uuids_create(
        self,
        ctx: Context,
        params: PersonsBatchByUuidsCreateParams,
        body: PersonBatchByUuidsRequest | None,
    ) -> (
        Ok[PersonBatchResponse]
        | Forbidden[ErrorResponse]
        | NotFound[ErrorResponse]
        | Busy
    ):
        wanted = list(dict.fromkeys((body.uuids or [])[:BATCH_LIMIT] if body else []))

        def run(tx: sqlite3.Connection, team_id: int) -> Ok[PersonBatchResponse]:
            results = {}
            for person_uuid in wanted:
                person = persons.by_uuid(tx, team_id, person_uuid)
                if person is not None:
                    results[str(person_uuid)] = person.minimal()
            return Ok(PersonBatchResponse(results=results))

        return await self._run(ctx, run)

    async def persons_values_retrieve(
        self, ctx: Context, params: PersonsValuesRetrieveParams
    ) -> (
        Ok[PersonPropertyValuesResponse]
        | Forbidden[ErrorResponse]
        | NotFound[ErrorResponse]
        | Busy
    ):
        # This server keeps no cache: every `refresh` mode calculates at once,
        # so `refreshing` is always false.
        key, needle = params.key, (params.value or "").lower()
        headers = {"Cache-Control": "max-age=10"}

        def run(
            tx: sqlite3.Connection, team_id: int
        ) -> Ok[PersonPropertyValuesResponse]:
            counts: collections.Counter[str] = collections.Counter()
            values: dict[str, Any] = {}
            if key and not key.startswith("$virt"):
                for row in tx.execute(
                    "SELECT properties FROM persons WHERE team_id = ?", (team_id,)
                ):
                    props = json.loads(row["properties"])
                    if props.get(key) is None:
                        continue
                    value = props[key]
                    # PostHog never counts '' (and '' contains no non-empty needle).
                    if value == "" or (
                        needle and needle not in filters._text(value).lower()
                    ):
                        continue
                    text = json.dumps(value, sort_keys=True)
                    counts[text] += 1
                    values[text] = value
            results = [
                PersonPropertyValue(name=values[text], count=count)
                for text, count in counts.most_common(VALUES_LIMIT)
            ]
            return Ok(
                PersonPropertyValuesResponse(results=results, refreshing=False),
                headers=headers,
            )

        return await self._run(ctx, run)

    async def persons_cohorts_retrieve(
        self, ctx: Context, params: PersonsCohortsRetrieveParams
    ) -> (
        Ok[PersonCohortsResponse]
        | BadRequest[LegacyErrorMessage | ErrorResponse]
        | Forbidden[ErrorResponse]
        | NotFound[ErrorResponse]
        | Busy
    ):
        def run(
            tx: sqlite3.Connection, team_id: int
        ) -> Ok[PersonCohortsResponse] | NotFound[ErrorResponse]:
            person = persons.by_key(tx, team_id, params.person_id)
            if person is None:
                return not_found()
            rows = tx.execute(
                "SELECT c.id, c.name, (SELECT COUNT(*) FROM cohort_people m"
                " WHERE m.cohort_id = c.id) AS count"
                " FROM cohorts c JOIN cohort_people cp ON cp.cohort_id = c.id"
                " WHERE cp.person_id = ? AND c.deleted = 0 ORDER BY c.id",
                (person.id,),
            ).fetchall()
            return Ok(
                PersonCohortsResponse(
                    results=[
                        PersonCohort(id=row["id"], name=row["name"], count=row["count"])
                        for row in rows
                    ]
                )
            )

        return await self._run(ctx, run)

    # --- activity ---------------------------------------------------------

    def _activity(
        self,
        ctx: Context,
        tx: sqlite3.Connection,
        team_id: int,
        person_id: int | None,
        limit: int,
        page: int,
    ) -> Ok[ActivityLogPage]:
        limit = min(limit if limit > 0 else 10, 1000)
        page = min(page, MAX_OFFSET // limit)
        where, args = "team_id = ?", [team_id]
        if person_id is not None:
            where += " AND person_id = ?"
            args.append(person_id)
        total = int(
            tx.execute(
                f"SELECT COUNT(*) FROM activity_log WHERE {where}", args
            ).fetchone()[0]
        )
        rows = tx.execute(
            f"SELECT * FROM activity_log WHERE {where} ORDER BY seq DESC LIMIT ? OFFSET ?",
            [*args, limit, (page - 1) * limit],
        ).fetchall()
        results = []
        for row in rows:
            detail = json.loads(row["detail"])
            user = json.loads(row["user"])
            results.append(
                ActivityLogEntry(
                    id=uuid.UUID(row["uuid"]),
                    user=ActivityLogUser(**user),
                    activity=row["activity"],
                    scope="Person",
                    item_id=str(row["person_id"]),
                    detail=ActivityDetail.model_validate(detail),
                    created_at=parse_timestamp(row["created_at"]),
                )
            )
        # PostHog's links always carry `limit` as well as `page`.
        return Ok(
            ActivityLogPage(
                results=results,
                next=(
                    _page_url(ctx, page=page + 1, limit=limit)
                    if page * limit < total
                    else None
                ),
                previous=(
                    _page_url(ctx, page=page - 1, limit=limit) if page > 1 else None
                ),
                total_count=total,
            )
        )

    async def persons_activity_retrieve(
        self, ctx: Context, params: PersonsActivityRetrieveParams
    ) -> (
        Ok[ActivityLogPage]
        | BadRequest[ErrorResponse]
        | Forbidden[ErrorResponse]
        | NotFound[ErrorResponse]
        | Busy
    ):
        return await self._with_person(
            ctx,
            params.id,
            lambda tx, person: self._activity(
                ctx, tx, person.team_id, person.id, params.limit, params.page
            ),
        )

    async def persons_all_activity_retrieve(
        self, ctx: Context, params: PersonsAllActivityRetrieveParams
    ) -> (
        Ok[ActivityLogPage] | Forbidden[ErrorResponse] | NotFound[ErrorResponse] | Busy
    ):
        return await self._run(
            ctx,
            lambda tx, team_id: self._activity(
                ctx, tx, team_id, None, params.limit, params.page
            ),
        )

    # --- emails ------------------------------------------------------------

    async def persons_emails_list(
        self, ctx: Context, params: PersonsEmailsListParams
    ) -> (
        Ok[list[MessageAsset]]
        | BadRequest[ErrorResponse]
        | Forbidden[ErrorResponse]
        | NotFound[ErrorResponse]
        | Busy
    ):
        # PostHog finds the person first, then answers 404 while the
        # workflow-email feature is off; this server has no workflows.
        def run(tx: sqlite3.Connection, person: Person) -> NotFound[ErrorResponse]:
            return not_found()

        return await self._with_person(ctx, params.id, run)

    # --- properties at a point in time ------------------------------------

    async def persons_properties_at_time_retrieve(
        self, ctx: Context, params: PersonsPropertiesAtTimeRetrieveParams
    ) -> (
        Ok[PersonPropertiesAtTimeResponse]
        | BadRequest[PropertiesAtTimeError | ErrorResponse]
        | Forbidden[ErrorResponse]
        | NotFound[PropertiesAtTimeError | ErrorResponse]
        | Busy
    ):
        # PostHog tests the two for truth: an empty value is not given.
        distinct_id, person_id = params.distinct_id or None, params.person_id
        if distinct_id is not None and person_id is not None:
            return BadRequest(
                PropertiesAtTimeError(
                    error="Cannot provide both distinct_id and person_id - choose one"
                )
            )
        if distinct_id is None and person_id is None:
            return BadRequest(
                PropertiesAtTimeError(
                    error="Must provide either distinct_id or person_id parameter"
                )
            )
        when = _point_in_time(params.timestamp)
        if when is None:
            return BadRequest(
                PropertiesAtTimeError(
                    error="Invalid timestamp format. Use ISO format like 2023-06-15T14:30:00Z"
                )
            )
        # Only the string `true` enables it, whatever else parses as a boolean.
        set_once = (
            ctx.request.query_params.get("include_set_once", "").lower() == "true"
        )

        until = _stored_time(when)

        def run(
            tx: sqlite3.Connection, team_id: int
        ) -> Ok[PersonPropertiesAtTimeResponse] | NotFound[PropertiesAtTimeError]:
            if distinct_id is not None:
                person = persons.by_distinct_id(tx, team_id, distinct_id)
                label = f"distinct_id '{distinct_id}'"
            else:
                assert person_id is not None
                person = persons.by_uuid(tx, team_id, person_id)
                label = f"person_id '{person_id}'"
            if person is None:
                return NotFound(
                    PropertiesAtTimeError(error=f"Person with {label} not found")
                )
            # PostHog replays `$set` and `$set_once` only: `$unset` is not undone.
            state: dict[str, Any] = {}
            for row in tx.execute(
                "SELECT operation, payload FROM property_events"
                " WHERE person_id = ? AND timestamp <= ? ORDER BY timestamp, id",
                (person.id, until),
            ):
                payload = json.loads(row["payload"])
                if row["operation"] == "$set":
                    state.update(payload)
                elif row["operation"] == "$set_once" and set_once:
                    for key, value in payload.items():
                        state.setdefault(key, value)
            return Ok(
                PersonPropertiesAtTimeResponse(
                    id=person.id,
                    name=person.name,
                    distinct_ids=person.distinct_ids,
                    properties=state,
                    created_at=person.created_at,
                    uuid=person.uuid,
                    last_seen_at=person.last_seen_at,
                    point_in_time_metadata=PointInTimeMetadata(
                        queried_timestamp=when.isoformat(),
                        include_set_once=set_once,
                        distinct_id_used=distinct_id,
                        person_id_used=str(person_id) if person_id else None,
                        query_mode=(
                            "distinct_id" if distinct_id is not None else "person_id"
                        ),
                        distinct_ids_queried=person.distinct_ids,
                        distinct_ids_count=len(person.distinct_ids),
                    ),
                )
            )

        return await self._run(ctx, run)

    # --- legacy insight endpoints: refused to API keys ----------------------

    async def persons_properties_timeline_retrieve(
        self, ctx: Context, params: PersonsPropertiesTimelineRetrieveParams
    ) -> Ok[PropertiesTimelineResponse] | Forbidden[ErrorResponse]:
        return forbidden(NO_API_KEYS)

    async def persons_funnel_retrieve(
        self, ctx: Context, params: PersonsFunnelRetrieveParams
    ) -> Ok[ActorsResponse] | Forbidden[ErrorResponse]:
        return forbidden(NO_API_KEYS)

    async def persons_funnel_create(
        self,
        ctx: Context,
        params: PersonsFunnelCreateParams,
        body: LegacyInsightFilter | None,
    ) -> Ok[ActorsResponse] | Forbidden[ErrorResponse]:
        return forbidden(NO_API_KEYS)

    async def persons_funnel_correlation_retrieve(
        self, ctx: Context, params: PersonsFunnelCorrelationRetrieveParams
    ) -> Ok[ActorsResponse] | Forbidden[ErrorResponse]:
        return forbidden(NO_API_KEYS)

    async def persons_funnel_correlation_create(
        self,
        ctx: Context,
        params: PersonsFunnelCorrelationCreateParams,
        body: LegacyInsightFilter | None,
    ) -> Ok[ActorsResponse] | Forbidden[ErrorResponse]:
        return forbidden(NO_API_KEYS)

    async def persons_path_retrieve(
        self, ctx: Context, params: PersonsPathRetrieveParams
    ) -> Ok[ActorsResponse] | Forbidden[ErrorResponse]:
        return forbidden(NO_API_KEYS)

    async def persons_path_create(
        self,
        ctx: Context,
        params: PersonsPathCreateParams,
        body: LegacyInsightFilter | None,
    ) -> Ok[ActorsResponse] | Forbidden[ErrorResponse]:
        return forbidden(NO_API_KEYS)

    async def persons_trends_retrieve(
        self, ctx: Context, params: PersonsTrendsRetrieveParams
    ) -> Ok[ActorsResponse] | Forbidden[ErrorResponse]:
        return forbidden(NO_API_KEYS)

    async def persons_lifecycle_retrieve(
        self, ctx: Context, params: PersonsLifecycleRetrieveParams
    ) -> Ok[ActorsPage] | Forbidden[ErrorResponse]:
        return forbidden(NO_API_KEYS)

    async def persons_stickiness_retrieve(
        self, ctx: Context, params: PersonsStickinessRetrieveParams
    ) -> Ok[ActorsPage] | Forbidden[ErrorResponse]:
        return forbidden(NO_API_KEYS)

    async def persons_retention_retrieve(
        self, ctx: Context, params: PersonsRetentionRetrieveParams
    ) -> Ok[RetentionActorsResponse] | Forbidden[ErrorResponse]:
        return forbidden(NO_API_KEYS)


def _point_in_time(text: str) -> datetime.datetime | None:
    """PostHog's parsing: `Z` is UTC, an explicit offset is kept, naive is UTC."""
    try:
        if text.endswith("Z"):
            return datetime.datetime.fromisoformat(text[:-1]).replace(
                tzinfo=datetime.UTC
            )
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def _stored_time(when: datetime.datetime) -> str:
    """`when` as stored times compare, also where UTC falls outside datetime's range."""
    try:
        return timestamp(when)
    except OverflowError:  # year 1 or 9999 moved past the edge by its offset
        edge = datetime.datetime.min if when.year == 1 else datetime.datetime.max
        return timestamp(edge.replace(tzinfo=datetime.UTC))


def run_deletion_job(db: Database) -> int:
    """The batch job that deletes queued events: marks pending deletions completed.

    PostHog runs it weekly; this database holds no events, so there is nothing
    else to do. Returns how many deletions were completed.
    """
    with db.transaction(write=True) as tx:
        cursor = tx.execute(
            "UPDATE async_deletions SET delete_verified_at = ?"
            " WHERE delete_verified_at IS NULL",
            (timestamp(now()),),
        )
        return int(cursor.rowcount)
