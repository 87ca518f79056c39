"""Context escapers: the only way spec text reaches generated code.

Each function turns untrusted text into something that is inert in one
context: a Python literal, the inside of a docstring, a comment, a Markdown
line. The templates use them as filters; nothing is escaped by hand.
"""

from __future__ import annotations

import math
from typing import Any


def py_literal(value: Any) -> str:
    """A Python expression that evaluates to `value` (JSON data only)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return 'float("inf")' if value > 0 else 'float("-inf")'
        return repr(float(value))
    if isinstance(value, str):
        return py_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(
            f"{py_string(str(k))}: {py_literal(v)}" for k, v in value.items()
        )
        return "{" + items + "}"
    return py_string(str(value))


def py_string(text: str) -> str:
    """A string literal, quoted as black quotes it; every non-printable character escaped."""
    quote = '"' if text.count('"') <= text.count("'") else "'"
    lines = text.split("\n")
    if all(line.isprintable() for line in lines):  # DEL is not printable
        # What the loop below gives, a line at a time.
        return (
            quote
            + "\\n".join(
                line.replace("\\", "\\\\").replace(quote, "\\" + quote)
                for line in lines
            )
            + quote
        )
    out = [quote]
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == quote:
            out.append("\\" + quote)
        elif ch.isprintable() and ch != "\x7f":
            out.append(ch)
        else:
            out.append(_escape_char(ch))
    out.append(quote)
    return "".join(out)


def _escape_char(ch: str) -> str:
    special = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if ch in special:
        return special[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def docstring(text: str) -> str:
    """The body of a triple-double-quoted docstring.

    Backslashes and non-printable characters are escaped, runs of quotes are
    broken up, and lines are stripped of trailing blanks so that black has
    nothing to change.
    """
    text = text.replace("\r\n", "\n")
    if all(line.isprintable() for line in text.split("\n")):  # DEL is not printable
        body = text.replace("\\", "\\\\")  # what the loop below gives, at once
    else:
        out: list[str] = []
        for ch in text:
            if ch == "\\":
                out.append("\\\\")
            elif ch == "\n" or (ch.isprintable() and ch != "\x7f"):
                out.append(ch)
            else:
                out.append(_escape_char(ch))
        body = "".join(out)
    body = body.replace('"', '\\"')
    lines = [line.rstrip() for line in body.strip().split("\n")]
    return "\n".join(lines)


def comment(text: str) -> str:
    """One line of comment text: whitespace collapsed, non-printables dropped."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(cleaned.split())


def markdown(text: str) -> str:
    """Text for a Markdown line: one line, no HTML, no code fences."""
    return comment(text).replace("<", "&lt;").replace(">", "&gt;").replace("`", "'")
