"""The command line: the only place that prints, exits, and reads configuration.

    python -m generator generate [--spec PATH] [--out DIR]
    python -m generator check    [--spec PATH] [--out DIR]
    python -m generator validate [--spec PATH]

Exit status: 0 success, 1 spec errors or drift, 2 usage errors.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tomllib
from collections.abc import Sequence
from typing import Any

from . import diagnostics as diag
from .cache import Cache, cache_path, fingerprint, record, unchanged

# The stages are imported only past the unchanged-run check: an up-to-date
# `make generate` should cost little more than starting Python.


def _config() -> dict[str, Any]:
    try:
        with open("pyproject.toml", "rb") as handle:
            section = tomllib.load(handle).get("tool", {}).get("generator", {})
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return section if isinstance(section, dict) else {}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m generator", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("generate", "write the client and server packages"),
        (
            "check",
            "exit 1 with a diff when the output folder is not what the spec gives",
        ),
        ("validate", "report the spec's problems only"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument(
            "--spec", help="the OpenAPI document (default: [tool.generator] spec)"
        )
        command.add_argument(
            "--strict",
            action=argparse.BooleanOptionalAction,
            help="treat warnings as errors (default: [tool.generator] strict, "
            "for the configured spec)",
        )
        if name == "validate":
            continue
        command.add_argument(
            "--out", help="the output folder (default: [tool.generator] out)"
        )
        command.add_argument(
            "--only", choices=("client", "server"), help="one side only"
        )
        command.add_argument("--client-package", help="name of the client package")
        command.add_argument("--server-package", help="name of the server package")
        command.add_argument(
            "--no-cache",
            action="store_true",
            help="format everything afresh, keep no cache",
        )
        command.add_argument("--cache-dir", help="where the format cache lives")
        command.add_argument(
            "--jobs", type=int, default=os.cpu_count() or 1, help="processes for black"
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    config = _config()
    started = time.perf_counter()
    spec = args.spec or config.get("spec")
    if not spec:
        print(
            "error: no spec given (--spec) and none configured in [tool.generator]",
            file=sys.stderr,
        )
        return 2
    default_spec = args.spec is None or os.path.normpath(args.spec) == os.path.normpath(
        str(config.get("spec", ""))
    )
    strict = (
        args.strict
        if args.strict is not None
        else default_spec and config.get("strict") is True
    )
    if args.command == "validate":
        from .pipeline import Options, check_spec

        result = check_spec(Options(spec=spec, strict=strict))
        _report(result.diagnostics)
        if diag.has_errors(result.diagnostics, strict=strict):
            return 1
        print(f"{spec}: valid ({_elapsed(started)})", file=sys.stderr)
        return 0
    out = args.out or config.get("out") or "generated"
    settings = {
        "spec": spec,
        "client_package": args.client_package
        or (config.get("client_package", "") if default_spec else ""),
        "server_package": args.server_package
        or (config.get("server_package", "") if default_spec else ""),
        "only": args.only,
        "api_key_env": str(config.get("api_key_env", "")) if default_spec else "",
        "strict": strict,
    }
    path = None if args.no_cache else cache_path(args.cache_dir, out)
    cache = Cache.load(path) if path else None
    key = fingerprint(sorted(settings.items())) if cache is not None else ""
    if cache is not None and unchanged(cache, key, out):
        count = len(cache.run["files"])
        print(
            f"{_summary(args.command, count, 0)} in {_elapsed(started)} (nothing changed)",
            file=sys.stderr,
        )
        return 0

    from .pipeline import Options, run
    from .write import diff, foreign_files, write

    templates = os.path.join(os.path.dirname(path), "templates") if path else None
    if templates:
        os.makedirs(templates, exist_ok=True)
    result = run(
        Options(
            **settings,
            jobs=max(1, args.jobs),
            bytecode_dir=templates,
            stamped_out=out if args.command == "check" else None,
        ),
        cache,
    )
    _report(result.diagnostics)
    if result.files is None:
        return 1
    foreign = foreign_files(out, result.files)
    if foreign:
        _report(foreign)
        return 1
    if args.command == "check":
        text = diff(out, result.files)
        if text:
            sys.stdout.write(text)
            print(
                f"{out} differs from what {spec} gives; run `make generate`",
                file=sys.stderr,
            )
            return 1
        changed = 0
    else:
        changed = write(out, result.files).changed
    if cache is not None and path is not None:
        record(cache, key, result.spec_files, result.files)
        cache.save(path)
    print(
        f"{_summary(args.command, len(result.files), changed)} in {_elapsed(started)}",
        file=sys.stderr,
    )
    return 0


def _report(problems: list[diag.Diagnostic]) -> None:
    for problem in problems:
        print(problem.render(), file=sys.stderr)


def _summary(command: str, files: int, changed: int) -> str:
    if command == "check":
        return f"checked {files} files: up to date"
    return f"wrote {files} files, {changed} changed"


def _elapsed(started: float) -> str:
    return f"{time.perf_counter() - started:.2f}s"
