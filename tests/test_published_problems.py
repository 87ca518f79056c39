"""What published specs do wrong, each in a small spec (issue 12).

Where generated code does not depend on it, the spec generates, with a
warning at the line of what is left out; where it does, the spec is refused
at its line. Snapshots of the messages are in `tests/bad_specs/cases/`; the
published specs themselves are swept by `tests/generality/test_located_diagnostics.py`.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from generator import diagnostics as diag
from generator.load import iter_refs, load
from generator.validate import validate, without
from tests.conftest import run_generator
from tests.generality.support import imported

DIAGNOSTIC = re.compile(
    r"^(\S+):(\d+):(\d+): (error|warning)\[([a-z0-9-]+)\]: .* \(at #(.*)\)$"
)


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder / "spec.yaml"


def _diagnostics(spec: Path) -> list[diag.Diagnostic]:
    loaded, problems = load(str(spec))
    assert loaded is not None, problems
    return problems + validate(loaded)


def _line_of(spec: Path, text: str) -> int:
    """The 1-based line of `spec` that holds `text` (once)."""
    lines = spec.read_text(encoding="utf-8").splitlines()
    found = [i + 1 for i, line in enumerate(lines) if text in line]
    assert len(found) == 1, (text, found)
    return found[0]


def _generated(tmp_path: Path, spec: Path, name: str) -> tuple[Path, list[str]]:
    """Generate `spec` (which must succeed); the output folder and the warnings."""
    out = tmp_path / "out"
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
        "--no-cache",
    )
    assert status == 0, err
    assert "Traceback" not in err, err
    return out, [line for line in err.splitlines() if "warning[" in line]


# --- values generated code does not depend on ---------------------------------

KUBERNETES_DEFAULTS = """\
    openapi: 3.0.0
    info: {title: Pods, version: "1"}
    paths:
      /pods:
        get:
          operationId: listPods
          parameters:
            - name: limit
              in: query
              schema: {type: integer, default: "10"}
          responses:
            "200":
              description: ok
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Pod"}
    components:
      schemas:
        Pod:
          type: object
          properties:
            spec:
              default: {}
              allOf:
                - $ref: "#/components/schemas/PodSpec"
        PodSpec:
          type: object
          required: [containers]
          properties:
            containers: {type: array, items: {type: string}}
    """


def test_a_default_that_does_not_match_its_schema_is_dropped(tmp_path: Path) -> None:
    spec = _write(tmp_path, {"spec.yaml": KUBERNETES_DEFAULTS})
    out, warnings = _generated(tmp_path, spec, "pods")
    located = sorted(
        (int(m[2]), m[5], m[6]) for m in map(DIAGNOSTIC.match, warnings) if m
    )
    assert located == [
        (
            _line_of(spec, 'default: "10"'),
            "default-invalid",
            "/paths/~1pods/get/parameters/0/schema/default",
        ),
        (
            _line_of(spec, "default: {}"),
            "default-invalid",
            "/components/schemas/Pod/properties/spec/default",
        ),
    ]
    assert all("it is ignored" in w for w in warnings)
    with imported(out, "pods_client", "pods_server"):
        from pods_server.models import Pod  # type: ignore[import-not-found]

        # No default left to build a PodSpec from (it would need `containers`).
        assert Pod.model_validate({}).spec is None


def test_without_leaves_the_spec_as_written(tmp_path: Path) -> None:
    spec = _write(tmp_path, {"spec.yaml": KUBERNETES_DEFAULTS})
    loaded, _ = load(str(spec))
    assert loaded is not None
    problems = validate(loaded)
    seen = without(loaded, problems)
    pod = loaded.root.data["components"]["schemas"]["Pod"]["properties"]["spec"]
    assert "default" in pod
    assert (
        "default"
        not in seen.root.data["components"]["schemas"]["Pod"]["properties"]["spec"]
    )
    # Only the way to what was dropped is copied.
    assert (
        seen.root.data["components"]["schemas"]["PodSpec"]
        is loaded.root.data["components"]["schemas"]["PodSpec"]
    )


@pytest.mark.parametrize(
    ("version", "bound", "warned"),
    [
        ("3.1.0", "exclusiveMinimum: true", True),
        ("3.1.0", "exclusiveMinimum: 0", False),
        ("3.0.3", "exclusiveMinimum: true", False),
        ("3.0.3", "exclusiveMinimum: 0", True),
    ],
)
def test_an_exclusive_bound_is_read_by_the_documents_own_version(
    tmp_path: Path, version: str, bound: str, warned: bool
) -> None:
    spec = _write(
        tmp_path,
        {"spec.yaml": f"""\
            openapi: {version}
            info: {{title: Rates, version: "1"}}
            paths: {{}}
            components:
              schemas:
                Rate:
                  type: number
                  minimum: 0
                  {bound}
            """},
    )
    found = [(d.code, d.pointer) for d in _diagnostics(spec)]
    expected = [("schema-keyword-invalid", "/components/schemas/Rate/exclusiveMinimum")]
    assert found == (expected if warned else [])


def test_an_empty_enum_is_a_warning_in_3_1_and_an_error_in_3_0(tmp_path: Path) -> None:
    text = """\
        openapi: {version}
        info: {{title: Tags, version: "1"}}
        paths: {{}}
        components:
          schemas:
            Tag: {{type: string, enum: []}}
        """
    spec = _write(tmp_path, {"spec.yaml": text.format(version="3.1.0")})
    assert [(d.severity, d.code, d.drops) for d in _diagnostics(spec)] == [
        ("warning", "schema-enum-empty", True)
    ]
    spec = _write(tmp_path, {"spec.yaml": text.format(version="3.0.3")})
    assert [(d.severity, d.code) for d in _diagnostics(spec)] == [
        ("error", "schema-enum-invalid")
    ]


# --- operations the generator cannot represent -----------------------------


def test_a_path_with_a_query_part_skips_its_operations_only(tmp_path: Path) -> None:
    """OpenAI's `/responses?beta=true` beside `/responses`: one route each, and
    a server cannot tell them apart; the beta one is skipped."""
    spec = _write(
        tmp_path,
        {"spec.yaml": """\
            openapi: 3.1.0
            info: {title: Responses, version: "1"}
            paths:
              /responses:
                post:
                  operationId: createResponse
                  responses:
                    "200": {description: ok}
              /responses?beta=true:
                post:
                  operationId: beta_createResponse
                  responses:
                    "200": {description: ok}
            """},
    )
    out, warnings = _generated(tmp_path, spec, "responses")
    assert len(warnings) == 1
    assert f"spec.yaml:{_line_of(spec, '/responses?beta=true:')}:3: " in warnings[0]
    assert "warning[path-invalid]" in warnings[0] and "skipped" in warnings[0]
    with imported(out, "responses_client", "responses_server"):
        from responses_client import Client  # type: ignore[import-not-found]

        assert hasattr(Client, "create_response")
        assert not hasattr(Client, "beta_create_response")


SPLIT = {
    "spec.yaml": """\
        openapi: 3.0.3
        info: {title: Droplets, version: "1"}
        paths:
          /droplets/{droplet_id}:
            get:
              $ref: ops/get.yaml
        """,
    "ops/get.yaml": """\
        operationId: getDroplet
        parameters:
          - $ref: params.yaml#/droplet_id
        responses:
          "200":
            description: ok
            content:
              application/json:
                schema:
                  properties:
                    $ref: models.yaml#/droplet
        """,
    "ops/params.yaml": """\
        droplet_id: {name: droplet_id, in: path, required: true, schema: {type: integer}}
        """,
    "ops/models.yaml": """\
        droplet:
          id: {type: integer}
          name: {type: string}
        """,
}


def test_a_ref_on_an_operation_is_followed_with_a_warning(tmp_path: Path) -> None:
    """DigitalOcean's spec, split one file per operation, and its `properties`
    that are one `$ref`."""
    spec = _write(tmp_path, SPLIT)
    out, warnings = _generated(tmp_path, spec, "droplets")
    codes = sorted(m[5] for m in map(DIAGNOSTIC.match, warnings) if m)
    assert codes == ["ref-operation", "ref-properties"]
    assert any(f"/spec.yaml:{_line_of(spec, 'get:')}:5: " in w for w in warnings)
    assert any("/ops/get.yaml:10:11: " in w for w in warnings)
    with imported(out, "droplets_client", "droplets_server"):
        import inspect

        from droplets_client import Client
        from droplets_client.models import GetDropletResponse  # type: ignore[import-not-found]

        assert "droplet_id" in inspect.signature(Client.get_droplet).parameters
        assert set(GetDropletResponse.__annotations__) == {"id", "name"}


def test_a_duplicate_operation_id_through_a_path_alias_is_an_error(
    tmp_path: Path,
) -> None:
    spec = _write(
        tmp_path,
        {"spec.yaml": """\
            openapi: 3.0.1
            info: {title: Alias, version: "1"}
            paths:
              /test:
                get:
                  operationId: getTest
                  responses:
                    "200": {description: ok}
              /test2:
                $ref: "#/paths/~1test"
            """},
    )
    ((problem),) = _diagnostics(spec)
    assert (problem.severity, problem.code, problem.pointer) == (
        "error",
        "operation-id-duplicate",
        "/paths/~1test2",
    )
    assert problem.line == _line_of(spec, "/test2:")


# --- data is data ------------------------------------------------------------

SCIM = """\
    openapi: 3.0.3
    info: {title: SCIM, version: "1"}
    paths:
      /Groups:
        get:
          operationId: listGroups
          responses:
            "200":
              description: ok
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Group"}
                  examples:
                    one:
                      value:
                        members: [{$ref: "https://example.com/v2/Users/1"}]
                    shared:
                      $ref: "#/components/examples/Group"
    components:
      examples:
        Group:
          value:
            members: [{$ref: "../Users/902c246b"}]
      schemas:
        Group:
          type: object
          x-scim-sample: {$ref: "https://example.com/schema"}
          example:
            members:
              - value: 2819c223
                $ref: https://example.com/v2/Users/2819c223
          properties:
            manager:
              type: object
              properties:
                $ref: {type: string}
              default: {$ref: "https://example.com/v2/Users/1"}
            members:
              type: array
              default: [{$ref: "#/nowhere"}]
              items:
                type: object
                properties:
                  value: {type: string}
                  $ref: {type: string}
    """


def test_a_ref_inside_data_is_not_a_reference(tmp_path: Path) -> None:
    """An example of a SCIM group, whose members carry `$ref` URLs."""
    spec = _write(tmp_path, {"spec.yaml": SCIM})
    assert _diagnostics(spec) == []
    _generated(tmp_path, spec, "scim")


def _refs(text: str, document: bool = True) -> list[tuple[str, str]]:
    import yaml

    data: Any = yaml.safe_load(textwrap.dedent(text))
    return sorted(
        (diag.pointer_of(parts), ref)
        for parts, ref in iter_refs(data, document=document)
    )


def test_iter_refs_skips_data_and_keeps_names_that_look_like_keywords() -> None:
    assert _refs(SCIM) == [
        (
            "/paths/~1Groups/get/responses/200/content/application~1json/examples/shared/$ref",
            "#/components/examples/Group",
        ),
        (
            "/paths/~1Groups/get/responses/200/content/application~1json/schema/$ref",
            "#/components/schemas/Group",
        ),
    ]
    # Names in maps are never data, whatever they are called.
    named = """\
        paths:
          /a:
            get:
              responses:
                default: {$ref: "#/components/responses/Error"}
        components:
          schemas:
            example: {$ref: "#/components/schemas/default"}
            default:
              properties:
                enum: {$ref: "#/components/schemas/x-value"}
                x-default: {$ref: "#/components/schemas/x-value"}
        """
    assert [ref for _, ref in _refs(named)] == [
        "#/components/schemas/x-value",
        "#/components/schemas/x-value",
        "#/components/schemas/default",
        "#/components/responses/Error",
    ]
    # The top of a referenced file may be a map of names: nothing there is data.
    assert _refs("default: {$ref: a.yaml}\n", document=False) == [
        ("/default/$ref", "a.yaml")
    ]
    assert _refs("default: {$ref: a.yaml}\n") == []


# --- the validator's own limits are not ours ---------------------------------

RECURSIVE_ALLOF = """\
    openapi: 3.0.3
    info: {title: Recursive, version: "1"}
    paths:
      /nodes:
        get:
          operationId: getNode
          responses:
            "200":
              description: ok
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Node"}
    components:
      schemas:
        Node:
          allOf:
            - $ref: "#/components/schemas/Node"
            - type: object
              required: [id]
              properties:
                id: {type: string}
        Even:
          allOf:
            - $ref: "#/components/schemas/Odd"
          required: [even]
          properties:
            even: {type: boolean}
        Odd:
          allOf:
            - $ref: "#/components/schemas/Even"
          required: [odd]
          properties:
            odd: {type: boolean}
    """


def test_a_recursive_allof_does_not_stop_the_validator(tmp_path: Path) -> None:
    """The validator's `_collect_properties` recursed without end on these."""
    spec = _write(tmp_path, {"spec.yaml": RECURSIVE_ALLOF})
    assert _diagnostics(spec) == []


def test_a_validator_crash_is_one_located_error_and_the_rest_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openapi_spec_validator.validation import keywords

    plain = keywords.OpenAPIV3ResponseValidator.__call__

    def crashing(self: Any, code: str, response: Any) -> Any:
        if code == "418":
            raise KeyError("teapot")
        return plain(self, code, response)

    monkeypatch.setattr(keywords.OpenAPIV3ResponseValidator, "__call__", crashing)
    spec = _write(
        tmp_path,
        {"spec.yaml": """\
            openapi: 3.0.3
            info: {title: Teapot, version: "1"}
            paths:
              /brew:
                get:
                  operationId: brew
                  responses:
                    "418": {description: short and stout}
              /pour:
                get:
                  operationId: pour
                  parameters:
                    - {name: cups, in: query, schema: {type: integer, default: many}}
                  responses:
                    "200": {description: ok}
            """},
    )
    found = {(d.severity, d.code, d.pointer, d.line) for d in _diagnostics(spec)}
    assert found == {
        ("error", "oas-invalid", "/paths/~1brew/get/responses/418", 8),
        (
            "warning",
            "default-invalid",
            "/paths/~1pour/get/parameters/0/schema/default",
            13,
        ),
    }
    (crash,) = [d for d in _diagnostics(spec) if d.severity == "error"]
    assert "KeyError" in crash.message and "openapi-spec-validator" in crash.message


# --- --strict, and [tool.generator] strict ----------------------------------


def test_strict_in_the_configuration_makes_warnings_errors(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "spec.yaml": KUBERNETES_DEFAULTS,
            "pyproject.toml": """\
            [tool.generator]
            spec = "spec.yaml"
            out = "generated"
            strict = true
            """,
        },
    )
    status, _, err = run_generator("validate", cwd=tmp_path)
    assert status == 1 and "warning[default-invalid]" in err, err
    status, _, err = run_generator("generate", "--no-cache", cwd=tmp_path)
    assert status == 1 and "warning[default-invalid]" in err, err
    assert not (tmp_path / "generated").exists()
    status, _, err = run_generator(
        "generate", "--no-strict", "--no-cache", cwd=tmp_path
    )
    assert status == 0, err
    # Another spec than the configured one is not held to it.
    (tmp_path / "other.yaml").write_text(textwrap.dedent(KUBERNETES_DEFAULTS))
    status, _, err = run_generator("validate", "--spec", "other.yaml", cwd=tmp_path)
    assert status == 0, err
