"""Stage 2, validate: the validation memo, which skips the path items that
openapi-spec-validator passed in an earlier run (see `check_schema_memo`)."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

from ..cache import ValidationMemo
from ..diagnostics import Diagnostic
from ..load import Spec
from .judge import _REPEATED, _best_message
from .oas import (
    _inline_subschemas,
    _more_pieces,
    _validator_files,
    _with_sets,
    check_schema,
)


def _dropped(error: Any) -> bool:
    """What `check_schema` leaves out: the validator's repeats of our own checks."""
    path = getattr(error, "absolute_path", None) or getattr(error, "path", None)
    return not path and _best_message(error).startswith(_REPEATED)


def check_schema_memo(spec: Spec, memo: ValidationMemo) -> list[Diagnostic]:
    """`check_schema`, skipping what `memo` says passed; the same diagnostics.

    Only a clean result is ever remembered, and anything short of clean falls
    back to `check_schema` on the whole document. Clean is decided by a
    stricter run of the validator (`_strict_clean`) whose verdict on a path
    item does not depend on the other path items: the plain run visits each
    schema once, and what it checks there depends on which path item reached
    it first. So a path item that passed strictly, under the same rest of the
    document, passes in any document; the rest passed with it.
    """
    key = _memo_key(spec)
    paths = spec.root.data.get("paths")
    if key is None or not isinstance(paths, dict):
        return check_schema(spec)
    items = {name: _digest([name, item]) for name, item in paths.items()}
    known = memo.items if memo.key == key else None
    if known is not None:
        changed = [name for name, digest in items.items() if digest not in known]
        if not changed:
            memo.items = set(items.values())
            return []
    try:
        clean = _strict_clean(spec, None if known is None else changed)
    except Exception:  # the validator chokes on some broken documents
        clean = False
    if not clean:
        return check_schema(spec)
    memo.key = key
    memo.items = set(items.values())
    return []


# `_strict_clean` leans on the validator's internals (keywords.SchemaValidator):
# the version whose every context-dependent check it was read against. Another
# version turns the memo off until someone reads them again.
STRICT_VETTED = "0.9.0"


def _memo_key(spec: Spec) -> str | None:
    """The validator's versions, our code, and everything but the root's
    `paths`; None when something may reach into `paths` (a path item would
    then matter beyond itself)."""
    from importlib.metadata import PackageNotFoundError

    from ..cache import fingerprint, version

    if version("openapi-spec-validator") != STRICT_VETTED or _may_reach_paths(spec):
        return None
    versions = []
    for package in (
        "openapi-spec-validator",
        "openapi-schema-validator",
        "jsonschema",
        "jsonschema-path",
        "jsonschema-rs",
        "referencing",
    ):
        try:
            versions.append(f"{package}={version(package)}")
        except PackageNotFoundError:
            versions.append(f"{package}=")
    base = os.path.dirname(spec.root.path)
    others = sorted(
        (os.path.relpath(path, base), source.text)
        for path, source in spec.files.items()
        if source is not spec.root
    )
    rest = {k: v for k, v in spec.root.data.items() if k != "paths"}
    return _digest([versions, fingerprint("validation"), spec.root.path, rest, others])


# JSON Schema keywords that name or find schemas other than by a JSON pointer.
_IDENTIFYING = frozenset(
    {
        "$id",
        "$anchor",
        "$dynamicAnchor",
        "$dynamicRef",
        "$recursiveRef",
        "$recursiveAnchor",
    }
)


def _may_reach_paths(spec: Spec) -> bool:
    """A reference into the root's `paths` (or the whole root), or one by
    anchor, or a keyword that changes how references resolve: erring on the
    side of caution, any of them turns the memo off."""
    from urllib.parse import unquote

    for source in spec.files.values():
        stack: list[Any] = [source.data]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                if _IDENTIFYING.intersection(node):
                    return True
                ref = node.get("$ref")
                if isinstance(ref, str):
                    file_part, _, fragment = ref.partition("#")
                    fragment = unquote(fragment)
                    target = (
                        os.path.normpath(
                            os.path.join(os.path.dirname(source.path), file_part)
                        )
                        if file_part
                        else source.path
                    )
                    if fragment and not fragment.startswith("/"):
                        return True  # an anchor
                    if target == spec.root.path and (
                        not fragment.strip("/") or fragment.startswith("/paths")
                    ):
                        return True
                stack.extend(v for v in node.values() if isinstance(v, dict | list))
            elif isinstance(node, list):
                stack.extend(v for v in node if isinstance(v, dict | list))
    return False


def _digest(value: Any) -> str:
    text = json.dumps(value, default=lambda o: f"{type(o).__name__}:{o!r}")
    return hashlib.sha256(text.encode()).hexdigest()


def _strict_clean(spec: Spec, only: list[str] | None) -> bool:
    """Whether the validator passes the document (or, with `only`, those path
    items of it; the rest passed before) in a run stricter than the plain one:
    every schema is checked against the meta-schema unless a schema holding it
    inline was, and for required properties its `allOf` does not define, where
    the plain run checks each schema only on the first visit, with what that
    visit asks for."""
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
    from openapi_spec_validator.schemas import (
        openapi_v30_schema_validator,
        openapi_v31_schema_validator,
    )

    root = spec.root
    v31 = str(root.data["openapi"]).startswith("3.1")
    structural = openapi_v31_schema_validator if v31 else openapi_v30_schema_validator
    files = _validator_files(spec)
    plain = _with_sets(
        OpenAPIV31SpecValidator if v31 else OpenAPIV30SpecValidator, files
    )
    schema_class = plain.keyword_validators["schema"]

    class StrictSchemaValidator(schema_class):  # type: ignore[misc, valid-type]
        def __init__(self, registry: Any) -> None:
            super().__init__(registry)
            self.covered: set[int] = set()

        def __call__(
            self,
            schema: Any,
            require_properties: bool = True,
            meta_checked: bool = False,
        ) -> Iterator[Any]:
            value = schema.read_value()
            if isinstance(value, Mapping):
                if id(value) not in self.covered:
                    meta_checked = False
                self.covered.update(id(child) for child in _inline_subschemas(value))
            return super().__call__(schema, True, meta_checked)  # type: ignore[no-any-return]

    class StrictSpecValidator(plain):  # type: ignore[misc, valid-type]
        keyword_validators = {
            **plain.keyword_validators,
            "schema": StrictSchemaValidator,
        }

    document = files[root.path]
    if only is not None:
        document = {
            **document,
            "paths": {name: document["paths"][name] for name in only},
        }
    if any(True for _ in structural.iter_errors(document)):
        return False
    validator = StrictSpecValidator(document, base_uri="file://" + root.path)
    whole = validator.root_validator
    top = validator.schema_path
    errors = itertools.chain(
        (
            whole(top)
            if only is None
            else whole.paths_validator(validator.schema_path / "paths")
        ),
        *(
            piece()
            for _, piece in _more_pieces(
                validator.keyword_validators_registry,
                top,
                document,
                components=only is None,
            )
        ),
    )
    return all(_dropped(error) for error in errors)
