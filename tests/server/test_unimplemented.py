"""`UnimplementedHandler`: a server that starts with one operation.

A four-line subclass passes `mypy --strict`, while its overrides are still
checked against `Handler`; every operation it leaves out answers 501 in the
API's error shape, after the request has been authenticated and validated.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys

import httpx
import pytest
from persons_server import UnimplementedHandler, create_app

from tests.conftest import GENERATED

HEADER = """\
from persons_server import Context, Handler, UnimplementedHandler, create_app
from persons_server.interface import (
    CommonErrors, Created, NotFound, Ok, PersonsListParams, PersonsRetrieveParams
)
from persons_server.models import ErrorResponse, PersonRecord
"""

CASES = {
    "four_lines": """
class Tiny(UnimplementedHandler):
    async def persons_retrieve(self, ctx: Context, params: PersonsRetrieveParams
    ) -> Ok[PersonRecord] | CommonErrors:
        return NotFound(ErrorResponse(type="t", code="c", detail="d"))


create_app(Tiny(), authenticate=lambda scheme, key: None)
""",
    "wrong_parameters": """
class WrongParameters(UnimplementedHandler):
    async def persons_retrieve(self, ctx: Context, params: PersonsListParams) -> Ok[PersonRecord] | CommonErrors:
        raise NotImplementedError
""",
    "undocumented_status": """
class Teapot(UnimplementedHandler):
    async def persons_retrieve(self, ctx: Context, params: PersonsRetrieveParams) -> Ok[PersonRecord] | Created[PersonRecord]:
        raise NotImplementedError
""",
    "abstract": """
class FromHandler(Handler):
    async def persons_retrieve(self, ctx: Context, params: PersonsRetrieveParams) -> Ok[PersonRecord] | CommonErrors:
        raise NotImplementedError


FromHandler()
""",
}


@pytest.fixture(scope="module")
def mypy_errors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("unimplemented")
    for name, body in CASES.items():
        (folder / f"case_{name}.py").write_text(HEADER + body, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(folder / ".mypy-cache"),
            *sorted(str(p) for p in folder.glob("case_*.py")),
        ],
        capture_output=True,
        text=True,
        cwd=folder,
        env={**os.environ, "MYPYPATH": str(GENERATED)},
        timeout=240,
    )
    errors = dict.fromkeys(CASES, "")
    for line in result.stdout.splitlines():
        match = re.search(r"case_(\w+)\.py:\d+: error: (.*)", line)
        if match:
            errors[match[1]] += match[2] + "\n"
    assert result.returncode in (0, 1), result.stdout + result.stderr
    return errors


def test_a_four_line_subclass_type_checks(mypy_errors: dict[str, str]) -> None:
    assert len(CASES["four_lines"].strip().split("\n\n\n")[0].splitlines()) == 4
    assert mypy_errors["four_lines"] == ""


def test_overrides_are_still_checked_against_handler(
    mypy_errors: dict[str, str],
) -> None:
    for case, what in (
        ("wrong_parameters", "Argument 2"),
        ("undocumented_status", "Return type"),
    ):
        found = mypy_errors[case]
        assert what in found and "[override]" in found, found
        assert 'supertype "persons_server.interface.Handler"' in found, found


def test_a_subclass_of_handler_itself_must_implement_everything(
    mypy_errors: dict[str, str],
) -> None:
    assert "Cannot instantiate abstract class" in mypy_errors["abstract"]


class Anyone:
    def has_scope(self, scope: str) -> bool:
        return True


def test_an_unimplemented_operation_answers_501_in_the_error_shape() -> None:
    app = create_app(UnimplementedHandler(), authenticate=lambda s, c: Anyone())
    asyncio.run(_calls(httpx.ASGITransport(app=app)))


async def _calls(transport: httpx.ASGITransport) -> None:
    auth = {"Authorization": "Bearer k"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        for method, path, body, name in [
            ("GET", "/api/projects/1/persons/", None, "persons_list"),
            ("GET", "/api/projects/1/persons/1/", None, "persons_retrieve"),
            (
                "POST",
                "/api/projects/1/persons/bulk_delete/",
                {"ids": ["01890000-0000-7000-8000-000000000001"]},
                "persons_bulk_delete_create",
            ),
        ]:
            response = await http.request(method, path, json=body, headers=auth)
            assert response.status_code == 501, response.text
            assert response.json() == {
                "type": "server_error",
                "code": "not_implemented",
                "detail": f"{name} is not implemented by this server.",
                "attr": None,
            }
        # Authentication and validation come first, as for any handler.
        anonymous = await http.get("/api/projects/1/persons/")
        assert anonymous.status_code == 401
        invalid = await http.post(
            "/api/projects/1/persons/bulk_delete/", json={"ids": "x"}, headers=auth
        )
        assert invalid.status_code == 400
