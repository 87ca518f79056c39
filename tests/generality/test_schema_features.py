"""Schema features reach the IR with their meaning: allOf merged, unions, nullable, enums, maps,
recursion, readOnly/writeOnly, defaults, formats, free-form objects."""

from __future__ import annotations

import importlib
from pathlib import Path

from generator import ir
from tests.generality.support import build_ir, generate, imported

SPEC = Path(__file__).resolve().parent / "features.yaml"


def test_features_in_the_ir() -> None:
    api = build_ir(SPEC)
    models = {m.name: m for m in api.models}
    thing = models["Thing"]
    fields = {f.wire: f for f in thing.fields}
    # allOf merged: Base's fields and the inline part's, required from both.
    assert set(fields) >= {"id", "created", "name", "password", "labels", "parent"}
    assert fields["id"].required and fields["name"].required
    # readOnly / writeOnly, and the two shapes they give.
    assert fields["id"].read_only and fields["created"].read_only
    assert fields["password"].write_only
    assert thing.shapes_differ
    assert {f.wire for f in thing.request_fields} == set(fields) - {"id", "created"}
    assert {f.wire for f in thing.response_fields} == set(fields) - {"password"}
    # defaults, formats, enums, maps, free-form, recursion, nullable, unions.
    assert fields["name"].has_default is False  # required: the default does not apply
    assert fields["color"].has_default and fields["color"].default == "red"
    assert fields["id"].type == ir.Scalar("uuid")
    assert fields["created"].type == ir.Scalar("datetime")
    assert fields["day"].type == ir.Scalar("date")
    assert fields["blob"].type == ir.Scalar("bytes")
    assert fields["labels"].type == ir.MapType(ir.Scalar("str"))
    assert fields["extra"].type == ir.MapType(ir.ANY)
    assert fields["parent"].type == ir.NamedType("Thing")
    assert fields["maybe"].type == ir.NullableType(ir.Scalar("int"))
    size = next(e for e in api.enums if e.name == fields["size"].type.name)  # type: ignore[union-attr]
    assert size.is_int and [m.value for m in size.members] == [1, 2, 3]
    pet = next(a for a in api.aliases if a.name == "Pet")
    assert pet.type == ir.UnionType((ir.NamedType("Cat"), ir.NamedType("Dog")))


def test_features_generate_and_import(tmp_path: Path) -> None:
    generate(SPEC, tmp_path, "features")
    with imported(tmp_path, "features_client", "features_server"):
        client_models = importlib.import_module("features_client.models")
        server_models = importlib.import_module("features_server.models")
        thing = client_models.Thing.from_dict(
            {
                "id": "x",
                "name": "a",
                "parent": {"id": "y", "name": "b"},
                "pet": {"kind": "dog", "barks": True},
            }
        )
        assert thing.parent.name == "b"
        parsed = server_models.Thing.model_validate(
            {
                "id": "12345678-1234-5678-1234-567812345678",
                "name": "a",
                "labels": {"k": "v"},
            }
        )
        assert parsed.labels == {"k": "v"} and parsed.color == "red"
