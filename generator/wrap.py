"""Line layout of text in generated files: docstrings and Markdown, at 88 columns.

Text arrives escaped (see `escape`): wrapping only ever breaks at a space, so it
cannot split an escape sequence, and it never adds a character other than a
space or a newline. Prose is refilled; anything Markdown gives a meaning to by
its line layout (lists, quotes, tables, headings, code) keeps its lines, and
code keeps them whole.
"""

from __future__ import annotations

import re

# A line that starts a Markdown block other than a paragraph: indented, a list
# item, a quote, a heading, a table row or a fence.
_BLOCK = re.compile(r"\s|[-*+] |> |#|\||```|~~~|\d+[.)] ")
# What a line of a list item (or quote) starts with; its continuations hang under the text.
_MARKER = re.compile(r" {0,3}(?:[-*+>]|\d+[.)]) +")
# A word for Markdown: a run of non-spaces, code spans (which may hold spaces) whole.
_MARKDOWN_WORD = re.compile(r"(?:`[^`]*`|[^\s`]|`)+")
# The end of a first sentence: `.`, `!` or `?` before a space and a capital (or
# a quote, bracket or code span), not after a common abbreviation or an initial.
_SENTENCE_END = re.compile(r"[.!?](?= +[A-Z`\"'(\[])")
_ABBREVIATIONS = frozenset({"e.g", "i.e", "etc", "vs", "cf", "approx", "incl", "no"})


def fill(words: list[str], first: int, rest: int) -> list[str]:
    """`words` joined by spaces into lines of at most `first` columns (the
    first line) and `rest` (the others); a word longer than that has a line
    of its own."""
    lines: list[str] = []
    line = ""
    for word in words:
        width = rest if lines else first
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines


def words(text: str, width: int) -> list[str]:
    """The words of Markdown `text`: code spans whole, unless one is longer
    than `width` columns, which then breaks at its spaces."""
    found: list[str] = []
    for word in _MARKDOWN_WORD.findall(text):
        found.extend(word.split() if len(word) > width else [word])
    return found


def layout(text: str, first: int, rest: int) -> list[str]:
    """The lines of `text`, its prose paragraphs filled (the first line of all
    to `first` columns, the others to `rest`), blank lines between blocks
    kept (one of a run), fenced and indented code as it is, and other
    Markdown blocks line by line, a long line's continuation hanging under
    its text."""
    out: list[str] = []
    paragraph: list[str] = []
    fence = ""

    def width() -> int:
        return rest if out else first

    def flush() -> None:
        if paragraph:
            found = words(" ".join(paragraph), min(width(), rest))
            out.extend(fill(found, width(), rest))
            paragraph.clear()

    for line in text.split("\n"):
        line = line.rstrip()
        stripped = line.lstrip(" ")
        if fence:
            out.append(line)
            if stripped.startswith(fence):
                fence = ""
        elif stripped.startswith(("```", "~~~")):
            flush()
            out.append(line)
            fence = stripped[:3]
        elif not stripped:
            flush()
            if out and out[-1]:
                out.append("")
        elif not _BLOCK.match(line):
            paragraph.append(line)
        elif line.startswith("    "):  # indented code
            flush()
            out.append(line)
        else:
            flush()
            out.extend(_hang(line, width(), rest))
    flush()
    while out and not out[-1]:
        out.pop()
    return out


def _hang(line: str, first: int, rest: int) -> list[str]:
    """One line of a Markdown block, wrapped with its continuations indented
    to where its text starts (after a list or quote marker)."""
    marker = _MARKER.match(line)
    lead = marker.group() if marker else line[: len(line) - len(line.lstrip(" "))]
    pad = " " * len(lead)
    first, rest = first - len(lead), rest - len(lead)
    lines = fill(words(line[len(lead) :], min(first, rest)), first, rest)
    return [lead + lines[0], *(pad + text for text in lines[1:])]


def summary_first(text: str, width: int) -> str:
    """`text` with the first sentence of its opening prose made a paragraph of
    its own, when that prose is longer than `width` columns and the sentence
    fits in them: a docstring's summary line."""
    lines = text.split("\n")
    prose = 0
    while (
        prose < len(lines) and lines[prose].strip() and not _BLOCK.match(lines[prose])
    ):
        prose += 1
    flat = " ".join(" ".join(lines[:prose]).split())
    if len(flat) <= width:
        return text
    for end in _SENTENCE_END.finditer(flat):
        if end.end() > width:
            break
        word = flat[: end.start()].rsplit(" ", 1)[-1]
        if word.lower() in _ABBREVIATIONS or len(word) == 1:
            continue
        sentence, rest = flat[: end.end()], flat[end.end() :].strip()
        return "\n".join([sentence, "", rest, *lines[prose:]])
    return text


def markdown_paragraph(text: str, width: int, hang: int = 0) -> str:
    """One Markdown paragraph (escaped, see `escape.markdown`) filled to `width`
    columns, its lines after the first indented by `hang` (a list item's), never
    breaking inside a code span."""
    lines = fill(words(text, width - hang), width, width - hang) or [""]
    return "\n".join([lines[0], *(" " * hang + line for line in lines[1:])])
