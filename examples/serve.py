"""`python -m examples.serve`: the persons API on SQLite, with a demo key and demo data."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import uvicorn

from . import data
from .app import build
from .db import DatabaseUnavailable
from .keys import parse_key_spec
from .ratelimit import Rate, RateLimits

DEFAULT_SEED = 100


def _rates(text: str) -> tuple[Rate, ...]:
    try:
        return tuple(Rate.parse(part) for part in text.split(",") if part.strip())
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _key(text: str) -> tuple[str, frozenset[str]]:
    try:
        return parse_key_spec(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m examples.serve",
        description="Serve the PostHog persons API on a SQLite database.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--db", default="persons.db", help="SQLite file (created if missing)"
    )
    p.add_argument(
        "--api-key",
        action="append",
        default=[],
        type=_key,
        metavar="KEY=SCOPE,SCOPE",
        help="add a personal API key with these scopes (repeatable); `*` is every scope",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        metavar="N",
        help=f"demo persons to create in an empty database (default {DEFAULT_SEED})",
    )
    p.add_argument(
        "--import",
        dest="import_file",
        action="append",
        default=[],
        metavar="FILE.jsonl",
        help="import persons from a JSON-lines file before serving (repeatable)",
    )
    p.add_argument(
        "--no-rate-limit", action="store_true", help="turn the rate limits off"
    )
    p.add_argument(
        "--rate-limit",
        type=_rates,
        default=RateLimits().other,
        metavar="N/PERIOD[,...]",
        help="limits per key for everything but deletes (default 240/minute)",
    )
    p.add_argument(
        "--delete-rate-limit",
        type=_rates,
        default=RateLimits().delete,
        metavar="N/PERIOD[,...]",
        help="limits per key for deletes (default 480/minute,4800/hour)",
    )
    p.add_argument("--log-level", default="info")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    limits = RateLimits(
        enabled=not args.no_rate_limit,
        other=args.rate_limit,
        delete=args.delete_rate_limit,
    )
    try:
        service = build(args.db, rate_limits=limits)
    except DatabaseUnavailable as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    try:
        for path in args.import_file:
            count = data.import_file(service.db, path)
            print(f"Imported {count} persons from {path}")
    except (OSError, data.ImportFailed) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if data.is_empty(service.db) and args.seed > 0:
        count = data.seed(service.db, args.seed)
        print(f"Seeded {count} demo persons into project 1 of {args.db}")
    for key, scopes in args.api_key:
        service.keys.add(key, scopes)
    demo = service.keys.demo_key()
    base = f"http://{args.host}:{args.port}"
    print(f"Demo API key (every scope): {demo}")
    print(f"Try: curl -H 'Authorization: Bearer {demo}' {base}/api/projects/1/persons/")
    if not limits.enabled:
        print("Rate limits are off.")
    sys.stdout.flush()
    logging.basicConfig(level=args.log_level.upper())
    uvicorn.run(service.app, host=args.host, port=args.port, log_level=args.log_level)
    service.db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
