"""The build made while validation runs, and what validation's drops redo.

With more than one job, validation runs in a child while the parent builds
and renders the spec without what our own checks leave out whole (`left_out`).
A drop found only by the validator means a second build; its files are
rendered again only where the API built differs (`render_again`). Whichever
way, the files are those of a run that validated first (`jobs=1`).
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import generator.build
import generator.render
from generator import build, pipeline
from generator.load import load
from generator.render import RenderOptions, render, render_again

HEAD = """\
    openapi: {version}
    info: {{title: Pods, version: "1"}}
    paths:
      /pods:
        get:
          operationId: listPods
          responses:
            "200":
              description: ok
              content:
                application/json:
                  schema: {{$ref: "#/components/schemas/Pod"}}
    """

# A required property's default is never used: dropping it changes no file
# but the spec the server serves.
UNUSED_DEFAULT = """\
    components:
      schemas:
        Pod:
          type: object
          required: [spec]
          properties:
            spec: {type: string, default: {}}
    """

# An OpenAPI 3.0 bound in a 3.1 document: dropped, the model loses its bound.
OLD_BOUND = """\
    components:
      schemas:
        Pod:
          type: object
          properties:
            rate: {type: number, minimum: 0, exclusiveMinimum: true}
    """

# A path that cannot be one: our own checks leave its operations out.
QUERY_IN_PATH = """\
      /pods?beta=true:
        get:
          operationId: listBetaPods
          responses:
            "204": {description: ok}
    components:
      schemas:
        Pod: {type: object, properties: {name: {type: string}}}
    """


def _spec(tmp_path: Path, version: str, rest: str) -> str:
    path = tmp_path / "spec.yaml"
    text = textwrap.dedent(HEAD.format(version=version)) + textwrap.dedent(rest)
    path.write_text(text, encoding="utf-8")
    return str(path)


def _counted(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[Any]:
    """Calls of `module.name` in this process (not in forked children), by result."""
    results: list[Any] = []
    original: Callable[..., Any] = getattr(module, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        results.append(result)
        return result

    monkeypatch.setattr(module, name, counting)
    return results


def _files(spec: str, jobs: int) -> tuple[dict[str, str], list[str]]:
    result = pipeline.run(pipeline.Options(spec=spec, jobs=jobs), None)
    assert result.files is not None, result.diagnostics
    return result.files, [d.code for d in result.diagnostics]


def test_a_drop_that_changes_no_code_renders_only_the_served_spec_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _spec(tmp_path, "3.0.3", UNUSED_DEFAULT)
    expected, codes = _files(spec, jobs=1)
    assert codes == ["default-invalid"]
    renders = _counted(monkeypatch, generator.render, "render")
    again = _counted(monkeypatch, generator.render, "render_again")
    files, _ = _files(spec, jobs=2)
    assert files == expected
    assert len(renders) == 1  # here; the server side may render in a child
    assert len(again) == 1 and again[0] is not None
    served = json.loads(files["pods_server/openapi.json"])
    assert served["components"]["schemas"]["Pod"]["properties"]["spec"] == {
        "type": "string"
    }


def test_a_drop_that_changes_code_renders_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _spec(tmp_path, "3.1.0", OLD_BOUND)
    expected, codes = _files(spec, jobs=1)
    assert codes == ["schema-keyword-invalid"]
    assert "gt=" not in expected["pods_server/models.py"]
    renders = _counted(monkeypatch, generator.render, "render")
    again = _counted(monkeypatch, generator.render, "render_again")
    files, _ = _files(spec, jobs=2)
    assert files == expected
    assert again == [None]
    assert len(renders) == 2


def test_what_our_checks_leave_out_whole_is_left_out_of_the_first_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _spec(tmp_path, "3.0.3", QUERY_IN_PATH)
    expected, codes = _files(spec, jobs=1)
    assert codes == ["path-invalid"]
    assert "list_beta_pods" not in expected["pods_client/client.py"]
    builds = _counted(monkeypatch, generator.build, "build")
    files, _ = _files(spec, jobs=2)
    assert files == expected
    assert len(builds) == 1


def test_render_again_refuses_an_api_that_differs_beyond_the_served_spec(
    tmp_path: Path,
) -> None:
    spec, _ = load(_spec(tmp_path, "3.0.3", UNUSED_DEFAULT))
    assert spec is not None
    api, _ = build.build(spec, build.Options("", ""))
    assert api is not None
    files = {r.path: r.text for r in render(api, RenderOptions(api_key_env="K"))}
    served = api.server_package + "/openapi.json"

    document = json.loads(api.spec_json)
    document["info"]["title"] = "Served"
    retitled = dataclasses.replace(api, spec_json=json.dumps(document))
    again = render_again(retitled, api, files)
    assert again is not None
    assert {p for p in files if again[p] != files[p]} == {served}
    assert '"title": "Served"' in again[served]

    assert render_again(dataclasses.replace(api, title="Other"), api, files) is None
    client_only = {p: t for p, t in files.items() if p != served}
    assert render_again(retitled, api, client_only) == client_only
