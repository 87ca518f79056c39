"""Stage 4, render: the IR through Jinja templates into `{path: text}`.

One environment, StrictUndefined, and one table of filters: the escapers.
Templates mark the top-level blocks of a module with `CUT` lines so that the
format stage can format (and cache) each block on its own.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii as encode_string

import jinja2

from . import escape, guide, ir, wrap
from .cache import LINE_LENGTH
from .layout import (
    annotated,
    assignment,
    bracket,
    call,
    returns,
    security,
    type_alias,
    union,
)
from .markers import CUT, HEADER_END, HEADER_MARK, TEMPLATES

FILTERS = {
    "pystr": escape.py_string,
    "pyliteral": escape.py_literal,
    # Memoized: a parameter's description recurs in every operation that has it.
    "docstring": functools.lru_cache(maxsize=4096)(escape.docstring),
    "comment": escape.comment,
    "markdown": escape.markdown,
    "documented": ir.documented,
}


def paragraph(text: str, hang: int = 0) -> str:
    """A Markdown paragraph (or list item, continued `hang` columns in) filled
    to the line length; its spec text has passed `markdown` already."""
    return wrap.markdown_paragraph(text, LINE_LENGTH, hang) + "\n"


# What the client package exports besides its clients and models.
CLIENT_RUNTIME_NAMES = (
    "UNSET",
    "ApiConnectionError",
    "ApiError",
    "ApiResponse",
    "ApiStatusError",
    "ApiTimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "ErrorBody",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestOptions",
    "ResponseDecodeError",
    "ResponseTooLargeError",
    "RetryPolicy",
    "ServerError",
    "UnprocessableEntityError",
    "Unset",
)
CLIENT_NAMES = frozenset(
    {*CLIENT_RUNTIME_NAMES, "Client", "AsyncClient", "SPEC_SHA256"}
)

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
    "README.md",
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


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates, kept as Python keeps compiled modules: beside the
    templates in `__pycache__` (or in the run's cache folder), keyed by each
    template's checksum and Jinja's and Python's versions, so an edited
    template recompiles. A folder we may not write to only costs the compile."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            os.makedirs(self.directory, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


@functools.cache
def environment(bytecode_dir: str | None = None) -> jinja2.Environment:
    """The one environment; compiled templates are cached in `bytecode_dir`,
    or beside the templates."""
    cache = _BytecodeCache(bytecode_dir or str(TEMPLATES / "__pycache__"))
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
    env.filters["paragraph"] = paragraph
    env.globals["CUT"] = CUT
    env.globals["call"] = call
    env.globals["bracket"] = bracket
    env.globals["security"] = security
    env.globals["assignment"] = assignment
    env.globals["annotated"] = annotated
    env.globals["returns"] = returns
    env.globals["union"] = union
    env.globals["type_alias"] = type_alias
    return env


def header(api: ir.Api, comment: str) -> str:
    """The first line of every file: ours, from which spec, not to be edited.
    It names the spec's file but not its hash (which `__init__` and the client
    README hold), so that it changes only with the file's own content."""
    return f"{comment} {HEADER_MARK} from {escape.comment(api.spec_name)}{HEADER_END}"


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


def render_again(
    api: ir.Api, before: ir.Api, files: dict[str, str]
) -> dict[str, str] | None:
    """`files`, generated from `before`, made right for `api` when the two
    differ only in the spec the server serves (which `openapi_json` alone
    reads); None when they differ in anything else."""
    if dataclasses.replace(api, spec_json="") != dataclasses.replace(
        before, spec_json=""
    ):
        return None
    served = f"{api.server_package}/openapi.json"
    if served not in files:
        return files
    return {**files, served: openapi_json(api)}


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
    return indented_json(marked) + "\n"


def indented_json(value: object) -> str:
    """`json.dumps(value, indent=2)` in half its time on large specs (the
    standard library indents in Python too, with a generator per container)."""
    out: list[str] = []
    add = out.append
    scalar = json.JSONEncoder(separators=(",", ":")).encode

    def write(value: object, pad: str) -> None:
        inner = pad + "  "
        if isinstance(value, str):
            add(encode_string(value))
        elif isinstance(value, dict) and value:
            for index, (key, item) in enumerate(value.items()):
                add(f"{',' if index else '{'}\n{inner}{encode_string(key)}: ")
                write(item, inner)
            add(f"\n{pad}}}")
        elif isinstance(value, list) and value:
            for index, item in enumerate(value):
                add(f"{',' if index else '['}\n{inner}")
                write(item, inner)
            add(f"\n{pad}]")
        else:
            add(scalar(value))

    write(value, "")
    return "".join(out)


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
    names = sorted(
        [e.name for e in api.enums]
        + [m.name for m in api.models]
        + [a.name for a in api.aliases]
    )
    # Models are importable from the client package itself, unless their name
    # is one of its own (then only from `.models`).
    top = [n for n in names if n not in CLIENT_NAMES]
    client = options.only in (None, "client")
    server = options.only in (None, "server")
    return {
        "api": api,
        "header": header(api, "#"),
        "header_md": header(api, "<!--") + " -->",
        "client_model_names": names,
        "server_model_names": names,
        "client_runtime_names": CLIENT_RUNTIME_NAMES,
        "client_top_models": top,
        "client_exports": sorted([*CLIENT_NAMES, *top]),
        "client_example": (
            guide.client_example(api, options.api_key_env, set(top)) if client else ""
        ),
        "server_example": guide.server_example(api, common_errors) if server else "",
        "groups": _groups(api.operations) if client else [],
        "twins": _twins(api.operations) if client else {},
        "reply_classes": reply_classes,
        "handler_of": handler_of,
        "endpoint_security": shared[0][0] if shared else (),
        "common_errors": common_errors,
        "auth": auth,
        "api_key_env": options.api_key_env,
    }


@dataclass(frozen=True)
class Group:
    """Operations of one resource, for the README: current ones first."""

    title: str
    operations: tuple[ir.Operation, ...]


def _groups(operations: Sequence[ir.Operation]) -> list[Group]:
    """Operations by their first tag, or untagged by the first path segment
    they do not all share; groups holding a current operation first."""
    common = _common_segments([op for op in operations if not op.tags])
    by_title: dict[str, list[ir.Operation]] = {}
    for op in operations:
        by_title.setdefault(
            op.tags[0] if op.tags else _resource(op, common), []
        ).append(op)
    groups = [
        Group(title, tuple(sorted(ops, key=lambda op: op.deprecated)))
        for title, ops in by_title.items()
    ]
    return sorted(groups, key=lambda g: all(op.deprecated for op in g.operations))


def _segments(op: ir.Operation) -> list[str]:
    """The path's segments, without its URL scope's prefix."""
    path = op.path.removeprefix(op.scope.prefix) if op.scope else op.path
    return [s for s in path.split("/") if s]


def _common_segments(operations: Sequence[ir.Operation]) -> int:
    paths = [_segments(op) for op in operations]
    if len(paths) < 2:
        return 0
    count = 0
    for parts in zip(*paths, strict=False):
        if len(set(parts)) > 1:
            break
        count += 1
    return count


def _resource(op: ir.Operation, common: int) -> str:
    literal = [s for s in _segments(op)[common:] if not s.startswith("{")]
    return literal[0] if literal else "/" + "/".join(_segments(op)[:common])


def _twins(operations: Sequence[ir.Operation]) -> dict[str, ir.Operation]:
    """The operations another scope's operation stands for (`x-path-scopes`),
    by name: the README shows the first once and the others by reference."""
    by_name = {op.name: op for op in operations}
    return {
        op.name: by_name[op.handler]
        for op in operations
        if op.handler != op.name
        and op.handler in by_name
        and op.scope is not None
        and by_name[op.handler].scope is not None
    }
