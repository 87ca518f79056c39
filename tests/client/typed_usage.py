"""Checked by `mypy --strict` in test_typing.py (not collected by pytest): typed use of the client."""

from __future__ import annotations

import asyncio
import datetime
import uuid
from typing import assert_type

import httpx
from persons_client import (
    ApiResponse,
    ApiStatusError,
    AsyncClient,
    Client,
    ErrorBody,
    RateLimitError,
    RequestOptions,
    RetryPolicy,
    Unset,
)
from persons_client.models import (
    PaginatedPersonList,
    PersonListItem,
    PersonRecord,
    PropertyFilter,
    PropertyFilterOperator,
)


def sync_usage(transport: httpx.BaseTransport) -> None:
    with Client(
        base_url="http://localhost:8000",
        api_key="phx_x",
        timeout=5.0,
        max_retries=3,
        deadline=60.0,
        headers={"X-A": "b"},
        retry=RetryPolicy(max_retry_after=30.0),
        transport=transport,
    ) as client:
        fast = client.with_options(timeout=1.0, max_retries=0)
        assert_type(fast, Client)
        only = [
            PropertyFilter(
                key="email", value="x", operator=PropertyFilterOperator.ICONTAINS
            )
        ]
        page = client.persons_list(project_id="1", properties=only, limit=10)
        assert_type(page, PaginatedPersonList)
        assert_type(page.next, str | None)
        for person in client.paginate(
            client.persons_list, project_id="1", properties=only
        ):
            assert_type(person, PersonListItem)
            assert_type(person.last_seen_at, datetime.datetime | None | Unset)
            assert_type(person.id, uuid.UUID)
            # A person's id, numeric or UUID, is passed as the model holds it.
            record = client.persons_retrieve(project_id="1", id=person.id)
            client.persons_retrieve(project_id="1", id=record.id)
            client.persons_retrieve(project_id="1", id=record.uuid)
        raw = client.raw(client.persons_retrieve, project_id="1", id=2)
        assert_type(raw, ApiResponse[PersonRecord])
        assert_type(raw.parsed, PersonRecord)
        assert_type(raw.parsed.id, int)
        assert_type(raw.parsed.uuid, uuid.UUID)
        assert_type(raw.status_code, int)
        text = client.csv(client.persons_list, project_id="1", properties=only)
        assert_type(text, str)
        try:
            client.persons_destroy(
                project_id="1", id=2, options=RequestOptions(timeout=2.0)
            )
        except RateLimitError as error:
            assert_type(error.retry_after, float | None)
        except ApiStatusError as error:
            assert_type(error.status_code, int)
            assert_type(error.body, ErrorBody)
            assert_type(error.response, httpx.Response)


async def async_usage(transport: httpx.AsyncBaseTransport) -> list[str]:
    async with AsyncClient(api_key="phx_x", transport=transport) as client:
        page = await client.persons_list(project_id="1")
        assert_type(page, PaginatedPersonList)
        names = [
            p.name async for p in client.paginate(client.persons_list, project_id="1")
        ]
        raw = await client.raw(client.persons_list, project_id="1")
        assert_type(raw.parsed, PaginatedPersonList)
        assert_type(await client.csv(client.persons_list, project_id="1"), str)
        return names


if __name__ == "__main__":
    asyncio.run(async_usage(httpx.AsyncHTTPTransport()))
