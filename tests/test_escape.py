"""`py_string`'s shortcut for plain text gives what its character loop gives,
and the literal always evaluates back to the text."""

from __future__ import annotations

import ast

from hypothesis import given
from hypothesis import strategies as st

from generator.escape import _escape_char, py_string


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
