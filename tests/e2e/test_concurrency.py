"""Concurrent requests: no lost update, no 500, whatever the interleaving."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from .conftest import FULL_KEY, Live, add_person, new_team

AUTH = {"Authorization": f"Bearer {FULL_KEY}"}


def test_parallel_patches_of_different_keys_lose_none(live: Live) -> None:
    team = new_team(live.service)
    pid, _ = add_person(live.service, team, properties={"base": True})
    url = f"{live.base_url}/api/projects/{team}/persons/{pid}/"

    def patch(i: int) -> int:
        with httpx.Client(headers=AUTH) as http:
            method = http.patch if i % 2 else http.put
            return method(url, json={"properties": {f"k{i}": i}}).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(patch, range(64)))
    assert set(statuses) == {202}
    properties = httpx.get(url, headers=AUTH).json()["properties"]
    assert properties == {"base": True, **{f"k{i}": i for i in range(64)}}


def test_parallel_bulk_deletes_and_reads_never_fail(live: Live) -> None:
    team = new_team(live.service)
    people = [add_person(live.service, team, [f"p{i}", f"q{i}"]) for i in range(60)]
    base = f"{live.base_url}/api/projects/{team}/persons/"

    def work(i: int) -> int:
        with httpx.Client(headers=AUTH) as http:
            kind = i % 4
            if kind == 0:  # overlapping bulk deletes by distinct id
                ids = [f"p{j}" for j in range(i % 60, min(60, i % 60 + 10))]
                response = http.post(base + "bulk_delete/", json={"distinct_ids": ids})
            elif kind == 1:
                uuids = [str(people[(i + j) % 60][1]) for j in range(5)]
                response = http.post(base + "bulk_delete/", json={"ids": uuids})
            elif kind == 2:
                response = http.get(base, params={"limit": 20})
            else:
                response = http.get(base + f"{people[i % 60][0]}/")
            return response.status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(work, range(120)))
    assert set(statuses) <= {200, 202, 404}
    assert 500 not in statuses
