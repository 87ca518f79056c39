"""Wiring: database, key store, rate limiter and handler into the generated app."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from persons_server import create_app
from starlette import routing

from .db import Database
from .handler import PersonsHandler
from .keys import KeyStore
from .ratelimit import RateLimiter, RateLimits


@dataclasses.dataclass(frozen=True, slots=True)
class Service:
    db: Database
    keys: KeyStore
    handler: PersonsHandler
    limiter: RateLimiter
    app: FastAPI


def build(
    db_path: str | Path,
    *,
    rate_limits: RateLimits | None = None,
    busy_timeout: float = 30.0,
) -> Service:
    """The persons API on the SQLite file `db_path` (created if missing).

    Raises `db.DatabaseUnavailable` when the file cannot be served.
    """
    db = Database(db_path, busy_timeout=busy_timeout)
    keys = KeyStore(db)
    handler = PersonsHandler(db)
    limiter = RateLimiter(rate_limits or RateLimits())
    app = create_app(handler, authenticate=keys.authenticate, rate_limit=limiter)
    _concrete_paths_first(app)
    return Service(db, keys, handler, limiter, app)


def _concrete_paths_first(app: FastAPI) -> None:
    """Match a concrete path segment before a templated one, as OpenAPI and PostHog do.

    `PUT /persons/values/` must answer 405 (`values` has GET only), not reach
    `PUT /persons/{id}/` with `id` "values". Starlette prefers any full match
    to a method mismatch, so a route here declines a request that a more
    concrete route (a literal where it has a parameter) matches. A stopgap:
    the generated runtime should do this itself; remove it once it does.
    """
    routes = [r for r in app.router.routes if isinstance(r, routing.Route)]
    for route in routes:
        shadows = [other for other in routes if _more_concrete(other.path, route.path)]
        if shadows:
            route.matches = _declining(route.matches, shadows)  # type: ignore[assignment]


def _more_concrete(path: str, than: str) -> bool:
    """Whether `path` has a literal segment where `than` has a parameter, and
    agrees with it elsewhere."""
    ours, theirs = path.split("/"), than.split("/")
    if len(ours) != len(theirs):
        return False
    literal_for_param = False
    for mine, other in zip(ours, theirs, strict=True):
        if mine == other:
            continue
        if other.startswith("{") and not mine.startswith("{"):
            literal_for_param = True
            continue
        return False
    return literal_for_param


def _declining(
    matches: Callable[[Any], tuple[routing.Match, Any]], shadows: list[routing.Route]
) -> Callable[[Any], tuple[routing.Match, Any]]:
    def matches_unless_shadowed(scope: Any) -> tuple[routing.Match, Any]:
        if any(r.matches(scope)[0] is not routing.Match.NONE for r in shadows):
            return routing.Match.NONE, {}
        return matches(scope)

    return matches_unless_shadowed
