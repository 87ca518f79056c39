"""The format cache and the run manifest: what makes an unchanged run nearly free.

Formatted blocks are cached by the hash of their unformatted text, keyed by
black's version and mode. The manifest of the last run records the inputs (spec
files, our code and templates, pinned versions, options) and the hash of every
output file: when all of them still match, there is nothing to do, and the
run stops before importing any stage. Standard library only, on purpose.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .files import Unreadable, read_regular
from .markers import TEMPLATES

LINE_LENGTH = 88
TARGET = "py311"


@functools.cache
def version(distribution: str) -> str:
    """The installed version of `distribution`, read from its `.dist-info`
    folder's name beside the import path; `importlib.metadata` (a fifth of
    an unchanged run's time to import) only when that is not found."""
    normalized = re.sub(r"[-_.]+", "_", distribution).lower()
    for folder in dict.fromkeys(sys.path):
        try:
            names = os.listdir(folder or ".")
        except OSError:
            continue
        for name in names:
            stem, _, suffix = name.rpartition(".")
            project, _, found = stem.partition("-")
            if suffix == "dist-info" and project.lower() == normalized and found:
                return found
    from importlib.metadata import version as metadata_version

    return metadata_version(distribution)


def black_version() -> str:
    return version("black")


def mode_key() -> str:
    return f"black={black_version()};line_length={LINE_LENGTH};target={TARGET}"


# The cache file is marshal data (like a .pyc: a tenth of JSON's time to read
# or write, which an edit to a large spec pays twice), tied to the Python that
# wrote it.
_FORMAT = (
    f"marshal {marshal.version}, python {sys.version_info[0]}.{sys.version_info[1]}"
)


@dataclass
class ValidationMemo:
    """The path items openapi-spec-validator passed, under `key` (validator
    versions, our code, and the document outside `paths`): see `validate`."""

    key: str = ""
    items: set[str] = field(default_factory=set)  # hashes of path items


@dataclass
class Cache:
    """Formatted blocks by the hash of their unformatted text, the last run's
    manifest, and what validation passed."""

    chunks: dict[str, str] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    run: dict[str, Any] = field(default_factory=dict)
    validation: ValidationMemo = field(default_factory=ValidationMemo)
    specs: dict[str, Any] = field(default_factory=dict)  # `load`'s memo

    @classmethod
    def load(cls, path: str) -> Cache:
        try:
            with open(path, "rb") as handle:
                data = marshal.loads(handle.read())  # `load` reads piecemeal, slowly
            if data.get("mode") != mode_key() or data.get("format") != _FORMAT:
                return cls()
            memo = data.get("validation", {})
            return cls(
                dict(data.get("chunks", {})),
                set(),
                dict(data.get("run", {})),
                ValidationMemo(str(memo.get("key", "")), set(memo.get("items", []))),
                dict(data.get("specs", {})),
            )
        except (OSError, ValueError, EOFError, AttributeError, TypeError):
            return cls()  # a missing or corrupt cache is an empty one

    def save(self, path: str) -> None:
        kept = {k: v for k, v in self.chunks.items() if k in self.used}
        memo = {"key": self.validation.key, "items": sorted(self.validation.items)}
        data = {
            "format": _FORMAT,
            "mode": mode_key(),
            "chunks": kept,
            "run": self.run,
            "validation": memo,
            "specs": self.specs,
        }
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(marshal.dumps(data))
        os.replace(temporary, path)


def fingerprint(options: object) -> str:
    """Everything besides the spec that decides the output: our code, templates, pins, options."""
    return hashlib.sha256(f"{_code()}\0{options!r}".encode()).hexdigest()


@functools.cache  # asked by the run, the loader and the validator
def _code() -> str:
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in sorted([*here.rglob("*.py"), *TEMPLATES.rglob("*")]):
        if path.is_file():
            digest.update(
                str(path.relative_to(here.parent)).encode() + b"\0" + path.read_bytes()
            )
    for package in ("black", "jinja2", "pyyaml"):
        digest.update(f"{package}={version(package)}".encode())
    return digest.hexdigest()


def unchanged(cache: Cache, key: str, out: str, limit: int) -> bool:
    """The last run had these inputs, and its output is still on disk byte for
    byte; the spec's files are read as `load` reads them, `limit` bytes at most."""
    from .write import read_tree

    run = cache.run
    if not run or run.get("key") != key:
        return False
    for path, digest in run.get("spec_files", {}).items():
        try:
            if hashlib.sha256(read_regular(path, limit)).hexdigest() != digest:
                return False
        except Unreadable:
            return False
    expected: dict[str, str] = run.get("files", {})
    on_disk: dict[str, bytes] = {}
    for package in sorted({p.split("/", 1)[0] for p in expected}):
        on_disk.update(read_tree(out, package))
    if set(on_disk) != set(expected):
        return False
    return all(hashlib.sha256(on_disk[p]).hexdigest() == d for p, d in expected.items())


def record(
    cache: Cache, key: str, spec_files: dict[str, str], files: dict[str, str]
) -> None:
    cache.run = {
        "key": key,
        "spec_files": spec_files,
        "files": {p: hashlib.sha256(t.encode()).hexdigest() for p, t in files.items()},
    }


def cache_path(cache_dir: str | None, out: str) -> str:
    """One cache file per output folder, under the user's cache directory."""
    base = (
        cache_dir
        or os.environ.get("GENERATOR_CACHE_DIR")
        or os.path.join(
            os.environ.get("XDG_CACHE_HOME")
            or os.path.join(os.path.expanduser("~"), ".cache"),
            "persons-generator",
        )
    )
    name = hashlib.sha256(os.path.abspath(out).encode()).hexdigest()[:20]
    return os.path.join(base, f"{name}.cache")
