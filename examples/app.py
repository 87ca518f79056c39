"""Wiring: database, key store, rate limiter and handler into the generated app."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from fastapi import FastAPI
from persons_server import create_app

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
    return Service(db, keys, handler, limiter, app)
