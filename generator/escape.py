"""Context escapers: the only way spec text reaches generated code.

Each function turns untrusted text into something that is inert in one
context: a Python literal, the inside of a docstring, a comment, a Markdown
line. The templates use them as filters; nothing is escaped by hand.
"""

from __future__ import annotations

import math
import re
from typing import Any

from . import wrap


def py_literal(value: Any) -> str:
    """A Python expression that evaluates to `value` (JSON data only)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):  # repr: nan, inf, -inf
            return f'float("{value!r}")'
        return repr(float(value)).replace("e+", "e")  # black writes 1e20, not 1e+20
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
        elif ch.isprintable():
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


def docstring(text: str, indent: int = 0, width: int = 88) -> str:
    """The body of a triple-double-quoted docstring whose quotes open at column
    `indent`, laid out as a person would write it: wrapped at `width` columns
    (see `wrap.layout`), its lines after the first indented, the first
    sentence of a long first paragraph on a line of its own.

    Backslashes and non-printable characters are escaped, and quotes where
    they could end the string: every quote of a run of three or more. A quote
    at either end gets a space between it and the triple quotes, as black
    puts one. The closing quotes go on a line of their own where black would
    put them: after a last line they would make too long.
    """
    if (  # what all below gives a short, plain line, at once
        len(text) + indent + 6 <= width
        and text.isprintable()
        and not any(s in text for s in ("\\", '"', "  "))
        and text == text.strip()
    ):
        return text
    text = text.replace("\r\n", "\n")
    if all(line.isprintable() for line in text.split("\n")):  # DEL is not printable
        body = text.replace("\\", "\\\\")  # what the loop below gives, at once
    else:
        out: list[str] = []
        for ch in text:
            if ch == "\\":
                out.append("\\\\")
            elif ch == "\n" or ch.isprintable():
                out.append(ch)
            else:
                out.append(_escape_char(ch))
        body = "".join(out)
    body = _QUOTE_RUN.sub(lambda run: '\\"' * len(run.group()), body.strip())
    if not body:
        return ""
    # Black pads a docstring that starts or ends with a quote with a space.
    lead = " " if body.startswith('"') else ""
    trail = " " if body.endswith('"') else ""
    first, rest = width - indent - 3 - len(lead), width - indent
    lines = wrap.layout(wrap.summary_first(body, first), first, rest)
    if len(lines) == 1 and len(lines[0] + trail) + 3 > first:
        # Black leaves a one-line docstring too long for its closing quotes: fold it.
        lines = wrap.layout(body, first - len(trail) - 3, rest)
    # Black strips the lines' trailing spaces, then dedents the lines after the
    # first by their common indentation.
    lines = [line.rstrip(" ") for line in lines]
    common = min((len(x) - len(x.lstrip(" ")) for x in lines[1:] if x), default=0)
    lines[1:] = [x[common:] for x in lines[1:]]
    if len(lines) > 1 and len(lines[-1] + trail) > rest and " " in lines[-1].strip():
        head, last = lines[-1].rsplit(" ", 1)  # room for the padding
        lines[-1:] = [head.rstrip(" "), last]
    lines[0] = lead + lines[0]
    # Closing quotes that do not fit go on a line of their own, and then black
    # drops the padding it measured them with.
    own_line = len(lines) > 1 and len(lines[-1] + trail) + 3 > rest
    if not own_line:
        lines[-1] += trail
    pad = " " * indent
    result = "\n".join([lines[0], *(pad + line if line else "" for line in lines[1:])])
    return result + "\n" + pad if own_line else result


_QUOTE_RUN = re.compile('"{3,}')


def comment(text: str) -> str:
    """One line of comment text: whitespace collapsed, non-printables dropped."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(cleaned.split())


def markdown(text: str) -> str:
    """Text for a Markdown line: one line, no HTML, no code fences."""
    return comment(text).replace("<", "&lt;").replace(">", "&gt;").replace("`", "'")
