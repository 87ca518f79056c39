"""`make serve` on a database it cannot serve: one line naming the path and the fault, exit 1."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from examples.db import Database

ROOT = Path(__file__).resolve().parents[2]


def serve(db: Path, *wrapper: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*wrapper, sys.executable, "-m", "examples.serve", f"--db={db}", "--port=9"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_line(
    run: subprocess.CompletedProcess[str], db: Path, fault: str
) -> None:
    assert run.returncode == 1, run.stderr
    assert run.stdout == ""
    assert run.stderr == f"error: cannot open the database {db}: {fault}\n"


def test_a_path_in_a_missing_folder(tmp_path: Path) -> None:
    db = tmp_path / "missing" / "persons.db"
    assert_one_line(serve(db), db, f"the folder {db.parent} does not exist")
    assert not db.parent.exists()


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    db.write_text("these are not the persons you are looking for\n" * 100)
    assert_one_line(serve(db), db, "the file is not an SQLite database")


def test_a_folder(tmp_path: Path) -> None:
    assert_one_line(serve(tmp_path), tmp_path, "it is a folder")


def test_a_read_only_database(tmp_path: Path) -> None:
    db = tmp_path / "persons.db"
    Database(db).close()
    db.chmod(0o444)
    wrapper: tuple[str, ...] = ()
    if os.geteuid() == 0:
        # Root writes any file; without the capability to bypass permissions it
        # cannot, as any other user.
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: a file cannot be read-only")
        wrapper = (setpriv, "--bounding-set", "-dac_override,-dac_read_search")
    assert_one_line(serve(db, *wrapper), db, "it is read-only")
