"""Benchmarks our generator against peer generators and writes bench/RESULTS.md.

Every measurement is one whole process (interpreter start-up included): wall
time from spawn to exit, and peak RSS from the child's rusage (`os.wait4`; on
Linux the largest resident set of the process or any descendant it waited for).
Tools alternate within each repetition so that drift in machine load spreads
over all of them; medians are reported. Standard library only.

    python3 bench/run.py [--reps N] [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import os
import platform
import resource
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
PEERS_VENV = BENCH / ".peers-venv"
OUR_PYTHON = REPO / ".venv" / "bin" / "python"
SHARED_SPECS = REPO.parent / "shared" / "specs"

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
# Measuring one process
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, slots=True)
class Run:
    """One measured process: wall seconds, peak RSS in KiB, and its outcome."""

    wall_s: float
    peak_kib: int
    error: str | None = None  # first useful line of the failure, None if it succeeded

    @property
    def ok(self) -> bool:
        return self.error is None


def _error_line(text: str) -> str:
    """The line that best says why a process failed: a traceback's last line,
    else the first line that is not a warning."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "no output"
    if any(line.startswith("Traceback (most recent call last)") for line in lines):
        return lines[-1][:200]
    for line in lines:
        if "Warning" not in line and not line.startswith("warn"):
            return line[:200]
    return lines[0][:200]


def measure(
    argv: Sequence[str],
    *,
    cwd: Path,
    path_prefix: Path,
    timeout: float,
    env_overrides: Mapping[str, str] | None = None,
) -> Run:
    """Run `argv` to completion and return its wall time and peak RSS."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["PATH"] = f"{path_prefix}{os.pathsep}{env.get('PATH', '')}"
    env.update(env_overrides or {})
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak = int(usage.ru_maxrss)
        if timed_out.is_set():
            return Run(wall, peak, f"timed out after {timeout:g} s")
        if proc.returncode != 0:
            err.seek(0)
            out.seek(0)
            text = err.read().decode(errors="replace") or out.read().decode(
                errors="replace"
            )
            return Run(wall, peak, f"exit {proc.returncode}: {_error_line(text)}")
        return Run(wall, peak)


# --------------------------------------------------------------------------- #
# Inputs
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, slots=True)
class Spec:
    key: str
    path: Path
    operations: int
    large: bool  # skipped for peers under --quick


def _helper(*args: str) -> str:
    """Run one of bench/'s helper scripts in a child process; its stdout.

    Children inherit this process's peak RSS as a floor for their own (Linux
    records the parent's high-water mark at exec), so the large documents are
    built and read by short-lived helpers, never in this process.
    """
    result = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=False, cwd=BENCH
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {_error_line(result.stderr)}")
    return result.stdout


def collect_specs(scratch: Path) -> list[Spec]:
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
        path = synth_dir / f"synth-{size}.yaml"
        _helper("synth.py", str(size), str(path))
        candidates.append((f"synth-{size}", path, size >= 5000))
    specs: list[Spec] = []
    for key, path, large in candidates:
        try:
            operations = int(_helper("specs.py", "count", str(path)))
        except (RuntimeError, ValueError) as error:
            print(
                f"warning: cannot count operations in {path} ({error}), skipped",
                file=sys.stderr,
            )
            continue
        if operations:
            specs.append(Spec(key, path, operations, large))
    return specs


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
        return False, _error_line(result.stderr or result.stdout)
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


@dataclass(slots=True)
class Results:
    runs: dict[tuple[str, str], list[Run]] = field(
        default_factory=dict
    )  # (spec, tool) -> runs
    py_bytes: dict[tuple[str, str], int] = field(default_factory=dict)
    skipped: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, spec: str, tool: str, run: Run) -> None:
        self.runs.setdefault((spec, tool), []).append(run)

    def ok_runs(self, spec: str, tool: str) -> list[Run]:
        return [run for run in self.runs.get((spec, tool), []) if run.ok]

    def median(self, spec: str, tool: str) -> float | None:
        good = self.ok_runs(spec, tool)
        return statistics.median(run.wall_s for run in good) if good else None

    def peak_mib(self, spec: str, tool: str) -> float | None:
        good = self.ok_runs(spec, tool)
        return max(run.peak_kib for run in good) / 1024 if good else None

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
    results: Results = field(default_factory=Results)
    loads: list[float] = field(default_factory=list)  # 1-minute load before each job
    _counter: int = 0

    def record(self, spec: str, tool: str, rep: int, run: Run) -> Run:
        """Keep a run (its error without our scratch paths) and show progress."""
        if run.error is not None:
            run = dataclasses.replace(
                run, error=run.error.replace(str(self.scratch), "$TMP")
            )
        self.results.add(spec, tool, run)
        outcome = "ok" if run.ok else f"FAILED ({run.error})"
        print(
            f"  [{rep + 1}] {spec:<18} {tool:<26} {run.wall_s:7.2f} s "
            f"{run.peak_kib / 1024:7.1f} MiB  {outcome}",
            file=sys.stderr,
        )
        return run

    def fresh_dir(self, label: str) -> Path:
        self._counter += 1
        return self.scratch / "out" / f"{label}-{self._counter}"

    # -- peers ----------------------------------------------------------------

    def peer_job(self, spec: Spec, tool: str) -> Callable[[int], None]:
        def job(rep: int) -> None:
            out = self.fresh_dir(f"{spec.key}-{tool}")
            out.parent.mkdir(parents=True, exist_ok=True)
            workdir = out.parent
            argv = peer_argv(tool, spec.path, out)
            run = measure(
                argv, cwd=workdir, path_prefix=PEERS_VENV / "bin", timeout=self.timeout
            )
            run = self.record(spec.key, tool, rep, run)
            if run.ok:
                self.results.py_bytes[spec.key, tool] = python_bytes(out)
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

    def _ours(self, argv: list[str]) -> Run:
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
        )

    def our_cold_job(self, spec: Spec, scenario: str) -> Callable[[int], None]:
        extra = {
            "cold": (),
            "cold-client": ("--only", "client"),
            "cold-server": ("--only", "server"),
        }[scenario]

        def job(rep: int) -> None:
            out = self.fresh_dir(f"{spec.key}-{scenario}")
            out.parent.mkdir(parents=True, exist_ok=True)
            run = self._ours(
                self.our_argv("generate", spec.path, out, "--no-cache", *extra)
            )
            run = self.record(spec.key, f"{OURS}:{scenario}", rep, run)
            if run.ok:
                self.results.py_bytes[spec.key, f"{OURS}:{scenario}"] = python_bytes(
                    out
                )
            shutil.rmtree(out, ignore_errors=True)

        return job

    def our_incremental_job(self, spec: Spec) -> Callable[[int], None]:
        """Regenerate unchanged, check, then a one-operation edit, on one tree
        whose cache stays warm across repetitions. The spec is copied (with its
        folder, for relative `$ref`s) so that it can be edited in place."""
        work = self.scratch / "work" / spec.key

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
                self.results.skipped[spec.key, f"{OURS}:edit"] = (
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
            settle = self._ours(generate)
            scenarios = [
                ("regen", generate),
                ("check", self.our_argv("check", spec_copy, out)),
                ("check-cold", self.our_argv("check", spec_copy, out, "--no-cache")),
            ]
            if rep < len(edits):
                scenarios.append(("edit", generate))
            for name, argv in scenarios:
                if not settle.ok:
                    error = f"the untimed generate before it failed: {settle.error}"
                    self.record(spec.key, f"{OURS}:{name}", rep, Run(0.0, 0, error))
                    continue
                if name == "edit":
                    shutil.copyfile(edits[rep], spec_copy)
                self.record(spec.key, f"{OURS}:{name}", rep, self._ours(argv))

        return job

    # -- driver ---------------------------------------------------------------

    def jobs_for(self, spec: Spec) -> list[Callable[[int], None]]:
        """Peer and our jobs interleaved: peer, ours, peer, ours, ..."""
        peers: list[Callable[[int], None]] = []
        for tool in PEERS:
            if tool not in self.peers:
                self.results.skipped[spec.key, tool] = "not installed"
            elif self.quick and spec.large:
                self.results.skipped[spec.key, tool] = "skipped under --quick"
            else:
                peers.append(self.peer_job(spec, tool))
        ours: list[Callable[[int], None]] = []
        if self.ours_ok:
            ours = [
                self.our_cold_job(spec, name)
                for name in ("cold", "cold-client", "cold-server")
            ]
            if spec.key == f"synth-{SYNTH_SIZES[-1]}":
                # The largest spec is there for growth only: regenerating and
                # checking it would add many minutes to each repetition.
                for name in ("regen", "check", "check-cold", "edit"):
                    self.results.skipped[spec.key, f"{OURS}:{name}"] = (
                        "growth spec: cold runs only"
                    )
            else:
                ours.append(self.our_incremental_job(spec))
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
            "reason": _error_line(result.stderr or result.stdout),
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


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


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


def floors(results: Results, runtime: dict[str, object]) -> list[Floor]:
    r = results
    opc = "openapi-python-client"
    out: list[Floor] = []

    cold, peer = r.median("persons", f"{OURS}:cold"), r.median("persons", opc)
    value = _ratio(cold, peer)
    out.append(
        _floor_ratio(
            "persons: cold client+server vs openapi-python-client client",
            value,
            0.75,
            f"{_s(cold)} s / {_s(peer)} s = {_x(value)}",
        )
    )
    cold, peer = r.median("authentik", f"{OURS}:cold"), r.median("authentik", opc)
    value = _ratio(cold, peer)
    out.append(
        _floor_ratio(
            "authentik: cold generate vs openapi-python-client time",
            value,
            0.5,
            f"{_s(cold)} s / {_s(peer)} s = {_x(value)}",
        )
    )
    mem, peer_mem = r.peak_mib("authentik", f"{OURS}:cold"), r.peak_mib(
        "authentik", opc
    )
    value = _ratio(mem, peer_mem)
    out.append(
        _floor_ratio(
            "authentik: cold peak memory vs openapi-python-client",
            value,
            1.0,
            f"{_s(mem, 0)} / {_s(peer_mem, 0)} MiB = {_x(value)}",
        )
    )

    cold = r.median("authentik", f"{OURS}:cold")
    for scenario, label, seconds, share in (
        ("regen", "regenerate, nothing changed", 0.25, 0.10),
        ("edit", "regenerate after a one-operation edit", 0.6, 0.15),
    ):
        out.append(
            _floor_seconds(
                f"persons: {label}", r.median("persons", f"{OURS}:{scenario}"), seconds
            )
        )
        part = r.median("authentik", f"{OURS}:{scenario}")
        value = _ratio(part, cold)
        out.append(
            _floor_pct(
                f"authentik: {label}",
                value,
                share,
                f"{_s(part, 3)} s / {_s(cold)} s = {_pct(value)}",
            )
        )

    small, big = r.median("synth-1000", f"{OURS}:cold"), r.median(
        "synth-5000", f"{OURS}:cold"
    )
    value = _ratio(big, small)
    out.append(
        _floor_ratio(
            "growth: cold generate, 1000 → 5000 synthetic operations",
            value,
            5.5,
            f"{_s(small)} s → {_s(big)} s = {_x(value)}",
        )
    )
    for spec in ("persons", "authentik"):
        check, gen = r.median(spec, f"{OURS}:check-cold"), r.median(
            spec, f"{OURS}:cold"
        )
        value = _ratio(check, gen)
        out.append(
            _floor_ratio(
                f"{spec}: check vs generate (both --no-cache)",
                value,
                1.0,
                f"{_s(check)} s / {_s(gen)} s = {_x(value)}",
            )
        )

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
        "time, memory is the largest peak RSS of the process tree (Linux's `ru_maxrss`, "
        "which starts from the launching process's own peak: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB here)",
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
        "our full run with datamodel-code-generator (models only). Below 1 means we are faster.",
        "",
    ]
    rows: list[list[str]] = []
    for spec in specs:
        ours_t, ours_m = r.median(spec.key, f"{OURS}:cold"), r.peak_mib(
            spec.key, f"{OURS}:cold"
        )
        for tool in (
            f"{OURS}:cold",
            f"{OURS}:cold-client",
            f"{OURS}:cold-server",
            *PEERS,
        ):
            t, m = r.median(spec.key, tool), r.peak_mib(spec.key, tool)
            status = r.status(spec.key, tool)
            like = full = mem = "—"
            if tool in PEER_KIND:
                full = _x(_ratio(ours_t, t))
                like = _x(_ratio(r.median(spec.key, f"{OURS}:{PEER_KIND[tool][1]}"), t))
                mem = _x(_ratio(ours_m, m))
            name = tool.replace(f"{OURS}:", "ours ") if tool.startswith(OURS) else tool
            rows.append(
                [
                    f"{spec.key} ({spec.operations} ops)",
                    name,
                    status,
                    _s(t),
                    _s(m, 0),
                    full,
                    like,
                    mem,
                ]
            )
    lines += _table(
        [
            "spec",
            "tool",
            "status",
            "median s",
            "peak MiB",
            "time ours÷peer (full)",
            "time ours÷peer (like for like)",
            "memory ours÷peer",
        ],
        rows,
    )

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
        [[f.name, f.measured, f.target, f.verdict] for f in floors(r, runtime)],
    )
    return "\n".join(lines) + "\n"


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
        help="only these specs (e.g. persons, petstore, synth-1000); repeatable",
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
    scratch = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        specs = collect_specs(scratch)
        if args.spec:
            specs = [spec for spec in specs if spec.key in args.spec]
        bench = Bench(
            specs,
            scratch,
            reps,
            args.quick,
            args.timeout,
            versions,
            our_command,
            ours_ok,
            ours_why,
        )
        bench.run()
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
