"""Regenerate the expected output of every golden case: `make golden`.

Each case is a folder with a small `spec.yaml` (or `.json`) and the output it
must give under `expected/`. The runtime modules, copied verbatim into every
package, are left out: the persons golden (generated/) covers them.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from generator.pipeline import Options, run

HERE = Path(__file__).resolve().parent


def cases() -> list[Path]:
    return sorted(p for p in HERE.iterdir() if p.is_dir() and _spec_of(p) is not None)


def _spec_of(case: Path) -> Path | None:
    return next(
        (case / n for n in ("spec.yaml", "spec.json") if (case / n).exists()), None
    )


def expected_output(case: Path) -> dict[str, str]:
    """What the generator gives for a case today (minus the copied runtime)."""
    spec = _spec_of(case)
    assert spec is not None
    result = run(Options(spec=str(spec.relative_to(HERE.parent.parent)), jobs=1), None)
    if result.files is None:
        problems = "\n".join(d.render() for d in result.diagnostics)
        raise SystemExit(f"{case.name}: the spec has errors:\n{problems}")
    return {p: t for p, t in result.files.items() if not p.endswith("/_runtime.py")}


def on_disk(case: Path) -> dict[str, str]:
    root = case / "expected"
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def main() -> int:
    for case in cases():
        files = expected_output(case)
        target = case / "expected"
        shutil.rmtree(target, ignore_errors=True)
        for rel, text in files.items():
            path = target / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
        print(f"{case.name}: {len(files)} files", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
