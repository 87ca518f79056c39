"""Schemas that contain themselves, and defaults given as JSON, checked end to end.

The specs are the golden feature cases `recursion` and `defaults` (their bytes
are pinned there); here the generated code is type-checked, imported and run:
a recursive alias decodes at every depth on both sides, a union that lists
itself means its other options, and a default that is a model, a list of
models or a date is one, new for each instance.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pydantic
import pytest

from generator import build as build_stage
from generator import ir
from generator.build.recursion import strongly_connected
from generator.load import load
from tests.generality import calls
from tests.generality.support import build_ir, generate, imported

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
RECURSION = GOLDEN / "recursion" / "spec.yaml"
DEFAULTS = GOLDEN / "defaults" / "spec.yaml"


def _mypy(out: Path, name: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(tmp_path / "mypy"),
            "-p",
            f"{name}_client",
            "-p",
            f"{name}_server",
        ],
        cwd=out,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


# --- recursion ---------------------------------------------------------------


def test_recursive_aliases_in_the_ir() -> None:
    api = build_ir(RECURSION)
    aliases = {a.name: a for a in api.aliases}
    # In a cycle of aliases: written so that the value is read later.
    assert {n for n, a in aliases.items() if a.recursive} == {
        "ErrorDetails",
        "Node",
        "Ping",
        "Pong",
    }
    assert aliases["Node"].type == ir.UnionType(
        (ir.NamedType("Leaf"), ir.ArrayType(ir.NamedType("Node")))
    )
    # A union that lists itself is its other options; through two aliases too.
    assert (
        aliases["Item"].type == ir.NamedType("Leaf") and not aliases["Item"].recursive
    )
    assert aliases["Either"].type == ir.NullableType(
        ir.UnionType((ir.Scalar("str"), ir.Scalar("bool")))
    )
    assert aliases["Or"].type == ir.NullableType(
        ir.UnionType((ir.Scalar("bool"), ir.Scalar("str")))
    )
    # Every alias comes after the aliases it names, unless both are recursive.
    order = [a.name for a in api.aliases]
    for alias in api.aliases:
        for name in ir.names_in(alias.type):
            if name in aliases and not (alias.recursive and aliases[name].recursive):
                assert order.index(name) < order.index(alias.name), (alias.name, name)


def test_strongly_connected_is_iterative_and_ordered() -> None:
    # A chain far deeper than Python's recursion limit, closed into a cycle.
    chain = {f"n{i:05d}": {f"n{i + 1:05d}"} for i in range(5000)}
    chain["n05000"] = {"n00000"}
    chain["tail"] = {"n00000"}
    components = list(strongly_connected(chain))
    assert [len(c) for c in components] == [5001, 1]
    assert components[1] == ["tail"]  # after what it reaches


class _Trees:
    def __init__(self, interface: Any, models: Any) -> None:
        self.i, self.m = interface, models
        self.received: list[Any] = []

    async def plant_tree(self, ctx: Any, params: Any, body: Any) -> Any:
        self.received.append(body)
        return self.i.Ok(self.m.Garden(forest=[body], ping=[1, ["x", [2]]]))

    async def list_errors(self, ctx: Any, params: Any) -> Any:
        return self.i.Ok({"disk": {"sda": "full", "sdb": {"smart": "failing"}}})


def test_recursive_aliases_type_check_import_and_round_trip(tmp_path: Path) -> None:
    generate(RECURSION, tmp_path, "rec")
    _mypy(tmp_path, "rec", tmp_path)
    with imported(tmp_path, "rec_client", "rec_server"):
        client_module = importlib.import_module("rec_client.client")
        client_models = importlib.import_module("rec_client.models")
        server_models = importlib.import_module("rec_server.models")
        app_module = importlib.import_module("rec_server.app")
        handler = _Trees(importlib.import_module("rec_server.interface"), server_models)
        tree = [{"value": 1}, [{"value": 2}, [{"value": 3}]]]
        # Both sides read a leaf three lists deep as a model.
        parsed = server_models.Garden.model_validate({"forest": [tree]})
        assert isinstance(parsed.forest[0][1][1][0], server_models.Leaf)
        decoded = client_models.Garden.from_dict({"forest": [tree]})
        assert isinstance(decoded.forest[0][1][1][0], client_models.Leaf)
        assert decoded.forest[0][1][1][0].value == 3
        with pytest.raises(pydantic.ValidationError):
            server_models.Garden.model_validate({"forest": [[{"value": "x"}]]})

        TestClient = calls.test_client_class()
        app = app_module.create_app(handler, authenticate=calls.authenticate)
        with TestClient(app, raise_server_exceptions=True) as http:
            client = client_module.Client(
                base_url="http://testserver", transport=http._transport, max_retries=0
            )
            body = [client_models.Leaf(value=1), [[client_models.Leaf(value=2)]]]
            garden = client.plant_tree(body=body)
            assert isinstance(handler.received[0][1][0][0], server_models.Leaf)
            assert isinstance(garden.forest[0][1][0][0], client_models.Leaf)
            assert garden.ping == [1, ["x", [2]]]
            errors = client.list_errors()
            assert errors == {"disk": {"sda": "full", "sdb": {"smart": "failing"}}}


# --- defaults and constants --------------------------------------------------


def test_defaults_that_need_reading_in_the_ir() -> None:
    api = build_ir(DEFAULTS)
    fields = {f.wire: f for m in api.models if m.name == "Settings" for f in m.fields}
    read = {wire for wire, f in fields.items() if f.validate_default}
    # Models (also in a list or a union), and a date: JSON is not yet the value.
    assert read == {"window", "empty", "history", "interval_or_text", "since"}
    # A string in a union with a string, a map of strings: already the value.
    assert fields["text_or_interval"].has_default
    assert fields["labels"].has_default
    (op,) = api.operations
    params = {p.wire: p for p in op.params}
    assert params["since"].validate_default and not params["limit"].validate_default
    # Constants Python has no `Literal` for.
    assert fields["ratio"].type == ir.Scalar(
        "float", ir.Constraints(minimum=1.5, maximum=1.5)
    )
    assert fields["flags"].type == ir.MapType(ir.ANY)
    assert fields["choices"].type == ir.ArrayType(ir.ANY)


UNREADABLE_DEFAULT = """\
openapi: 3.0.3
info: {title: Spans, version: "1"}
paths: {}
components:
  schemas:
    Span:
      type: object
      required: [start]
      properties:
        start: {type: integer}
    Window:
      type: object
      properties:
        span:
          allOf: [{$ref: "#/components/schemas/Span"}]
          default: {}
        spans:
          type: array
          items: {$ref: "#/components/schemas/Span"}
          default: [{start: 1}]
"""


def test_a_default_pydantic_cannot_read_is_left_out(tmp_path: Path) -> None:
    """`default: {}` on a model with required properties (as Kubernetes has):
    read for each instance, it would refuse every request without the field.
    openapi-spec-validator reports it; the build, given it anyway, leaves it
    out rather than generate a model no request can omit the field of."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(UNREADABLE_DEFAULT, encoding="utf-8")
    loaded, problems = load(str(spec))
    assert loaded is not None, problems
    api, _ = build_stage.build(loaded, build_stage.Options())
    assert api is not None
    (window,) = (m for m in api.models if m.name == "Window")
    fields = {f.wire: f for f in window.fields}
    assert not fields["span"].has_default
    assert fields["spans"].has_default and fields["spans"].validate_default


def test_defaults_type_check_and_build_models(tmp_path: Path) -> None:
    import datetime

    generate(DEFAULTS, tmp_path, "dflt")
    _mypy(tmp_path, "dflt", tmp_path)
    with imported(tmp_path, "dflt_client", "dflt_server"):
        models = importlib.import_module("dflt_server.models")
        interface = importlib.import_module("dflt_server.interface")
        first, second = models.Settings(), models.Settings()
        assert first.window == models.Interval(start=1, end=5)
        assert first.empty == models.Interval()
        assert first.history == [models.Interval(start=0, end=1)]
        assert first.interval_or_text == models.Interval(start=2009, end=2019)
        assert first.text_or_interval == "plain text"
        assert first.labels == {"team": "core"}
        assert first.since == datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
        # Each instance its own default, never one shared model.
        assert first.window is not second.window
        first.history.append(models.Interval())
        assert len(second.history) == 1
        assert interface.PutSettingsParams().since == datetime.date(2024, 1, 1)
        # A float constant is that number, and no other.
        assert models.Settings(ratio=1.5).ratio == 1.5
        with pytest.raises(pydantic.ValidationError):
            models.Settings(ratio=2.5)
        assert models.Settings.model_validate(
            {"flags": {"enabled": True}, "choices": [1, "two"]}
        ).choices == [1, "two"]
