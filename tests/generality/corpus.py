"""Other people's specs, all of them: does each generate, import and type-check?

The corpus is the peer generators' own test suites (`peer-suites/`, 503
OpenAPI documents, listed in its `SOURCES.md`) and the large published specs
(`published/`). For each document this generates both packages, imports every
module of both (warnings are errors, as in our tests), and runs `mypy
--strict` on them; it prints the tally and every failure, one line each.

    python -m tests.generality.corpus                    # all: `make corpus`
    python -m tests.generality.corpus --only recursive   # specs whose path has it
    python -m tests.generality.corpus --peer             # openapi-python-client too

`tests/generality/test_corpus.py` runs a sample of it under `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import ROOT, SHARED_SPECS

PEER_SUITES = "peer-suites"
PUBLISHED = "published"
# The published specs' entry points: DigitalOcean's is one file of 2,907.
PUBLISHED_DOCS = (
    "openai.yaml",
    "k8s_api__v1_openapi.json",
    "digitalocean/specification/DigitalOcean-public.v2.yaml",
)
GENERATE_TIMEOUT = 600  # seconds; the largest published spec takes about a minute
MYPY_BATCH = 40  # specs per mypy run: one run shares the cost of the runtimes' stubs
PEERS_VENV = ROOT / "bench" / ".peers-venv"


@dataclass(frozen=True)
class CorpusSpec:
    """One document of the corpus, and the package names its output gets."""

    name: str  # its path under the corpus folder, as SOURCES.md gives it
    path: Path
    slug: str  # unique, a valid identifier: k001, k002, ...

    @property
    def packages(self) -> tuple[str, str]:
        return f"{self.slug}_client", f"{self.slug}_server"


def corpus_specs(root: Path = SHARED_SPECS) -> list[CorpusSpec]:
    """Every document of the corpus (the `doc` rows of SOURCES.md), in a fixed order."""
    names = [
        f"{PEER_SUITES}/{m}"
        for m in re.findall(
            r"^\| [^|]+ \| `([^`]+)` \|.*\| doc \|$",
            (root / PEER_SUITES / "SOURCES.md").read_text(encoding="utf-8"),
            re.M,
        )
    ]
    names += [f"{PUBLISHED}/{name}" for name in PUBLISHED_DOCS]
    return [
        CorpusSpec(name, root / name, f"k{index:03d}")
        for index, name in enumerate(sorted(names), 1)
        if (root / name).is_file()
    ]


@dataclass
class Outcome:
    spec: CorpusSpec
    generated: bool = False
    refusal: str = ""  # the first error line, when refused
    crash: str = ""  # a traceback or timeout: a bug of ours, never a verdict
    import_error: str = ""
    mypy_errors: list[str] = field(default_factory=list)
    mypy_checked: bool = False


# The command line with openapi-spec-validator's check left out (our own
# checks remain): what the build makes of a spec the validator refuses.
_UNVALIDATED = """
import sys
from generator import cli, validate
assert validate.check_schema and validate.check_schema_memo
validate.check_schema = lambda spec: []
validate.check_schema_memo = lambda spec, memo: []
sys.exit(cli.main(sys.argv[1:]))
"""


def generate(spec: CorpusSpec, out: Path, *, validate: bool = True) -> Outcome:
    """Run the generator as a user would, in its own process, on one spec."""
    client, server = spec.packages
    command = [
        sys.executable,
        *(["-m", "generator"] if validate else ["-c", _UNVALIDATED]),
        "generate",
        "--spec",
        str(spec.path),
        "--out",
        str(out),
        "--client-package",
        client,
        "--server-package",
        server,
        "--no-cache",
        "--jobs",
        "1",
    ]
    outcome = Outcome(spec)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        # From an empty folder: no pyproject.toml of ours supplies settings.
        result = subprocess.run(
            command,
            cwd=out.parent,
            capture_output=True,
            text=True,
            timeout=GENERATE_TIMEOUT,
            env=env,
        )
    except subprocess.TimeoutExpired:
        outcome.crash = f"timed out after {GENERATE_TIMEOUT} s"
        return outcome
    errors = [line for line in result.stderr.splitlines() if "error[" in line]
    if "Traceback" in result.stderr or result.returncode not in (0, 1):
        lines = result.stderr.strip().splitlines()
        outcome.crash = lines[-1] if lines else f"exit status {result.returncode}"
    elif result.returncode == 1:
        outcome.refusal = errors[0] if errors else result.stderr.strip()[:300]
    else:
        outcome.generated = True
    return outcome


# Run in a fresh interpreter per batch: every module of each package imported
# with warnings as errors, one JSON object per package on stdout.
_IMPORTER = """
import importlib, json, sys, traceback, warnings
from pathlib import Path
warnings.simplefilter("error")
for folder, package in json.loads(sys.argv[1]):
    sys.path.insert(0, folder)
    error = ""
    for path in sorted((Path(folder) / package).rglob("*.py")):
        parts = path.relative_to(folder).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        try:
            importlib.import_module(module)
        except BaseException as exc:
            last = traceback.extract_tb(exc.__traceback__)[-1]
            error = f"{module}: {type(exc).__name__}: {exc} ({Path(last.filename).name}:{last.lineno})"
            break
    print(json.dumps([package, error]), flush=True)
    sys.path.remove(folder)
"""


def import_all(
    outcomes: Sequence[Outcome], out_of: Callable[[CorpusSpec], Path]
) -> None:
    """Import every module of both packages of every generated spec."""
    jobs = [
        (str(out_of(o.spec)), package)
        for o in outcomes
        if o.generated
        for package in o.spec.packages
    ]
    if not jobs:
        return
    result = subprocess.run(
        [sys.executable, "-c", _IMPORTER, json.dumps(jobs)],
        capture_output=True,
        text=True,
    )
    errors = dict(json.loads(line) for line in result.stdout.splitlines())
    for outcome in outcomes:
        if not outcome.generated:
            continue
        for package in outcome.spec.packages:
            error = errors.get(package)
            if error is None:
                error = f"the importer stopped: {result.stderr.strip()[-300:]}"
            if error and not outcome.import_error:
                outcome.import_error = error


def type_check(
    outcomes: Sequence[Outcome], out_of: Callable[[CorpusSpec], Path], cache: Path
) -> None:
    """`mypy --strict` on both packages of each spec, a batch of specs per run;
    a batch mypy cannot finish (a blocking error) is checked again spec by spec."""
    for start in range(0, len(outcomes), MYPY_BATCH):
        batch = outcomes[start : start + MYPY_BATCH]
        if not _mypy(batch, out_of, cache) and len(batch) > 1:
            for outcome in batch:
                outcome.mypy_errors = []
                _mypy([outcome], out_of, cache)


def _mypy(
    batch: Sequence[Outcome], out_of: Callable[[CorpusSpec], Path], cache: Path
) -> bool:
    """Record mypy's errors on each spec of `batch`; False if mypy did not finish."""
    folders = [
        str(out_of(o.spec) / package) for o in batch for package in o.spec.packages
    ]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(cache),
            "--no-error-summary",
            "--hide-error-context",
            *folders,
        ],
        capture_output=True,
        text=True,
    )
    for outcome in batch:
        outcome.mypy_checked = True
        prefix = str(out_of(outcome.spec)) + os.sep
        outcome.mypy_errors = [
            line.removeprefix(prefix)
            for line in result.stdout.splitlines()
            if line.startswith(prefix) and ": error:" in line
        ]
        if result.returncode not in (0, 1) and not outcome.mypy_errors:
            outcome.mypy_errors = [f"mypy failed: {result.stderr.strip()[-300:]}"]
    return result.returncode in (0, 1)


def run(
    specs: Sequence[CorpusSpec],
    work: Path,
    *,
    mypy: Callable[[CorpusSpec], bool] = lambda _: True,
    validate: Callable[[CorpusSpec], bool] = lambda _: True,
    jobs: int = 2,
) -> list[Outcome]:
    """Generate, import and type-check `specs` under `work`; one outcome each.
    `mypy` and `validate` choose the specs type-checked, and those checked by
    openapi-spec-validator first (as a user's run always is)."""

    def out_of(spec: CorpusSpec) -> Path:
        return work / spec.slug / "out"

    def one(spec: CorpusSpec) -> Outcome:
        out_of(spec).parent.mkdir(parents=True, exist_ok=True)
        return generate(spec, out_of(spec), validate=validate(spec))

    with ThreadPoolExecutor(jobs) as pool:
        outcomes = list(pool.map(one, specs))
    import_all(outcomes, out_of)
    type_check(
        [o for o in outcomes if o.generated and mypy(o.spec)], out_of, work / ".mypy"
    )
    return outcomes


@dataclass(frozen=True)
class Tally:
    total: int
    generated: int
    imported: int
    mypy_checked: int
    mypy_clean: int
    refused: int
    crashed: int

    @classmethod
    def of(cls, outcomes: Iterable[Outcome]) -> Tally:
        found = list(outcomes)
        return cls(
            total=len(found),
            generated=sum(o.generated for o in found),
            imported=sum(o.generated and not o.import_error for o in found),
            mypy_checked=sum(o.mypy_checked for o in found),
            mypy_clean=sum(
                o.mypy_checked and not o.mypy_errors and not o.import_error
                for o in found
            ),
            refused=sum(bool(o.refusal) for o in found),
            crashed=sum(bool(o.crash) for o in found),
        )

    def line(self) -> str:
        checked = (
            "" if self.mypy_checked == self.generated else f" of {self.mypy_checked}"
        )
        return (
            f"{self.total} specs: {self.generated} generated, {self.imported} import, "
            f"{self.mypy_clean}{checked} pass mypy --strict; {self.refused} refused, "
            f"{self.crashed} crashed"
        )


def failures(outcomes: Iterable[Outcome]) -> list[str]:
    """One line per spec that generated and then failed, or crashed."""
    lines = []
    for o in outcomes:
        if o.crash:
            lines.append(f"CRASH   {o.spec.name}: {o.crash}")
        elif o.import_error:
            lines.append(f"IMPORT  {o.spec.name}: {o.import_error}")
        elif o.mypy_errors:
            lines.append(
                f"MYPY    {o.spec.name}: {o.mypy_errors[0]}"
                + (
                    f" (+{len(o.mypy_errors) - 1} more)"
                    if len(o.mypy_errors) > 1
                    else ""
                )
            )
    return lines


def peer_generates(specs: Sequence[CorpusSpec], work: Path, jobs: int = 2) -> int:
    """How many of `specs` openapi-python-client generates (bench/'s pinned peer)."""
    tool = PEERS_VENV / "bin" / "openapi-python-client"
    if not tool.exists():
        raise SystemExit(
            f"{tool} is missing: `python3 bench/run.py` installs the peers first"
        )
    env = {**os.environ, "PATH": f"{tool.parent}{os.pathsep}{os.environ['PATH']}"}

    def one(spec: CorpusSpec) -> bool:
        out = work / "peer" / spec.slug
        out.parent.mkdir(parents=True, exist_ok=True)
        try:
            result = subprocess.run(
                [str(tool), "generate", "--path", str(spec.path)]
                + ["--output-path", str(out), "--overwrite"],
                cwd=out.parent,
                capture_output=True,
                text=True,
                timeout=GENERATE_TIMEOUT,
                env=env,
            )
        except subprocess.TimeoutExpired:
            return False
        return result.returncode == 0 and any(out.rglob("*.py"))

    with ThreadPoolExecutor(jobs) as pool:
        return sum(pool.map(one, specs))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.generality.corpus")
    parser.add_argument("--only", help="only the specs whose path contains this")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--keep", help="generate into this folder and keep it")
    parser.add_argument("--refusals", action="store_true", help="list each refusal")
    parser.add_argument(
        "--no-validate",
        action="store_true",
        help="leave out openapi-spec-validator's check: what the build makes of the rest",
    )
    parser.add_argument(
        "--peer",
        action="store_true",
        help="also count what openapi-python-client generates",
    )
    args = parser.parse_args(argv)
    if not (SHARED_SPECS / PEER_SUITES).is_dir():
        print(f"the corpus is not at {SHARED_SPECS}", file=sys.stderr)
        return 2
    specs = [s for s in corpus_specs() if not args.only or args.only in s.name]
    with tempfile.TemporaryDirectory(prefix="corpus-") as scratch:
        work = Path(args.keep).resolve() if args.keep else Path(scratch)
        outcomes = run(
            specs, work, jobs=args.jobs, validate=lambda _: not args.no_validate
        )
        for line in failures(outcomes):
            print(line)
        if args.refusals:
            for o in outcomes:
                if o.refusal:
                    print(f"REFUSED {o.spec.name}: {o.refusal}")
        print(f"ours: {Tally.of(outcomes).line()}")
        if args.peer:
            count = peer_generates(specs, work, args.jobs)
            print(f"openapi-python-client: {len(specs)} specs: {count} generated")
    tally = Tally.of(outcomes)
    broken = tally.generated - tally.mypy_clean + tally.crashed
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
