"""Stage 2, validate: is it OpenAPI, and can we represent it?

Our own checks first (`ours`): what we cannot generate at all is left out
with a warning, and the rest is checked as generation will see it, by
openapi-spec-validator (`oas`, whose every problem `judge` places at its node
and weighs), skipping what an earlier run passed (`memo`). Everything is
collected before anything is built; `without` gives what build reads.
"""

from __future__ import annotations

from ..cache import ValidationMemo
from ..diagnostics import Diagnostic
from ..load import Spec
from .common import without
from .memo import check_schema_memo
from .oas import _data_is_data, _quick_subscriptable_checks, check_schema
from .ours import (
    check_features,
    check_operations,
    check_references,
    check_schemas,
    check_version,
)


def validate(spec: Spec, memo: ValidationMemo | None = None) -> list[Diagnostic]:
    """Every problem of the spec. With a `memo`, the schema check skips the
    path items it passed before (see `check_schema_memo`) and updates it.

    Errors stop the run. A warning with `drops` names a node that generation
    leaves out (`without`): our checks find some (an operation we cannot
    represent, a keyword of the wrong OpenAPI version); the validator then
    checks the document as generation will see it, and finds the rest."""
    diagnostics = check_version(spec.root)
    if diagnostics:
        return diagnostics
    # What is not generated at all is not checked any further.
    skipped = _left_out(spec)
    spec = without(spec, skipped)
    references = check_references(spec)
    ours = references + skipped + check_schemas(spec)
    # A broken reference makes the schema validator fail in confusing ways
    # (recursion errors, "does not exist within {...whole document...}"): our
    # own diagnostic says it better, so the validator does not run.
    if references:
        schema = []
    else:
        seen = without(spec, ours)
        with _quick_subscriptable_checks(), _data_is_data():
            schema = (
                check_schema(seen) if memo is None else check_schema_memo(seen, memo)
            )
    return _without_covered(schema, ours) + ours


def left_out(spec: Spec) -> list[Diagnostic]:
    """The warnings, among `validate`'s, that leave out a whole operation we
    cannot represent, or webhooks: found without the validator, so cheaply
    that a build may start without them while validation runs."""
    return [] if check_version(spec.root) else _left_out(spec)


def _left_out(spec: Spec) -> list[Diagnostic]:
    return check_operations(spec) + check_features(spec)


def _without_covered(
    schema: list[Diagnostic], ours: list[Diagnostic]
) -> list[Diagnostic]:
    """Drop validator errors on a node (or an ancestor of one) that our checks explain better."""
    explained = [(d.file, d.pointer) for d in ours if d.severity == "error"]
    return [
        d
        for d in schema
        if not d.pointer
        or not any(
            f == d.file and (p == d.pointer or p.startswith(d.pointer + "/"))
            for f, p in explained
        )
    ]


__all__ = ["validate", "left_out", "without", "check_schema", "check_schema_memo"]
