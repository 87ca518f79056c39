"""Fields and parameters named like pydantic's own methods (`schema`, `json`, `validate`).

On the server such a field would shadow a method of `BaseModel`: pydantic warns
at import and mypy refuses the override. The server model calls it `schema_`,
with the wire name as its alias; the client, which has no such base, keeps
`schema`. Nothing changes on the wire.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

from tests.generality import calls
from tests.generality.support import generate, imported

SPEC = """\
openapi: 3.1.0
info: {title: Tables, version: "1"}
paths:
  /tables:
    get:
      operationId: getTable
      parameters:
        - {name: schema, in: query, schema: {type: string}}
        - {name: validate, in: query, required: true, schema: {type: boolean}}
      responses:
        "200":
          description: A table.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Shape"}
components:
  schemas:
    Table:
      type: object
      required: [schema, json]
      properties:
        schema: {type: string, const: table}
        json: {type: object}
        copy: {type: integer, default: 3}
    View:
      type: object
      required: [schema]
      properties:
        schema: {type: string, const: view}
    Shape:
      oneOf:
        - $ref: "#/components/schemas/Table"
        - $ref: "#/components/schemas/View"
      discriminator:
        propertyName: schema
        mapping:
          table: "#/components/schemas/Table"
          view: "#/components/schemas/View"
"""


class _Tables:
    def __init__(self, interface: Any, models: Any) -> None:
        self.i, self.m = interface, models
        self.params: list[Any] = []

    async def get_table(self, ctx: Any, params: Any) -> Any:
        self.params.append(params)
        return self.i.Ok(self.m.Table(schema_="table", json_={"a": 1}))


def test_pydantic_names_keep_their_wire_name(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    out = tmp_path / "out"
    generate(spec, out, "tables")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "m")]
        + ["-p", "tables_client", "-p", "tables_server"],
        cwd=out,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-5000:]
    with imported(out, "tables_client", "tables_server"), warnings.catch_warnings():
        warnings.simplefilter("error")  # pydantic's "shadows an attribute" included
        models = importlib.import_module("tables_server.models")
        interface = importlib.import_module("tables_server.interface")
        app_module = importlib.import_module("tables_server.app")
        client_module = importlib.import_module("tables_client.client")
        client_models = importlib.import_module("tables_client.models")

        table = models.Table.model_validate({"schema": "table", "json": {}})
        assert table.schema_ == "table" and table.copy_ == 3
        assert table.model_dump(by_alias=True) == {
            "schema": "table",
            "json": {},
            "copy": 3,
        }
        assert client_models.Table.from_dict({"schema": "table", "json": {}}).schema

        handler = _Tables(interface, models)
        TestClient = calls.test_client_class()
        app = app_module.create_app(handler, authenticate=calls.authenticate)
        with TestClient(app, raise_server_exceptions=True) as http:
            client = client_module.Client(
                base_url="http://testserver", transport=http._transport, max_retries=0
            )
            answer = client.get_table(schema="public", validate=True)
        assert (handler.params[0].schema_, handler.params[0].validate_) == (
            "public",
            True,
        )
        # The union dispatches on the property, whatever its attribute.
        assert isinstance(answer, client_models.Table)
        assert answer.schema == "table" and answer.json == {"a": 1}
