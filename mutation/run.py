"""`make mutate`: mutation testing (mutmut) of the runtimes, the escapers, naming,
diagnostics and the reference server; writes mutation/REPORT.md.

Not part of `make test` or CI. mutmut runs in a scratch tree (mutation/work/) laid
out so that every covered file's path is its module path: the generated packages
are imported from there, not from the editable install of generated/.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import random
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# MUTATE_WORK moves the scratch tree, so two runs (of different files) can go
# side by side.
WORK = Path(os.environ.get("MUTATE_WORK") or ROOT / "mutation" / "work").resolve()
REPORT = ROOT / "mutation" / "REPORT.md"
EQUIVALENT = ROOT / "mutation" / "equivalent.toml"

# Covered file (as the report names it, where a fix goes) -> its copy under src/.
COVERED = {
    "templates/client/_runtime.py": "persons_client/_runtime.py",
    "templates/server/_runtime.py": "persons_server/_runtime.py",
    "generator/escape.py": "generator/escape.py",
    "generator/naming.py": "generator/naming.py",
    "generator/diagnostics.py": "generator/diagnostics.py",
    "examples/handler.py": "examples/handler.py",
    "examples/filters.py": "examples/filters.py",
}

# The tests mutants are held to. mutmut runs, for each mutant, only those of
# them that called the mutated function (it records that in one traced run),
# fastest first, stopping at the first failure. Left out: the tests that run
# mypy or a server in a subprocess (they would see the unmutated tree, and
# type-check promises no mutant of a function body changes).
TESTS = [
    "tests/test_escape.py",
    "tests/test_names.py",
    "tests/test_diagnostics.py",
    "tests/bad_specs",
    "tests/golden",
    "tests/hostile",
    "tests/client",
    "tests/server",
    "tests/e2e",
]
DESELECT = [
    "tests/client/test_typing.py",
    "tests/client/test_vendoring.py",
    "tests/server/test_mypy.py",
    "tests/server/test_unimplemented.py::test_a_four_line_subclass_type_checks",
    "tests/server/test_unimplemented.py::test_overrides_are_still_checked_against_handler",
    "tests/server/test_unimplemented.py::test_a_subclass_of_handler_itself_must_implement_everything",
    "tests/e2e/test_schemathesis.py",
    "tests/e2e/test_serve_errors.py",
    # Reads the client classes' members, which mutmut's trampolines add to.
    "tests/client/test_surface.py::test_methods_are_keyword_only_typed_and_documented",
    # A warning's stacklevel counts frames, and the trampoline adds one.
    "tests/client/test_surface.py::test_deprecation_warning_points_at_the_caller",
    "tests/client/test_surface.py::test_async_deprecation_warning",
    # Module-level state (its database) that one pytest session closes: mutmut
    # runs many sessions in one process.
    "tests/server/test_fuzz.py",
    # Compares the committed generated/ with a fresh run: here it is mutated.
    "tests/golden/test_golden.py::test_generated_matches_a_fresh_run_over_spec",
]

# pytest's options for the tests above, in mutmut's runs and in `recheck`.
PYTEST_CLI = ["-p", "no:cacheprovider", "--hypothesis-profile=ci"]
PYTEST_CLI += [f"--deselect={test}" for test in DESELECT]

# Imported once by the fork server; everything of ours is imported per mutant.
# Some are pytest plugins too (anyio, through httpx), which pytest then cannot
# rewrite: it says so in a warning that the run ignores.
PRELOAD = [
    "pytest",
    "hypothesis",
    "httpx",
    "pydantic",
    "starlette",
    "fastapi",
    "uvicorn",
    "jinja2",
    "yaml",
    "black",
    "openapi_spec_validator",
    "jsonschema_rs",
    "sqlite3",
]

# pytest's exit codes that mean a mutant was caught: a test failed (1), a test
# module no longer imports (2, collection errors), pytest itself failed (3); or
# the tests ran out of time (mutmut's codes for SIGXCPU and its own timeout).
# Anything else is a survivor, including 255: mutmut's harness failed, which
# says nothing about the mutant.
KILLED = {1, 2, 3, -24, 24, 152, 36}


def build(files: list[str]) -> None:
    """The scratch tree: src/ holds the packages (a src layout, which mutmut maps
    to module names), the rest is what the tests read by path."""
    if WORK.exists():
        shutil.rmtree(WORK)
    src = WORK / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("generator", "examples", "templates"):
        shutil.copytree(ROOT / package, src / package, ignore=ignore)
    for package in ("persons_client", "persons_server"):
        shutil.copytree(ROOT / "generated" / package, src / package, ignore=ignore)
    for folder in ("tests", "spec", "templates"):
        shutil.copytree(ROOT / folder, WORK / folder, ignore=ignore)
    shutil.copy2(ROOT / "README.md", WORK / "README.md")
    # The tests put generated/ on sys.path and read files from it, and import
    # examples from the project's root: both are the mutated src/, so no
    # unmutated copy can be imported instead.
    (WORK / "mutants").mkdir()
    (WORK / "mutants" / "generated").symlink_to("src")
    (WORK / "mutants" / "examples").symlink_to("src/examples")

    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    pytest_options = project["tool"]["pytest"]["ini_options"]
    lines = ["[tool.pytest.ini_options]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in pytest_options.items()]
    only = ["src/" + COVERED[f] for f in files]
    cli = [*PYTEST_CLI, "--timeout=60"]
    cli += ["-W", "ignore::pytest.PytestAssertRewriteWarning"]
    lines += [
        "",
        "[tool.mutmut]",
        'source_paths = ["src"]',
        f"only_mutate = {json.dumps(only)}",
        f"also_copy = {json.dumps(['spec', 'templates', 'README.md'])}",
        f"pytest_add_cli_args = {json.dumps(cli)}",
        f"pytest_add_cli_args_test_selection = {json.dumps(TESTS)}",
        "timeout_multiplier = 4.0",
        "timeout_constant = 2.0",
        "use_git_change_detection = false",
        # Each mutant's tests import our packages afresh: the default forks
        # from the process that ran the suite once, where the route tables,
        # apps and models built at import time are the unmutated ones (a
        # mutant that breaks them all would be called a survivor).
        'process_isolation = "forkserver"',
        'forkserver_warmup = "import"',
        'preload_modules_file = "preload.txt"',
        "",
    ]
    (WORK / "pyproject.toml").write_text("\n".join(lines), "utf-8")
    (WORK / "preload.txt").write_text("\n".join(PRELOAD) + "\n", "utf-8")


def run_mutmut(
    minutes: float, children: int, names: Sequence[str] = ()
) -> tuple[float, bool]:
    """`mutmut run` of the named mutants (all if none) in the scratch tree,
    stopped after `minutes` (what is left unchecked is reported as such).
    Returns (wall seconds, finished)."""
    env = dict(os.environ, CI="true", PYTHONDONTWRITEBYTECODE="1")
    env.pop("MUTANT_UNDER_TEST", None)
    mutmut = Path(sys.executable).with_name("mutmut")
    start = time.monotonic()
    with open(WORK / "mutmut.log", "a") as log:
        proc = subprocess.Popen(
            [str(mutmut), "run", "--max-children", str(children), *names],
            cwd=WORK,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            proc.wait(timeout=minutes * 60)
            finished = proc.returncode == 0
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 15)
            proc.wait()
            finished = False
    return time.monotonic() - start, finished


RECHECKED = WORK / "recheck.json"


def recheck(files: list[str], names: Sequence[str]) -> None:
    """A second opinion on the mutants mutmut's harness failed on (255: an
    exception escaped its test run, which alone says nothing about the mutant).
    If the tests collect without a mutant but not with it, its own import-time
    effect broke them: a kill (recorded as pytest's 2, collection errors,
    whatever pytest's own code for the failure). Otherwise the 255 stands. The
    verdicts go to recheck.json, which the report reads."""
    from report import verdicts

    RECHECKED.unlink(missing_ok=True)
    drawn = set(names)  # none: every mutant was run
    failed = [
        key
        for key, code in verdicts(files).items()
        if code == 255 and (not drawn or key in drawn)
    ]
    found: dict[str, int] = {}
    if failed and _collect("no-mutant") == 0:
        found = {name: 255 if _collect(name) == 0 else 2 for name in failed}
    RECHECKED.write_text(json.dumps(found), "utf-8")


def _collect(mutant: str) -> int:
    """pytest's exit code for collecting the tests with `mutant` active."""
    env = dict(os.environ, CI="true", MUTANT_UNDER_TEST=mutant, PYTHONPATH="src")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *PYTEST_CLI, "--co", "-q", *TESTS],
        cwd=WORK / "mutants",
        env=env,
        capture_output=True,
        timeout=300,
    )
    return run.returncode


# mutmut has no command that only generates the mutants and records which tests
# reach each function; a run filtered to a name no mutant has does both and
# then stops with this message (mutmut 3.8.1, pinned).
NO_MATCH = "Filtered for specific mutants, but nothing matches"


def prepare(minutes: float) -> float:
    """Generate every mutant and trace the tests once (mutmut caches both in
    the scratch tree), without running any mutant. Returns wall seconds."""
    wall, _ = run_mutmut(minutes, 1, ["no-mutant-has-this-name"])
    log = (WORK / "mutmut.log").read_text("utf-8", errors="replace")
    if NO_MATCH not in log:
        raise SystemExit(f"mutmut did not prepare the mutants: see {WORK}/mutmut.log")
    return wall


def sample(files: list[str], size: int, seed: str) -> dict[str, list[str]]:
    """Per covered file, `size` of its mutants drawn at random (all of them if
    it has no more), the same for the same seed."""
    from report import verdicts

    drawn = {}
    for name in files:
        keys = sorted(verdicts([name]))
        rng = random.Random(f"{seed}:{name}")
        drawn[name] = keys if len(keys) <= size else sorted(rng.sample(keys, size))
    return drawn


def matching(files: list[str], patterns: list[str]) -> dict[str, list[str]]:
    """Per covered file, its mutants whose names match one of the patterns."""
    from report import verdicts

    return {
        name: sorted(
            key
            for key in verdicts([name])
            if any(fnmatch.fnmatchcase(key, pattern) for pattern in patterns)
        )
        for name in files
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="*", help="covered files (default: all)")
    parser.add_argument("--minutes", type=float, default=40.0)
    parser.add_argument("--children", type=int, default=2)
    parser.add_argument(
        "--sample",
        type=int,
        default=40,
        help="mutants per file, drawn at random (0: every mutant; hours)",
    )
    parser.add_argument(
        "--seed",
        help="of the draw (default: the commit checked out, so each "
        "commit is judged on other mutants and a rerun on the same ones)",
    )
    parser.add_argument(
        "--names",
        nargs="+",
        metavar="GLOB",
        help="run only the mutants whose names match (fnmatch), instead of a "
        "sample: a check of new tests, reported in the scratch tree, not REPORT.md",
    )
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the report from work/"
    )
    args = parser.parse_args()
    files = args.files or list(COVERED)
    unknown = [f for f in files if f not in COVERED]
    if unknown:
        parser.error(f"not covered: {unknown}; covered: {list(COVERED)}")
    plan = WORK / "sample.json"
    wall, finished = 0.0, True
    if not args.report_only:
        seed = args.seed or _head()
        build(files)
        wall = prepare(args.minutes)
        if args.names:
            drawn = matching(files, args.names)
        else:
            drawn = sample(files, args.sample, seed) if args.sample else {}
        plan.write_text(
            json.dumps({"seed": seed, "drawn": drawn, "names": args.names}), "utf-8"
        )
        names = [key for keys in drawn.values() for key in keys]
        if args.names and not names:
            parser.error(f"no mutant of {files} matches {args.names}")
        more, finished = run_mutmut(args.minutes - wall / 60, args.children, names)
        start = time.monotonic()
        recheck(files, names)
        wall += more + time.monotonic() - start
        print(
            f"mutmut: {wall / 60:.1f} minutes, {'finished' if finished else 'STOPPED'}"
        )
        # Kept with the plan, so that a --report-only rewrite states them too.
        ran = json.loads(plan.read_text("utf-8"))
        plan.write_text(json.dumps({**ran, "wall": wall, "finished": finished}))
    from report import write_report

    drawing = json.loads(plan.read_text("utf-8")) if plan.exists() else {}
    wall = drawing.get("wall", wall)
    finished = drawing.get("finished", finished)
    return write_report(files, wall, finished, drawing)


def _head() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


if __name__ == "__main__":
    raise SystemExit(main())
