"""Names a person would have written (STYLE.md 18), in the persons output and
in every golden case: the spec's names where Python allows them, no numbered
names, inline schemas named after their owner in at most 40 characters, and
names that an unrelated spec edit leaves alone.
"""

from __future__ import annotations

import ast
import copy
import keyword
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator import naming
from generator.build import Options, build
from generator.load import load
from tests.conftest import GENERATED, ROOT, SPEC
from tests.golden.regenerate import cases

MODEL_MODULES = sorted(GENERATED.glob("*/models.py")) + sorted(
    p for case in cases() for p in (case / "expected").glob("*/models.py")
)


def _module_id(path: Path) -> str:
    return path.relative_to(ROOT).parent.as_posix()


def _types_and_fields(path: Path) -> tuple[list[str], list[tuple[str, str, str]]]:
    """The models, enums and aliases a module defines, and each field as
    (class, Python name, wire name)."""
    types: list[str] = []
    fields: list[tuple[str, str, str]] = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef):
            types.append(node.name)
            wire: dict[str, str] = {}
            declared = []
            for item in node.body:
                if not isinstance(item, ast.AnnAssign):
                    continue
                assert isinstance(item.target, ast.Name)
                name = item.target.id
                if name == "_wire":  # the client's map of renamed fields
                    wire = ast.literal_eval(item.value)  # type: ignore[arg-type]
                elif not name.startswith("_") and name != "model_config":
                    declared.append((name, item))
            for name, item in declared:
                # The server names a field's wire name as its alias.
                alias = next(
                    (
                        kw.value.value
                        for kw in getattr(item.value, "keywords", [])
                        if kw.arg == "alias" and isinstance(kw.value, ast.Constant)
                    ),
                    None,
                )
                fields.append((node.name, name, wire.get(name) or alias or name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            types.append(node.target.id)  # `Name: TypeAlias = ...`
    return types, fields


@pytest.mark.parametrize(
    "module",
    MODEL_MODULES,
    ids=lambda p: f"{p.parent.parent.parent.name}/{p.parent.name}",
)
def test_type_names_are_short_and_unnumbered(module: Path) -> None:
    types, _ = _types_and_fields(module)
    numbered = [t for t in types if re.search(r"_\d+$", t)]
    long = [t for t in types if len(t) > naming.TYPE_NAME_LIMIT]
    assert (numbered, long) == ([], [])


@pytest.mark.parametrize(
    "module",
    MODEL_MODULES,
    ids=lambda p: f"{p.parent.parent.parent.name}/{p.parent.name}",
)
def test_fields_keep_the_spec_names(module: Path) -> None:
    """A field is its wire name in snake_case: renamed only where Python must
    (`$unset` is `unset`), never suffixed to dodge a name of ours."""
    _, fields = _types_and_fields(module)
    renamed = [
        (cls, name, wire)
        for cls, name, wire in fields
        if name != naming.snake(wire) or name.endswith("_") and not wire.endswith("_")
    ]
    assert renamed == []
    # The spec's own names of this kind survive, the ones that used to clash.
    spelled = {name for _, name, _ in fields}
    if module.parent.parent == GENERATED:
        assert {"uuid", "type", "id"} <= spelled


def test_persons_names_before_and_after() -> None:
    """The names issue 11 quotes, as they read now."""
    text = (GENERATED / "persons_client" / "models.py").read_text(encoding="utf-8")
    types, _ = _types_and_fields(GENERATED / "persons_client" / "models.py")
    assert "ActivityDetail" in types and "ActivityDetail_2" not in types
    assert "detail: ActivityDetail | None" in text
    # Named after the shared parameter, not the first operation that uses it.
    assert {"Format", "LegacyEntityType"} <= set(types)
    assert "PersonsStickinessRetrieveEntityType" not in types
    assert "PersonsFunnelCorrelationPersonConverted" in types
    assert "import uuid as _uuid" in text and "    uuid: _uuid.UUID\n" in text


def _names(spec: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    loaded, problems = load(str(path))
    assert loaded is not None, problems
    api, _ = build(loaded, Options())
    assert api is not None
    return {
        **{m.name: m for m in api.models},
        **{e.name: e for e in api.enums},
        **{a.name: a for a in api.aliases},
    }


def test_adding_an_operation_renames_no_model(tmp_path: Path) -> None:
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    before = _names(spec, tmp_path)
    edited = copy.deepcopy(spec)

    def inline(path: str, param: str) -> Any:
        """The schema of an operation's own parameter in the persons spec."""
        item = spec["paths"][path]["get"]["parameters"]
        return next(p["schema"] for p in item if p.get("name") == param)

    # Sorted first, the new operation is named first; its inline schemas are
    # copies of existing ones, or want names existing ones have.
    projects = "/api/projects/{project_id}/persons"
    status = {"type": "string", "enum": ["x", "y"]}
    edited["paths"]["/api/projects/{project_id}/a/"] = {
        "get": {
            "operationId": "a_list",
            "parameters": [
                {"$ref": "#/components/parameters/ProjectIdPath"},
                {"name": "format", "in": "query", "schema": status},
                {"name": "status", "in": "query", "schema": status},
                {
                    "name": "lifecycle_type",
                    "in": "query",
                    "schema": inline(f"{projects}/lifecycle/", "lifecycle_type"),
                },
                {
                    "name": "period",
                    "in": "query",
                    "schema": inline(f"{projects}/retention/", "period"),
                },
            ],
            "responses": {
                "200": {
                    "description": "ok",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"type": status, "detail": status},
                            }
                        }
                    },
                }
            },
        }
    }
    after = _names(edited, tmp_path)
    assert set(before) < set(after)
    assert all(after[name] == model for name, model in before.items())
    assert set(after) - set(before) == {
        "AListFormat",
        "AListLifecycleType",
        "AListPeriod",
        "AListResponse",
        "AListResponseDetail",
        "AListResponseType",
        "AListStatus",
    }


@pytest.mark.parametrize(
    ("hint", "name"),
    [
        ("PersonAddress", "PersonAddress"),
        (
            "PersonsFunnelCorrelationRetrieveFunnelCorrelationPersonConverted",
            "PersonsFunnelCorrelationPersonConverted",
        ),
        (
            "StagesAuthenticatorWebauthnListAuthenticatorAttachment",
            "StagesWebauthnAuthenticatorAttachment",
        ),
        (
            "ProvidersSamlMetadataRetrieveForceBinding",
            "ProvidersSamlMetadataForceBinding",
        ),
        ("A" + "b" * 60, "A" + "b" * 39),
        ("Get" + "Item" * 20, "GetItem"),
        ("Item" * 11, "Item"),
        # At the limit a name is kept whole, repeats and all.
        ("ItemName" * 5, "ItemName" * 5),
        # Over it: repeats go first; a verb stays if that is enough.
        (
            "PersonsPersonsItemNameCountryCodeRetrievePostalCountry",
            "PersonsItemNameCodeRetrievePostalCountry",
        ),
        # Then verbs, but not the last word.
        (
            "RetrieveNameXyzzyUpdateAddressCountryUpdateList",
            "NameXyzzyAddressCountryList",
        ),
        # Then words after the first, from the first of them on.
        (
            "NameGetCodeXyzzyBbPostalCountryRegionPersons",
            "NameXyzzyBbPostalCountryRegionPersons",
        ),
    ],
)
def test_type_name_shortens_long_hints(hint: str, name: str) -> None:
    assert naming.type_name(hint) == name
    assert len(name) <= naming.TYPE_NAME_LIMIT and name.isidentifier()
    assert not keyword.iskeyword(name)


def test_documentation_spells_the_modules_not_our_aliases() -> None:
    """Code imports `uuid as _uuid`; a README says `uuid.UUID`."""
    readmes = [GENERATED / "persons_client" / "README.md"]
    readmes += [p for case in cases() for p in (case / "expected").glob("*/README.md")]
    text = "\n".join(p.read_text(encoding="utf-8") for p in readmes)
    assert "_uuid." not in text and "_dt." not in text
    assert "x_request_id=...,  # uuid.UUID" in text  # golden `parameters`


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("mro", "MRO"),
        ("class", "CLASS"),
        ("None", "NONE"),
        ("2nd", "VALUE_2_ND"),
        ("", "VALUE"),
    ],
)
def test_enum_members_are_names_enum_accepts(text: str, name: str) -> None:
    import enum

    assert naming.constant(text) == name
    assert enum.Enum("E", {name: text})[name].value == text


def test_a_package_name_never_starts_with_a_digit() -> None:
    assert naming.package("Swagger Petstore", "client") == "swagger_petstore_client"
    assert naming.package("2024 Store", "server") == "api_2024_store_server"


def test_a_reserved_field_name_gets_underscores_until_it_is_free() -> None:
    # `json` and `copy` are BaseModel's: each gets `_` appended, past a field
    # that already has the name with one, and the other names stay.
    assert naming.server_attributes(["json", "json_", "copy", "name"]) == [
        "json__",
        "json_",
        "copy_",
        "name",
    ]
