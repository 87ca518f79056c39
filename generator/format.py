"""Stage 5, format: black, pinned, one block at a time, in worker processes.

Rendered modules arrive cut into top-level blocks (see `render.CUT`). Each
block is formatted on its own at its own indentation, so black's work can be
cached block by block (keyed by the unformatted text, black's version and
mode) and spread over processes. Joined with black's blank-line rules, the
blocks give the file black itself would give; the tests hold us to that.
A block black would give back unchanged, as far as `_as_black_gives` can
tell, is not given to it at all: most blocks, since the templates write
black's layout.

Each formatted file is stamped, in its header, with a hash of what black was
given, black's version and mode, and what it gave back. A file on disk whose
stamp matches what it says and what we would give black now is what black
would give again, so it is taken as it is: that is how `check` verifies an
up-to-date tree without running black, cache or no cache.
"""

from __future__ import annotations

import ast
import gc
import hashlib
import re
import textwrap
from collections import ChainMap
from collections.abc import Callable, Iterable, Mapping

from .cache import LINE_LENGTH, Cache, mode_key
from .markers import CUT, HEADER_END, HEADER_MARK
from .render import Rendered

PARALLEL_THRESHOLD = 150_000  # bytes of unformatted code worth a process pool


def _key(indent: int, text: str) -> str:
    return hashlib.sha256(f"{indent}\0{text}".encode()).hexdigest()


def _split(text: str) -> list[tuple[int, str]]:
    """(indentation, dedented text) of each block between CUT lines."""
    blocks = []
    for raw in text.split("\n" + CUT + "\n"):
        block = raw.strip("\n")
        if not block.strip():
            continue
        lines = block.split("\n")
        first = next(line for line in lines if line.strip())
        indent = len(first) - len(first.lstrip(" "))
        if not indent:
            blocks.append((0, block + "\n"))
            continue
        # Docstring lines may sit left of the code; black re-indents them anyway.
        prefix = " " * indent
        dedented = [
            line[indent:] if line.startswith(prefix) else line.lstrip(" ")
            for line in lines
        ]
        blocks.append((indent, "\n".join(dedented) + "\n"))
    return blocks


# The header a class's later statements are formatted under (`_pieces`).
_WRAP = "class _:\n"


def _pieces(indent: int, text: str) -> list[tuple[int, str]] | None:
    """A top-level class of plain statements cut into pieces black formats
    alike, so that a statement many classes share (a field and its docstring)
    is formatted once: the class up to its third statement, then each
    annotated field after it, with what follows it up to the next, under
    `_WRAP`. None when the block is not cut.

    Black formats a statement at its depth from the statement alone (line
    length, splits, trailing commas; the target version is fixed, so nothing
    is inferred from the rest of the file); only the blank lines before a
    line look further back, and between two plain statements (annotated or
    plain assignments, string expressions) in a class body it keeps what was
    written, capped at one. So a class is cut only where one plain statement
    ends a line and the next, an annotated field, starts the line after, with
    no blank, comment or anything else between; and only when its body holds
    nothing but plain statements (no method, decorator, nested class, `pass`
    or `...`), nor a `fmt:` directive. Never before the second statement:
    black puts a blank line after a class docstring. The tests compare the
    pieces, joined, with black's output for the whole block."""
    if indent or not text.startswith("class ") or "fmt:" in text or "\r" in text:
        return None
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.ClassDef):
        return None
    body = tree.body[0].body
    if len(body) < 3 or not all(_plain(statement) for statement in body):
        return None
    lines = text.split("\n")
    cuts = [
        after.lineno
        for before, after in zip(body[1:], body[2:], strict=False)
        if isinstance(after, ast.AnnAssign)
        and after.col_offset == 4
        and before.end_lineno == after.lineno - 1
        and lines[after.lineno - 1][:4] == "    "
        and before.end_col_offset == len(lines[after.lineno - 2].encode())
    ]
    if not cuts:
        return None
    starts = [1, *cuts, len(lines) + 1]
    pieces = [(0, "\n".join(lines[: cuts[0] - 1]) + "\n")]
    for start, end in zip(starts[1:], starts[2:], strict=False):
        pieces.append(
            (0, _WRAP + "\n".join(lines[start - 1 : end - 1]).rstrip("\n") + "\n")
        )
    return pieces


def _plain(statement: ast.stmt) -> bool:
    """An assignment, annotated or not, or a string on its own."""
    if isinstance(statement, ast.Expr):
        value = statement.value
        return isinstance(value, ast.Constant) and isinstance(value.value, str)
    return isinstance(statement, ast.AnnAssign | ast.Assign)


def _joined(pieces: list[str]) -> str | None:
    """The block from its formatted pieces (`_pieces`); None if black did not
    give back a piece under `_WRAP` as it was given."""
    out = [pieces[0]]
    for piece in pieces[1:]:
        if not piece.startswith(_WRAP):
            return None
        out.append(piece[len(_WRAP) :])
    return "".join(out)


def _as_black_gives(indent: int, text: str) -> bool:
    """Whether a block is, as rendered, what black gives for it. The templates
    write black's layout, and every escaper its forms (quotes, numbers,
    docstrings); what black still changes in what they render is a line of
    code too long for it, which it splits. So a block is taken as it is when
    every line of code fits the width black formats it to (counting a
    non-ASCII character as two columns, the most any takes), and nothing else
    black would touch shows: a space or tab at a line's end, a backslash
    before a line break, two blank lines before an indented line or three
    anywhere. Docstring lines may be longer: black never wraps one, and
    `escape.docstring` lays them out as black leaves them. A line starting
    with triple quotes opens or closes a docstring: no escaper writes triple
    quotes elsewhere (`py_string` never, `docstring` escapes them). So may a
    line black cannot split (`_unsplittable`). The tests compare this
    with black's own output over every block of the goldens, the hostile
    specs and the corpus."""
    if "\n\n\n\n" in text or "\n\n\n " in text or "\\\n" in text or "\t" in text:
        return False
    width = LINE_LENGTH - indent
    in_docstring = False
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if line.endswith(" "):
            return False
        if in_docstring:
            in_docstring = '"""' not in line
        elif line.lstrip(" ").startswith('"""'):
            in_docstring = line.count('"""') == 1
        elif len(line) * (1 if line.isascii() else 2) > width and not _unsplittable(
            lines[index - 1] if index else "", line, lines[index + 1 : index + 2]
        ):
            return False
    return True


def _unsplittable(previous: str, line: str, following: list[str]) -> bool:
    """Whether black leaves `line`, too long, as it is: an item of a bracket
    split one item per line that is a string literal alone or a keyword
    argument of one (after the first item), or an entry of two in a dict; or
    a keyword argument of a string alone in its call's brackets (a long
    `pattern`)."""
    if previous.endswith(","):
        return bool(
            _LONE_STRING.fullmatch(line)
            or _STRING_ENTRY.fullmatch(line)
            or (line.endswith(",") and _STRING_KEYWORD.fullmatch(line[:-1]))
        )
    if previous.endswith("{"):
        return bool(_STRING_ENTRY.fullmatch(line))
    return (
        previous.endswith("(")
        and bool(following)
        and following[0].lstrip(" ").startswith(")")
        and bool(_STRING_KEYWORD.fullmatch(line))
    )


# Lines black has nothing to split in: a string literal (a long URL path in
# the route table), an entry of two (a long wire name for its attribute), a
# keyword argument of one (a long `pattern`).
_LONE_STRING = re.compile(r' *"(?:[^"\\]|\\.)*",')
_STRING_ENTRY = re.compile(r' *"(?:[^"\\]|\\.)*": "(?:[^"\\]|\\.)*",')
_STRING_KEYWORD = re.compile(r' *[A-Za-z_]\w*="(?:[^"\\]|\\.)*"')


def _format_block(item: tuple[int, str]) -> str:
    import black
    from black.mode import TargetVersion

    indent, text = item
    mode = black.Mode(
        target_versions={TargetVersion.PY311}, line_length=LINE_LENGTH - indent
    )
    return black.format_str(text, mode=mode)


def _format_all(items: list[tuple[int, str]]) -> list[str]:
    return [_format_block(item) for item in items]


class BlackPool:
    """Processes formatting blocks with black, one per job: worth starting
    only when there is much to format, as most blocks never reach black
    (`_as_black_gives`) and a worker pays black's import first."""

    def __init__(self, jobs: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self._jobs = jobs
        self._pool = ProcessPoolExecutor(
            jobs, mp_context=multiprocessing.get_context("fork")
        )

    def format(self, items: list[tuple[int, str]]) -> list[str]:
        # Largest first, so that no big block starts last and leaves one
        # worker finishing it alone.
        order = sorted(range(len(items)), key=lambda i: -len(items[i][1]))
        chunksize = max(1, len(items) // (self._jobs * 8))
        gc.freeze()  # as pipeline._Background does: fewer pages copied
        try:
            done = self._pool.map(
                _format_block, [items[i] for i in order], chunksize=chunksize
            )
        finally:
            gc.unfreeze()
        ordered = [""] * len(items)
        for index, text in zip(order, done, strict=True):
            ordered[index] = text
        return ordered

    def close(self) -> None:
        # Waiting for the workers to exit: a pool left to wind down on its own
        # races the interpreter's exit, which then prints `Exception ignored
        # ... Bad file descriptor` (CPython 3.11's _python_exit wakes a pipe
        # the pool's thread may be closing).
        self._pool.shutdown(wait=True, cancel_futures=True)


_DEFINITION = ("def ", "async def ", "class ", "@")


def _join(blocks: Iterable[tuple[int, str]]) -> str:
    """Blocks joined with black's blank lines: two around top-level definitions,
    one after the imports before a statement, one inside a class."""
    out: list[str] = []
    for index, (indent, text) in enumerate(blocks):
        body = (
            textwrap.indent(text.strip("\n"), " " * indent)
            if indent
            else text.strip("\n")
        )
        if index:
            if indent:
                out.append("\n\n")
            elif index == 1 and not body.startswith(_DEFINITION):
                out.append("\n\n")
            else:
                out.append("\n\n\n")
        out.append(body)
    return "".join(out) + "\n"


def format_files(
    files: list[Rendered],
    cache: Cache | None,
    jobs: int,
    previous: Callable[[str], str | None] | None = None,
) -> dict[str, str]:
    """`{path: text}` with every Python file formatted; other files as rendered.

    `previous(path)`, if given, is the file as it is on disk (or None): one
    whose stamp holds for what is rendered now is taken as it is. Blocks go
    to black here or, when there is much to format and `jobs` > 1, to a pool.
    """
    result: dict[str, str] = {}
    # The header carries the file's stamp; it stays out of the blocks.
    heads: dict[str, str] = {}
    split: dict[str, list[tuple[int, str]]] = {}
    for f in files:
        if not f.python:
            result[f.path] = f.text
            continue
        head = heads[f.path] = _header(f.text)
        on_disk = previous(f.path) if previous is not None else None
        if on_disk is not None and _holds(head, f.text[len(head) :], on_disk):
            result[f.path] = on_disk
        else:
            split[f.path] = _split(f.text[len(head) :])
    missing: dict[str, tuple[int, str]] = {}
    known = cache.chunks if cache is not None else {}
    # Per block, the keys of what black formats: the block, or its pieces;
    # none for a block black would give back as it is.
    keys: dict[str, list[list[str]]] = {}
    taken: dict[str, str] = {}  # pieces black would give back as they are
    for path, blocks in split.items():
        keys[path] = []
        for block in blocks:
            if _as_black_gives(*block):
                keys[path].append([])
                continue
            items = _pieces(*block) or [block]
            block_keys = [_key(indent, text) for indent, text in items]
            keys[path].append(block_keys)
            for key, item in zip(block_keys, items, strict=True):
                if key in known or key in taken:
                    continue
                if _as_black_gives(*item):  # a piece of a class, as a block
                    taken[key] = item[1]
                else:
                    missing[key] = item
    items = list(missing.values())
    if not items:
        texts = []
    elif jobs > 1 and sum(len(text) for _, text in items) >= PARALLEL_THRESHOLD:
        own = BlackPool(jobs)
        try:
            texts = own.format(items)
        finally:
            own.close()
    else:
        texts = _format_all(items)
    formatted = dict(zip(missing, texts, strict=True))
    if cache is not None:
        cache.chunks.update(formatted)
    # Read through, not copied: `known` is the whole cache on a warm run.
    lookup = ChainMap(taken, formatted, known)
    for f in files:
        if f.path not in split:
            continue
        if cache is not None:
            cache.used.update(k for block_keys in keys[f.path] for k in block_keys)
        body = _join(
            (indent, _formatted(lookup, block_keys, (indent, text)))
            for (indent, text), block_keys in zip(
                split[f.path], keys[f.path], strict=True
            )
        )
        head = heads[f.path]
        result[f.path] = _stamped(head, f.text[len(head) :], body) + body
    return {f.path: result[f.path] for f in files}


def _formatted(
    lookup: Mapping[str, str], block_keys: list[str], block: tuple[int, str]
) -> str:
    """A block as black formats it, from its pieces if it was cut."""
    if not block_keys:  # taken as it is
        return block[1]
    if len(block_keys) == 1:
        return lookup[block_keys[0]]
    joined = _joined([lookup[key] for key in block_keys])
    return joined if joined is not None else _format_block(block)


def _stamp(unformatted: str, formatted: str) -> str:
    digest = hashlib.sha256(mode_key().encode())
    for text in (unformatted, formatted):
        digest.update(b"\0" + text.encode())
    return digest.hexdigest()[:16]


def _stamped(head: str, unformatted: str, formatted: str) -> str:
    """The header line, with the stamp of this formatting in it."""
    if not head.endswith(HEADER_END + "\n"):
        return head
    stamp = _stamp(unformatted, formatted)
    return f"{head[: -len(HEADER_END) - 1]} (stamp {stamp}){HEADER_END}\n"


def _holds(head: str, unformatted: str, on_disk: str) -> bool:
    """`on_disk` is what formatting `unformatted` under `head` gives: its
    stamp, made when black formatted these very blocks into this very body."""
    first, newline, body = on_disk.partition("\n")
    return bool(newline) and first + newline == _stamped(head, unformatted, body)


def _header(text: str) -> str:
    """The generated-file header line, with its newline, or nothing."""
    first, newline, _ = text.partition("\n")
    return first + newline if first.startswith("#") and HEADER_MARK in first else ""
