"""Shared fixtures: the repository's paths, and running the generator in process."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "persons.yaml"
GENERATED = ROOT / "generated"
SHARED_SPECS = ROOT.parent / "shared" / "specs"


def run_generator(*args: str, cwd: Path = ROOT) -> tuple[int, str, str]:
    """Run `python -m generator ARGS` in process; returns (status, stdout, stderr)."""
    import contextlib
    import io

    from generator.cli import main

    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = main(list(args))
            except SystemExit as exit_:  # argparse usage errors
                status = int(exit_.code or 0)
    finally:
        os.chdir(previous)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests never share or pollute the user's format cache."""
    monkeypatch.setenv(
        "GENERATOR_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "format-cache")
    )


@pytest.fixture(scope="session")
def generated_on_path() -> Iterator[Path]:
    """The committed generated/ packages, importable."""
    sys.path.insert(0, str(GENERATED))
    try:
        yield GENERATED
    finally:
        sys.path.remove(str(GENERATED))
