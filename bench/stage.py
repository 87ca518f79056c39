"""Times our generator's stages in one process: where a cold run's CPU goes.

Runs with the project's `.venv` (it imports the generator). Each call is one
fresh process, so imports are paid where a cold run pays them (black's in
format, openapi-spec-validator's in validate). Prints JSON.

    python bench/stage.py load SPEC            # the load stage alone
    python bench/stage.py validate SPEC        # load (untimed), then validate alone
    python bench/stage.py stages SPEC OUT [--profile DIR]
        # a cold `generate --no-cache --jobs 1` in this process (every stage in
        # turn, none forked), each stage timed; with --profile, each stage's
        # cProfile statistics written to DIR/<stage>.pstats

The stages are found by name (`generator.load.load`, `generator.validate.
validate`, `generator.build.build`, `generator.render.render`,
`generator.format.format_files`, `generator.write.write`), wrapped while the
command line runs; a stage that is renamed or moved is reported missing, not
guessed at.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: (stage, module, function): where the pipeline finds each stage at call time.
STAGES = (
    ("load", "generator.pipeline", "load"),
    ("validate", "generator.pipeline", "validate"),
    ("build", "generator.build", "build"),
    ("render", "generator.render", "render"),
    ("format", "generator.format", "format_files"),
    ("write", "generator.write", "write"),
)


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> dict[str, float]:
    wall, cpu = _clock()
    return {"wall_s": wall - start[0], "cpu_s": cpu - start[1]}


def time_load(spec: str) -> dict[str, Any]:
    from generator.load import load

    start = _clock()
    loaded, problems = load(spec)
    result = _since(start)
    if loaded is None:
        raise SystemExit(f"{spec}: not loaded: {problems[:1]}")
    result["files"] = len(loaded.files)
    result["bytes"] = sum(len(source.text) for source in loaded.files.values())
    return result


def time_validate(spec: str) -> dict[str, Any]:
    from generator.load import load
    from generator.validate import validate

    loaded, problems = load(spec)
    if loaded is None:
        raise SystemExit(f"{spec}: not loaded: {problems[:1]}")
    start = _clock()
    found = validate(loaded)
    result = _since(start)
    result["errors"] = sum(1 for d in found if d.severity == "error")
    return result


def time_stages(spec: str, out: str, profile_dir: Path | None) -> dict[str, Any]:
    """A cold generate in this process, its stages wrapped and timed."""
    started = _clock()
    from generator import cli

    times: dict[str, dict[str, float]] = {}
    missing: list[str] = []
    for stage, module_name, name in STAGES:
        module = importlib.import_module(module_name)
        function = getattr(module, name, None)
        if not callable(function):
            missing.append(f"{module_name}.{name}")
            continue
        setattr(module, name, _timed(stage, function, times, profile_dir))
    code = cli.main(
        ["generate", "--spec", spec, "--out", out, "--no-cache", "--jobs", "1"]
    )
    total = _since(started)
    if code != 0:
        raise SystemExit(f"generate exited {code}")
    return {"stages": times, "total": total, "missing": missing}


def _timed(
    stage: str,
    function: Callable[..., Any],
    times: dict[str, dict[str, float]],
    profile_dir: Path | None,
) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        profiler = cProfile.Profile() if profile_dir is not None else None
        start = _clock()
        if profiler is not None:
            profiler.enable()
        try:
            return function(*args, **kwargs)
        finally:
            if profiler is not None:
                profiler.disable()
            spent = _since(start)
            kept = times.setdefault(stage, {"wall_s": 0.0, "cpu_s": 0.0, "calls": 0})
            kept["wall_s"] += spent["wall_s"]
            kept["cpu_s"] += spent["cpu_s"]
            kept["calls"] += 1
            if profiler is not None and profile_dir is not None:
                calls = int(kept["calls"])
                suffix = "" if calls == 1 else f"-{calls}"
                profiler.dump_stats(str(profile_dir / f"{stage}{suffix}.pstats"))

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("load", "validate"):
        commands.add_parser(name).add_argument("spec")
    stages = commands.add_parser("stages")
    stages.add_argument("spec")
    stages.add_argument("out")
    stages.add_argument("--profile", type=Path, help="write DIR/<stage>.pstats")
    args = parser.parse_args()
    if args.command == "load":
        result = time_load(args.spec)
    elif args.command == "validate":
        result = time_validate(args.spec)
    else:
        if args.profile is not None:
            args.profile.mkdir(parents=True, exist_ok=True)
        result = time_stages(args.spec, args.out, args.profile)
    # The generator prints its own summary on stderr; ours is the last stdout line.
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
