"""Reads and edits OpenAPI documents by layout, with the standard library only.

The benchmark needs two things from a spec: how many operations it has, and a
copy in which one operation's summary differs. Both are done line by line on
block-style YAML (JSON documents are parsed as JSON), without a YAML library
and without holding the document as a list of lines. run.py calls this as a
subprocess so that its own peak RSS, which every child it spawns inherits as a
floor for its own peak, stays small.

    python3 bench/specs.py count SPEC
    python3 bench/specs.py edit SPEC MARKER OUT
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

HTTP_METHODS = frozenset(
    {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
)

_KEY = re.compile(
    r"""(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)'|([^"'#\s].*?))\s*:(?:\s|$)"""
)


class LayoutError(ValueError):
    """The document is not laid out as block mappings this reader understands."""


@dataclass(frozen=True, slots=True)
class Line:
    number: int
    text: str
    indent: int  # -1 for blank and comment lines
    key: str | None  # the mapping key the line starts, if any
    rest: str  # what follows `key:` on the line


def _parse(number: int, text: str) -> Line:
    stripped = text.lstrip(" ")
    if not stripped.strip() or stripped.startswith("#"):
        return Line(number, text, -1, None, "")
    indent = len(text) - len(stripped)
    match = _KEY.match(stripped)
    if match is None:
        return Line(number, text, indent, None, "")
    key = (
        match.group(1)
        if match.group(1) is not None
        else match.group(2) or match.group(3)
    )
    return Line(number, text, indent, key, stripped[match.end() :].strip())


@dataclass(frozen=True, slots=True)
class Operation:
    path: str
    method: str
    line: Line  # the `get:` line

    @property
    def style(self) -> str:
        """'block', 'anchored' (block with `&name`), 'flow' (`{...}`) or 'alias'."""
        rest = self.line.rest.split(" #", 1)[0].strip()
        if not rest:
            return "block"
        if rest.startswith("&") and " " not in rest:
            return "anchored"
        if rest.startswith("{"):
            return "flow"
        if rest.startswith("*"):
            return "alias"
        raise LayoutError(
            f"line {self.line.number + 1}: unexpected operation value {rest!r}"
        )


def operations(lines: Iterable[str]) -> Iterator[Operation]:
    """Yield the operations under the top-level `paths:` as they are read."""
    in_paths = False
    path_indent = method_indent = -1
    current_path = ""
    for number, text in enumerate(lines):
        line = _parse(number, text)
        if line.indent < 0:
            continue
        if line.indent == 0:
            if in_paths:
                return
            in_paths = line.key == "paths"
            if in_paths and line.rest and not line.rest.startswith("#"):
                raise LayoutError("`paths:` is not a block mapping")
            continue
        if not in_paths:
            continue
        if path_indent < 0:
            path_indent = line.indent
        if line.indent == path_indent and line.key is not None:
            current_path, method_indent = line.key, -1
        elif line.indent > path_indent:
            if method_indent < 0:
                method_indent = line.indent
            if line.indent == method_indent and line.key in HTTP_METHODS:
                operation = Operation(current_path, line.key, line)
                operation.style  # noqa: B018 - fail early on a layout we cannot read
                yield operation


def _editable(operation: Operation) -> bool:
    """Whether changing this operation's summary changes no other operation:
    not one that others merge in (`&anchor`), and a flow mapping only when it
    sits on one line and has no summary of its own yet."""
    if operation.style == "block":
        return True
    rest = operation.line.rest
    return operation.style == "flow" and rest.endswith("}") and "summary" not in rest


def _is_json(path: Path) -> bool:
    with path.open(encoding="utf-8") as handle:
        return handle.read(4096).lstrip().startswith("{")


def count_operations(path: Path) -> int:
    if _is_json(path):
        document = json.loads(path.read_text(encoding="utf-8"))
        return sum(
            1
            for item in document.get("paths", {}).values()
            for method in item
            if method in HTTP_METHODS
        )
    with path.open(encoding="utf-8") as handle:
        return sum(1 for _ in operations(handle))


def edit_one_operation(source: Path, marker: str, target: Path) -> None:
    """Copy `source` to `target` with one operation's summary set to `marker`
    (added if it has none): the first whose change affects no other operation.
    Every other byte is kept."""
    if _is_json(source):
        document = json.loads(source.read_text(encoding="utf-8"))
        for item in document.get("paths", {}).values():
            for method, operation in item.items():
                if method in HTTP_METHODS:
                    operation["summary"] = marker
                    target.write_text(
                        json.dumps(document, indent=2) + "\n", encoding="utf-8"
                    )
                    return
        raise LayoutError("no operation")
    with source.open(encoding="utf-8", newline="") as handle:
        head: list[str] = []  # the lines up to the end of the edited operation
        reader = iter(handle)

        def recorded() -> Iterator[str]:
            for text in reader:
                head.append(text)
                yield text

        chosen = next((op for op in operations(recorded()) if _editable(op)), None)
        if chosen is None:
            raise LayoutError("no operation whose summary can be changed on its own")
        tail = ""
        if chosen.style == "flow":
            _edit_flow(chosen, marker, head)
        else:
            tail = _edit_block(chosen, marker, head, reader)
        with target.open("w", encoding="utf-8", newline="") as out:
            out.writelines(head)
            out.write(tail)
            shutil.copyfileobj(handle, out)


def _edit_flow(operation: Operation, marker: str, head: list[str]) -> None:
    text = head[operation.line.number]
    end = text.rstrip("\r\n")
    closing = end.rindex("}")
    head[operation.line.number] = (
        f"{end[:closing].rstrip()}, summary: {json.dumps(marker)}{end[closing:]}{text[len(end) :]}"
    )


def _edit_block(
    operation: Operation, marker: str, head: list[str], reader: Iterator[str]
) -> str:
    """Set the summary of a block-style operation; reads on to the end of the
    operation, appending to `head`, and returns the first line after it."""
    child_indent, summary, end, tail = -1, -1, -1, ""
    for text in reader:
        line = _parse(len(head), text)
        if 0 <= line.indent <= operation.line.indent:
            tail = text
            break
        head.append(text)
        if line.indent < 0:
            continue
        if child_indent < 0:
            child_indent = line.indent
        index = len(head) - 1
        if summary >= 0 and end < 0 and line.indent <= child_indent:
            end = index  # the old summary's value ends before this line
        if line.indent == child_indent and line.key == "summary" and summary < 0:
            summary = index
    if child_indent < 0:
        raise LayoutError("the operation is empty")
    new_line = f"{' ' * child_indent}summary: {json.dumps(marker)}\n"
    if summary < 0:
        at = operation.line.number + 1
        head[at:at] = [new_line]
    else:
        end = len(head) if end < 0 else end
        while end > summary + 1 and _parse(0, head[end - 1]).indent < 0:
            end -= 1  # keep blank lines that separate it from the next key
        head[summary:end] = [new_line]
    return tail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    count = commands.add_parser("count", help="print the number of operations")
    count.add_argument("spec", type=Path)
    edit = commands.add_parser(
        "edit", help="write a copy with one operation's summary changed"
    )
    edit.add_argument("spec", type=Path)
    edit.add_argument("marker")
    edit.add_argument("out", type=Path)
    args = parser.parse_args()
    if args.command == "count":
        print(count_operations(args.spec))
    else:
        edit_one_operation(args.spec, args.marker, args.out)


if __name__ == "__main__":
    main()
