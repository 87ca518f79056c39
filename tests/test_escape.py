"""The escapers keep their promise (generator/escape.py): spec text placed in
generated code is inert there, means what it said, and is what black would write.

Checked by parsing the code they produce, never against a second copy of them.
"""

from __future__ import annotations

import ast
import re

import black
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from generator.escape import comment, docstring, markdown, py_string

TRICKY = st.sampled_from(
    [
        '"""', "'''", '"', "'", "\\", "\\\\", '\\"', "\n", "\r\n", "\r", "\t", " ",
        "\x00", "\x7f", "\x0b", "\x0c", "\u2028", "\u2029", "\x85", "\ufeff", "é",
        "😀", "\ud800", "{", "}", "\\N{BULLET}", "\\x41", "\\u0041", "# ", "):",
        "\n    import os\n", '"""; import os; """', "a", "1",
    ]
)  # fmt: skip
TEXT = st.lists(TRICKY | st.text(max_size=8), max_size=12).map("".join) | st.text()
MODE = black.Mode(target_versions={black.TargetVersion.PY311})


def squashed(text: str) -> str:
    """Text as a docstring may differ from it: line endings, blanks at line ends."""
    lines = text.replace("\r\n", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


@settings(max_examples=300)
@given(TEXT)
@example('He said """hi""" and left\\')
@example('"ends with a quote"')
@example("\\")
@example('x"""\nimport os\n"""')
def test_a_docstring_ends_nowhere_but_where_it_should(text: str) -> None:
    module = ast.parse(f'"""{docstring(text)}"""\nDONE = 1\n')
    doc, assigned = module.body  # nothing else in the module
    assert isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant)
    assert ast.unparse(assigned) == "DONE = 1"
    # ...and holds the text: every character, escaped or not, means itself.
    assert squashed(doc.value.value) == squashed(text)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ('say "hi"', 'say \\"hi\\"'),
        ("C:\\temp", "C:\\\\temp"),
        ("a\x00b", "a\\x00b"),
        ("  two\r\nlines  \n\n", "two\nlines"),
        ("tab\there", "tab\\there"),
        ("\u2028", "\\u2028"),
    ],
)
def test_docstring_examples(text: str, shown: str) -> None:
    assert docstring(text) == shown


@settings(max_examples=300)
@given(TEXT)
@example("'\"'")
@example("\\")
def test_a_string_literal_is_one_string_that_evaluates_to_the_text(text: str) -> None:
    literal = py_string(text)
    (statement,) = ast.parse(f"x = {literal}\n").body
    assert isinstance(statement, ast.Assign)
    assert isinstance(statement.value, ast.Constant)
    assert statement.value.value == text
    assert "\n" not in literal and "\r" not in literal  # one line of code


@settings(max_examples=100, deadline=None)
@given(TEXT)
def test_black_has_nothing_to_change_in_a_string_literal(text: str) -> None:
    source = f"x = {py_string(text)}\n"
    assert black.format_str(source, mode=MODE) == source


@settings(max_examples=300)
@given(TEXT)
@example("line one\nimport os")
@example("a\u2028import os")
@example("a\rimport os")
def test_a_comment_stays_a_comment(text: str) -> None:
    shown = comment(text)
    module = ast.parse(f"x = 1  # {shown}\ny = 2\n")
    assert ast.dump(module) == ast.dump(ast.parse("x = 1\ny = 2\n"))
    assert shown == " ".join(shown.split())  # one line, no blanks at the ends
    assert re.sub(r"\s+", "", shown) == re.sub(
        r"\s+", "", "".join(c for c in text if c.isprintable())
    )


@settings(max_examples=300)
@given(TEXT)
@example("<script>alert(1)</script>")
@example("```\ncode")
def test_markdown_text_is_one_line_without_markup(text: str) -> None:
    shown = markdown(text)
    assert "\n" not in shown and "\r" not in shown
    assert not set(shown) & set("<>`")
