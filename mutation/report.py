"""Writes mutation/REPORT.md from mutmut's results in mutation/work/: per covered
file the mutants, killed, survived and equivalent, and each survivor's diff."""

from __future__ import annotations

import json
import math
import os
import tomllib
from pathlib import Path
from typing import Any

from run import COVERED, EQUIVALENT, KILLED, RECHECKED, REPORT, WORK

THRESHOLD = 0.90


def equivalents() -> dict[str, str]:
    """mutant name -> the one-line reason it is equivalent (mutation/equivalent.toml)."""
    data = tomllib.loads(EQUIVALENT.read_text("utf-8")) if EQUIVALENT.exists() else {}
    return {e["mutant"]: e["reason"] for e in data.get("equivalent", [])}


SURVIVED = {
    0: "survived",
    5: "no test reaches it",
    33: "no test reaches it",
    255: "mutmut's harness failed",
}


def verdicts(files: list[str]) -> dict[str, int | None]:
    """Every mutant of the files -> mutmut's exit code for it (None: not run)."""
    os.chdir(WORK)
    from mutmut.mutation.data import SourceFileMutationData

    out: dict[str, int | None] = {}
    for name in files:
        data = SourceFileMutationData(path=Path("src") / COVERED[name])
        data.load()
        out.update(data.exit_code_by_key)
    # What `run.recheck` found where mutmut's harness failed.
    rechecked = json.loads(RECHECKED.read_text("utf-8")) if RECHECKED.exists() else {}
    out.update({name: code for name, code in rechecked.items() if name in out})
    return out


def wilson(killed: int, judged: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% (Wilson score) interval of a kill rate measured on a sample."""
    if not judged:
        return 0.0, 1.0
    p = killed / judged
    centre = p + z * z / (2 * judged)
    spread = z * math.sqrt(p * (1 - p) / judged + z * z / (4 * judged * judged))
    scale = 1 + z * z / judged
    return (centre - spread) / scale, (centre + spread) / scale


def write_report(
    files: list[str], wall: float, finished: bool, drawing: dict[str, Any]
) -> int:
    os.chdir(WORK)
    # A run of named mutants checks new tests; only a sample or a full run is
    # the record.
    target = WORK / "REPORT.md" if drawing.get("names") else REPORT
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    marked = equivalents()
    drawn = drawing.get("drawn") or {}
    seen: set[str] = set()
    rows, sections, low = [], [], []
    for name in files:
        path = Path("src") / COVERED[name]
        every = verdicts([name])
        seen.update(set(marked) & set(every))
        chosen = drawn.get(name, list(every))
        counts = dict.fromkeys(("killed", "survived", "equivalent", "unchecked"), 0)
        survivors = []
        for key, code in sorted(((k, every[k]) for k in chosen), key=_order):
            if key in marked:
                counts["equivalent"] += 1
            elif code is None:
                counts["unchecked"] += 1
            elif code in KILLED:
                counts["killed"] += 1
            else:
                counts["survived"] += 1
                status = SURVIVED.get(code, f"pytest exit code {code}")
                survivors.append((key, status))
        judged = counts["killed"] + counts["survived"]
        score = counts["killed"] / judged if judged else 0.0
        if score < THRESHOLD or counts["unchecked"]:
            low.append(name)
        low_end, high_end = wilson(counts["killed"], judged)
        interval = (
            f"{low_end:.0%}–{high_end:.0%}" if len(chosen) < len(every) else "all run"
        )
        rows.append(
            f"| `{name}` | {len(every)} | {len(chosen)} | {counts['killed']} "
            f"| {counts['survived']} | {counts['equivalent']} "
            f"| {counts['unchecked']} | {score:.1%} | {interval} |"
        )
        if survivors:
            body = [f"### `{name}`", ""]
            for key, status in survivors:
                diff = get_diff_for_mutant(key, path=path).replace(str(path), name)
                body += [f"`{key}` ({status})", "", "```diff", diff.strip(), "```", ""]
            sections.append("\n".join(body))
    stale = sorted(set(marked) - seen)
    if drawing.get("names"):
        scope = [f"Only the mutants matching {drawing['names']}.", ""]
    elif drawn:
        scope = [
            f"Sampled: per file, {max(map(len, drawn.values()))} mutants drawn at"
            f" random (seed `{drawing['seed']}`, the commit run), or all of a",
            "file's if it has fewer; *interval* is the 95% (Wilson) interval of",
            "the file's kill rate that the sample gives. `make mutate",
            'MUTATE_ARGS="--sample 0 --minutes 600"` runs every mutant (hours).',
            "",
        ]
    else:
        scope = ["Every mutant was drawn (`--sample 0`).", ""]
    lines = [
        "# Mutation testing report",
        "",
        "Written by `make mutate` (mutation/run.py, mutmut); not by hand.",
        f"Wall time of the run: {wall / 60:.1f} minutes"
        + (
            "." if finished else ", STOPPED at the time bound: unchecked mutants below."
        ),
        "",
        "Score: killed / (killed + survived); equivalent mutants (listed with a",
        "reason in mutation/equivalent.toml) are left out, a timeout counts as",
        "killed, a mutant no selected test reaches counts as survived.",
        "",
        *scope,
        "What is mutated: every function and method body of the covered files,",
        "as mutmut 3 does it. Not mutated: module-level code (constants, the",
        "embedded /docs page), and functions with a decorator other than",
        "`staticmethod`/`classmethod` (`functools.cache`d `snake`/`pascal`,",
        "properties, overloads). Tests: the selection in mutation/run.py (TESTS",
        "less DESELECT: not the mypy and subprocess tests, not the schemathesis",
        "fuzz, whose module-level database does not survive a second session in",
        "one process); each mutant runs only those that reached its function.",
        "The runtimes are mutated in their generated copies, which are the",
        "templates verbatim after a header line: fixes go in templates/.",
        "",
        "| file | mutants | drawn | killed | survived | equivalent | unchecked"
        " | score | interval |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
    ]
    if stale:
        lines += [
            "Marked equivalent but no longer a mutant (update equivalent.toml):",
            "",
        ]
        lines += [f"- `{key}`" for key in stale] + [""]
    lines += ["## Survivors", ""] + (sections or ["None."]) + [""]
    target.write_text("\n".join(lines), "utf-8")
    print("\n".join(rows))
    print(f"report: {target}")
    if low:
        print(f"below {THRESHOLD:.0%} of non-equivalent mutants killed: {low}")
    return 1 if low or not finished else 0


def _order(item: tuple[str, int | None]) -> tuple[str, int]:
    base, _, number = item[0].rpartition("__mutmut_")
    return base, int(number) if number.isdigit() else 0
