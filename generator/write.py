"""Stage 6, write or check: the only stage that touches the output folder.

The generator owns its packages inside the output folder wholesale, and only
those. Every package that changes is staged in full, then all are swapped in
together: should one swap fail, those already made are swapped back, so the
packages change together or not at all (`_commit`). Runs into one folder take
turns (`locked`). A file without our header, or anything but a regular file,
is never deleted or overwritten.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import shutil
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .diagnostics import Diagnostic
from .files import Unreadable, kind, read_regular
from .markers import HEADER_MARK

IGNORED_DIRS = frozenset({"__pycache__", ".mypy_cache", ".pytest_cache"})


class OutputError(Exception):
    """The output folder cannot be used: one line for the user, no traceback."""


@dataclass(frozen=True, slots=True)
class Outcome:
    written: int
    changed: int


def _packages(files: dict[str, str]) -> list[str]:
    return sorted({path.split("/", 1)[0] for path in files})


@contextlib.contextmanager
def locked(
    out: str, *, shared: bool = False, waiting: Callable[[], None] = lambda: None
) -> Iterator[None]:
    """Hold the output folder's lock: exclusive to write, `shared` to read.

    The lock is the folder's own (`flock` on it), so nothing is left in it;
    it is released when the holder exits, however it exits. `waiting` is
    called once if another run holds it.
    """
    import fcntl

    if shared and not os.path.exists(out):
        yield  # nothing to read, nothing to wait for
        return
    try:
        if not shared:
            os.makedirs(out, exist_ok=True)
        descriptor = os.open(out, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except FileExistsError:
        raise OutputError(f"{out} is a file, not a folder") from None
    except OSError as error:
        raise OutputError(f"cannot use {out}: {error.strerror or error}") from None
    try:
        operation = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        try:
            fcntl.flock(descriptor, operation | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting()
            fcntl.flock(descriptor, operation)
        yield
    finally:
        # Forked children share the descriptor: unlock, not only close.
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


def _entries(out: str, package: str) -> Iterator[tuple[str, str, os.stat_result]]:
    """(path relative to `out`, full path, its lstat) of everything in a
    package but the ignored caches: links and other non-regular files too."""
    root = os.path.join(out, package)
    for directory, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS)
        for name in sorted(names) + [d for d in dirs if _is_link(directory, d)]:
            full = os.path.join(directory, name)
            rel = os.path.relpath(full, out).replace(os.sep, "/")
            yield rel, full, os.lstat(full)


def _is_link(directory: str, name: str) -> bool:
    return os.path.islink(os.path.join(directory, name))


def read_tree(out: str, package: str) -> dict[str, bytes]:
    """Every regular file of a package on disk, by its path relative to `out`.

    Anything else (a link, a FIFO, a device) is left out unopened: to the
    callers it is a file that differs, and `foreign_files` names it."""
    found: dict[str, bytes] = {}
    if not os.path.isdir(os.path.join(out, package)):
        return found
    for rel, full, status in _entries(out, package):
        if stat.S_ISREG(status.st_mode):
            with contextlib.suppress(Unreadable):
                found[rel] = read_regular(full)
    return found


def _ours(head: bytes) -> bool:
    return HEADER_MARK.encode() in head[:400]


def foreign_files(out: str, files: dict[str, str]) -> list[Diagnostic]:
    """Files in our packages that we did not write: they stop the run."""
    problems = []
    try:
        for package in _packages(files):
            path = os.path.join(out, package)
            if os.path.lexists(path) and (
                os.path.islink(path) or not os.path.isdir(path)
            ):
                problems.append(_foreign(path, kind(os.lstat(path).st_mode)))
                continue
            for _, full, status in _entries(out, package):
                if not stat.S_ISREG(status.st_mode):
                    problems.append(_foreign(full, kind(status.st_mode)))
                elif not _ours(_head(full)):
                    problems.append(_foreign(full))
    except OSError as error:
        raise OutputError(f"cannot read {out}: {error.strerror or error}") from None
    return problems


def _head(path: str) -> bytes:
    try:
        return read_regular(path)[:400]
    except Unreadable:
        return b""


def _foreign(path: str, what: str = "") -> Diagnostic:
    message = (
        f"{path} is {what}, which the generator never writes; move it out of the output folder"
        if what
        else f"{path} was not written by the generator (no header); move it out of the output folder"
    )
    return Diagnostic("error", "out-foreign-file", message, path, "", 1, 1)


def write(out: str, files: dict[str, str]) -> Outcome:
    """Swap every changed package in, all together; leave unchanged ones untouched.

    Call it holding `locked(out)`. An OSError becomes an `OutputError`, with
    the output folder as it was."""
    changed = 0
    wanted_by_package: dict[str, dict[str, bytes]] = {}
    try:
        for package in _packages(files):
            wanted = {
                p: t.encode() for p, t in files.items() if p.split("/", 1)[0] == package
            }
            current = read_tree(out, package)
            differing = sum(1 for p, data in wanted.items() if current.get(p) != data)
            stale = sum(1 for p in current if p not in wanted)
            if differing or stale:
                changed += differing + stale
                wanted_by_package[package] = wanted
        _discard(out, _packages(files))  # what a killed run left
        if wanted_by_package:
            _commit(out, wanted_by_package)
    except OSError as error:
        raise OutputError(f"cannot write {out}: {error.strerror or error}") from None
    return Outcome(written=len(files), changed=changed)


# A package is staged as `.{package}.new` and swapped out as `.{package}.old`,
# both beside it (one file system, so each swap is a rename). A run killed
# meanwhile leaves them behind; the next run removes them before its own.
_NEW, _OLD = ".{}.new", ".{}.old"


def _commit(out: str, wanted_by_package: dict[str, dict[str, bytes]]) -> None:
    """Stage every package, then swap them all in; on any failure, swap back
    those already in, so that all change or none does."""
    packages = sorted(wanted_by_package)
    done: list[str] = []
    try:
        for package in packages:
            _stage(os.path.join(out, _NEW.format(package)), wanted_by_package[package])
        for package in packages:
            _swap_in(out, package)
            done.append(package)
    except BaseException:
        # Should swapping back fail too, what is left beside the packages
        # stays for the user to see; the next run removes it.
        for package in reversed(done):
            _swap_back(out, package)
        _discard(out, packages)
        raise
    _discard(out, packages)


def _stage(staging: str, wanted: dict[str, bytes]) -> None:
    for rel, data in wanted.items():
        target = os.path.join(staging, rel.split("/", 1)[1])
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(data)


def _swap_in(out: str, package: str) -> None:
    final = os.path.join(out, package)
    old = os.path.join(out, _OLD.format(package))
    if os.path.exists(final):
        os.rename(final, old)
    try:
        os.rename(os.path.join(out, _NEW.format(package)), final)
    except BaseException:
        if os.path.exists(old):
            os.rename(old, final)
        raise


def _swap_back(out: str, package: str) -> None:
    final = os.path.join(out, package)
    old = os.path.join(out, _OLD.format(package))
    os.rename(final, os.path.join(out, _NEW.format(package)))
    if os.path.exists(old):
        os.rename(old, final)


def _discard(out: str, packages: list[str]) -> None:
    for package in packages:
        for name in (_NEW, _OLD):
            shutil.rmtree(os.path.join(out, name.format(package)), ignore_errors=True)


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
