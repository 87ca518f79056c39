"""`mypy --strict` proves an implementation conforms to the generated `Handler`.

Small implementations are written to a temporary folder and checked in one
mypy run, with `generated/` (and the repository, for `examples`) on MYPYPATH:
the reference implementation passes; missing an operation, answering a status
the spec does not document, or a body of the wrong type each fail.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

HEADER = """\
from __future__ import annotations

from persons_server import Context, create_app
from persons_server.interface import (
    Created, Forbidden, NotFound, Ok, PersonsRetrieveParams, BadRequest
)
from persons_server.models import ErrorResponse, PersonListItem, PersonRecord

from examples.db import Database
from examples.handler import PersonsHandler
from examples.keys import KeyStore
"""

CASES = {
    "good": """
db = Database("x.db")
create_app(PersonsHandler(db), authenticate=KeyStore(db).authenticate)
""",
    "missing": """
class OnlyRetrieve:
    async def persons_retrieve(
        self, ctx: Context, params: PersonsRetrieveParams
    ) -> Ok[PersonRecord] | NotFound[ErrorResponse]:
        return NotFound(ErrorResponse(type="t", code="c", detail="d"))


create_app(OnlyRetrieve(), authenticate=lambda scheme, key: None)
""",
    "undocumented": """
class Teapot(PersonsHandler):
    async def persons_retrieve(  # type: ignore[override]
        self, ctx: Context, params: PersonsRetrieveParams
    ) -> Ok[PersonRecord] | Created[PersonRecord]:
        raise NotImplementedError


create_app(Teapot(Database("x.db")), authenticate=lambda scheme, key: None)


async def direct(
    ctx: Context, params: PersonsRetrieveParams
) -> Ok[PersonRecord] | BadRequest[ErrorResponse] | NotFound[ErrorResponse]:
    return Forbidden(ErrorResponse(type="t", code="c", detail="d"))
""",
    "wrong_body": """
class WrongBody(PersonsHandler):
    async def persons_retrieve(  # type: ignore[override]
        self, ctx: Context, params: PersonsRetrieveParams
    ) -> Ok[PersonListItem]:
        raise NotImplementedError


create_app(WrongBody(Database("x.db")), authenticate=lambda scheme, key: None)
""",
}


@pytest.fixture(scope="module")
def mypy_errors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("mypy")
    for name, body in CASES.items():
        (folder / f"case_{name}.py").write_text(HEADER + body, encoding="utf-8")
    env = {
        **os.environ,
        "MYPYPATH": os.pathsep.join([str(ROOT / "generated"), str(ROOT)]),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path_factory.getbasetemp() / "mypy-cache"),
            *sorted(str(p) for p in folder.glob("case_*.py")),
        ],
        capture_output=True,
        text=True,
        cwd=folder,
        env=env,
        timeout=240,
    )
    errors: dict[str, str] = {name: "" for name in CASES}
    for line in result.stdout.splitlines():
        match = re.search(r"case_(\w+)\.py:\d+: (error|note): (.*)", line)
        if match:
            errors[match[1]] += match[3] + "\n"
        elif line.strip() and "case_" not in line:
            errors.setdefault("_other", "")
            errors["_other"] += line + "\n"
    assert "_other" not in errors, errors["_other"]
    return errors


def test_reference_implementation_conforms(mypy_errors: dict[str, str]) -> None:
    assert mypy_errors["good"] == ""


def test_missing_operation_fails(mypy_errors: dict[str, str]) -> None:
    assert (
        'Argument 1 to "create_app" has incompatible type "OnlyRetrieve"; '
        'expected "Handler"' in mypy_errors["missing"]
    )


def test_undocumented_status_fails(mypy_errors: dict[str, str]) -> None:
    found = mypy_errors["undocumented"]
    assert 'Argument 1 to "create_app" has incompatible type "Teapot"' in found
    assert "Incompatible return value type" in found and "Forbidden" in found


def test_wrong_body_fails(mypy_errors: dict[str, str]) -> None:
    assert 'incompatible type "WrongBody"' in mypy_errors["wrong_body"]
