"""Reading files the generator cannot trust: a spec, the files its `$ref`s
name, what sits in the output folder.

Regular files only, opened without blocking (a FIFO cannot hang a run), and
read up to a bound (a device, or a file that keeps growing, cannot exhaust
memory). Standard library only: the unchanged-run check reads with it before
any stage is imported.
"""

from __future__ import annotations

import os
import stat

# All the files of one spec together, unless `--max-spec-bytes` says otherwise.
# The largest published descriptions we know of (GitHub's REST API, about
# 10 MB) fit. A run's memory peaks at about fifty times the spec's size (an
# 8 MB synthetic spec of 5,000 operations: 400 MB).
MAX_SPEC_BYTES = 16 * 1024 * 1024

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


class Unreadable(Exception):
    """Why a file was not read, in words for a one-line message."""


class NotRegular(Unreadable):
    """A directory, device, FIFO or socket: never opened."""


class TooLarge(Unreadable):
    """Larger than the bound the caller gave."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"it holds more than {limit:,} bytes")


def read_regular(path: str, limit: int | None = None) -> bytes:
    """The bytes of the regular file at `path` (links followed), at most `limit`.

    Anything else is refused before it is opened, by its `stat`; the file
    opened must then be the one examined, still a regular file.
    """
    try:
        examined = os.stat(path)
        _check(examined, limit)
        descriptor = os.open(path, _FLAGS)
    except OSError as error:
        raise Unreadable(error.strerror or str(error)) from None
    with os.fdopen(descriptor, "rb") as handle:
        opened = os.fstat(descriptor)
        if (opened.st_dev, opened.st_ino) != (examined.st_dev, examined.st_ino):
            raise Unreadable("it was replaced while being opened")
        _check(opened, limit)
        try:
            data = handle.read() if limit is None else handle.read(limit + 1)
        except OSError as error:
            raise Unreadable(error.strerror or str(error)) from None
    if limit is not None and len(data) > limit:  # it grew meanwhile
        raise TooLarge(limit)
    return data


def _check(found: os.stat_result, limit: int | None) -> None:
    if not stat.S_ISREG(found.st_mode):
        raise NotRegular(f"it is {kind(found.st_mode)}, not a regular file")
    if limit is not None and found.st_size > limit:
        raise TooLarge(limit)


def kind(mode: int) -> str:
    """What a `stat` mode says a file is, with its article."""
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISREG, "a regular file"),
    ):
        if test(mode):
            return name
    return "not a regular file"
