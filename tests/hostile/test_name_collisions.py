"""Names that collide once sanitised get deterministic suffixes, a warning, and
still travel under their wire names. Names the spec keeps (`uuid`, `type`)
work on both sides, and inline schemas are named after their owner.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import httpx

from tests.conftest import run_generator
from tests.generality.support import imported

SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Collide", "version": "1"},
    "paths": {
        "/users": {
            "get": {
                "operationId": "list-users",
                "parameters": [
                    {"name": "user-id", "in": "query", "schema": {"type": "string"}},
                    {"name": "user_id", "in": "query", "schema": {"type": "string"}},
                    {"name": "userId", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/User"}
                            }
                        },
                    }
                },
            }
        },
        "/users/all": {
            "get": {
                "operationId": "list_users",
                "responses": {"204": {"description": "none"}},
            }
        },
    },
    "components": {
        "schemas": {
            "User": {
                "type": "object",
                "properties": {
                    "user-id": {"type": "string"},
                    "user_id": {"type": "string"},
                    "UserID": {"type": "string"},
                },
            },
            "user": {"type": "string"},
        }
    },
}


def _generate(tmp_path: Path, name: str) -> tuple[Path, str]:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "spec.json").write_text(json.dumps(SPEC), encoding="utf-8")
    status, _, err = run_generator(
        "generate",
        "--spec",
        "spec.json",
        "--out",
        "out",
        "--no-cache",
        "--client-package",
        f"{name}_client",
        "--server-package",
        f"{name}_server",
        cwd=folder,
    )
    assert status == 0, err
    return folder / "out", err


def test_collisions_are_suffixed_deterministically_and_warned(tmp_path: Path) -> None:
    out, err = _generate(tmp_path, "nc1")
    again, err_again = _generate(tmp_path, "nc2")
    warnings = [line for line in err.splitlines() if "warning[name-collision]" in line]
    assert warnings == [
        line for line in err_again.splitlines() if "warning[name-collision]" in line
    ]
    # three parameters, three properties, two operations and two schemas collide
    assert len(warnings) == 2 + 2 + 1 + 1, err
    client = (out / "nc1_client" / "client.py").read_text()
    # Parameters keep spec order; properties are sorted: suffixes follow that order.
    assert (
        '"user_id": "user-id", "user_id_2": "user_id", "user_id_3": "userId"' in client
    )
    assert "def list_users(" in client and "def list_users_2(" in client
    models = (out / "nc1_client" / "models.py").read_text()
    assert "class User(Model)" in models and "User_2: TypeAlias = str" in models
    assert '"user_id": "UserID",' in models and '"user_id_2": "user-id",' in models

    # The same spec gives the same bytes (apart from package names, and the
    # stamps, which hash them).
    def same(text: str, package: str) -> str:
        text = re.sub(r" \(stamp [0-9a-f]{16}\)", "", text)
        return text.replace(package, "nc").replace(package.upper(), "NC")

    for path in sorted((out / "nc1_client").rglob("*")):
        twin = again / "nc2_client" / path.relative_to(out / "nc1_client")
        assert same(path.read_text(), "nc1") == same(twin.read_text(), "nc2")


def test_colliding_names_travel_under_their_wire_names(tmp_path: Path) -> None:
    out, _ = _generate(tmp_path, "nc3")
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = {"user-id": "a", "user_id": "b", "UserID": "c"}
        return httpx.Response(200, json=body)

    with imported(out, "nc3_client", "nc3_server"):
        module = importlib.import_module("nc3_client.client")
        with module.Client(
            base_url="http://x", transport=httpx.MockTransport(handle)
        ) as c:
            user = c.list_users(user_id="1", user_id_2="2", user_id_3="3")
        assert seen[0].url.params.multi_items() == [
            ("user-id", "1"),
            ("user_id", "2"),
            ("userId", "3"),
        ]
        assert (user.user_id, user.user_id_2, user.user_id_3) == ("c", "a", "b")
        assert user.to_dict() == {"user-id": "a", "user_id": "b", "UserID": "c"}
        server_models = importlib.import_module("nc3_server.models")
        parsed = server_models.User.model_validate(
            {"user-id": "a", "user_id": "b", "UserID": "c"}
        )
        assert parsed.model_dump(by_alias=True, exclude_unset=True) == {
            "user-id": "a",
            "user_id": "b",
            "UserID": "c",
        }


def test_operation_names_do_not_shadow_the_app_modules_own(tmp_path: Path) -> None:
    """`app.py` binds `_<handler>` per endpoint beside names of its own; an
    operation called like one of those must not replace it."""
    spec = {
        "openapi": "3.0.3",
        "info": {"title": "Shadow", "version": "1"},
        "paths": {
            f"/{op_id}": {
                "get": {
                    "operationId": op_id,
                    "responses": {"204": {"description": "none"}},
                }
            }
            for op_id in ("endpoint", "rt", "create_app", "zzz")
        },
    }
    folder = tmp_path / "shadow"
    folder.mkdir()
    (folder / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    status, _, err = run_generator(
        "generate", "--spec", "spec.json", "--out", "out", "--no-cache",
        "--client-package", "shadow_client", "--server-package", "shadow_server",
        cwd=folder,
    )  # fmt: skip
    assert status == 0, err
    with imported(folder / "out", "shadow_client", "shadow_server"):
        app_module = importlib.import_module("shadow_server.app")
        routes = {route.operation_id: route.path for route in app_module.ROUTES}
        assert routes == {
            "endpoint": "/endpoint",
            "rt": "/rt",
            "create_app": "/create_app",
            "zzz": "/zzz",
        }


# --- names the spec keeps, inline schemas named after their owner -------------

KEPT = {
    "openapi": "3.1.0",
    "info": {"title": "Kept", "version": "1"},
    "paths": {
        "/things/{id}": {
            "get": {
                "operationId": "get_thing",
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"oneOf": [{"type": "integer"}, {"$ref": "#/components/schemas/Id"}]},
                    },
                    {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["a", "b"]}},
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                        },
                    },
                    "404": {"$ref": "#/components/responses/NotFound"},
                },
            }
        },
        "/others": {
            "get": {
                "operationId": "list_others",
                "parameters": [
                    {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["a", "b"]}}
                ],
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Dog"}}
                        },
                    },
                    "404": {"$ref": "#/components/responses/NotFound"},
                },
            }
        },
    },
    "components": {
        "responses": {
            "NotFound": {
                "description": "none",
                "content": {
                    "application/json": {
                        "schema": {"type": "object", "properties": {"detail": {"type": "string"}}}
                    }
                },
            }
        },
        "schemas": {
            "Id": {"type": "string", "format": "uuid"},
            "Thing": {
                "type": "object",
                "required": ["uuid", "type", "id"],
                "properties": {
                    "uuid": {"type": "string", "format": "uuid"},
                    "type": {"type": "string"},
                    "id": {"type": "integer"},
                    "format": {"type": "string"},
                    "datetime": {"type": "string", "format": "date-time"},
                    "date": {"type": "string", "format": "date"},
                    "time": {"type": "string", "format": "time"},
                    "body": {"type": "string"},
                    "options": {"type": "string"},
                    "str": {"type": "string"},
                    "address": {
                        "type": "object",
                        "properties": {"geo": {"type": "object", "properties": {"lat": {"type": "number"}}}},
                    },
                    "owner": {"$ref": "#/components/schemas/Owner"},
                },
            },
            "Owner": {"type": ["object", "null"], "properties": {"name": {"type": "string"}}},
            "Pet": {
                "type": "object",
                "properties": {"status": {"type": "string", "enum": ["sold", "kept"]}},
            },
            "Dog": {"allOf": [{"$ref": "#/components/schemas/Pet"}, {"properties": {"bark": {"type": "boolean"}}}]},
        }
    },
}  # fmt: skip


def test_inline_schemas_are_named_after_their_owner(tmp_path: Path) -> None:
    from generator.build import Options, build
    from generator.load import load

    (tmp_path / "spec.json").write_text(json.dumps(KEPT), encoding="utf-8")
    spec, _ = load(str(tmp_path / "spec.json"))
    assert spec is not None
    api, _ = build(spec, Options())
    assert api is not None
    names = {m.name for m in api.models} | {e.name for e in api.enums}
    names |= {a.name for a in api.aliases}
    assert names == {
        "Dog",
        "GetThingKind",  # each operation's own, though the two are alike
        "Id",
        "ListOthersKind",
        "NotFoundResponse",  # the shared response's, not the first user's
        "Owner",  # nullable: references read `Owner | None`, no `Owner_2`
        "Pet",
        "PetStatus",  # Dog merges Pet: still Pet's
        "Thing",
        "ThingAddress",
        "ThingAddressGeo",
    }
    thing = next(m for m in api.models if m.name == "Thing")
    fields = {f.wire: f.name for f in thing.fields}
    assert fields == {**{w: w for w in fields}, "str": "str_"}
    assert next(f for f in thing.fields if f.wire == "owner").type.client == (
        "Owner | None"
    )


def test_kept_names_work_on_both_sides(tmp_path: Path) -> None:
    import datetime
    import uuid

    folder = tmp_path / "kept"
    folder.mkdir()
    (folder / "spec.json").write_text(json.dumps(KEPT), encoding="utf-8")
    status, _, err = run_generator(
        "generate", "--spec", "spec.json", "--out", "out", "--no-cache",
        "--client-package", "kept_client", "--server-package", "kept_server",
        cwd=folder,
    )  # fmt: skip
    assert status == 0, err
    wire = {
        "uuid": "8c5b9f5e-9d3c-4c7e-8a43-2f1d3c9a1b00",
        "type": "t",
        "id": 7,
        "format": "f",
        "datetime": "2024-01-02T03:04:05+00:00",
        "date": "2024-01-02",
        "time": "03:04:05",
        "body": "b",
        "options": "o",
        "str": "s",
        "owner": None,
    }
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=wire)

    with imported(folder / "out", "kept_client", "kept_server"):
        client = importlib.import_module("kept_client.client")
        server = importlib.import_module("kept_server.models")
        with client.Client(
            base_url="http://x", transport=httpx.MockTransport(handle)
        ) as c:
            thing = c.get_thing(id=uuid.UUID(wire["uuid"]))
            c.get_thing(id=7)
        assert [r.url.path for r in seen] == [f"/things/{wire['uuid']}", "/things/7"]
        parsed = server.Thing.model_validate(wire)
        for side in (thing, parsed):
            assert side.uuid == uuid.UUID(wire["uuid"])
            assert (side.type, side.id, side.format) == ("t", 7, "f")
            assert side.datetime == datetime.datetime(
                2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC
            )
            assert side.date == datetime.date(2024, 1, 2)
            assert side.time == datetime.time(3, 4, 5)
            assert (side.body, side.options, side.str_) == ("b", "o", "s")
        assert thing.to_dict() == wire
        assert parsed.model_dump(mode="json", by_alias=True, exclude_unset=True) == {
            **wire,
            "datetime": "2024-01-02T03:04:05Z",
        }
