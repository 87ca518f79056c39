"""Checked by `mypy --strict` in test_typing.py: each marked line must be an error."""

from __future__ import annotations

from persons_client import Client
from persons_client.models import PropertyFilter


def misuse(client: Client) -> int:
    client.persons_list("1")  # E: positional
    client.persons_list(project_id=1)  # E: wrong type
    client.persons_list(project_id="1", limit="10")  # E: wrong type
    client.persons_list(project_id="1", colour="red")  # E: unknown argument
    client.persons_list(project_id="1", properties=[{"key": "e"}])  # E: not a filter
    client.persons_retrieve(project_id="1")  # E: missing id
    PropertyFilter(key="email", operator="icontains")  # E: not the enum
    client.paginate(client.persons_retrieve, project_id="1", id=2)  # E: not a page
    client.with_options(timeout="slow")  # E: wrong type
    client.persons_retrieve(project_id="1", id="2")  # E: an int or a UUID, not text
    return client.persons_retrieve(project_id="1", id=2).name  # E: str
