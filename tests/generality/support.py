"""Helpers for tests that generate code from a spec and then use it.

`generate` runs the CLI in process; `imported` puts an output folder on
`sys.path` and forgets its modules afterwards; `Sampler` makes JSON values
that fit an IR type, deterministically, so a generated client can be called
and a generated server can answer without a hand-written fixture per spec.
"""

from __future__ import annotations

import contextlib
import re
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from generator import build as build_stage
from generator import ir
from generator.load import load
from generator.validate import validate
from tests.conftest import run_generator


def generate(spec: Path | str, out: Path, name: str, *extra: str) -> None:
    """Generate `<name>_client` and `<name>_server` into `out`; fail loudly on problems."""
    status, _, err = run_generator(
        "generate",
        "--spec",
        str(spec),
        "--out",
        str(out),
        "--client-package",
        f"{name}_client",
        "--server-package",
        f"{name}_server",
        *extra,
    )
    assert status == 0, err
    assert "Traceback" not in err, err


def build_ir(spec: Path | str) -> ir.Api:
    loaded, problems = load(str(spec))
    assert loaded is not None, problems
    problems += validate(loaded)
    assert not [p for p in problems if p.severity == "error"], problems
    api, problems = build_stage.build(loaded, build_stage.Options())
    assert api is not None, problems
    return api


@contextlib.contextmanager
def imported(out: Path, *packages: str) -> Iterator[None]:
    """`out` importable; the packages' modules dropped again afterwards."""
    sys.path.insert(0, str(out))
    try:
        yield
    finally:
        sys.path.remove(str(out))
        for module in list(sys.modules):
            if module.split(".")[0] in packages:
                del sys.modules[module]


_STRING_CANDIDATES = ("x", "abc", "a1", "1", "a-b", "a@b.cd", "ab_cd", "A", "0.5")


class Unsampleable(Exception):
    """No deterministic value fits (say, a pattern none of our candidates match)."""


class Sampler:
    """JSON data that fits an IR type: minimal (required fields only), deterministic."""

    def __init__(self, api: ir.Api) -> None:
        self.models = {m.name: m for m in api.models}
        self.enums = {e.name: e for e in api.enums}
        self.aliases = {a.name: a for a in api.aliases}

    def json(self, t: ir.Type, depth: int = 0) -> Any:
        if depth > 12:
            raise Unsampleable("too deep")
        if isinstance(t, ir.NullableType):
            return self.json(t.inner, depth + 1) if depth < 6 else None
        if isinstance(t, ir.ConstType):
            return t.value
        if isinstance(t, ir.UnionType):
            for option in t.options:
                try:
                    return self.json(option, depth + 1)
                except Unsampleable:
                    continue
            raise Unsampleable("no union option")
        if isinstance(t, ir.ArrayType):
            count = t.constraints.min_items or 0
            return [self.json(t.item, depth + 1) for _ in range(count)]
        if isinstance(t, ir.MapType):
            return {}
        if isinstance(t, ir.NamedType):
            if t.name in self.enums:
                return self.enums[t.name].members[0].value
            if t.name in self.aliases:
                return self.json(self.aliases[t.name].type, depth + 1)
            model = self.models[t.name]
            return {
                f.wire: self.json(f.type, depth + 1) for f in model.fields if f.required
            }
        return self.scalar(t)

    def scalar(self, t: ir.Scalar) -> Any:
        c = t.constraints
        if t.kind == "str":
            for candidate in _STRING_CANDIDATES:
                text = candidate * max(1, c.min_length or 0)
                if c.max_length is not None:
                    text = text[: c.max_length]
                if len(text) < (c.min_length or 0):
                    continue
                if c.pattern is None or re.search(c.pattern, text):
                    return text
            raise Unsampleable(f"pattern {c.pattern!r}")
        if t.kind in ("int", "float"):
            low = c.minimum if c.minimum is not None else c.exclusive_minimum
            value = 1 if low is None else int(low) + 1
            high = c.maximum if c.maximum is not None else c.exclusive_maximum
            if high is not None and value > high:
                value = int(high) - (0 if c.maximum is not None else 1)
            if c.multiple_of:
                value = int(c.multiple_of) * max(1, value // int(c.multiple_of) or 1)
            return float(value) if t.kind == "float" else value
        return {
            "bool": True,
            "any": "x",
            "bytes": "eA==",
            "datetime": "2024-01-02T03:04:05+00:00",
            "date": "2024-01-02",
            "time": "03:04:05",
            "uuid": "12345678-1234-5678-1234-567812345678",
            "none": None,
        }[t.kind]


def strip_unset(annotation: Any) -> Any:
    """The annotation without `| Unset` (and the runtime's Unset type)."""
    args = typing.get_args(annotation)
    if not args:
        return annotation
    kept = [a for a in args if getattr(a, "__name__", "") != "Unset"]
    if len(kept) == len(args):
        return annotation
    result = kept[0]
    for a in kept[1:]:
        result = result | a
    return result
