"""Specs split over files: relative `$ref`s into other files and their components, recursion across files."""

from __future__ import annotations

import importlib
from pathlib import Path

from tests.conftest import run_generator
from tests.generality.support import build_ir, generate, imported

ROOT = """\
openapi: 3.0.3
info: {title: Split, version: "1"}
paths:
  /pets:
    $ref: "paths/pets.yaml"
components:
  schemas:
    Error:
      $ref: "schemas/common.yaml#/components/schemas/Error"
"""
PETS = """\
get:
  operationId: listPets
  parameters:
    - $ref: "../schemas/common.yaml#/components/parameters/Limit"
  responses:
    "200":
      description: The pets.
      content:
        application/json:
          schema:
            type: array
            items: {$ref: "../schemas/pet.yaml#/Pet"}
    default:
      description: An error.
      content:
        application/json:
          schema: {$ref: "../schemas/common.yaml#/components/schemas/Error"}
"""
PET = """\
Pet:
  type: object
  required: [name]
  properties:
    name: {type: string}
    owner: {$ref: "common.yaml#/components/schemas/Owner"}
    children:
      type: array
      items: {$ref: "#/Pet"}
"""
COMMON = """\
components:
  parameters:
    Limit:
      name: limit
      in: query
      schema: {type: integer, maximum: 100}
  schemas:
    Owner:
      type: object
      properties:
        name: {type: string}
        pets:
          type: array
          items: {$ref: "pet.yaml#/Pet"}
    Error:
      type: object
      properties:
        message: {type: string}
"""


def _write(folder: Path) -> Path:
    for name, text in {
        "spec.yaml": ROOT,
        "paths/pets.yaml": PETS,
        "schemas/pet.yaml": PET,
        "schemas/common.yaml": COMMON,
    }.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder / "spec.yaml"


def test_references_across_files_generate(tmp_path: Path) -> None:
    spec = _write(tmp_path / "spec")
    api = build_ir(spec)
    assert {m.name for m in api.models} >= {"Pet", "Owner", "Error"}
    pet = next(m for m in api.models if m.name == "Pet")
    # Recursive through another file and back: Pet -> Owner -> Pet.
    assert {f.wire: f.type.client for f in pet.fields} == {
        "children": "list[Pet]",
        "name": "str",
        "owner": "Owner",
    }
    assert [p.wire for p in api.operations[0].params] == ["limit"]
    out = tmp_path / "out"
    generate(spec, out, "split")
    with imported(out, "split_client", "split_server"):
        models = importlib.import_module("split_client.models")
        pet_value = models.Pet.from_dict(
            {"name": "a", "owner": {"pets": [{"name": "b", "children": []}]}}
        )
        assert pet_value.owner.pets[0].name == "b"
        importlib.import_module("split_server.app")


def test_output_does_not_depend_on_where_the_spec_sits(tmp_path: Path) -> None:
    texts = []
    for where in ("a", "b/deeper"):
        spec = _write(tmp_path / where)
        out = tmp_path / f"out-{where.replace('/', '-')}"
        generate(spec, out, "split")
        texts.append(
            {
                str(p.relative_to(out)): p.read_bytes()
                for p in sorted(out.rglob("*"))
                if p.is_file()
            }
        )
    assert texts[0] == texts[1]


def test_a_problem_in_another_file_names_that_file_and_line(tmp_path: Path) -> None:
    spec = _write(tmp_path / "spec")
    (tmp_path / "spec" / "schemas" / "common.yaml").write_text(
        COMMON.replace(
            'items: {$ref: "pet.yaml#/Pet"}', 'items: {$ref: "pet.yaml#/Cat"}'
        ),
        encoding="utf-8",
    )
    status, _, err = run_generator(
        "generate",
        "--spec",
        "spec.yaml",
        "--out",
        str(tmp_path / "out"),
        cwd=spec.parent,
    )
    assert status == 1
    assert (
        "schemas/common.yaml:14:19: error[ref-unresolved]: reference 'pet.yaml#/Cat' does not resolve"
        in err
    ), err
    assert not (tmp_path / "out").exists()
