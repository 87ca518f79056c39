"""`mypy --strict` on programs using the client: typed use passes, misuse is caught."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import GENERATED, ROOT

HERE = Path(__file__).resolve().parent
CLEAN = [HERE / "typed_usage.py", ROOT / "examples" / "client_program.py"]
MISUSE = HERE / "typed_misuse.py"


def test_mypy_strict(tmp_path_factory: pytest.TempPathFactory) -> None:
    env = {**os.environ, "MYPYPATH": str(GENERATED)}
    cache = tmp_path_factory.mktemp("mypy-cache")
    command = [sys.executable, "-m", "mypy", "--strict", "--no-error-summary"]
    command += ["--cache-dir", str(cache), *map(str, CLEAN), str(MISUSE)]
    result = subprocess.run(
        command,
        cwd=tmp_path_factory.mktemp("mypy-cwd"),
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    errors: dict[str, set[int]] = {}
    for line in result.stdout.splitlines():
        match = re.match(r"(.+?):(\d+): error:", line)
        if match:
            errors.setdefault(Path(match[1]).name, set()).add(int(match[2]))
    expected = {
        number
        for number, text in enumerate(MISUSE.read_text("utf-8").splitlines(), start=1)
        if "# E:" in text
    }
    assert errors.pop(MISUSE.name, set()) == expected, result.stdout
    assert errors == {}, result.stdout + result.stderr
