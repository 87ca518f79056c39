"""The examples of the generated READMEs work: `mypy --strict` accepts every
one (persons and each golden case), and the persons server's runs.

The client's first program calls a server that is not there, so it is only
type-checked; the server's handler is served and called.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import GENERATED, ROOT
from tests.golden.regenerate import cases

FENCE = re.compile(r"```python\n(.*?)\n```", re.DOTALL)


def example(readme: Path, section: str) -> str:
    """The first Python block of `readme` after the heading `section`."""
    text = readme.read_text(encoding="utf-8")
    _, found, rest = text.partition(f"\n## {section}\n")
    assert found, f"{readme}: no section {section!r}"
    match = FENCE.search(rest)
    assert match, f"{readme}: no Python block in {section!r}"
    return match.group(1) + "\n"


def packages() -> dict[str, Path]:
    """Every generated package, persons and golden: name -> folder."""
    found = {p.name: p for p in GENERATED.iterdir() if p.is_dir()}
    for case in cases():
        found.update((p.name, p) for p in (case / "expected").iterdir())
    return found


def test_every_readme_example_type_checks(tmp_path: Path) -> None:
    """One mypy run over every package and every example. Golden cases keep no
    runtime modules (generated/ has them): they are copied in here."""
    tree, programs = tmp_path / "packages", tmp_path / "programs"
    programs.mkdir()
    for name, folder in packages().items():
        shutil.copytree(
            folder, tree / name, ignore=shutil.ignore_patterns("__pycache__")
        )
        side = "client" if name.endswith("_client") else "server"
        runtime = tree / name / "_runtime.py"
        if not runtime.exists():
            shutil.copy(ROOT / "templates" / side / "_runtime.py", runtime)
        readme = tree / name / "README.md"
        section = "A first program" if side == "client" else "Implementing the server"
        (programs / f"{name}_example.py").write_text(example(readme, section))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            *sorted(map(str, programs.iterdir())),
        ],
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(list(programs.iterdir())) == 2 * (1 + len(cases()))


def test_every_readme_example_is_black_clean() -> None:
    import black

    for name, folder in packages().items():
        side = "client" if name.endswith("_client") else "server"
        section = "A first program" if side == "client" else "Implementing the server"
        code = example(folder / "README.md", section)
        assert black.format_str(code, mode=black.Mode()) == code, name


def test_the_client_example_builds_a_body_pages_and_handles_an_error() -> None:
    code = example(GENERATED / "persons_client" / "README.md", "A first program")
    assert "body=PersonUpdateRequest(" in code
    assert "client.paginate(client.persons_list" in code
    assert "except NotFoundError" in code and "except ApiStatusError" in code
    assert "from persons_client import " in code  # models from the package top


def test_the_server_example_serves_its_operation_and_501_for_the_rest() -> None:
    code = example(
        GENERATED / "persons_server" / "README.md", "Implementing the server"
    )
    assert len(code.splitlines()) <= 45
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(compile(code, "README.md", "exec"), namespace)
    asyncio.run(_calls(httpx.ASGITransport(app=namespace["app"])))


async def _calls(transport: httpx.ASGITransport) -> None:
    auth = {"Authorization": "Bearer secret"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        person = await http.get("/api/projects/1/persons/7/", headers=auth)
        assert person.status_code == 200, person.text
        assert person.json()["distinct_ids"] == ["..."]
        # The same handler method serves the other URL scope.
        scoped = await http.get("/api/environments/1/persons/7/", headers=auth)
        assert scoped.status_code == 200, scoped.text
        refused = await http.get("/api/projects/1/persons/7/", headers={})
        assert refused.status_code == 401
        missing = await http.get("/api/projects/1/persons/", headers=auth)
        assert missing.status_code == 501
        assert missing.json() == {
            "type": "server_error",
            "code": "not_implemented",
            "detail": "persons_list is not implemented by this server.",
            "attr": None,
        }
