"""OpenAPI 3.0 and 3.1 spellings of one meaning give one IR and one output.

`dialects/v30.yaml` uses `nullable`, boolean `exclusiveMinimum`, a one-value
`enum` and `allOf` around a `$ref`; `dialects/v31.yaml` says the same with
type arrays, numeric `exclusiveMinimum`, `const` and `oneOf` with `null`.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from tests.generality.support import build_ir, generate

HERE = Path(__file__).resolve().parent / "dialects"
SPEC_SPECIFIC = ("spec_name", "spec_sha256", "spec_json")


def test_same_ir() -> None:
    v30, v31 = build_ir(HERE / "v30.yaml"), build_ir(HERE / "v31.yaml")
    blank = dict.fromkeys(SPEC_SPECIFIC, "")
    assert dataclasses.replace(v30, **blank) == dataclasses.replace(v31, **blank)
    assert v30.models and v30.enums  # the comparison is not vacuous


def _normalised(text: str) -> str:
    """Without what names the spec: its file name and its hash."""
    text = re.sub(r"v3[01]\.yaml", "SPEC", text)
    return re.sub(r"\b[0-9a-f]{16,64}\b", "SHA", text)


def test_same_output(tmp_path: Path) -> None:
    outputs = {}
    for dialect in ("v30", "v31"):
        out = tmp_path / dialect
        generate(HERE / f"{dialect}.yaml", out, "dialects")
        outputs[dialect] = {
            str(p.relative_to(out)): p.read_text(encoding="utf-8")
            for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != "openapi.json"  # the spec itself, as data
        }
    assert sorted(outputs["v30"]) == sorted(outputs["v31"])
    assert len(outputs["v30"]) >= 10
    for path, text in outputs["v30"].items():
        other = outputs["v31"][path]
        # Byte-identical apart from the header line naming the spec (and its hash).
        assert text.split("\n", 1)[1] == other.split("\n", 1)[1] or _normalised(
            text
        ) == _normalised(other), path
        assert _normalised(text) == _normalised(other), path
