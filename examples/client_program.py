"""A program using the generated client: page, survive throttling, report a refusal.

It pages through every person matching a properties filter (by default: those
with an `email`), lets the client ride out 429s (it waits as long as
`Retry-After` says), and reports the typed 403 that PostHog gives personal API
keys on the legacy insight endpoints. Against the reference server:

    make serve SERVE_ARGS='--seed 10000 --rate-limit 60/5'    # one terminal
    POSTHOG_PERSONAL_API_KEY=<printed key> \
        .venv/bin/python -m examples.client_program --property '$browser'

Every demo person has `$browser`, so that pages through all 10,000, 100 at a
time: 101 requests, more than the 60 per 5 seconds allowed above, so the server
answers 429 along the way. (PostHog itself allows a key 240 reads a minute:
`--page-size 25` with the default limits gets there too.)
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import httpx
from persons_client import ApiError, Client, PermissionDeniedError, RateLimitError
from persons_client.models import PropertyFilter, PropertyFilterOperator


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument(
        "--api-key", help="default: the environment variable the client documents"
    )
    parser.add_argument("--project-id", default="1")
    parser.add_argument(
        "--property", default="email", help="person property to filter on"
    )
    parser.add_argument(
        "--contains", help="keep persons whose property contains this (default: is set)"
    )
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument(
        "--expect", type=int, help="fail unless exactly this many persons match"
    )
    return parser.parse_args(argv)


def main(
    argv: Sequence[str] | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """Run the program; `transport` replaces the network (for tests)."""
    args = _arguments(argv)
    # The client logs each retry (never the key) on its package's logger.
    logging.basicConfig(format="  %(message)s")
    logging.getLogger("persons_client").setLevel(logging.INFO)

    throttled: list[float] = []

    def on_response(response: httpx.Response) -> None:
        if response.status_code == 429:
            throttled.append(float(response.headers.get("Retry-After", "0") or 0))

    # Our own httpx client, injected: the persons client adds retries on top.
    http = httpx.Client(transport=transport, event_hooks={"response": [on_response]})
    client = Client(
        base_url=args.base_url, api_key=args.api_key, http_client=http, max_retries=8
    )
    with http, client:
        if args.contains is None:
            wanted = f"whose {args.property!r} is set"
            only = [
                PropertyFilter(
                    key=args.property, operator=PropertyFilterOperator.IS_SET
                )
            ]
        else:
            wanted = f"whose {args.property!r} contains {args.contains!r}"
            only = [
                PropertyFilter(
                    key=args.property,
                    value=args.contains,
                    operator=PropertyFilterOperator.ICONTAINS,
                )
            ]
        count = 0
        try:
            for person in client.paginate(
                client.persons_list,
                project_id=args.project_id,
                properties=only,
                limit=args.page_size,
            ):
                count += 1
                if count % 2000 == 0:
                    print(f"  ... {count} persons, last {person.name!r}")
        except RateLimitError as error:
            print(f"gave up after {count} persons: throttled ({error.retry_after}s)")
            return 2
        except ApiError as error:
            print(f"listing failed after {count} persons: {error}")
            return 2
        print(f"{count} persons {wanted}")
        waited = sum(throttled)
        print(f"survived {len(throttled)} 429 responses, waiting {waited:g}s")

        try:
            client.persons_trends_retrieve(project_id=args.project_id)
        except PermissionDeniedError as error:
            print(f"refused as expected: {error.status_code} {error.body.detail}")
        else:
            print("expected a 403 from the trends endpoint, got a result")
            return 1
    if args.expect is not None and count != args.expect:
        print(f"expected {args.expect} persons")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
