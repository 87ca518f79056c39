"""Black's layout, emitted by the templates: calls, lists, annotations, unions.

Black formats a second time any text it changed, so the templates lay code out
as black would (see README, "What makes it fast"); black still formats the
result, so a misjudged shape costs time, never output.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from . import escape, ir
from .cache import LINE_LENGTH


@dataclass(frozen=True)
class Bracket:
    """`head`, `items` and `tail` of a bracketed expression (a call, a list, a
    dict) that `call` may split further when it does not fit on its line."""

    head: str
    items: tuple[str | Bracket, ...]
    tail: str
    collection: bool = True

    def __str__(self) -> str:
        return f"{self.head}{', '.join(map(str, self.items))}{self.tail}"


def bracket(head: str, items: Sequence[str | Bracket], tail: str) -> Bracket:
    return Bracket(head, tuple(items), tail)


def call(
    indent: int,
    head: str,
    items: Sequence[str | Bracket],
    tail: str,
    collection: bool = False,
) -> str:
    """`head` (ending in an opening bracket), `items`, `tail` (starting with the
    closing bracket) at `indent`, laid out as black lays out a bracket: on one
    line if it fits; else, for a call's arguments or a single item, the items
    on one line of their own; else one per line with a trailing comma. An item
    too long for its line is split in turn (`_item`). Emitting black's own
    shape spares black its line splitting (and its second pass) on large
    specs; a block whose lines all fit is then taken as it is
    (`format._as_black_gives`), so the tests hold these shapes to black's.
    """
    pad = " " * indent
    flat = [str(item) for item in items]
    line = f"{pad}{head}{', '.join(flat)}{tail}"
    if len(line) <= LINE_LENGTH:
        return line
    inner = indent + 4
    hugged = " " * inner + ", ".join(flat)
    if len(items) == 1:
        return f"{pad}{head}\n{_item(inner, items[0], '')}\n{pad}{tail}"
    if not collection and len(hugged) <= LINE_LENGTH:
        return f"{pad}{head}\n{hugged}\n{pad}{tail}"
    lines = [_item(inner, item, ",") for item in items]
    return "".join([f"{pad}{head}\n", *(f"{line}\n" for line in lines), pad + tail])


def _item(indent: int, item: str | Bracket, comma: str) -> str:
    """One item of a split bracket at `indent`, then `comma`, as black lays it
    out: whole if it fits; else a `Bracket` split as `call` splits it (a
    single one without a trailing comma, as black does), and a union one
    member per line, each member too long split at its last bracket."""
    line = f"{' ' * indent}{item}{comma}"
    if len(line) <= LINE_LENGTH:
        return line
    if isinstance(item, Bracket):
        return call(indent, item.head, item.items, item.tail + comma, item.collection)
    members = _top_level_split(item, " | ")
    if len(members) < 2:
        return line
    lines = []
    for index, member in enumerate(members):
        prefix = "| " if index else ""
        end = comma if index == len(members) - 1 else ""
        shown = f"{' ' * indent}{prefix}{member}{end}"
        parsed = expression(member)
        if len(shown) > LINE_LENGTH and isinstance(parsed, Bracket):
            shown = call(indent, prefix + parsed.head, parsed.items, parsed.tail + end)
        lines.append(shown)
    return "\n".join(lines)


def security(requirements: Sequence[ir.Requirement], head: str = "") -> Bracket:
    """A list of security requirements, `[{scheme: [scopes]}]`, as a `Bracket`."""
    return Bracket(
        f"{head}[",
        tuple(
            Bracket(
                "{",
                tuple(
                    Bracket(
                        f"{escape.py_string(scheme)}: [",
                        tuple(map(escape.py_string, scopes)),
                        "]",
                    )
                    for scheme, scopes in requirement.schemes
                ),
                "}",
            )
            for requirement in requirements
        ),
        "]",
    )


def assignment(indent: int, target: str, value: str) -> str:
    """`target = value`, an atom, as black lays it out: in parentheses on a line
    of its own when that makes it fit, else as it is."""
    pad = " " * indent
    line = f"{pad}{target} = {value}"
    inner = f"{pad}    {value}"
    if len(line) <= LINE_LENGTH or len(inner) > LINE_LENGTH:
        return line
    return f"{pad}{target} = (\n{inner}\n{pad})"


def union(indent: int, target: str, members: Sequence[str]) -> str:
    """`target = A | B | ...` as black lays it out (see `_union`)."""
    return _union(" " * indent, f"{target} = ", members, "")


def annotated(
    indent: int,
    name: str,
    annotation: str,
    default: str | Bracket | None,
    tail: str = "",
) -> str:
    """`name: annotation = default` (then `tail`: a parameter's comma) as black
    lays it out when it is too long (a `default` that is a `Bracket` is a
    call); the shapes this does not know are left to black.

    Black puts invisible parentheses around both the annotation and the
    default, and splits at the last bracket whose split fits: the default's
    own call, when its first line fits; else the default in parentheses, when
    the line up to them fits; else the annotation: in parentheses when it is a
    union (or a bare name), else at its last bracket."""
    pad = " " * indent
    shown = "" if default is None else f" = {default}"
    line = f"{pad}{name}: {annotation}{shown}{tail}"
    if len(line) <= LINE_LENGTH:
        return line
    inner = pad + "    "
    target = f"{pad}{name}: {annotation} = "
    if isinstance(default, Bracket):
        if len(target + default.head) <= LINE_LENGTH:
            return call(
                indent,
                target.lstrip() + default.head,
                default.items,
                default.tail + tail,
            )
        if _has_brackets(", ".join(map(str, default.items))):
            return line
    elif default is not None and _has_brackets(default):
        return line
    if default is not None and len(target + "(") <= LINE_LENGTH:
        if len(inner + str(default)) > LINE_LENGTH:
            return line
        return f"{target}(\n{inner}{default}\n{pad}){tail}"
    return _split_annotation(pad, name, annotation, shown + tail) or line


def _split_annotation(pad: str, name: str, annotation: str, rest: str) -> str | None:
    """`name: annotation` then `rest`, split in the annotation as black splits
    it; None for a shape left to black."""
    inner = pad + "    "
    members = _top_level_split(annotation, " | ")
    closed = annotation.endswith(("]", ")"))
    end = f"{pad}){rest}"
    if len(members) > 1:
        if closed and len(members) == 2:
            return None  # black weighs the last bracket then: left to it
        # In parentheses, split in turn.
        text = "\n".join([f"{pad}{name}: (", _item(len(inner), annotation, ""), end])
    elif "." in annotation.partition("[")[0]:
        return None  # an attribute: black weighs its dots
    elif not closed:
        text = f"{pad}{name}: (\n{inner}{annotation}\n{end}"
    elif isinstance(bracket := expression(annotation), Bracket) and bracket.items:
        # Its items as black splits a bracket's (`call`): on a line of their
        # own, else one per line, each split in turn.
        text = call(
            len(pad), f"{name}: {bracket.head}", bracket.items, bracket.tail + rest
        )
    else:
        return None
    fits = all(
        len(x) <= LINE_LENGTH or _LONE_STRING_ITEM.fullmatch(x)
        for x in text.split("\n")
    )
    return text if fits else None


# An item that is one string literal, or a keyword argument of one (a long
# `pattern`): split down to it, black leaves it long on its line.
_LONE_STRING_ITEM = re.compile(r' *(?:[A-Za-z_]\w*=)?"(?:[^"\\]|\\.)*",?')


def _has_brackets(text: str) -> bool:
    """Whether `text` holds a bracket outside its string literals."""
    return any(
        depth >= 0 and char in "([{"
        for char, depth in zip(text, _depths(text), strict=True)
    )


def type_alias(name: str, value: str) -> str:
    """`name: TypeAlias = value` for a type expression we generated, as black
    lays it out: a union as `union` does, one subscript or call split as `call`
    does (`Annotated[str, Field(pattern=...)]`); anything else is left to black."""
    target = f"{name}: TypeAlias"
    members = _top_level_split(value, " | ")
    if len(members) > 1:
        return union(0, target, members)
    parsed = expression(value)
    if isinstance(parsed, Bracket):
        return call(0, f"{target} = {parsed.head}", parsed.items, parsed.tail)
    return f"{target} = {value}"


def expression(text: str) -> str | Bracket:
    """A subscript or call we generated (`Annotated[str, Field(ge=0)]`), as
    nested `Bracket`s that `call` can split; any other text as it is."""
    if not text.endswith(("]", ")")):
        return text
    opened = _top_level_open(text)
    if opened is None or not _NAME.fullmatch(text[:opened]):
        return text
    head = text[: opened + 1]
    items = _top_level_split(text[opened + 1 : -1], ", ")
    return Bracket(head, tuple(map(expression, items)), text[-1], collection=False)


_NAME = re.compile(r"[A-Za-z_][\w.]*")


def _depths(text: str) -> list[int]:
    """Each character's bracket depth, or -1 inside a string literal (ours:
    one line, quoted by `escape.py_string`, backslash escapes)."""
    depths, depth, quote, escaped = [], 0, "", False
    for char in text:
        if quote:
            depths.append(-1)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
            continue
        if char in "'\"":
            quote = char
            depths.append(-1)
            continue
        if char in ")]}":
            depth -= 1
        depths.append(depth)
        if char in "([{":
            depth += 1
    return depths


def _top_level_open(text: str) -> int | None:
    """Where the bracket closing `text` opens, if it is at depth 0."""
    depths = _depths(text)
    for index in range(len(text) - 1, -1, -1):
        if depths[index] == 0 and text[index] in "([{":
            return index
    return None


def _top_level_split(text: str, separator: str) -> list[str]:
    """`text` cut at each `separator` outside brackets and strings."""
    depths = _depths(text)
    parts, start, index = [], 0, 0
    while index < len(text):
        if depths[index] == 0 and text.startswith(separator, index):
            parts.append(text[start:index])
            index += len(separator)
            start = index
        else:
            index += 1
    return [*parts, text[start:]]


def returns(indent: int, members: Sequence[str]) -> str:
    """The `) -> A | B:` line closing a def's exploded parameters, as black
    lays it out (see `_union`)."""
    return _union(" " * indent, ") -> ", members, ":")


def _union(pad: str, head: str, members: Sequence[str], tail: str) -> str:
    """`head`, a union of `members`, `tail`: whole, else the union in
    parentheses on a line of its own, else one member per line."""
    value = " | ".join(members)
    line = f"{pad}{head}{value}{tail}"
    if len(line) <= LINE_LENGTH or len(members) < 2:
        return line
    inner = pad + "    "
    if len(inner + value) <= LINE_LENGTH:
        return f"{pad}{head}(\n{inner}{value}\n{pad}){tail}"
    rest = "".join(f"{inner}| {m}\n" for m in members[1:])
    return f"{pad}{head}(\n{inner}{members[0]}\n{rest}{pad}){tail}"
