"""Stage 6, write or check: the only stage that touches the output folder.

The generator owns its packages inside the output folder wholesale, and only
those. A package is written to a temporary folder and swapped in, so a failed
run leaves the old output as it was; a file without our header is never
deleted or overwritten.
"""

from __future__ import annotations

import difflib
import os
import shutil
from dataclasses import dataclass

from .diagnostics import Diagnostic
from .markers import HEADER_MARK

IGNORED_DIRS = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache"})


@dataclass(frozen=True, slots=True)
class Outcome:
    written: int
    changed: int


def _packages(files: dict[str, str]) -> list[str]:
    return sorted({path.split("/", 1)[0] for path in files})


def read_tree(out: str, package: str) -> dict[str, bytes]:
    """Every file of a package on disk, by its path relative to `out`."""
    found: dict[str, bytes] = {}
    root = os.path.join(out, package)
    if not os.path.isdir(root):
        return found
    for directory, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS)
        for name in sorted(names):
            full = os.path.join(directory, name)
            rel = os.path.relpath(full, out).replace(os.sep, "/")
            with open(full, "rb") as handle:
                found[rel] = handle.read()
    return found


def _ours(content: bytes) -> bool:
    return HEADER_MARK.encode() in content[:400]


def foreign_files(out: str, files: dict[str, str]) -> list[Diagnostic]:
    """Files in our packages that we did not write: they stop the run."""
    problems = []
    for package in _packages(files):
        path = os.path.join(out, package)
        if os.path.exists(path) and not os.path.isdir(path):
            problems.append(_foreign(path))
            continue
        for rel, content in read_tree(out, package).items():
            if not _ours(content):
                problems.append(_foreign(os.path.join(out, rel)))
    return problems


def _foreign(path: str) -> Diagnostic:
    return Diagnostic(
        "error",
        "out-foreign-file",
        f"{path} was not written by the generator (no header); move it out of the output folder",
        path,
        "",
        1,
        1,
    )


def write(out: str, files: dict[str, str]) -> Outcome:
    """Swap each changed package in whole; leave unchanged ones untouched."""
    changed = 0
    for package in _packages(files):
        wanted = {
            p: t.encode() for p, t in files.items() if p.split("/", 1)[0] == package
        }
        current = read_tree(out, package)
        differing = sum(1 for p, data in wanted.items() if current.get(p) != data)
        stale = sum(1 for p in current if p not in wanted)
        if differing == 0 and stale == 0:
            continue
        changed += differing + stale
        _swap(out, package, wanted)
    return Outcome(written=len(files), changed=changed)


def _swap(out: str, package: str, wanted: dict[str, bytes]) -> None:
    os.makedirs(out, exist_ok=True)
    staging = os.path.join(out, f".{package}.new-{os.getpid()}")
    retired = os.path.join(out, f".{package}.old-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for rel, data in wanted.items():
            target = os.path.join(staging, rel.split("/", 1)[1])
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as handle:
                handle.write(data)
        final = os.path.join(out, package)
        if os.path.exists(final):
            os.rename(final, retired)
        os.rename(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)


def diff(out: str, files: dict[str, str]) -> str:
    """A unified diff from what is on disk to what the spec gives; empty when equal."""
    chunks: list[str] = []
    for package in _packages(files):
        current = read_tree(out, package)
        wanted = {p: t for p, t in files.items() if p.split("/", 1)[0] == package}
        for path in sorted(set(current) | set(wanted)):
            old = current.get(path)
            old_text = old.decode("utf-8", errors="replace") if old is not None else ""
            new_text = wanted.get(path, "")
            if old is not None and old_text == new_text and path in wanted:
                continue
            chunks.extend(
                difflib.unified_diff(
                    old_text.splitlines(keepends=True),
                    new_text.splitlines(keepends=True),
                    fromfile=f"a/{path}" if old is not None else "/dev/null",
                    tofile=f"b/{path}" if path in wanted else "/dev/null",
                )
            )
    return "".join(line if line.endswith("\n") else line + "\n" for line in chunks)
