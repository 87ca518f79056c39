"""Shared fixtures: the repository's paths, and running the generator in process."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "persons.yaml"
GENERATED = ROOT / "generated"
# Other people's specs, read where they are and never copied into the project.
# A user's clone has none beside it: tests that need them skip there, and fail
# under CI, where the corpus is always present.
SHARED_SPECS_ENV = "GENERATOR_SPECS_CORPUS"
SHARED_SPECS = Path(
    os.environ.get(SHARED_SPECS_ENV) or ROOT.parent / "shared" / "specs"
).resolve()


CI = os.environ.get("CI", "").lower() == "true"

# Property tests in CI draw the same examples every run (each test's seed is a
# hash of the test itself), so a failure there fails again on a rerun, and on a
# laptop under `CI=true`; it is printed with a blob for `@reproduce_failure`. Locally they draw afresh each run, and
# hypothesis' example database replays what failed last.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.load_profile("ci" if CI else "default")


def shared_spec(name: str, *, module: bool = False) -> Path:
    """`SHARED_SPECS / name`, or skip the test (fail under `CI=true`) without it;
    `module` when called at a test module's import, to skip the whole module."""
    path = SHARED_SPECS / name
    if path.exists():
        return path
    reason = (
        f"{path} is not here: this test reads the shared spec corpus; "
        f"set {SHARED_SPECS_ENV}=/path/to/specs to run it"
    )
    if CI:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=module)


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
