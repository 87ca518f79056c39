"""The bad-spec corpus: one folder per broken spec, with the diagnostics it must give.

Each `cases/<name>/` holds `spec.yaml` (and any files it references), an
optional `args.txt` (extra CLI arguments, such as `--strict`), and
`expected.txt`: the exact diagnostic lines, as the CLI prints them when run
from that folder.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tests.conftest import run_generator

CASES = Path(__file__).resolve().parent / "cases"
DIAGNOSTIC = re.compile(r"^\S.*:\d+:\d+: (error|warning)\[[a-z0-9-]+\]: ")


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if p.is_dir())


def extra_args(case: Path) -> list[str]:
    args = case / "args.txt"
    return shlex.split(args.read_text(encoding="utf-8")) if args.exists() else []


def run_case(case: Path, out: Path) -> tuple[int, list[str], str]:
    """(exit status, diagnostic lines, whole stderr) of `generate` on the case."""
    status, _, err = run_generator(
        "generate",
        "--spec",
        "spec.yaml",
        "--out",
        str(out),
        "--no-cache",
        *extra_args(case),
        cwd=case,
    )
    lines = [line for line in err.splitlines() if DIAGNOSTIC.match(line)]
    return status, lines, err


def expected_lines(case: Path) -> list[str]:
    return (case / "expected.txt").read_text(encoding="utf-8").splitlines()
