"""Stateless fuzzing from the spec (schemathesis), against the app in process.

Every operation, positive and negative data, every check: no 5xx, status
codes, content types, headers and bodies as documented, invalid data refused,
unsupported methods 405. Bounded by `max_examples` to stay within CI's budget.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    positive_data_acceptance,
)

from examples import data
from examples.app import build
from examples.ratelimit import RateLimits

FULL_KEY = "phx_fuzz_full"
MAX_EXAMPLES = 20

# schemathesis loads the schema at collection time, so the app exists by then.
_folder = tempfile.TemporaryDirectory(prefix="persons-fuzz-")
service = build(
    Path(_folder.name) / "persons.db", rate_limits=RateLimits(enabled=False)
)
service.keys.add(FULL_KEY, ["*"])
data.seed(service.db, 20)
# Requests go to the seeded project 1 (an unknown project would answer 404 to
# everything and test nothing else); the fuzzer draws the rest.
config = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "headers": {"Authorization": f"Bearer {FULL_KEY}"},
        "parameters": {"path.project_id": "1", "path.environment_id": "1"},
    }
)
schema = schemathesis.openapi.from_asgi("/openapi.json", service.app, config=config)

# Operations whose documented rules reject some schema-valid requests with 400:
# a person id that is neither numeric nor a UUID; bulk_delete's `ids` xor
# `distinct_ids`; split's non-empty `distinct_ids_to_split` found on the person;
# properties_at_time's `distinct_id` xor `person_id` and its timestamp format;
# the list's `regex` filters, which must be valid regular expressions.
# For them "schema-valid data is accepted" cannot hold; every other check does.
BUSINESS_RULES = {
    "persons_list",
    "persons_retrieve",
    "persons_update",
    "persons_partial_update",
    "persons_destroy",
    "persons_activity_retrieve",
    "persons_delete_events_create",
    "persons_delete_property_create",
    "persons_split_create",
    "persons_update_property_create",
    "persons_properties_timeline_retrieve",
    "persons_bulk_delete_create",
    "persons_properties_at_time_retrieve",
}


@pytest.fixture(scope="module", autouse=True)
def _cleanup() -> Iterator[None]:
    yield
    service.db.close()
    _folder.cleanup()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_spec_conformance(case: schemathesis.Case) -> None:
    handler = case.operation.definition.raw["operationId"].removeprefix("environments_")
    excluded = [positive_data_acceptance] if handler in BUSINESS_RULES else []
    case.call_and_validate(excluded_checks=excluded)
