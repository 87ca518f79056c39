"""The escapers keep their promise (generator/escape.py): spec text placed in
generated code is inert there, means what it said, and is what black would write.

Checked by parsing the code they produce, never against a second copy of them.
"""

from __future__ import annotations

import ast
import re

import black
import pytest
from black.strings import str_width
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from generator.escape import comment, docstring, markdown, py_literal, py_string
from generator.wrap import words

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


@settings(max_examples=300)
@given(TEXT)
@example('He said """hi""" and left\\')
@example('"ends with a quote"')
@example("\\")
@example('x"""\nimport os\n"""')
@example("Example:\n  - item\n    continued")  # the least indented line first
def test_a_docstring_ends_nowhere_but_where_it_should(text: str) -> None:
    module = ast.parse(f'"""{docstring(text)}"""\nDONE = 1\n')
    doc, assigned = module.body  # nothing else in the module
    assert isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant)
    assert ast.unparse(assigned) == "DONE = 1"
    # ...and holds the text: every character, escaped or not, means itself;
    # only where it breaks into lines may change (a docstring is wrapped).
    assert doc.value.value.split() == text.replace("\r\n", "\n").split()


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ('say "hi"', 'say "hi" '),  # a quote never meets the closing ones
        ('He said """hi"""', 'He said \\"\\"\\"hi\\"\\"\\" '),
        ("C:\\temp", "C:\\\\temp"),
        ("a\x00b", "a\\x00b"),
        ("first\n\nsecond\x01", "first\n\nsecond\\x01"),  # a line break stays one
        ("del\x7f", "del\\x7f"),
        ("  two\r\nlines  \n\n", "two lines"),
        ("tab\there", "tab\\there"),
        ("\u2028", "\\u2028"),
    ],
)
def test_docstring_examples(text: str, shown: str) -> None:
    assert docstring(text) == shown


WORDS = st.sampled_from(["word", "`a code span`", "sentence.", " ", "Capital", "- "])


@given(st.lists(WORDS | st.just('"')).map("".join), st.sampled_from([0, 4, 8]))
def test_a_docstring_paragraph_fits_in_88_columns(text: str, indent: int) -> None:
    lines = f'{" " * indent}"""{docstring(text, indent)}"""'.split("\n")
    for line in lines:
        # A line too long is one word (or a code span) with its indentation
        # and quotes: there was nowhere to break it.
        assert len(line) <= 88 or len(words(line.strip(' "'), 88)) == 1, lines


def test_indented_lines_keep_their_nesting() -> None:
    # Black dedents the lines after the first by what they have in common.
    text = "Example:\n  - item\n    continued\n  - next"
    assert docstring(text, 4) == "Example:\n    - item\n      continued\n    - next"


@pytest.mark.parametrize("end", ['"', "y", "\\"])
def test_a_last_word_too_long_for_its_quotes_puts_them_on_a_line_of_their_own(
    end: str,
) -> None:
    text = "Summary.\n\n" + "y" * 90 + end
    shown = "y" * 90 + end.replace("\\", "\\\\")
    # No padding before a quote: black pads only where the quotes follow it.
    assert _lines(text, 4)[-2:] == ["    " + shown, '    """']


def test_a_long_first_paragraph_starts_with_its_first_sentence() -> None:
    text = "The person. " + "More words about it, e.g. Details here. " * 4
    assert docstring(text, 4).startswith("The person.\n\n    More words")
    short = "One line. Two."
    assert docstring(short, 4) == short


@example("Intro.\n  - indented\n  - alike", 8)  # black dedents them
@example("Summary.\n\n  code   \n  more", 4)  # black strips trailing spaces
@example("- word    " + "x" * 90, 4)  # ...also where a long line is cut
@example("Summary.\n\n" + "y" * 90 + '"', 4)  # closing quotes on their own line
@settings(deadline=None)
@given(
    st.lists(TRICKY | WORDS | st.sampled_from(['"', "\n- item ", "\n\n"])).map("".join)
    | st.text(),
    st.sampled_from([4, 8]),
)
def test_black_leaves_a_docstring_as_it_is(text: str, indent: int) -> None:
    """The templates give black nothing to change (see test_layout)."""
    method = "    def f(self) -> None:\n" if indent == 8 else ""
    source = f'class A:\n{method}{" " * indent}"""{docstring(text, indent)}"""\n'
    assert black.format_str(source, mode=black.Mode()) == source


@settings(max_examples=300)
@given(TEXT)
@example("'\"'")
@example("\\")
@example("end XX\nXX start")
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


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # nan and the infinities too: YAML has them
    | TEXT,
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


def _same(a: object, b: object) -> bool:
    """Equal, of the same type all the way down (True is not 1, 1.0 is not 1),
    and nan equal to nan."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and isinstance(b, float):
        return (a != a and b != b) or a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return a == b


@settings(max_examples=300)
@given(JSON)
@example(float("nan"))
@example(float("inf"))
@example(float("-inf"))
@example([True, 1, 1.0, None, {"a'\"": [0.5]}])
def test_a_literal_evaluates_to_the_json_value(value: object) -> None:
    literal = py_literal(value)
    assert "\n" not in literal  # one line of code
    assert _same(eval(literal, {}), value)


@settings(max_examples=200, deadline=None)
@given(JSON)
@example(1e20)  # repr writes 1e+20, black 1e20
@example([-1.5e-30, 1e16, 0.1])
def test_black_has_nothing_to_change_in_a_literal_that_fits(value: object) -> None:
    """A line we write with a literal in it is taken as black's when it fits
    (`format._as_black_gives`): black must have nothing to change in it."""
    source = f"x = {py_literal(value)}\n"
    assume(str_width(source[:-1]) <= 88)  # black's measure: wide characters are 2
    assert black.format_str(source, mode=MODE) == source


def test_control_characters_are_escaped_as_a_person_would_write_them() -> None:
    assert py_literal("a\nb\rc\td") == '"a\\nb\\rc\\td"'
    assert py_literal("\x00\x7f\u200b\U000e0001") == '"\\x00\\x7f\\u200b\\U000e0001"'
    assert docstring("a\rb\tc") == "a\\rb\\tc"
    assert py_literal(float("-inf")) == 'float("-inf")'


def test_a_literal_of_other_data_is_its_text() -> None:
    # JSON data only; a tuple reads as the list it stands for, anything else
    # (a YAML timestamp, say) as its text, never as code.
    import datetime

    assert eval(py_literal((1, "a"))) == [1, "a"]
    day = datetime.date(2024, 1, 2)
    assert eval(py_literal(day)) == "2024-01-02"
    assert eval(py_literal({1: 2})) == {"1": 2}


def _lines(text: str, indent: int = 0) -> list[str]:
    """The docstring of `text` as it stands in code, quotes and all."""
    return f'{" " * indent}"""{docstring(text, indent)}"""'.split("\n")


def _held(text: str) -> list[str]:
    """The words the docstring of `text` evaluates to."""
    (doc,) = ast.parse(f'"""{docstring(text)}"""').body
    assert isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant)
    return str(doc.value.value).split()


@pytest.mark.parametrize("indent", [0, 4])
@pytest.mark.parametrize("spare", [-1, 0, 1, 2])
def test_a_docstring_line_fills_the_width_exactly_and_no_further(
    indent: int, spare: int
) -> None:
    # Plain words, the docstring one column short of, exactly at or past the width.
    text = ("word " * 20)[: 88 - indent - 6 + spare]
    text = text[:-1] + "s" if text.endswith(" ") else text
    lines = _lines(text, indent)
    assert all(len(line) <= 88 for line in lines), lines
    if spare <= 0:  # it fits on one line with its quotes: there it stays
        assert lines == [f'{" " * indent}"""{text}"""']
    assert _held(text) == text.split()


@pytest.mark.parametrize(
    "text",
    [
        'a "b"  c\\n',  # a backslash, a quote and two spaces, all at once
        '"x"  \\t y',
        'one\\ "two"  three',
    ],
)
def test_a_short_line_with_backslashes_quotes_and_spaces_holds_its_text(
    text: str,
) -> None:
    assert _held(text) == text.split()
    assert "\\\\" in docstring(text)  # the backslash is escaped


def test_the_first_line_is_filled_up_to_the_width_with_its_quotes() -> None:
    first = "xabcd" + " abcd" * 16  # 85 columns, with the opening quotes 88
    text = first + " more words here"
    assert docstring(text).split("\n") == [first, "more words here"]
    assert len(_lines(text)[0]) == 88


def test_a_last_line_full_up_to_a_closing_quote_moves_its_last_word() -> None:
    # The last line is exactly 88 columns and ends with a quote: black's
    # padding would make it 89, so its last word goes to a line of its own.
    last = " ".join(["word"] * 16) + ' "abcdef"'
    assert len(last) == 88
    text = "Summary line.\n\n" + last
    assert _lines(text) == [
        '"""Summary line.',
        "",  # the paragraphs stay apart
        " ".join(["word"] * 16),
        '"abcdef" """',
    ]


@pytest.mark.parametrize("length", [84, 85, 86, 87, 88])
def test_closing_quotes_go_on_their_own_line_only_when_they_do_not_fit(
    length: int,
) -> None:
    text = " ".join(["word"] * 17) + " " + "y" * length
    lines = _lines(text)
    assert all(len(line) <= 88 for line in lines), lines
    if length + 3 <= 88:  # the quotes fit after the last line
        assert lines[-1] == "y" * length + '"""'
    else:
        assert lines[-2:] == ["y" * length, '"""']


def test_markdown_keeps_what_it_escapes_readable() -> None:
    assert markdown("a < b > c") == "a &lt; b &gt; c"  # shown as `a < b > c`
    assert markdown("<b>bold</b>") == "&lt;b&gt;bold&lt;/b&gt;"
    assert markdown("run `make` here") == "run 'make' here"
    assert markdown("```") == "'''"
