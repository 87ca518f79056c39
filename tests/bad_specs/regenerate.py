"""Rewrite every `cases/*/expected.txt` from what the generator says now.

    python -m tests.bad_specs.regenerate [NAME ...]

The expected files are assertions: review the diff of every one by hand.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.bad_specs.corpus import CASES, case_names, run_case


def main(names: list[str]) -> int:
    for name in names or case_names():
        case = CASES / name
        with tempfile.TemporaryDirectory() as out:
            status, lines, err = run_case(case, Path(out) / "out")
        (case / "expected.txt").write_text(
            "".join(line + "\n" for line in lines), encoding="utf-8", newline="\n"
        )
        flag = "" if status == 1 and lines and "Traceback" not in err else "  <-- CHECK"
        print(f"{name}: exit {status}, {len(lines)} diagnostics{flag}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
