"""The shortcuts of `py_string` and `docstring` for plain text give what their
character loops give, and a string literal always evaluates back to the text."""

from __future__ import annotations

import ast

from hypothesis import given
from hypothesis import strategies as st

from generator.escape import _escape_char, docstring, py_string


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


def _docstring_by_character(text: str) -> str:
    out = []
    for ch in text.replace("\r\n", "\n"):
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n" or (ch.isprintable() and ch != "\x7f"):
            out.append(ch)
        else:
            out.append(_escape_char(ch))
    body = "".join(out).replace('"', '\\"')
    return "\n".join(line.rstrip() for line in body.strip().split("\n"))


@given(st.lists(TRICKY).map("".join) | st.text())
def test_docstring(text: str) -> None:
    assert docstring(text) == _docstring_by_character(text)
