"""What a request may carry, checked end to end: readOnly/writeOnly request variants,
discriminated unions, explicit null for optional fields, and one handler per scope.

The specs are the golden feature cases `read_write_only` and `discriminator`
(their bytes are pinned there); here the generated code is type-checked and run.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from generator import ir
from tests.generality import calls
from tests.generality.support import build_ir, generate, imported

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
READ_WRITE = GOLDEN / "read_write_only" / "spec.yaml"
DISCRIMINATOR = GOLDEN / "discriminator" / "spec.yaml"

NOT_NULL = """\
openapi: 3.0.3
info: {title: Not Null, version: "1"}
paths:
  /notes:
    post:
      operationId: createNote
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
        - name: filter
          in: query
          content:
            application/json:
              schema: {type: object, properties: {q: {type: string}}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Note"}
      responses:
        "200":
          description: The note.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Note"}
components:
  schemas:
    Note:
      type: object
      required: [body]
      properties:
        body: {type: string}
        title: {type: string}
        archived: {type: string, nullable: true}
        pinned: {type: boolean, default: false}
"""

SCOPES = """\
openapi: 3.0.3
info: {title: Scoped, version: "1"}
x-path-scopes:
  - {name: project, prefix: "/api/projects/{project_id}"}
  - {name: environment, prefix: "/api/environments/{environment_id}"}
components:
  securitySchemes:
    key: {type: http, scheme: bearer}
paths:
  /api/environments/{environment_id}/things/:
    get:
      operationId: environments_things_list
      parameters:
        - {name: environment_id, in: path, required: true, schema: {type: string}}
        - {name: format, in: query, schema: {type: string, enum: [json, csv]}}
      security: [{key: [read]}]
      responses:
        "200": {description: Things.}
  /api/projects/{project_id}/things/:
    get:
      operationId: things_list
      parameters:
        - {name: project_id, in: path, required: true, schema: {type: string}}
        - {name: format, in: query, schema: {type: string, enum: [json, csv]}}
      security: [{key: [READ_SCOPES]}]
      responses:
        "200": {description: Things.}
"""


def _mypy(out: Path, name: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
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


def _server(module: Any, handler: object) -> Any:
    TestClient = calls.test_client_class()
    app = module.create_app(handler, authenticate=calls.authenticate)
    return TestClient(app, raise_server_exceptions=True)


# --- readOnly / writeOnly ---------------------------------------------------


def test_request_variants_in_the_ir() -> None:
    api = build_ir(READ_WRITE)
    models = {m.name: m for m in api.models}
    ops = {o.name: o for o in api.operations}
    # Only what some request body reaches gets a variant; Audit and Tag do not.
    assert set(models) == {"Audit", "Owner", "OwnerRequest", "Pet", "PetRequest", "Tag"}
    pet, pet_request = models["Pet"], models["PetRequest"]
    assert [f.wire for f in pet_request.fields] == ["name", "password", "tags"]
    # writeOnly `password`: required in requests, never in responses.
    assert {f.wire: f.required for f in pet_request.fields}["password"]
    assert not {f.wire: f.required for f in pet.fields}["password"]
    assert {f.wire: f.required for f in pet.fields}["id"]
    owner_request = {f.wire: f.type for f in models["OwnerRequest"].fields}
    assert owner_request["pets"] == ir.ArrayType(ir.NamedType("PetRequest"))
    assert owner_request["best"] == ir.NamedType("PetRequest")
    assert {a.name: a.type for a in api.aliases}["PetsRequest"] == ir.ArrayType(
        ir.NamedType("PetRequest")
    )
    for name, sent in (
        ("create_pet", "PetRequest"),
        ("create_pets", "PetsRequest"),
        ("replace_owner", "OwnerRequest"),
    ):
        body = ops[name].body
        assert body is not None and body.type == ir.NamedType(sent)
        answered = ops[name].responses[0].body_type
        assert answered == ir.NamedType(sent.removesuffix("Request"))


class _Pets:
    def __init__(self, interface: Any, models: Any) -> None:
        self.i, self.m = interface, models
        self.received: list[Any] = []

    async def create_pet(self, ctx: Any, params: Any, body: Any) -> Any:
        self.received.append(body)
        return self.i.Created(self.m.Pet(id=7, name=body.name))

    async def create_pets(self, ctx: Any, params: Any, body: Any) -> Any:
        return self.i.Created(
            [self.m.Pet(id=i, name=p.name) for i, p in enumerate(body)]
        )

    async def replace_owner(self, ctx: Any, params: Any, body: Any) -> Any:
        self.received.append(body)
        return self.i.Ok(self.m.Owner(name="o"))

    async def get_owner(self, ctx: Any, params: Any) -> Any:
        return self.i.Ok(self.m.Owner(name="o"))


def test_request_variants_type_check_and_serve(tmp_path: Path) -> None:
    generate(READ_WRITE, tmp_path, "rw")
    _mypy(tmp_path, "rw", tmp_path)
    with imported(tmp_path, "rw_client", "rw_server"):
        app = importlib.import_module("rw_server.app")
        handler = _Pets(
            importlib.import_module("rw_server.interface"),
            importlib.import_module("rw_server.models"),
        )
        with _server(app, handler) as http:
            # No `id` (readOnly, required): a request without it is whole.
            sent = http.post("/pets", json={"name": "rex", "password": "s"})
            assert sent.status_code == 201, sent.text
            assert sent.json() == {"id": 7, "name": "rex"}
            assert type(handler.received[-1]).__name__ == "PetRequest"
            # writeOnly `password` is required in a request.
            assert http.post("/pets", json={"name": "rex"}).status_code in (400, 422)
            nested = {"name": "o", "pets": [{"name": "a", "password": "p"}]}
            assert http.put("/owners/1", json=nested).status_code == 200
            assert type(handler.received[-1].pets[0]).__name__ == "PetRequest"
        client_models = importlib.import_module("rw_client.models")
        # The client decodes responses into the full model and sends the variant.
        assert client_models.Pet.from_dict({"id": 1, "name": "a"}).id == 1
        assert client_models.PetRequest(name="a", password="p").to_dict() == {
            "name": "a",
            "password": "p",
        }


# --- discriminator ---------------------------------------------------------


def test_discriminator_in_the_ir() -> None:
    api = build_ir(DISCRIMINATOR)
    models = {m.name: m for m in api.models}
    aliases = {a.name: a.type for a in api.aliases}
    pet = aliases["Pet"]
    assert isinstance(pet, ir.UnionType) and pet.discriminator is not None
    assert pet.discriminator.wire == "kind" and pet.discriminator.name == "kind"
    assert pet.discriminator.mapping == (("cat", "Cat"), ("dog", "Dog"))
    # The request variant dispatches to the variant of Dog.
    pet_request = aliases["PetRequest"]
    assert isinstance(pet_request, ir.UnionType) and pet_request.discriminator
    assert pet_request.discriminator.mapping == (("cat", "Cat"), ("dog", "DogRequest"))
    # Implicit values are schema names; the wire name differs from the attribute.
    shape = aliases["Shape"]
    assert isinstance(shape, ir.UnionType) and shape.discriminator is not None
    assert (shape.discriminator.wire, shape.discriminator.name) == (
        "shape-type",
        "shape_type",
    )
    assert shape.discriminator.mapping == (("Circle", "Circle"), ("Square", "Square"))
    # Bird lacks the property: Animal stays a plain union, Fish keeps its type.
    animal = aliases["Animal"]
    assert isinstance(animal, ir.UnionType) and animal.discriminator is None
    assert models["Fish"].tag_field is None
    tag = models["Dog"].tag_field
    assert tag is not None and tag.type == ir.ConstType("dog") and tag.required
    assert pet.server == 'Annotated[Cat | Dog, Field(discriminator="kind")]'
    assert pet.client == "Cat | Dog"


class _Zoo:
    def __init__(self, interface: Any, models: Any) -> None:
        self.i, self.m = interface, models
        self.received: list[Any] = []

    async def create_pet(self, ctx: Any, params: Any, body: Any) -> Any:
        self.received.append(body)
        return self.i.Created(self.m.Cat(kind="cat"))

    async def list_shapes(self, ctx: Any, params: Any) -> Any:
        return self.i.Ok(
            [
                self.m.Circle(shape_type="Circle", radius=1.0),
                self.m.Square(shape_type="Square", side=2.0),
            ]
        )

    async def get_home(self, ctx: Any, params: Any) -> Any:
        return self.i.Ok(self.m.Home(pet=None))


def test_discriminated_unions_type_check_and_dispatch(tmp_path: Path) -> None:
    generate(DISCRIMINATOR, tmp_path, "disc")
    _mypy(tmp_path, "disc", tmp_path)
    with imported(tmp_path, "disc_client", "disc_server"):
        app = importlib.import_module("disc_server.app")
        handler = _Zoo(
            importlib.import_module("disc_server.interface"),
            importlib.import_module("disc_server.models"),
        )
        with _server(app, handler) as http:
            dog = http.post("/pets", json={"kind": "dog", "barks": True, "id": 1})
            assert dog.status_code == 201, dog.text
            assert type(handler.received[-1]).__name__ == "DogRequest"
            assert http.post("/pets", json={"kind": "cat"}).status_code == 201
            assert type(handler.received[-1]).__name__ == "Cat"
            for wrong in ({"kind": "cow"}, {"barks": True}, {"kind": "hound"}):
                assert http.post("/pets", json=wrong).status_code in (400, 422)
            shapes = http.get("/shapes")
            assert shapes.json() == [
                {"shape-type": "Circle", "radius": 1.0},
                {"shape-type": "Square", "side": 2.0},
            ]
        client_models = importlib.import_module("disc_client.models")
        assert client_models.Dog._discriminator == ("kind", "dog")
        assert client_models.Circle._discriminator == ("shape-type", "Circle")
        assert client_models.Fish._discriminator is None
        # The client fills in the tag itself.
        assert client_models.Cat().to_dict() == {"kind": "cat"}


# --- explicit null ----------------------------------------------------------


class _Notes:
    def __init__(self, interface: Any) -> None:
        self.i = interface
        self.received: list[Any] = []

    async def create_note(self, ctx: Any, params: Any, body: Any) -> Any:
        self.received.append((params, body))
        return self.i.Ok(body)


def test_optional_fields_may_be_omitted_but_not_null(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(NOT_NULL, encoding="utf-8")
    out = tmp_path / "out"
    generate(spec, out, "nn")
    _mypy(out, "nn", tmp_path)
    with imported(out, "nn_client", "nn_server"):
        app = importlib.import_module("nn_server.app")
        handler = _Notes(importlib.import_module("nn_server.interface"))
        with _server(app, handler) as http:
            assert http.post("/notes", json={"body": "b"}).status_code == 200
            params, body = handler.received[-1]
            assert body.title is None and params.limit is None
            for refused in (
                {"body": "b", "title": None},
                {"body": "b", "pinned": None},
            ):
                assert http.post("/notes", json=refused).status_code in (400, 422)
            # Nullable stays nullable.
            assert (
                http.post("/notes", json={"body": "b", "archived": None}).status_code
                == 200
            )
            # A JSON parameter can be null too: refused the same way.
            refused_param = http.post(
                "/notes", params={"filter": "null"}, json={"body": "b"}
            )
            assert refused_param.status_code in (400, 422)
            kept = http.post(
                "/notes", params={"filter": '{"q": "x"}'}, json={"body": "b"}
            )
            assert kept.status_code == 200


# --- scopes -----------------------------------------------------------------


def test_scopes_compare_security_and_name_from_the_first_scope(tmp_path: Path) -> None:
    from generator import build as build_stage
    from generator.load import load
    from generator.validate import validate

    spec = tmp_path / "spec.yaml"
    spec.write_text(SCOPES, encoding="utf-8")
    loaded, problems = load(str(spec))
    assert loaded is not None, problems
    problems += validate(loaded)
    api, problems = build_stage.build(loaded, build_stage.Options())
    mismatch = [p for p in problems if p.code == "scope-mismatch"]
    assert len(mismatch) == 1 and "security" in mismatch[0].message
    assert api is not None
    # Output order stays sorted by path; names come from the first scope.
    assert [o.name for o in api.operations] == [
        "environments_things_list",
        "things_list",
    ]
    assert [e.name for e in api.enums] == ["ThingsListFormat"]

    agreeing = spec.with_name("agreeing.yaml")
    agreeing.write_text(SCOPES.replace("[READ_SCOPES]", "[read]"), encoding="utf-8")
    assert build_ir(agreeing).handlers[0].security[0].schemes == (("key", ("read",)),)


@pytest.mark.parametrize(
    "schema",
    ["AfterValidator", "SCHEMES", "ROUTES", "Handler", "ClassVar"],
)
def test_module_names_the_generated_code_uses_are_not_taken(
    tmp_path: Path, schema: str
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        NOT_NULL.replace("Note", schema).replace("/notes", "/things"), encoding="utf-8"
    )
    names = {m.name for m in build_ir(spec).models}
    assert schema not in names and f"{schema}Model" in names
