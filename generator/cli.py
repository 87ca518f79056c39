"""The command line: the only place that prints, exits, and reads configuration.

    python -m generator generate [--spec PATH] [--out DIR] [--ref-root DIR]
    python -m generator check    [--spec PATH] [--out DIR] [--ref-root DIR]
    python -m generator validate [--spec PATH] [--ref-root DIR]

    --max-spec-bytes N caps the spec's files together (see README, Security).

Exit status: 0 success, 1 spec errors or drift, 2 usage errors and an
output folder that cannot be used.
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
from .files import MAX_SPEC_BYTES, Unreadable, read_regular

# The stages are imported only past the unchanged-run check: an up-to-date
# `make generate` should cost little more than starting Python.


def _config() -> dict[str, Any]:
    try:
        text = read_regular("pyproject.toml", 1 << 20).decode("utf-8")
        section = tomllib.loads(text).get("tool", {}).get("generator", {})
    except (Unreadable, UnicodeDecodeError, tomllib.TOMLDecodeError):
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
        command.add_argument(
            "--ref-root",
            help="a folder whose files $refs may name, besides the spec's own "
            "(default: [tool.generator] ref_root, for the configured spec)",
        )
        command.add_argument(
            "--max-spec-bytes",
            type=int,
            help="the most the spec's files may hold together "
            f"(default: [tool.generator] max_spec_bytes, or {MAX_SPEC_BYTES})",
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
    # A configured ref_root widens what the project's own spec may reach: a
    # spec given with --spec, maybe someone else's, gets only its own folder.
    ref_root = args.ref_root or (config.get("ref_root") if default_spec else None)
    max_spec_bytes = (
        args.max_spec_bytes
        if args.max_spec_bytes is not None
        else config.get("max_spec_bytes", MAX_SPEC_BYTES)
    )
    problem = _limits_problem(ref_root, max_spec_bytes)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    limits = {"ref_root": ref_root, "max_spec_bytes": max_spec_bytes}
    strict = (
        args.strict
        if args.strict is not None
        else default_spec and config.get("strict") is True
    )
    if args.command == "validate":
        from .pipeline import Options, check_spec

        result = check_spec(Options(spec=spec, strict=strict, **limits))
        _report(result.diagnostics)
        if diag.has_errors(result.diagnostics, strict=strict):
            return 1
        print(f"{spec}: valid ({_elapsed(started)})", file=sys.stderr)
        return 0
    out = str(args.out or config.get("out") or "generated")
    if os.path.lexists(out) and not os.path.isdir(out):
        print(f"error: the output folder {out} is a file", file=sys.stderr)
        return 2
    settings = {
        "spec": spec,
        "client_package": args.client_package
        or (config.get("client_package", "") if default_spec else ""),
        "server_package": args.server_package
        or (config.get("server_package", "") if default_spec else ""),
        "only": args.only,
        "api_key_env": str(config.get("api_key_env", "")) if default_spec else "",
        "strict": strict,
        **limits,
    }
    path = None if args.no_cache else cache_path(args.cache_dir, out)
    cache = Cache.load(path) if path else None
    key = fingerprint(sorted(settings.items())) if cache is not None else ""
    if cache is not None and unchanged(cache, key, out, max_spec_bytes):
        count = len(cache.run["files"])
        print(
            f"{_summary(args.command, count, 0)} in {_elapsed(started)} (nothing changed)",
            file=sys.stderr,
        )
        return 0

    from .pipeline import Options, run
    from .write import OutputError, diff, foreign_files, locked, write

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

    def waiting() -> None:
        print(f"waiting for another run on {out} to finish...", file=sys.stderr)

    try:
        # Another run into the same folder finishes first (and `check` waits
        # for a write to end before reading).
        with locked(out, shared=args.command == "check", waiting=waiting):
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
    except OutputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"{_summary(args.command, len(result.files), changed)} in {_elapsed(started)}",
        file=sys.stderr,
    )
    return 0


def _limits_problem(ref_root: object, max_spec_bytes: object) -> str | None:
    """What is wrong with the `--ref-root` and `--max-spec-bytes` given, if anything."""
    if ref_root is not None and not (
        isinstance(ref_root, str) and os.path.isdir(ref_root)
    ):
        return f"the reference root {ref_root} is not a folder (--ref-root, ref_root)"
    if (
        not isinstance(max_spec_bytes, int)
        or isinstance(max_spec_bytes, bool)
        or max_spec_bytes <= 0
    ):
        return (
            "the spec size limit must be a positive number of bytes, "
            f"not {max_spec_bytes!r} (--max-spec-bytes, max_spec_bytes)"
        )
    return None


def _report(problems: list[diag.Diagnostic]) -> None:
    for problem in problems:
        print(problem.render(), file=sys.stderr)


def _summary(command: str, files: int, changed: int) -> str:
    if command == "check":
        return f"checked {files} files: up to date"
    return f"wrote {files} files, {changed} changed"


def _elapsed(started: float) -> str:
    return f"{time.perf_counter() - started:.2f}s"
