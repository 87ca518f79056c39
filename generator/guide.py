"""The example programs of the generated READMEs, built from the IR.

A first program for the client (build a request body, page through a list,
handle an error) and a first handler for the server, each calling operations
the spec has, with placeholder values of the declared types. Only generated
names and literals we make enter them, never spec text; the tests type-check
every example and run the server's.
"""

from __future__ import annotations

import keyword as keyword_module
from collections.abc import Iterator
from dataclasses import dataclass, field

from . import ir, layout
from .cache import LINE_LENGTH
from .escape import docstring, py_literal
from .layout import Bracket, call

# How deep a placeholder value may nest models: deeper, an operation is not shown.
DEPTH = 4
# How many handlers the server example chooses from (the shortest code wins).
CANDIDATES = 8


@dataclass(frozen=True)
class _Named:
    """The spec's models, enums and aliases by name."""

    models: dict[str, ir.Model]
    enums: dict[str, ir.Enum]
    aliases: dict[str, ir.Alias]

    @classmethod
    def of(cls, api: ir.Api) -> _Named:
        return cls(
            {m.name: m for m in api.models},
            {e.name: e for e in api.enums},
            {a.name: a for a in api.aliases},
        )


@dataclass
class _Values:
    """Placeholder values, as code, for one side ("client" or "server")."""

    named: _Named
    side: str
    imports: set[str] = field(default_factory=set)  # standard modules the code needs
    names: set[str] = field(default_factory=set)  # generated names it uses

    def __post_init__(self) -> None:
        self.models = self.named.models
        self.enums = self.named.enums
        self.aliases = self.named.aliases

    def of(self, t: ir.Type, depth: int = 0) -> str | Bracket | None:
        """Code for a value of type `t`, or None when there is none we can write."""
        if depth > DEPTH:
            return None
        if isinstance(t, ir.Scalar):
            return self._scalar(t)
        if isinstance(t, ir.ConstType):
            return py_literal(t.value)
        if isinstance(t, ir.NullableType):
            return self.of(t.inner, depth)
        if isinstance(t, ir.UnionType):
            return next(
                (v for v in (self.of(o, depth) for o in t.options) if v is not None),
                None,
            )
        if isinstance(t, ir.ArrayType):
            item = self.of(t.item, depth + 1)
            count = t.constraints.min_items or (
                0 if t.constraints.max_items == 0 else 1
            )
            return None if item is None else Bracket("[", (item,) * count, "]")
        if isinstance(t, ir.MapType):
            value = self.of(t.value, depth + 1)
            return "{}" if value is None else Bracket("{", (f'"key": {value}',), "}")
        return self._named(t.name, depth)

    def _scalar(self, t: ir.Scalar) -> str | None:
        c = t.constraints
        if t.kind == "str" and c.pattern is None:
            return py_literal("x" * c.min_length if c.min_length else "...")
        if t.kind in ("int", "float"):
            low = c.minimum if c.minimum is not None else c.exclusive_minimum
            if c.pattern is not None or c.multiple_of is not None:
                return None
            value = 0 if low is None else low + (c.exclusive_minimum is not None)
            return py_literal(float(value) if t.kind == "float" else int(value))
        if c != ir.NO_CONSTRAINTS:
            return None
        if t.kind == "uuid":
            self.imports.add("uuid")
            return "uuid.UUID(int=1)"
        if t.kind in ("datetime", "date", "time"):
            self.imports.add("datetime")
            return {
                "datetime": "datetime.datetime.now(datetime.UTC)",
                "date": "datetime.date.today()",
                "time": "datetime.time(12, 0)",
            }[t.kind]
        return {"bool": "True", "bytes": 'b"..."', "any": '"..."', "none": "None"}.get(
            t.kind
        )

    def _named(self, name: str, depth: int) -> str | Bracket | None:
        if name in self.aliases:
            return self.of(self.aliases[name].type, depth)
        if name in self.enums:
            member = self.enums[name].members[0]
            if self.side == "server":  # a `Literal` of the values
                return py_literal(member.value)
            self.names.add(name)
            return f"{name}.{member.name}"
        model = self.models[name]
        items: list[str | Bracket] = []
        for f in self._fields(model):
            value = self.of(f.type, depth + 1)
            if value is None:
                return None
            keyword = f.name
            if self.side == "server" and f.renamed:
                # pydantic's __init__, as type checkers see it, takes the alias.
                if not f.wire.isidentifier() or keyword_module.iskeyword(f.wire):
                    return None
                keyword = f.wire
            items.append(_keyword(keyword, value))
        self.names.add(name)
        return Bracket(f"{name}(", tuple(items), ")", collection=False)

    def _fields(self, model: ir.Model) -> Iterator[ir.ModelField]:
        """The fields a constructor call must give; one more to show a body
        whose fields are all optional."""
        shown = [
            f
            for f in model.fields
            if f.required
            and not f.has_default
            and not (f.tag and self.side == "client")
        ]
        yield from shown or [f for f in model.fields if not f.tag][:1]


def _keyword(name: str, value: str | Bracket) -> str | Bracket:
    """`name=value`, as a `Bracket` when the value is one."""
    if isinstance(value, Bracket):
        return Bracket(
            f"{name}={value.head}", value.items, value.tail, value.collection
        )
    return f"{name}={value}"


def _arguments(values: _Values, op: ir.Operation) -> list[str | Bracket] | None:
    """Keyword arguments for `op`'s required parameters and body, or None."""
    items: list[str | Bracket] = []
    required = [(p.name, p.type) for p in op.params if p.required]
    if op.body is not None and op.body.required:
        required.append(("body", op.body.type))
    for name, t in required:
        value = values.of(t)
        if value is None:
            return None
        items.append(_keyword(name, value))
    return items


def _import(module: str, names: list[str]) -> str:
    """`from module import names`, as black lays it out."""
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= LINE_LENGTH:
        return line
    return "\n".join([f"from {module} import (", *(f"    {n}," for n in names), ")"])


def _current(api: ir.Api) -> list[ir.Operation]:
    return [op for op in api.operations if not op.deprecated] or list(api.operations)


def _model_body(models: dict[str, ir.Model], op: ir.Operation) -> bool:
    return (
        op.body is not None
        and op.body.kind == "json"
        and isinstance(op.body.type, ir.NamedType)
        and op.body.type.name in models
    )


def _paginated(models: dict[str, ir.Model], op: ir.Operation) -> bool:
    """`op` returns a page `client.paginate` follows: `results` and `next`."""
    for r in op.success:
        t = r.body_type
        if isinstance(t, ir.NamedType) and t.name in models:
            names = {f.name: f for f in models[t.name].fields}
            if "next" in names and "results" in names:
                return isinstance(names["results"].type, ir.ArrayType)
    return False


def client_example(api: ir.Api, api_key_env: str, top: set[str]) -> str:
    """A first program: build a request body, page through a list, handle an
    error; each part where the spec has an operation to show it with. `top`
    holds the model names the package itself exports."""
    values = _Values(_Named.of(api), "client")
    current = _current(api)
    options = []
    if api.security_schemes:
        options.append('api_key="..."')
    if not api.servers:
        options.append('base_url="http://localhost:8000"')
    comment = f"  # or set {api_key_env}" if api.security_schemes else ""
    body: list[str] = []
    with_body = [op for op in current if _model_body(values.models, op)]
    for op in sorted(with_body, key=_body_rank):
        assert op.body is not None
        arguments = _arguments(values, op)
        if arguments is not None and not op.body.required:
            value = values.of(op.body.type)
            arguments = None if value is None else [*arguments, _keyword("body", value)]
        if arguments is not None:
            body = [
                "    # A request body is a model, built with keyword arguments.",
                call(4, f"client.{op.name}(", arguments, ")"),
            ]
            break
    pages: list[str] = []
    for op in (op for op in current if _paginated(values.models, op)):
        arguments = _arguments(values, op)
        if arguments is not None:
            pages = [
                "    # Every item of every page, each page fetched when it is needed.",
                call(
                    4,
                    "for item in client.paginate(",
                    [f"client.{op.name}", *arguments],
                    "):",
                ),
                "        print(item)",
            ]
            break
    errors: list[str] = []
    for op in sorted(current, key=lambda op: _error_rank(op)):
        arguments = _arguments(values, op)
        if arguments is not None:
            statuses = {r.status for r in op.responses}
            errors = [
                "    # An error status raises an `ApiStatusError`: a subclass for each",
                "    # common status, and the error body the server sent.",
                "    try:",
            ]
            if op.client_return == "None":
                errors.append(call(8, f"client.{op.name}(", arguments, ")"))
            else:
                errors.append(call(8, f"result = client.{op.name}(", arguments, ")"))
                errors.append("        print(result)")
            if "404" in statuses:
                errors += ["    except NotFoundError:", '        print("not found")']
            errors += [
                "    except ApiStatusError as error:",
                "        print(error.status_code, error.body.detail)",
            ]
            break
    package = api.client_package
    names = {"Client", "ApiStatusError"} | (
        {"NotFoundError"} if any("NotFoundError" in line for line in errors) else set()
    )
    head = [f"import {module}" for module in sorted(values.imports)]
    head += [""] if head else []
    top_names = sorted(names | (values.names & top))
    head.append(_import(package, top_names))
    if values.names - top:
        head.append(_import(f"{package}.models", sorted(values.names - top)))
    blocks = [b for b in (body, pages, errors) if b]
    inner = [line for block in blocks for line in ["", *block]][1:] or ["    ..."]
    opening = call(0, "with Client(", options, f") as client:{comment}")
    return "\n".join([*head, "", opening, *inner])


def _error_rank(op: ir.Operation) -> tuple[bool, bool, int]:
    """A read of one resource first: a GET documenting 404, with path parameters."""
    return (
        op.method != "GET",
        "404" not in {r.status for r in op.responses},
        -len(op.path_params),
    )


_BODY_METHODS = ("PATCH", "PUT", "POST")


def _body_rank(op: ir.Operation) -> tuple[bool, int]:
    """An update first: a required body, sent by PATCH, then PUT, then POST."""
    assert op.body is not None
    method = _BODY_METHODS.index(op.method) if op.method in _BODY_METHODS else 3
    return (not op.body.required, method)


def _plain(t: ir.Type) -> bool:
    """`t` is spelled with generated names, `list`, `dict` and builtins alone."""
    if isinstance(t, ir.NamedType):
        return True
    if isinstance(t, ir.ArrayType):
        return t.constraints == ir.NO_CONSTRAINTS and _plain(t.item)
    if isinstance(t, ir.MapType):
        return _plain(t.value)
    if isinstance(t, ir.NullableType):
        return _plain(t.inner)
    return isinstance(t, ir.Scalar) and t.server in ("str", "int", "float", "bool")


def _handler_rank(handler: ir.Handler) -> tuple[bool, bool, int]:
    """A read of one resource first: a current GET with path parameters."""
    return (
        all(op.deprecated for op in handler.operations),
        handler.operations[0].method != "GET",
        -len(handler.params_in("path")),
    )


def server_example(api: ir.Api, common_errors: tuple[str, ...]) -> str:
    """A first handler: `UnimplementedHandler` with one operation implemented,
    and the app serving it; the operation one whose types it can spell."""
    package = api.server_package
    named = _Named.of(api)
    # Of the first few best ranked handlers the example can show, the shortest code.
    found: list[tuple[int, list[str], _Values]] = []
    ranked = sorted(
        (_handler_rank(h), index, h) for index, h in enumerate(api.handlers)
    )
    chosen = None  # the rank of the first handler found
    for rank, _, handler in ranked:
        if found and (rank != chosen or len(found) == CANDIDATES):
            break
        values = _Values(named, "server")
        lines = _handler_class(values, handler, common_errors)
        if lines is not None:
            chosen = chosen or rank
            found.append((len("".join(lines)), lines, values))
    if found:
        _, lines, values = min(found, key=lambda c: c[0])
    else:
        lines, values = None, _Values(named, "server")
    head = [f"import {module}" for module in sorted(values.imports)]
    head += [""] if head else []
    runtime = ["UnimplementedHandler", "create_app"]
    head.append(_import(package, ["Context", *runtime] if lines else runtime))
    # Reply classes, parameter models and `CommonErrors` live in the interface.
    in_models = {*named.models, *named.enums, *named.aliases}
    interface = sorted(values.names - in_models)
    models = sorted(values.names & in_models)
    if interface:
        head.append(_import(f"{package}.interface", interface))
    if models:
        head.append(_import(f"{package}.models", models))
    if lines is None:
        lines = [
            "class MyHandler(UnimplementedHandler):",
            '    """Every operation answers 501 until it is implemented here."""',
        ]
    if api.security_schemes:
        auth = [
            "class User:",
            '    """Whoever a credential belongs to: here, one user with every scope."""',
            "",
            "    def has_scope(self, scope: str) -> bool:",
            "        return True",
            "",
            "",
            "def authenticate(scheme: str, credential: str) -> User | None:",
            '    return User() if credential == "secret" else None',
            "",
            "",
            "app = create_app(MyHandler(), authenticate=authenticate)",
        ]
    else:
        auth = [
            "# No operation asks for credentials.",
            "app = create_app(MyHandler(), authenticate=lambda scheme, credential: None)",
        ]
    return "\n".join([*head, "", "", *lines, "", "", *auth])


def _handler_class(
    values: _Values, handler: ir.Handler, common_errors: tuple[str, ...]
) -> list[str] | None:
    """`MyHandler`, implementing `handler` with a reply of placeholder values;
    None when its types are more than `_plain` or it has no such reply."""
    members = handler.replies_with(common_errors)
    success = next(
        (r for r in handler.responses if r.is_success and r.status.isdigit()), None
    )
    body_types = [r.body_type for r in handler.responses if r.server_reply in members]
    if handler.body is not None:
        body_types.append(handler.body.type)
    if success is None or not all(t is None or _plain(t) for t in body_types):
        return None
    reply = "None" if success.body_type is None else values.of(success.body_type)
    if reply is None:
        return None
    names = {
        ir.reply_class(r.status) for r in handler.responses if r.server_reply in members
    }
    names |= {n for t in body_types if t is not None for n in ir.names_in(t)}
    names |= {handler.params_model} | ({ir.COMMON_ERRORS} & set(members))
    values.names |= names
    params = ["self", "ctx: Context", f"params: {handler.params_model}"]
    if handler.body is not None:
        optional = "" if handler.body.required else " | None"
        params.append(f"body: {handler.body.type.server}{optional}")
    returns = f") -> {' | '.join(members)}:"
    doc = f"Answers `{handler.name}`; every other operation answers 501."
    return [
        "class MyHandler(UnimplementedHandler):",
        f'    """{docstring(doc, 4)}"""',
        "",
        (
            call(4, f"async def {handler.name}(", params, returns)
            if len(returns) + 4 <= LINE_LENGTH
            else "\n".join(
                [
                    f"    async def {handler.name}(",
                    *(f"        {p}," for p in params),
                    layout.returns(4, members),
                ]
            )
        ),
        call(8, f"return {ir.reply_class(success.status)}(", [reply], ")"),
    ]
