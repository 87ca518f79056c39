"""Benchmarks our generator against peer generators and writes bench/RESULTS.md.

Every measurement is one whole process tree (interpreter start-up included),
measured by measure.py: wall time from spawn to exit, CPU seconds of the whole
tree, the largest resident set of one process and the peak summed PSS of the
tree. Tools alternate within each repetition so that drift in machine load
spreads over all of them; medians are reported. Standard library only: the
helpers that need the project's packages (published.py, stage.py, runtime.py)
run as subprocesses with the project's .venv.

    python3 bench/run.py [--reps N] [--quick] [--spec KEY ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from measure import TREE_INTERVAL, Run, become_subreaper, error_line, measure

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
PEERS_VENV = BENCH / ".peers-venv"
OUR_PYTHON = REPO / ".venv" / "bin" / "python"
SHARED_SPECS = REPO.parent / "shared" / "specs"
PUBLISHED = SHARED_SPECS / "published"
#: Other people's specs as published (see PUBLISHED / "SOURCES.md"): key, path.
PUBLISHED_SPECS = (
    ("openai", "openai.yaml"),
    ("kubernetes", "k8s_api__v1_openapi.json"),
    ("digitalocean", "digitalocean/specification/DigitalOcean-public.v2.yaml"),
)
#: The one core that the one-core runs are pinned to (`taskset -c 0`).
ONE_CORE = frozenset({0})
#: Specs measured again on one core, for the last round's wall-time floors.
ONE_CORE_SPECS = ("persons", "authentik", "synth-1000", "synth-5000")

#: Peer generators, pinned. datamodel-code-generator is the newest release that
#: fastapi-code-generator 0.8.1 accepts (it requires >=0.61,<0.66), so all three
#: share one virtualenv.
PEER_PINS = {
    "openapi-python-client": "0.29.1",
    "fastapi-code-generator": "0.8.1",
    "datamodel-code-generator": "0.65.1",
}
SYNTH_SIZES = (100, 1000, 5000)
OURS = "ours"
PEERS = ("openapi-python-client", "fastapi-code-generator", "datamodel-code-generator")
#: What each peer produces, and which of our cold runs produces the same part.
PEER_KIND = {
    "openapi-python-client": ("client", "cold-client"),
    "fastapi-code-generator": ("server", "cold-server"),
    "datamodel-code-generator": ("models", "cold"),
}
NOT_INSTALLABLE = (
    "openapi-generator (Java): not measured. Its CLI is a jar fetched from Maven "
    "Central (the npm and PyPI wrappers download it on first run), and this machine "
    "reaches only the PyPI, npm and Debian registries."
)


# --------------------------------------------------------------------------- #
# Inputs
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, slots=True)
class Spec:
    key: str
    path: Path
    operations: int
    large: bool  # skipped for peers under --quick
    published: bool = False  # one of ../shared/specs/published
    note: str = ""  # for a published spec: which copy is measured


@dataclass(slots=True)
class Derived:
    """Inputs made from the published specs for the stage measurements."""

    validate_31: Path | None = None  # OpenAI, 3.1, as JSON
    validate_30: Path | None = None  # the same document in 3.0 form, as JSON
    downgrade: str = ""  # what the 3.0 form changed
    load_split: Path | None = None  # DigitalOcean's entry, split over files
    load_bundled: Path | None = None  # the same spec bundled into one file
    notes: list[str] = field(default_factory=list)  # why something is missing


def _helper(*args: str, python: Path | None = None) -> str:
    """Run one of bench/'s helper scripts in a child process; its stdout.

    Children inherit this process's peak RSS as a floor for their own (Linux
    records the parent's high-water mark at exec), so the large documents are
    built and read by short-lived helpers, never in this process. `python`
    is the project's for the helpers that need its packages.
    """
    result = subprocess.run(
        [str(python or sys.executable), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=BENCH,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {error_line(result.stderr)}")
    return result.stdout


def _wanted(key: str, only: Sequence[str]) -> bool:
    return not only or key in only


def collect_specs(scratch: Path, only: Sequence[str] = ()) -> list[Spec]:
    candidates: list[tuple[str, Path, bool]] = []
    persons = REPO / "spec" / "persons.yaml"
    if persons.is_file():
        candidates.append(("persons", persons, False))
    for name in (
        "petstore.yaml",
        "petstore-expanded.yaml",
        "spotify.yml",
        "authentik.yml",
    ):
        path = SHARED_SPECS / name
        if path.is_file():
            candidates.append((path.stem, path, name == "authentik.yml"))
        else:
            print(f"warning: {path} not found, skipped", file=sys.stderr)
    synth_dir = scratch / "synth"
    synth_dir.mkdir()
    for size in SYNTH_SIZES:
        if not _wanted(f"synth-{size}", only):
            continue
        path = synth_dir / f"synth-{size}.yaml"
        _helper("synth.py", str(size), str(path))
        candidates.append((f"synth-{size}", path, size >= 5000))
    specs: list[Spec] = []
    for key, path, large in candidates:
        if not _wanted(key, only):
            continue
        operations = count_operations(path)
        if operations:
            specs.append(Spec(key, path, operations, large))
    return specs


def count_operations(path: Path) -> int:
    try:
        return int(_helper("specs.py", "count", str(path)))
    except (RuntimeError, ValueError) as error:
        print(
            f"warning: cannot count operations in {path} ({error}), skipped",
            file=sys.stderr,
        )
        return 0


def published_specs(
    scratch: Path,
    mode: str,
    our_command: Sequence[str] | None,
    only: Sequence[str] = (),
) -> tuple[list[Spec], Derived]:
    """The published specs present, each as published if our generator
    accepts it (`mode` "auto") or always ("as-published"), else as a fix-up
    copy in `scratch` (bench/published.py); and the inputs derived from them."""
    specs: list[Spec] = []
    derived = Derived()
    wanted = [(k, n) for k, n in PUBLISHED_SPECS if _wanted(k, only)]
    if not wanted:
        return specs, derived
    if not OUR_PYTHON.exists():
        derived.notes.append(
            f"published specs: {OUR_PYTHON.relative_to(REPO)} is missing, and "
            "bench/published.py needs it; skipped"
        )
        return specs, derived
    for key, name in wanted:
        source = PUBLISHED / name
        if not source.is_file():
            derived.notes.append(f"{key}: {source} not found, skipped")
            print(f"warning: {source} not found, skipped", file=sys.stderr)
            continue
        path, note = source, "as published"
        accepted = mode == "auto" and _accepted(our_command, source, scratch)
        if mode in ("fixed", "auto"):
            print(f"making a fix-up copy of {name} ...", file=sys.stderr)
            try:
                summary = json.loads(
                    _helper(
                        "published.py",
                        "fixup",
                        str(source),
                        str(scratch / "published" / key),
                        python=OUR_PYTHON,
                    )
                )
            except (RuntimeError, ValueError) as error:
                if not accepted:
                    derived.notes.append(f"{key}: no fix-up copy ({error}); skipped")
                    continue
                summary = {"removed": {}}
            # openapi-python-client refuses a whole document with an operation
            # that is a `$ref` (DigitalOcean's): no floor could compare on it.
            if not accepted or summary["removed"].get(PEER_REFUSES):
                path = Path(summary["entry"])
                removed = ", ".join(
                    f"{rule} {n}" for rule, n in summary["removed"].items()
                )
                note = (
                    f"fix-up copy (bench/published.py fixup, {summary['files']} "
                    f"file{'s' if summary['files'] != 1 else ''}): "
                    f"{removed or 'nothing to fix'}"
                )
                if accepted:
                    note += (
                        "; ours accepts it as published, but openapi-python-client "
                        f"refuses the whole document ({PEER_REFUSES})"
                    )
        operations = count_operations(path)
        if operations:
            specs.append(Spec(key, path, operations, True, True, note))
    _derive(scratch, specs, derived)
    return specs, derived


#: The fix-up rule whose cases openapi-python-client refuses the document for.
PEER_REFUSES = "operation-ref"


def _accepted(our_command: Sequence[str] | None, spec: Path, scratch: Path) -> bool:
    """Whether our generator validates the spec as it is (warnings allowed)."""
    if our_command is None:
        return False
    print(f"does our generator accept {spec.name} as published? ...", file=sys.stderr)
    try:
        result = subprocess.run(
            [*our_command, "validate", "--spec", str(spec)],
            capture_output=True,
            cwd=scratch,
            timeout=600,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def _derive(scratch: Path, specs: list[Spec], derived: Derived) -> None:
    """OpenAI in 3.1 and in 3.0 form; DigitalOcean bundled into one file."""
    by_key = {spec.key: spec for spec in specs}
    openai = by_key.get("openai")
    if openai is not None:
        forms = scratch / "published" / "forms"
        try:
            summary = json.loads(
                _helper(
                    "published.py",
                    "downgrade",
                    str(openai.path),
                    str(forms / "openai-3.1.json"),
                    str(forms / "openai-3.0.json"),
                    python=OUR_PYTHON,
                )
            )
            derived.validate_31 = Path(summary["3.1"])
            derived.validate_30 = Path(summary["3.0"])
            derived.downgrade = ", ".join(
                f"{change} {n}" for change, n in summary["changes"].items()
            )
        except (RuntimeError, ValueError) as error:
            derived.notes.append(f"openai: no 3.0 form ({error})")
    digitalocean = by_key.get("digitalocean")
    if digitalocean is not None:
        bundled = scratch / "published" / "digitalocean-bundled.yaml"
        try:
            _helper(
                "published.py",
                "bundle",
                str(digitalocean.path),
                str(bundled),
                python=OUR_PYTHON,
            )
            derived.load_split, derived.load_bundled = digitalocean.path, bundled
        except RuntimeError as error:
            derived.notes.append(f"digitalocean: no bundle ({error})")


# --------------------------------------------------------------------------- #
# Tools
# --------------------------------------------------------------------------- #


def ensure_peers() -> dict[str, str]:
    """Create bench/.peers-venv with the pinned peers if needed; the versions
    installed (a peer that could not be installed is missing, and its rows n/a)."""
    python = PEERS_VENV / "bin" / "python"
    try:
        if not python.exists():
            print(f"creating {PEERS_VENV} ...", file=sys.stderr)
            subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
        if installed_versions(python, PEER_PINS) != PEER_PINS:
            print(
                "installing peer generators (takes a few minutes) ...", file=sys.stderr
            )
            pins = [f"{name}=={version}" for name, version in PEER_PINS.items()]
            subprocess.run(
                [
                    str(python),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    *pins,
                ],
                check=True,
            )
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"warning: could not install the peers ({error})", file=sys.stderr)
    versions = installed_versions(python, PEER_PINS)
    return {
        name: version
        for name, version in versions.items()
        if PEER_PINS[name] == version
    }


def installed_versions(python: Path, names: Iterable[str]) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json, sys\n"
        "def v(n):\n"
        "    try: return m.version(n)\n"
        "    except m.PackageNotFoundError: return None\n"
        "print(json.dumps({n: v(n) for n in sys.argv[1:]}))"
    )
    try:
        result = subprocess.run(
            [str(python), "-c", code, *names],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return {}
    found: dict[str, str | None] = json.loads(result.stdout)
    return {name: version for name, version in found.items() if version is not None}


def our_generator_status(command: Sequence[str]) -> tuple[bool, str]:
    """Whether our generator runs here, and its version or why not."""
    if not Path(command[0]).exists() and shutil.which(command[0]) is None:
        return False, f"{command[0]} missing"
    try:
        result = subprocess.run(
            [*command, "--help"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=REPO,
        )
    except subprocess.TimeoutExpired:
        return False, f"`{shlex.join(command)} --help` timed out"
    if result.returncode != 0:
        return False, error_line(result.stderr or result.stdout)
    # Bytecode, as pip compiles it when it installs a package (the peers'
    # was, at their install): our editable install is run from source, and
    # with PYTHONDONTWRITEBYTECODE set Python would compile it on every run.
    subprocess.run(
        [command[0], "-m", "compileall", "-q", str(REPO / "generator")],
        capture_output=True,
        check=False,
    )
    version = installed_versions(Path(command[0]), ["persons-generator"]).get(
        "persons-generator", "?"
    )
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown commit"
    return True, f"{version} ({commit})"


def peer_argv(tool: str, spec: Path, out: Path) -> list[str]:
    bin_dir = PEERS_VENV / "bin"
    if tool == "openapi-python-client":
        return [
            str(bin_dir / "openapi-python-client"),
            "generate",
            "--path",
            str(spec),
            "--output-path",
            str(out),
            "--overwrite",
        ]
    if tool == "fastapi-code-generator":
        return [
            str(bin_dir / "fastapi-codegen"),
            "--input",
            str(spec),
            "--output",
            str(out),
        ]
    if tool == "datamodel-code-generator":
        out.mkdir(parents=True)
        return [
            str(bin_dir / "datamodel-codegen"),
            "--input",
            str(spec),
            "--input-file-type",
            "openapi",
            "--output",
            str(out / "models.py"),
        ]
    raise ValueError(tool)


def python_bytes(out: Path) -> int:
    return sum(path.stat().st_size for path in out.rglob("*.py") if path.is_file())


# --------------------------------------------------------------------------- #
# The benchmark
# --------------------------------------------------------------------------- #

#: Our scenarios: (name, what the table calls it).
OUR_SCENARIOS = {
    "cold": "cold generate (--no-cache)",
    "cold-client": "cold --only client",
    "cold-server": "cold --only server",
    "regen": "regenerate, nothing changed",
    "edit": "regenerate after a one-operation edit",
    "check": "check, up-to-date tree",
    "check-cold": "check --no-cache, up-to-date tree",
}


#: Stage measurements (bench/stage.py, in process): name -> (command, what).
STAGE_SCENARIOS = {
    "validate-3.1": ("validate", "validate stage, the 3.1 document"),
    "validate-3.0": ("validate", "validate stage, the same document in 3.0 form"),
    "load-split": ("load", "load stage, split over files"),
    "load-bundled": ("load", "load stage, the same spec bundled into one file"),
}
PINNED = "@1"  # suffix of a tool or scenario run on one core


@dataclass(slots=True)
class Results:
    runs: dict[tuple[str, str], list[Run]] = field(
        default_factory=dict
    )  # (spec, tool) -> runs
    py_bytes: dict[tuple[str, str], int] = field(default_factory=dict)
    skipped: dict[tuple[str, str], str] = field(default_factory=dict)
    # (spec, tool) -> operations the tool generated (openapi-python-client)
    generated_ops: dict[tuple[str, str], int] = field(default_factory=dict)
    # (spec, stage scenario) -> what bench/stage.py reported, per repetition
    stages: dict[tuple[str, str], list[dict[str, float]]] = field(default_factory=dict)

    def add(self, spec: str, tool: str, run: Run) -> None:
        self.runs.setdefault((spec, tool), []).append(run)

    def ok_runs(self, spec: str, tool: str) -> list[Run]:
        return [run for run in self.runs.get((spec, tool), []) if run.ok]

    def median(self, spec: str, tool: str) -> float | None:
        good = self.ok_runs(spec, tool)
        return statistics.median(run.wall_s for run in good) if good else None

    def cpu(self, spec: str, tool: str) -> float | None:
        """Median CPU seconds (user + system) of the whole tree."""
        good = self.ok_runs(spec, tool)
        return statistics.median(run.cpu_s for run in good) if good else None

    def peak_mib(self, spec: str, tool: str) -> float | None:
        good = self.ok_runs(spec, tool)
        return max(run.peak_kib for run in good) / 1024 if good else None

    def tree_mib(self, spec: str, tool: str) -> float | None:
        """The largest peak of the whole tree's summed PSS."""
        good = [run for run in self.ok_runs(spec, tool) if run.tree_kib]
        return max(run.tree_kib for run in good) / 1024 if good else None

    def stage(self, spec: str, name: str, key: str) -> float | None:
        """Median of one figure (wall_s, cpu_s, ...) of a stage measurement."""
        values = [m[key] for m in self.stages.get((spec, name), []) if key in m]
        return statistics.median(values) if values else None

    def status(self, spec: str, tool: str) -> str:
        """'ok', 'failed: <why>', 'k/n failed: <why>' or 'n/a: <why>'."""
        if (spec, tool) in self.skipped:
            return f"n/a: {self.skipped[spec, tool]}"
        runs = self.runs.get((spec, tool), [])
        if not runs:
            return "n/a"
        failures = [run for run in runs if not run.ok]
        if not failures:
            return "ok"
        first = failures[0].error
        if len(failures) == len(runs):
            return f"failed: {first}"
        return f"{len(failures)}/{len(runs)} failed: {first}"


def generated_operations(out: Path) -> int:
    """Endpoints openapi-python-client wrote: one module each under
    `<package>/api/<tag>/`."""
    return sum(
        1
        for path in out.glob("*/api/*/*.py")
        if path.name != "__init__.py" and path.is_file()
    )


@dataclass(slots=True)
class Bench:
    specs: list[Spec]
    scratch: Path
    reps: int
    quick: bool
    timeout: float
    peers: dict[str, str]  # the peers installed, with their versions
    our_command: list[str]
    ours_ok: bool
    ours_why: str
    one_core: bool = True
    subreaper: bool = False  # orphaned descendants come back to this process
    derived: Derived = field(default_factory=Derived)
    results: Results = field(default_factory=Results)
    loads: list[float] = field(default_factory=list)  # 1-minute load before each job
    sampling_cpu_s: float = 0.0  # what sampling the trees' memory cost this process
    measured_s: float = 0.0  # wall time of all measured processes
    _counter: int = 0

    def record(
        self, spec: str, tool: str, rep: int, measured: tuple[Run, float]
    ) -> Run:
        """Keep a run (its error without our scratch paths) and show progress."""
        run, cost = measured
        self.sampling_cpu_s += cost
        self.measured_s += run.wall_s
        if run.error is not None:
            run = dataclasses.replace(
                run, error=run.error.replace(str(self.scratch), "$TMP")
            )
        self.results.add(spec, tool, run)
        outcome = "ok" if run.ok else f"FAILED ({run.error})"
        print(
            f"  [{rep + 1}] {spec:<18} {tool:<26} {run.wall_s:7.2f} s "
            f"{run.cpu_s:7.2f} cpu-s {run.peak_kib / 1024:6.1f} MiB "
            f"{run.tree_kib / 1024:6.1f} MiB tree  {outcome}",
            file=sys.stderr,
        )
        return run

    def fresh_dir(self, label: str) -> Path:
        self._counter += 1
        return self.scratch / "out" / f"{label}-{self._counter}"

    # -- peers ----------------------------------------------------------------

    def peer_job(
        self, spec: Spec, tool: str, cpus: frozenset[int] | None = None
    ) -> Callable[[int], None]:
        name = tool + (PINNED if cpus else "")

        def job(rep: int) -> None:
            out = self.fresh_dir(f"{spec.key}-{tool}")
            out.parent.mkdir(parents=True, exist_ok=True)
            workdir = out.parent
            argv = peer_argv(tool, spec.path, out)
            measured = measure(
                argv,
                cwd=workdir,
                path_prefix=PEERS_VENV / "bin",
                timeout=self.timeout,
                cpus=cpus,
            )
            run = self.record(spec.key, name, rep, measured)
            if run.ok and not cpus:
                self.results.py_bytes[spec.key, tool] = python_bytes(out)
                if tool == "openapi-python-client":
                    self.results.generated_ops[spec.key, tool] = generated_operations(
                        out
                    )
            shutil.rmtree(out, ignore_errors=True)

        return job

    # -- ours -----------------------------------------------------------------

    def our_argv(self, command: str, spec: Path, out: Path, *extra: str) -> list[str]:
        return [
            *self.our_command,
            command,
            "--spec",
            str(spec),
            "--out",
            str(out),
            *extra,
        ]

    def _ours(
        self, argv: list[str], cpus: frozenset[int] | None = None, tree: bool = True
    ) -> tuple[Run, float]:
        # Run outside the repository, with the cache in the scratch folder: the
        # benchmark neither leaves files behind nor reuses a cache of an
        # earlier run.
        cache = str(self.scratch / "cache")
        return measure(
            argv,
            cwd=self.scratch,
            path_prefix=Path(self.our_command[0]).parent,
            timeout=max(self.timeout, 600.0),
            env_overrides={"GENERATOR_CACHE_DIR": cache, "XDG_CACHE_HOME": cache},
            cpus=cpus,
            tree=tree,
        )

    def our_cold_job(
        self, spec: Spec, scenario: str, cpus: frozenset[int] | None = None
    ) -> Callable[[int], None]:
        extra = {
            "cold": (),
            "cold-client": ("--only", "client"),
            "cold-server": ("--only", "server"),
        }[scenario]
        name = f"{OURS}:{scenario}" + (PINNED if cpus else "")

        def job(rep: int) -> None:
            out = self.fresh_dir(f"{spec.key}-{scenario}")
            out.parent.mkdir(parents=True, exist_ok=True)
            measured = self._ours(
                self.our_argv("generate", spec.path, out, "--no-cache", *extra), cpus
            )
            run = self.record(spec.key, name, rep, measured)
            if run.ok and not cpus:
                self.results.py_bytes[spec.key, name] = python_bytes(out)
            shutil.rmtree(out, ignore_errors=True)

        return job

    def our_incremental_job(
        self, spec: Spec, cpus: frozenset[int] | None = None
    ) -> Callable[[int], None]:
        """Regenerate unchanged, check, then a one-operation edit, on one tree
        whose cache stays warm across repetitions. The spec is copied (with its
        folder, for relative `$ref`s) so that it can be edited in place."""
        suffix = PINNED if cpus else ""
        work = self.scratch / "work" / f"{spec.key}{'-1cpu' if cpus else ''}"

        def big_siblings(folder: str, names: list[str]) -> list[str]:
            # Skip other large specs that share the folder; keep small companions.
            paths = (Path(folder) / name for name in names)
            return [
                p.name
                for p in paths
                if p.is_file() and p != spec.path and p.stat().st_size > 200_000
            ]

        shutil.copytree(spec.path.parent, work / "spec", ignore=big_siblings)
        spec_copy = work / "spec" / spec.path.name
        original = work / "original" / spec.path.name
        original.parent.mkdir()
        shutil.copyfile(spec_copy, original)
        # One edited copy per repetition, each with a different summary, so
        # that no edit is ever already in the cache.
        edits: list[Path] = []
        for rep in range(self.reps):
            edited = work / f"edit-{rep}" / spec.path.name
            edited.parent.mkdir()
            try:
                _helper(
                    "specs.py",
                    "edit",
                    str(spec_copy),
                    f"Edited by the benchmark, repetition {rep + 1}",
                    str(edited),
                )
            except RuntimeError as error:
                self.results.skipped[spec.key, f"{OURS}:edit{suffix}"] = (
                    f"cannot edit the spec: {error}"
                )
                break
            edits.append(edited)
        out = work / "out"
        generate = self.our_argv("generate", spec_copy, out)

        def job(rep: int) -> None:
            # Untimed: bring the tree and the cache up to date right before
            # measuring, so that nothing that changed since (the generator's
            # own code, say, whose changes invalidate its cache) is counted.
            shutil.copyfile(original, spec_copy)
            settle, _ = self._ours(generate, tree=False)
            scenarios = [
                ("regen", generate),
                ("check", self.our_argv("check", spec_copy, out)),
                ("check-cold", self.our_argv("check", spec_copy, out, "--no-cache")),
            ]
            if rep < len(edits):
                scenarios.append(("edit", generate))
            for name, argv in scenarios:
                tool = f"{OURS}:{name}{suffix}"
                if not settle.ok:
                    error = f"the untimed generate before it failed: {settle.error}"
                    self.record(spec.key, tool, rep, (Run(0.0, 0, error=error), 0.0))
                    continue
                if name == "edit":
                    shutil.copyfile(edits[rep], spec_copy)
                self.record(spec.key, tool, rep, self._ours(argv, cpus))

        return job

    def stage_job(self, spec: Spec, name: str, path: Path) -> Callable[[int], None]:
        """One stage of ours alone, in a fresh process (bench/stage.py)."""
        command, _ = STAGE_SCENARIOS[name]

        def job(rep: int) -> None:
            try:
                output = _helper("stage.py", command, str(path), python=OUR_PYTHON)
                figures = json.loads(output.splitlines()[-1])
            except (RuntimeError, ValueError, IndexError) as error:
                self.results.skipped[spec.key, name] = f"failed: {error}"
                return
            self.results.stages.setdefault((spec.key, name), []).append(figures)
            print(
                f"  [{rep + 1}] {spec.key:<18} {name:<26} {figures['wall_s']:7.2f} s "
                f"{figures['cpu_s']:7.2f} cpu-s (in process)",
                file=sys.stderr,
            )

        return job

    # -- driver ---------------------------------------------------------------

    def jobs_for(self, spec: Spec) -> list[Callable[[int], None]]:
        """Peer and our jobs interleaved: peer, ours, peer, ours, ..."""
        pinned = self.one_core and spec.key in ONE_CORE_SPECS
        peers: list[Callable[[int], None]] = []
        for tool in PEERS:
            if tool not in self.peers:
                self.results.skipped[spec.key, tool] = "not installed"
            elif self.quick and spec.large and not spec.published:
                self.results.skipped[spec.key, tool] = "skipped under --quick"
            elif spec.published and tool != "openapi-python-client":
                self.results.skipped[spec.key, tool] = (
                    "published specs: openapi-python-client only"
                )
            else:
                peers.append(self.peer_job(spec, tool))
                if pinned and tool == "openapi-python-client":
                    peers.append(self.peer_job(spec, tool, ONE_CORE))
        ours: list[Callable[[int], None]] = []
        if self.ours_ok:
            cold = (
                ("cold", "cold-client")
                if spec.published
                else (
                    "cold",
                    "cold-client",
                    "cold-server",
                )
            )
            ours = [self.our_cold_job(spec, name) for name in cold]
            if spec.published:
                self.results.skipped[spec.key, f"{OURS}:cold-server"] = (
                    "published specs: cold and cold-client only"
                )
            if pinned:
                ours.append(self.our_cold_job(spec, "cold", ONE_CORE))
            if spec.key == f"synth-{SYNTH_SIZES[-1]}" or spec.published:
                # The largest spec is there for growth only, and the published
                # ones for cold runs: regenerating and checking them would add
                # many minutes to each repetition.
                for name in ("regen", "check", "check-cold", "edit"):
                    self.results.skipped[spec.key, f"{OURS}:{name}"] = "cold runs only"
            else:
                ours.append(self.our_incremental_job(spec))
                if pinned and not spec.key.startswith("synth-"):
                    ours.append(self.our_incremental_job(spec, ONE_CORE))
            ours += self.stage_jobs(spec)
        else:
            for name in OUR_SCENARIOS:
                self.results.skipped[spec.key, f"{OURS}:{name}"] = (
                    "generator unavailable"
                )
        jobs: list[Callable[[int], None]] = []
        for index in range(max(len(peers), len(ours))):
            jobs.extend(peers[index : index + 1])
            jobs.extend(ours[index : index + 1])
        return jobs

    def stage_jobs(self, spec: Spec) -> list[Callable[[int], None]]:
        """The two halves of each stage comparison, one after the other."""
        d = self.derived
        pairs = {
            "openai": (
                ("validate-3.1", d.validate_31),
                ("validate-3.0", d.validate_30),
            ),
            "digitalocean": (
                ("load-split", d.load_split),
                ("load-bundled", d.load_bundled),
            ),
        }.get(spec.key, ())
        jobs = []
        for name, path in pairs:
            if path is None:
                self.results.skipped[spec.key, name] = "input not made (see notes)"
            else:
                jobs.append(self.stage_job(spec, name, path))
        return jobs

    def run(self) -> None:
        plan = [(spec, self.jobs_for(spec)) for spec in self.specs]
        for rep in range(self.reps):
            print(f"repetition {rep + 1}/{self.reps}", file=sys.stderr)
            for _spec, jobs in plan:
                # Rotate the order each repetition, so no tool always goes first.
                shift = rep % len(jobs) if jobs else 0
                for job in jobs[shift:] + jobs[:shift]:
                    self.loads.append(os.getloadavg()[0])
                    job(rep)


# --------------------------------------------------------------------------- #
# Runtime micro-benchmarks (bench/runtime.py, run with the project's venv)
# --------------------------------------------------------------------------- #


def run_runtime(quick: bool) -> dict[str, object]:
    script = BENCH / "runtime.py"
    if not OUR_PYTHON.exists():
        return {"available": False, "reason": f"{OUR_PYTHON.relative_to(REPO)} missing"}
    argv = [str(OUR_PYTHON), str(script), "--json"] + (["--quick"] if quick else [])
    try:
        result = subprocess.run(
            argv, capture_output=True, text=True, timeout=900, cwd=REPO
        )
    except subprocess.TimeoutExpired:
        return {"available": False, "reason": "runtime benchmarks timed out"}
    if result.returncode != 0:
        return {
            "available": False,
            "reason": error_line(result.stderr or result.stdout),
        }
    data: dict[str, object] = json.loads(result.stdout)
    return data


# --------------------------------------------------------------------------- #
# Report
# --------------------------------------------------------------------------- #


def _s(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def _x(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}×"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    def row(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return [row(header), "|" + "|".join("---" for _ in header) + "|", *map(row, rows)]


@dataclass(frozen=True, slots=True)
class Floor:
    name: str
    measured: str
    target: str
    passed: bool | None  # None: could not be measured

    @property
    def verdict(self) -> str:
        return "n/a" if self.passed is None else ("pass" if self.passed else "FAIL")


def _floor_ratio(name: str, value: float | None, limit: float, shown: str) -> Floor:
    return Floor(
        name,
        shown if value is not None else "n/a",
        f"≤ {limit:g}×",
        None if value is None else value <= limit,
    )


def _floor_pct(name: str, value: float | None, limit: float, shown: str) -> Floor:
    return Floor(
        name,
        shown if value is not None else "n/a",
        f"≤ {limit * 100:.0f}% of cold",
        None if value is None else value <= limit,
    )


def _floor_seconds(name: str, value: float | None, limit: float) -> Floor:
    return Floor(
        name,
        _s(value, 3) + " s" if value is not None else "n/a",
        f"≤ {limit:g} s",
        None if value is None else value <= limit,
    )


OPC = "openapi-python-client"


def _vs(
    name: str,
    ours: float | None,
    peer: float | None,
    limit: float,
    unit: str = "s",
    digits: int = 2,
    extra: str = "",
) -> Floor:
    """A floor on ours ÷ a baseline."""
    value = _ratio(ours, peer)
    ratio_digits = 2
    # One digit more where two would show the limit itself on the wrong side of it.
    if value is not None and f"{value:.2f}" == f"{limit:.2f}" and value != limit:
        digits, ratio_digits = digits + 1, 3
    shown = (
        f"{_s(ours, digits)} / {_s(peer, digits)} {unit} = "
        f"{_x(value, ratio_digits)}{extra}"
    )
    return _floor_ratio(name, value, limit, shown)


def wall_floors(r: Results, pinned: bool) -> list[Floor]:
    """The last round's wall-time floors, on all cores or on one."""
    p = PINNED if pinned else ""
    note = " (one core)" if pinned else ""
    ours = f"{OURS}:cold{p}"
    out = [
        _vs(
            f"persons: cold client+server vs openapi-python-client client{note}",
            r.median("persons", ours),
            r.median("persons", OPC + p),
            0.75,
        ),
        _vs(
            f"authentik: cold generate vs openapi-python-client time{note}",
            r.median("authentik", ours),
            r.median("authentik", OPC + p),
            0.5,
        ),
    ]
    cold = r.median("authentik", ours)
    for scenario, label, seconds, share in (
        ("regen", "regenerate, nothing changed", 0.25, 0.10),
        ("edit", "regenerate after a one-operation edit", 0.6, 0.15),
    ):
        out.append(
            _floor_seconds(
                f"persons: {label}{note}",
                r.median("persons", f"{OURS}:{scenario}{p}"),
                seconds,
            )
        )
        part = r.median("authentik", f"{OURS}:{scenario}{p}")
        value = _ratio(part, cold)
        out.append(
            _floor_pct(
                f"authentik: {label}{note}",
                value,
                share,
                f"{_s(part, 3)} s / {_s(cold)} s = {_pct(value)}",
            )
        )
    out.append(
        _vs(
            f"growth: cold generate, 1000 → 5000 synthetic operations{note}",
            r.median("synth-5000", ours),
            r.median("synth-1000", ours),
            5.5,
        )
    )
    for spec in ("persons", "authentik"):
        out.append(
            _vs(
                f"{spec}: check vs generate (both --no-cache){note}",
                r.median(spec, f"{OURS}:check-cold{p}"),
                r.median(spec, ours),
                1.0,
            )
        )
    return out


def published_floors(bench: Bench) -> list[Floor]:
    """Issue 15: on each published spec, time, memory (tree) and CPU ≤ the peer's."""
    r = bench.results
    operations = {spec.key: spec.operations for spec in bench.specs}
    out: list[Floor] = []
    for key, _ in PUBLISHED_SPECS:
        ops = operations.get(key)
        made = r.generated_ops.get((key, OPC))
        # A peer that generates under half the operations "mostly skips" it.
        mostly_skips = ops is not None and made is not None and made < ops / 2
        skipped = (
            f" (the peer generated {made} of {ops} operations)"
            if made is not None and ops is not None
            else ""
        )
        ours = f"{OURS}:cold"
        out += [
            _vs(
                f"{key}: cold generate vs openapi-python-client time",
                r.median(key, ours),
                r.median(key, OPC),
                1.5 if mostly_skips else 1.0,
                extra=skipped,
            ),
            _vs(
                f"{key}: cold peak memory (whole tree) vs openapi-python-client",
                r.tree_mib(key, ours),
                r.tree_mib(key, OPC),
                1.0,
                "MiB",
                0,
            ),
            _vs(
                f"{key}: CPU seconds vs openapi-python-client",
                r.cpu(key, ours),
                r.cpu(key, OPC),
                1.0,
                "s",
            ),
        ]
    return out


def floors(bench: Bench, runtime: dict[str, object]) -> list[Floor]:
    r = bench.results
    out = wall_floors(r, pinned=False)
    out.insert(
        2,
        _vs(
            "authentik: cold peak memory (largest process) vs openapi-python-client",
            r.peak_mib("authentik", f"{OURS}:cold"),
            r.peak_mib("authentik", OPC),
            1.0,
            "MiB",
            0,
        ),
    )
    out += _runtime_floors(runtime)
    # Issue 15.
    out += published_floors(bench)
    for spec in ("persons", "authentik"):
        out.append(
            _vs(
                f"{spec}: CPU seconds vs openapi-python-client",
                r.cpu(spec, f"{OURS}:cold"),
                r.cpu(spec, OPC),
                0.75,
            )
        )
    out.append(
        _vs(
            "authentik: cold peak memory (whole tree) vs openapi-python-client",
            r.tree_mib("authentik", f"{OURS}:cold"),
            r.tree_mib("authentik", OPC),
            1.0,
            "MiB",
            0,
        )
    )
    if bench.one_core:
        out += wall_floors(r, pinned=True)
    out.append(
        _vs(
            "openai: validate stage, 3.1 vs the same document in 3.0 form "
            "(per operation: the same operations)",
            r.stage("openai", "validate-3.1", "wall_s"),
            r.stage("openai", "validate-3.0", "wall_s"),
            1.0,
        )
    )
    out.append(
        _vs(
            "digitalocean: load stage, split over files vs bundled into one",
            r.stage("digitalocean", "load-split", "wall_s"),
            r.stage("digitalocean", "load-bundled", "wall_s"),
            1.5,
        )
    )
    return out


def _runtime_floors(runtime: dict[str, object]) -> list[Floor]:
    out: list[Floor] = []
    metrics = _runtime_metrics(runtime)
    import_ms = metrics.get("client_import_ms")
    out.append(
        Floor(
            "persons_client import time (fresh interpreter, median)",
            "n/a" if import_ms is None else f"{import_ms:.1f} ms",
            "≤ 50 ms",
            None if import_ms is None else import_ms <= 50,
        )
    )
    for key, name in (
        ("client_call_overhead", "client per-call overhead vs bare httpx"),
        ("server_route_overhead", "generated route vs hand-written FastAPI route"),
    ):
        overhead = metrics.get(key)
        out.append(
            Floor(
                name,
                "n/a" if overhead is None else f"{overhead * 100:+.1f}%",
                "≤ +10%",
                None if overhead is None else overhead <= 0.10,
            )
        )
    return out


def _runtime_metrics(runtime: dict[str, object]) -> dict[str, float]:
    metrics = runtime.get("metrics")
    if not isinstance(metrics, dict):
        return {}
    return {str(k): float(v) for k, v in metrics.items() if isinstance(v, (int, float))}


def render(bench: Bench, runtime: dict[str, object], elapsed: float) -> str:
    r = bench.results
    specs = bench.specs
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cpu = _cpu_model()
    quick_note = (
        " (--quick: peers skip authentik and synth-5000)" if bench.quick else ""
    )
    load = statistics.median(bench.loads) if bench.loads else 0.0
    busy = (
        ". **The machine was busy: other work competed for the CPUs, so times are inflated "
        "and noisy.**"
        if load > 0.75 * (os.cpu_count() or 1)
        else ""
    )
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python3 bench/run.py{' --quick' if bench.quick else ''}"
        f"{f' --reps {bench.reps}' if not bench.quick and bench.reps != 5 else ''}` "
        "(see README.md). Do not edit by hand.",
        "",
        f"- date: {now}; whole run took {elapsed / 60:.1f} min",
        f"- machine: {os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}",
        f"- load average (1 min) before each measurement: median {load:.1f}, max "
        f"{max(bench.loads, default=0):.1f}; the benchmark itself accounts for about 1{busy}",
        f"- repetitions: {bench.reps}{quick_note}; times are medians of whole-process wall "
        "time; CPU is user + system seconds of the whole process tree (`os.wait4`'s "
        "rusage, which counts every descendant waited for, plus any orphan, which this "
        f"process reaps as a child subreaper{'' if bench.subreaper else ': unavailable here'}"
        f"; {_orphans(r)}), "
        "median; *peak MiB* is the largest resident set of any one process (Linux's "
        "`ru_maxrss`, which starts from the launching process's own peak: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB here); "
        f"*tree MiB* the largest sum of PSS over the whole tree, sampled every "
        f"{TREE_INTERVAL:g} s (sampling cost this process {bench.sampling_cpu_s:.1f} CPU-s "
        f"over {bench.measured_s:.0f} s measured: "
        f"{_pct(_ratio(bench.sampling_cpu_s, bench.measured_s))} of one core)",
        f"- one core: {_one_core_note(bench)}",
        f"- ours: `{shlex.join(bench.our_command)}` "
        f"{bench.ours_why if bench.ours_ok else 'n/a: ' + bench.ours_why}",
        *(
            f"- {name} {bench.peers.get(name, f'{version}: not installed')}"
            for name, version in PEER_PINS.items()
        ),
        f"- {NOT_INSTALLABLE}",
        "",
        "## Generation: spec × tool",
        "",
        "Ours is the cold run (`--no-cache`, fresh output folder). Ratios are ours ÷ peer: "
        "*full* compares our client+server run; *like for like* compares our `--only client` "
        "with openapi-python-client, our `--only server` with fastapi-code-generator, and "
        "our full run with datamodel-code-generator (models only); CPU and memory compare "
        "our full run. Below 1 means we are faster or smaller.",
        "",
    ]
    rows: list[list[str]] = []
    for spec in specs:
        ours = f"{OURS}:cold"
        for tool in (
            f"{OURS}:cold",
            f"{OURS}:cold-client",
            f"{OURS}:cold-server",
            *PEERS,
        ):
            t = r.median(spec.key, tool)
            status = r.status(spec.key, tool)
            like = full = cpu_ratio = mem = "—"
            if tool in PEER_KIND:
                full = _x(_ratio(r.median(spec.key, ours), t))
                like = _x(_ratio(r.median(spec.key, f"{OURS}:{PEER_KIND[tool][1]}"), t))
                cpu_ratio = _x(_ratio(r.cpu(spec.key, ours), r.cpu(spec.key, tool)))
                mem = _x(_ratio(r.tree_mib(spec.key, ours), r.tree_mib(spec.key, tool)))
            name = tool.replace(f"{OURS}:", "ours ") if tool.startswith(OURS) else tool
            made = r.generated_ops.get((spec.key, tool))
            if made is not None:
                name += f" ({made} ops generated)"
            rows.append(
                [
                    f"{spec.key} ({spec.operations} ops)",
                    name,
                    status,
                    _s(t),
                    _s(r.cpu(spec.key, tool)),
                    _s(r.peak_mib(spec.key, tool), 0),
                    _s(r.tree_mib(spec.key, tool), 0),
                    full,
                    like,
                    cpu_ratio,
                    mem,
                ]
            )
    lines += _table(
        [
            "spec",
            "tool",
            "status",
            "median s",
            "CPU s",
            "peak MiB",
            "tree MiB",
            "time ours÷peer (full)",
            "time ours÷peer (like for like)",
            "CPU ours÷peer",
            "tree memory ours÷peer",
        ],
        rows,
    )
    lines += _published_section(bench)
    lines += _one_core_section(bench)
    lines += _stage_section(bench)

    lines += [
        "",
        "## Regeneration and check (ours)",
        "",
        "Regenerate and check run on one output folder with the cache warm; the edit "
        "changes one operation's summary, differently in each repetition.",
        "",
    ]
    rows = []
    for spec in specs:
        cold = r.median(spec.key, f"{OURS}:cold")
        cells = [spec.key, _s(cold)]
        for name in ("regen", "edit", "check", "check-cold"):
            t = r.median(spec.key, f"{OURS}:{name}")
            status = r.status(spec.key, f"{OURS}:{name}")
            shown = f"{_s(t, 3)} ({_pct(_ratio(t, cold))})" if t is not None else status
            if t is not None and status != "ok":
                shown += f" [{status}]"
            cells.append(shown)
        rows.append(cells)
    lines += _table(
        [
            "spec",
            "cold s",
            "no-change regen s (% of cold)",
            "one-op edit s (% of cold)",
            "check s (% of cold)",
            "check --no-cache s (% of cold)",
        ],
        rows,
    )

    lines += ["", "## Growth with size (synthetic specs, median s)", ""]
    rows = []
    for tool in (f"{OURS}:cold", *PEERS):
        times = [r.median(f"synth-{size}", tool) for size in SYNTH_SIZES]
        name = "ours (cold)" if tool.startswith(OURS) else tool
        rows.append([name, *map(_s, times), _x(_ratio(times[2], times[1]))])
    lines += _table(
        ["tool", *(f"{size} ops" for size in SYNTH_SIZES), "1000 → 5000"], rows
    )

    lines += ["", "## Generated Python per operation (bytes of *.py ÷ operations)", ""]
    rows = []
    columns = (f"{OURS}:cold", f"{OURS}:cold-client", f"{OURS}:cold-server", *PEERS)
    for spec in specs:
        cells = [spec.key, str(spec.operations)]
        for tool in columns:
            size = r.py_bytes.get((spec.key, tool))
            cells.append("n/a" if size is None else f"{size / spec.operations:,.0f}")
        rows.append(cells)
    lines += _table(
        ["spec", "ops", "ours (client+server)", "ours client", "ours server", *PEERS],
        rows,
    )

    lines += ["", "## Runtime of the generated persons package", ""]
    lines += _runtime_section(runtime)

    lines += ["", "## Floors", ""]
    lines += _table(
        ["floor", "measured", "target", "result"],
        [[f.name, f.measured, f.target, f.verdict] for f in floors(bench, runtime)],
    )
    return "\n".join(lines) + "\n"


def _orphans(r: Results) -> str:
    found = sorted(
        {tool for (_, tool), runs in r.runs.items() if any(run.orphans for run in runs)}
    )
    return f"orphans were reaped from {', '.join(found)}" if found else "none left any"


def _one_core_note(bench: Bench) -> str:
    if not bench.one_core:
        return "not measured (--no-one-core)"
    return (
        f"runs marked {PINNED} are pinned to CPU {min(ONE_CORE)} (`sched_setaffinity`, "
        "as `taskset -c 0` does), tools alike: a stand-in for a machine with one core "
        "busy (our generator still sees two CPUs and starts two workers, as it would)"
    )


def _published_section(bench: Bench) -> list[str]:
    r = bench.results
    lines = ["", "## Published specs", ""]
    lines.append(
        f"Read from `{PUBLISHED.relative_to(REPO.parent)}` (see SOURCES.md there). None "
        "passes openapi-spec-validator as published; until our generator accepts one as "
        "it is, it is measured on a fix-up copy (`bench/published.py fixup`, in the "
        "scratch folder, never committed): the rules and how often each applied are "
        "listed. The peers other than openapi-python-client do not run on them."
    )
    lines.append("")
    for spec in bench.specs:
        if not spec.published:
            continue
        made = r.generated_ops.get((spec.key, OPC))
        peer = (
            f"; openapi-python-client generated {made} of them"
            if made is not None
            else ""
        )
        lines.append(f"- {spec.key}: {spec.operations} operations{peer}; {spec.note}")
    lines += [f"- {note}" for note in bench.derived.notes]
    return lines


def _one_core_section(bench: Bench) -> list[str]:
    if not bench.one_core:
        return []
    r = bench.results
    lines = [
        "",
        "## One core",
        "",
        f"The same runs pinned to one core ({PINNED}), next to the same runs on all "
        "cores; median seconds.",
        "",
    ]
    rows = []
    for spec in bench.specs:
        if spec.key not in ONE_CORE_SPECS:
            continue
        for tool in (
            f"{OURS}:cold",
            OPC,
            f"{OURS}:regen",
            f"{OURS}:edit",
            f"{OURS}:check",
            f"{OURS}:check-cold",
        ):
            one = r.median(spec.key, tool + PINNED)
            if one is None and (spec.key, tool + PINNED) not in r.skipped:
                continue
            every = r.median(spec.key, tool)
            name = tool.replace(f"{OURS}:", "ours ") if tool.startswith(OURS) else tool
            rows.append(
                [
                    spec.key,
                    name,
                    _s(every, 3),
                    (
                        _s(one, 3)
                        if one is not None
                        else r.status(spec.key, tool + PINNED)
                    ),
                    _x(_ratio(one, every)),
                    _s(r.cpu(spec.key, tool + PINNED)),
                ]
            )
    if not rows:
        return lines + ["None of persons, authentik and the growth specs ran."]
    lines += _table(
        ["spec", "run", "all cores s", "one core s", "one ÷ all", "one core CPU s"],
        rows,
    )
    return lines


def _stage_section(bench: Bench) -> list[str]:
    r = bench.results
    d = bench.derived
    lines = [
        "",
        "## Stages alone",
        "",
        "One stage of ours in a fresh process (`bench/stage.py`), the other stages "
        "untimed; wall and CPU seconds, medians. Validation: OpenAI's 3.1 document and "
        "the same document in 3.0 form (`bench/published.py downgrade`, both written as "
        "JSON so that they differ in their OpenAPI version only"
        + (f"; the 3.0 form changed: {d.downgrade}" if d.downgrade else "")
        + "). Load: DigitalOcean split over its files, and the same files bundled into "
        "one (`bench/published.py bundle`: each file's text under `x-bundled`, every "
        "`$ref` pointing inside).",
        "",
    ]
    operations = {spec.key: spec.operations for spec in bench.specs}
    rows = []
    for spec, name in (
        ("openai", "validate-3.1"),
        ("openai", "validate-3.0"),
        ("digitalocean", "load-split"),
        ("digitalocean", "load-bundled"),
    ):
        wall = r.stage(spec, name, "wall_s")
        if wall is None:
            rows.append(
                [spec, STAGE_SCENARIOS[name][1], r.status(spec, name), "", "", ""]
            )
            continue
        ops = operations.get(spec)
        per_op = f"{wall / ops * 1000:.2f}" if ops else "n/a"
        files = r.stage(spec, name, "files")
        rows.append(
            [
                spec,
                STAGE_SCENARIOS[name][1]
                + (f" ({files:.0f} file{'s' if files != 1 else ''})" if files else ""),
                _s(wall, 3),
                _s(r.stage(spec, name, "cpu_s"), 3),
                per_op,
                str(ops or "n/a"),
            ]
        )
    lines += _table(["spec", "stage", "wall s", "CPU s", "wall ms per op", "ops"], rows)
    return lines


def _runtime_section(runtime: dict[str, object]) -> list[str]:
    if not runtime.get("available"):
        return [f"n/a: {runtime.get('reason', 'not measured')}"]
    rows = runtime.get("rows")
    notes = runtime.get("notes")
    lines: list[str] = []
    if isinstance(rows, list):
        lines += _table(
            ["measurement", "ours", "baseline", "ours ÷ baseline", "how"],
            [[str(cell) for cell in row] for row in rows if isinstance(row, list)],
        )
    if isinstance(notes, list):
        lines += ["", *(f"- {note}" for note in notes)]
    return lines


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


# --------------------------------------------------------------------------- #
# Entry point
# --------------------------------------------------------------------------- #


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark our generator against its peers."
    )
    parser.add_argument("--reps", type=int, default=5, help="repetitions (default 5)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 repetition; peers skip authentik and synth-5000",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="seconds before a peer run is killed (default 300)",
    )
    parser.add_argument(
        "--spec",
        action="append",
        default=[],
        metavar="KEY",
        help="only these specs (e.g. persons, authentik, synth-1000, openai, "
        "kubernetes, digitalocean); repeatable",
    )
    parser.add_argument(
        "--published",
        choices=("auto", "as-published", "fixed"),
        default="auto",
        help="the published specs as published, or fix-up copies; auto (the "
        "default): as published where our generator accepts them and "
        "openapi-python-client reads them (no operation that is a $ref)",
    )
    parser.add_argument(
        "--one-core",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run persons, authentik and the growth specs pinned to one core "
        "(default: yes)",
    )
    parser.add_argument(
        "--runtime",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the runtime micro-benchmarks of the generated package (default: yes)",
    )
    parser.add_argument("--output", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument(
        "--generator",
        default=f"{OUR_PYTHON} -m generator",
        help="command that runs our generator (default: %(default)s)",
    )
    parser.add_argument(
        "--keep-temp", action="store_true", help="keep the scratch folder"
    )
    args = parser.parse_args(argv)
    reps = 1 if args.quick else args.reps
    if reps < 1:
        parser.error("--reps must be at least 1")

    started = time.perf_counter()
    versions = ensure_peers()
    our_command = shlex.split(args.generator)
    ours_ok, ours_why = our_generator_status(our_command)
    if not ours_ok:
        print(
            f"our generator is unavailable ({ours_why}): its rows will be n/a",
            file=sys.stderr,
        )
    subreaper = become_subreaper()
    scratch = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        specs = collect_specs(scratch, args.spec)
        published, derived = published_specs(
            scratch, args.published, our_command if ours_ok else None, args.spec
        )
        bench = Bench(
            specs + published,
            scratch,
            reps,
            args.quick,
            args.timeout,
            versions,
            our_command,
            ours_ok,
            ours_why,
            one_core=args.one_core,
            subreaper=subreaper,
            derived=derived,
        )
        bench.run()
        runtime: dict[str, object] = {
            "available": False,
            "reason": "not measured (--no-runtime)",
        }
        if args.runtime:
            print("runtime micro-benchmarks ...", file=sys.stderr)
            runtime = run_runtime(args.quick)
        report = render(bench, runtime, time.perf_counter() - started)
    finally:
        if args.keep_temp:
            print(f"scratch kept in {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    args.output.write_text(report, encoding="utf-8")
    print(report)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
