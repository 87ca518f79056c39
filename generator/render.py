"""Stage 4, render: the IR through Jinja templates into `{path: text}`.

One environment, StrictUndefined, and one table of filters: the escapers.
Templates mark the top-level blocks of a module with `CUT` lines so that the
format stage can format (and cache) each block on its own.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import jinja2

from . import escape, ir
from .cache import LINE_LENGTH
from .markers import CUT, HEADER_END, HEADER_MARK, TEMPLATES

FILTERS = {
    "pystr": escape.py_string,
    "pyliteral": escape.py_literal,
    "docstring": escape.docstring,
    "comment": escape.comment,
    "markdown": escape.markdown,
}

CLIENT_FILES = (
    "__init__.py",
    "_runtime.py",
    "models.py",
    "client.py",
    "README.md",
    "py.typed",
)
SERVER_FILES = (
    "__init__.py",
    "_runtime.py",
    "models.py",
    "interface.py",
    "app.py",
    "openapi.json",
    "py.typed",
)


@dataclass(frozen=True, slots=True)
class Rendered:
    """One output file; `python` files go through black, block by block."""

    path: str
    text: str
    python: bool


@dataclass(frozen=True, slots=True)
class RenderOptions:
    only: str | None = None  # "client", "server" or None for both
    bytecode_dir: str | None = None  # where compiled templates are cached
    api_key_env: str = ""


@functools.cache
def environment(bytecode_dir: str | None = None) -> jinja2.Environment:
    """The one environment; with a folder, compiled templates are cached there
    (keyed by each template's checksum, so an edited template recompiles)."""
    cache = jinja2.FileSystemBytecodeCache(bytecode_dir) if bytecode_dir else None
    env = jinja2.Environment(
        bytecode_cache=cache,
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    env.globals["CUT"] = CUT
    env.globals["call"] = call
    env.globals["bracket"] = bracket
    env.globals["security"] = security
    env.globals["assignment"] = assignment
    env.globals["annotated"] = annotated
    env.globals["returns"] = returns
    env.globals["union"] = union
    return env


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
    that is itself a `Bracket` is split the same way when its line is too long
    (a single one without a trailing comma, as black does). Emitting black's
    own shape spares black its line splitting (and its second pass) on large
    specs; black still formats the result, so a misjudged shape costs time,
    never output.
    """
    pad = " " * indent
    flat = [str(item) for item in items]
    line = f"{pad}{head}{', '.join(flat)}{tail}"
    if len(line) <= LINE_LENGTH:
        return line
    inner = indent + 4
    hugged = " " * inner + ", ".join(flat)
    if len(items) == 1:
        (item,) = items
        if isinstance(item, Bracket) and len(hugged) > LINE_LENGTH:
            hugged = call(inner, item.head, item.items, item.tail, item.collection)
        return f"{pad}{head}\n{hugged}\n{pad}{tail}"
    if not collection and len(hugged) <= LINE_LENGTH:
        return f"{pad}{head}\n{hugged}\n{pad}{tail}"
    lines = [
        (
            call(inner, item.head, item.items, item.tail + ",", item.collection)
            if isinstance(item, Bracket)
            else f"{' ' * inner}{item},"
        )
        for item in items
    ]
    return "".join([f"{pad}{head}\n", *(f"{line}\n" for line in lines), pad + tail])


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
    indent: int, name: str, annotation: str, default: str | None, tail: str = ""
) -> str:
    """`name: annotation = default` (then `tail`) as black lays it out when it
    is too long: the default in parentheses if that makes it fit, else a
    bracket-free annotation in parentheses; anything else is left to black."""
    pad = " " * indent
    value = ("" if default is None else f" = {default}") + tail
    line = f"{pad}{name}: {annotation}{value}"
    if len(line) <= LINE_LENGTH:
        return line
    inner = pad + "    "
    if (
        default is not None
        and len(f"{pad}{name}: {annotation} = (") <= LINE_LENGTH
        and len(inner + default) <= LINE_LENGTH
    ):
        return f"{pad}{name}: {annotation} = (\n{inner}{default}\n{pad}){tail}"
    if (
        not any(c in annotation for c in "[(")
        and len(inner + annotation) <= LINE_LENGTH
    ):
        return f"{pad}{name}: (\n{inner}{annotation}\n{pad}){value}"
    return line


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


def header(api: ir.Api, comment: str) -> str:
    """The first line of every file: ours, from which spec, not to be edited.
    It names the spec's file but not its hash (which `__init__` and the client
    README hold), so that it changes only with the file's own content."""
    return f"{comment} {HEADER_MARK} from {_source(api)}{HEADER_END}"


def _source(api: ir.Api) -> str:
    return escape.comment(api.spec_name)


def render(api: ir.Api, options: RenderOptions) -> list[Rendered]:
    env = environment(options.bytecode_dir)
    context = _context(api, options)
    head = header(api, "#")
    files: list[Rendered] = []
    sides = (
        ("client", api.client_package, CLIENT_FILES),
        ("server", api.server_package, SERVER_FILES),
    )
    for side, package, names in sides:
        if options.only not in (None, side):
            continue
        for name in names:
            path = f"{package}/{name}"
            static = TEMPLATES / side / name
            if name == "py.typed":
                files.append(Rendered(path, head + "\n", python=False))
            elif name == "openapi.json":
                files.append(Rendered(path, openapi_json(api), python=False))
            elif static.exists():
                # Runtime modules are plain, black-clean Python, copied with a header.
                runtime = static.read_text(encoding="utf-8")
                files.append(Rendered(path, head + "\n" + runtime, python=False))
            else:
                text = env.get_template(f"{side}/{name}.jinja").render(context)
                files.append(Rendered(path, text, python=name.endswith(".py")))
    return files


# The key that marks `openapi.json` as ours: JSON has no comments, and an `x-`
# key is an extension any OpenAPI reader ignores.
GENERATED_KEY = "x-generated"


def openapi_json(api: ir.Api) -> str:
    """The spec the server serves, as indented JSON with stable (sorted) keys, so
    that an edit shows in a diff as the lines it changed. Its first key says
    the file is generated, as a header line would; ASCII-only, so that no
    invisible or bidirectional character hides in a review."""
    document = json.loads(api.spec_json)
    marked = {GENERATED_KEY: f"{HEADER_MARK} from {api.spec_name}{HEADER_END}"}
    if isinstance(document, dict):
        marked.update((k, v) for k, v in document.items() if k != GENERATED_KEY)
    return json.dumps(marked, indent=2, ensure_ascii=True) + "\n"


def _context(api: ir.Api, options: RenderOptions) -> dict[str, object]:
    statuses = sorted(
        {r.status for h in api.handlers for r in h.responses},
        key=lambda s: (not s.isdigit(), s),
    )
    reply_classes = [
        (ir.reply_class(s), int(s) if s.isdigit() else 0, s) for s in statuses
    ]
    scheme = api.security_schemes[0] if api.security_schemes else None
    if scheme is None or scheme.kind == "bearer":
        auth = ("header", "Authorization", "Bearer ")
    elif scheme.kind == "basic":
        auth = ("header", "Authorization", "Basic ")
    else:
        auth = (scheme.location, scheme.parameter, "")
    handler_of = {op.name: h for h in api.handlers for op in h.operations}
    # The most common requirements, first seen on a tie: the endpoints' default.
    shared = Counter(h.security for h in api.handlers).most_common(1)
    # The error replies most handlers share, if two or more do: one alias.
    errors = Counter(
        h.error_replies for h in api.handlers if len(h.error_replies) > 1
    ).most_common(1)
    common_errors = errors[0][0] if errors and errors[0][1] > 1 else ()
    names = (
        [e.name for e in api.enums]
        + [m.name for m in api.models]
        + [a.name for a in api.aliases]
    )
    return {
        "api": api,
        "header": header(api, "#"),
        "header_md": header(api, "<!--") + " -->",
        "client_model_names": sorted(names),
        "server_model_names": sorted(names),
        "reply_classes": reply_classes,
        "handler_of": handler_of,
        "endpoint_security": shared[0][0] if shared else (),
        "common_errors": common_errors,
        "auth": auth,
        "api_key_env": options.api_key_env,
    }
