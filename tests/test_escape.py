"""The shortcuts of `py_string` and `docstring` for plain text give what their
character loops give, and a string literal always evaluates back to the text."""

from __future__ import annotations

import ast

import black
from hypothesis import given
from hypothesis import strategies as st

from generator.escape import _escape_char, docstring, py_string
from generator.wrap import words


def _by_character(text: str) -> str:
    quote = '"' if text.count('"') <= text.count("'") else "'"
    out = [quote]
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == quote:
            out.append("\\" + quote)
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(_escape_char(ch))
    return "".join(out) + quote


TRICKY = st.sampled_from(
    ["a", " ", '"', "'", "\\", "\n", "\r", "\t", "\x7f", "\x00", "é", "\u2028", "😀"]
)


@given(st.lists(TRICKY).map("".join) | st.text())
def test_py_string(text: str) -> None:
    literal = py_string(text)
    assert literal == _by_character(text)
    assert ast.literal_eval(literal) == text


WORDS = st.sampled_from(["word", "`a code span`", "sentence.", " ", "Capital", "- "])


@given(st.lists(TRICKY | WORDS).map("".join) | st.text(), st.sampled_from([0, 4, 8]))
def test_docstring_evaluates_back_to_the_text(text: str, indent: int) -> None:
    """Wrapping and escaping change only where the text breaks into lines."""
    body = docstring(text, indent)
    value = ast.literal_eval(f'"""{body}"""')
    assert value.split() == text.replace("\r\n", "\n").split()
    assert not any(line != line.rstrip() for line in body.split("\n")[:-1])


@given(st.lists(WORDS | st.just('"')).map("".join), st.sampled_from([0, 4, 8]))
def test_a_docstring_paragraph_fits_in_88_columns(text: str, indent: int) -> None:
    lines = f'{" " * indent}"""{docstring(text, indent)}"""'.split("\n")
    for line in lines:
        # A line too long is one word (or a code span) with its indentation
        # and quotes: there was nowhere to break it.
        assert len(line) <= 88 or len(words(line.strip(' "'), 88)) == 1, lines


def test_a_long_first_paragraph_starts_with_its_first_sentence() -> None:
    text = "The person. " + "More words about it, e.g. Details here. " * 4
    assert docstring(text, 4).startswith("The person.\n\n    More words")
    short = "One line. Two."
    assert docstring(short, 4) == short


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
