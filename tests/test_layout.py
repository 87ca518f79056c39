"""The templates emit black's own layout, so black changes (almost) nothing.

Black formats a second time any text it changed, so a template that drifts
from black's layout doubles black's cost on every block it shapes. The output
stays right either way (black fixes it), which is why this is its own test:
persons must come out untouched; for the other specs a few rare shapes (a
long nested security list, a one-scheme tuple) are left to black, within a
bound that a drifting template would break.
"""

from __future__ import annotations

import difflib
import json
import re
import textwrap
from pathlib import Path

import black
import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator import build
from generator.escape import py_string
from generator.format import _format_block, _header, _split
from generator.layout import Bracket, annotated, bracket, type_alias
from generator.load import load
from generator.pipeline import Options, run
from generator.render import RenderOptions, indented_json, render
from tests.conftest import GENERATED, SPEC, shared_spec
from tests.golden.regenerate import cases


@pytest.mark.parametrize(
    ("name", "share"),
    [("persons", 0.0), ("spotify.yml", 0.05), ("petstore-expanded.yaml", 0.05)],
)
def test_black_changes_little(name: str, share: float) -> None:
    spec = SPEC if name == "persons" else shared_spec(name)
    loaded, problems = load(str(spec))
    assert loaded is not None, problems
    api, problems = build.build(loaded, build.Options("", ""))
    assert api is not None, problems
    total, changed = 0, []
    for file in render(api, RenderOptions(api_key_env="API_KEY")):
        if not file.python:
            continue
        for indent, block in _split(file.text[len(_header(file.text)) :]):
            total += len(block)
            if _format_block((indent, block)) != block:
                changed.append(block)
    changed_bytes = sum(len(block) for block in changed)
    assert changed_bytes <= share * total, "\n\n".join(b[:300] for b in changed[:3])


def test_a_field_docstring_follows_its_field() -> None:
    """An attribute docstring sits right under its field, never one blank
    line down where it would read as the next field's."""
    generated = Path(__file__).resolve().parent.parent / "generated"
    for name in ("persons_server/models.py", "persons_client/models.py"):
        lines = (generated / name).read_text().splitlines()
        for number, line in enumerate(lines[1:], start=1):
            if line.startswith('    """') and not lines[number - 1].strip():
                assert lines[number - 2].startswith("class "), (
                    f"{name}:{number + 1}: a blank line parts this docstring "
                    "from its field"
                )


# A token nothing can break: a string literal (not a docstring's text), a code
# span, or a word (a URL).
_TOKEN = re.compile(r'(?<!["\w])[rbfRBF]{0,2}"(?!"")(?:[^"\\]|\\.)*"(?!")|`[^`]*`|\S+')
MAX_COLUMNS = 120


def too_long(text: str) -> list[str]:
    """The lines of `text` over 120 columns, but for a line that is a token too
    long to break beside at most 40 columns of code or text, or a key and its
    value (in JSON, both strings, which nothing can break either)."""
    found = []
    for line in text.split("\n"):
        if len(line) > MAX_COLUMNS:
            stripped = line.strip()
            tokens = sorted(map(len, _TOKEN.findall(stripped)), reverse=True)
            if len(stripped) - tokens[0] > 40 and len(stripped) - sum(tokens[:2]) > 5:
                found.append(line)
    return found


def test_too_long_finds_a_long_line_but_not_a_long_token() -> None:
    words = " ".join(["word"] * 40)
    assert too_long(f'    """{words}"""') == [f'    """{words}"""']
    assert too_long(f'    "description": "{words}",') == []
    assert too_long(f'    "{"k" * 60}": "{"v" * 60}",') == []
    assert too_long(f'    "{"k" * 60}": "{"v" * 60}", "more": 1') != []
    assert too_long("    https://example.com/" + "a" * 200) == []


def _generated_files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.mark.parametrize(
    "root",
    [GENERATED, *(case / "expected" for case in cases())],
    ids=lambda p: p.parent.name if p.name == "expected" else "persons",
)
def test_no_generated_line_is_over_120_columns(root: Path) -> None:
    files = _generated_files(root)
    assert files
    long = {path: lines for path, text in files.items() if (lines := too_long(text))}
    assert not long, long


def test_no_line_is_over_120_columns_on_a_large_spec() -> None:
    """authentik (1,113 operations): rendered, and black run on each block that
    has a long line, as the format stage would (black makes no line longer
    than it was, unless it fits in 88 columns)."""
    loaded, problems = load(str(shared_spec("authentik.yml")))
    assert loaded is not None, problems
    api, problems = build.build(loaded, build.Options("", ""))
    assert api is not None, problems
    long = {}
    for file in render(api, RenderOptions(api_key_env="API_KEY")):
        body = file.text[len(_header(file.text)) :]
        blocks = _split(body) if file.python else [(0, body)]
        for indent, block in blocks:
            if file.python and too_long(textwrap.indent(block, " " * indent)):
                block = _format_block((indent, block))
            if lines := too_long(textwrap.indent(block, " " * indent)):
                long.setdefault(file.path, []).extend(lines)
    assert not long, {path: lines[:3] for path, lines in long.items()}


def test_a_summary_edit_changes_only_the_lines_it_must(tmp_path: Path) -> None:
    """Edit one operation's summary: every line that changes in the output
    holds the summary or the spec's hash (kept in the packages' `__init__` and
    the client README), or is the stamp of a file whose body changed too."""
    text = SPEC.read_text(encoding="utf-8")
    old, new = "Retrieve a person", "Retrieve one person"
    assert text.count(f"summary: {old}\n") == 1
    edited = tmp_path / SPEC.name
    edited.write_text(text.replace(f"summary: {old}\n", f"summary: {new}\n"), "utf-8")
    outputs = []
    for spec in (SPEC, edited):
        options = Options(
            spec=str(spec),
            client_package="persons_client",
            server_package="persons_server",
            api_key_env="POSTHOG_PERSONAL_API_KEY",
        )
        result = run(options, None)
        assert result.files is not None, result.diagnostics
        outputs.append(result.files)
    before, after = outputs
    assert sorted(before) == sorted(after)
    hashes = [spec.sha256 for p in (SPEC, edited) if (spec := load(str(p))[0])]
    changed = {}
    for path in before:
        old_lines, new_lines = before[path].splitlines(), after[path].splitlines()
        matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
        hunks = [
            (old_lines[i1:i2], new_lines[j1:j2])
            for tag, i1, i2, j1, j2 in matcher.get_opcodes()
            if tag != "equal" and (i1, i2, j1, j2) != (0, 1, 0, 1)  # the stamp
        ]
        if before[path] != after[path]:
            changed[path] = hunks
    for path, hunks in changed.items():
        assert hunks, f"{path}: only its stamp changed"
        for removed, added in hunks:
            # A wrapped paragraph may break the summary over two lines.
            text = " ".join(" ".join([*removed, *added]).split())
            assert any(s in text for s in (old, new, *hashes)), f"{path}: {text}"
    assert set(changed) == {
        "persons_client/README.md",  # the summary, and the hash
        "persons_client/__init__.py",  # the hash
        "persons_client/client.py",  # two methods' docstrings (both scopes)
        "persons_server/README.md",  # the handler's summary
        "persons_server/__init__.py",  # the hash
        "persons_server/interface.py",  # the handler's docstring
        "persons_server/openapi.json",  # the spec
    }


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    max_leaves=20,
)


@given(JSON)
def test_openapi_json_is_indented_as_the_standard_library_would(value: object) -> None:
    assert indented_json(value) == json.dumps(value, indent=2)


HOSTILE = "^(?:[a-z]+|\\]\"[)$, ' | ]) ([" * 2


@pytest.mark.parametrize(
    "value",
    [
        "int",
        "int | _uuid.UUID",
        f"Annotated[str, Field(pattern={py_string('^[a-z]+$')})]",
        f"Annotated[str, Field(min_length=1, pattern={py_string(HOSTILE)})]",
        " | ".join(f"Literal[{py_string(f'member_{n}')}]" for n in range(12)),
        "Annotated[int, Field(ge=0)] | Annotated[str, Field(min_length=36, max_length=36)] | None",
        "dict[str, list[Annotated[float, Field(multiple_of=0.5, ge=-1000000, le=1000000)]]]",
    ],
)
def test_a_type_alias_is_laid_out_as_black_would(value: str) -> None:
    source = type_alias("ExtremelyLongGeneratedAliasNameForTesting", value) + "\n"
    assert black.format_str(source, mode=black.Mode()) == source


# --- annotated assignments: black's split, or black's turn ---------------------


def _black_keeps(indent: int, text: str, tail: str = "") -> bool:
    """Whether black leaves `text` as it is: a statement at `indent`, or with
    a `tail` comma a parameter of a method (at indent 8)."""
    if tail:
        source = f"class C:\n    def f(\n        self,\n{text}\n    ) -> None: ...\n"
    else:
        nest = "".join(f"{' ' * at}class C{at}:\n" for at in range(0, indent, 4))
        source = f"{nest}{text}\n"
    return black.format_str(source, mode=black.Mode()) == source


_IDENT = st.text("abcdefghij_", min_size=1, max_size=40).map(lambda s: "x" + s)
_TYPE = st.text("ABCDEFGHIJ", min_size=1, max_size=50).map(lambda s: "T" + s)
# Patterns up to longer than a line: black cannot split one, it leaves it long.
_PATTERN = st.text("^$[a-z]()|\\.{}0-9", max_size=40) | st.text(
    "abc[]", min_size=60, max_size=110
)


def _types(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        inner.map(lambda t: f"list[{t}]"),
        inner.map(lambda t: f"Omittable[{t}]"),
        inner.map(lambda t: f"dict[str, {t}]"),
        st.lists(inner, min_size=2, max_size=4).map(" | ".join),
        _PATTERN.map(lambda s: f"Annotated[str, Field(pattern={py_string(s)})]"),
        _PATTERN.map(
            lambda s: f"Annotated[str, Field(max_length=253, pattern={py_string(s)})]"
        ),
        st.integers(0, 10**12).map(lambda n: f"Annotated[int, Field(ge=0, le={n})]"),
    )


_ANNOTATIONS = st.recursive(
    _TYPE | st.just("_uuid.UUID"), _types, max_leaves=4
).flatmap(lambda t: st.sampled_from([t, f"{t} | Unset", f"{t} | None"]))

_DEFAULTS = st.one_of(
    st.none(),
    st.sampled_from(["UNSET", "None", "True", "-1", "[]", "[1, 2]", "1e20"]),
    _IDENT.map(py_string),
    st.tuples(_IDENT, st.booleans()).map(
        lambda a: bracket(
            "Field(",
            ["default=None", f"alias={py_string(a[0])}"]
            + (['discriminator="kind"'] if a[1] else []),
            ")",
        )
    ),
    _IDENT.map(lambda s: bracket("Field(", [f"default=[{py_string(s)}]"], ")")),
)


@given(st.sampled_from([4, 8, "parameter"]), _IDENT, _ANNOTATIONS, _DEFAULTS)
def test_an_annotated_assignment_is_laid_out_as_black_would_or_left_to_it(
    where: int | str, name: str, annotation: str, default: str | Bracket | None
) -> None:
    indent, tail = (8, ",") if where == "parameter" else (int(where), "")
    text = annotated(indent, name, annotation, default, tail)
    if "\n" in text:
        assert _black_keeps(indent, text, tail), text
    else:  # whole: it fits, or black has it
        shown = "" if default is None else f" = {default}"
        assert text == f"{' ' * indent}{name}: {annotation}{shown}{tail}"


@pytest.mark.parametrize(
    ("name", "annotation", "default"),
    [  # Kubernetes' fields that black used to split
        (
            "max_limit_request_ratio",
            "dict[str, IoK8SApimachineryPkgApiResourceQuantity] | Unset",
            "UNSET",
        ),
        (
            "required_during_scheduling_ignored_during_execution",
            "Omittable[list[IoK8SApiCoreV1PodAffinityTerm]]",
            bracket(
                "Field(",
                [
                    "default=None",
                    'alias="requiredDuringSchedulingIgnoredDuringExecution"',
                ],
                ")",
            ),
        ),
        (
            "ephemeral_container_statuses",
            "Omittable[list[IoK8SApiCoreV1ContainerStatus]]",
            bracket(
                "Field(", ["default=None", 'alias="ephemeralContainerStatuses"'], ")"
            ),
        ),
        (
            "long_enough_to_wrap_the_type_of_this_optional_field",
            "Omittable[IoK8SApiCoreV1NodeSelectorTermXYZW]",
            "None",
        ),
    ],
)
def test_the_annotated_shapes_of_a_large_spec_need_no_black(
    name: str, annotation: str, default: str | Bracket
) -> None:
    text = annotated(4, name, annotation, default)
    assert "\n" in text and all(len(line) <= 88 for line in text.splitlines())
    assert _black_keeps(4, text), text
