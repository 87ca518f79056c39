"""Stage 3, build: the only code that reads the raw document; it yields the IR.

`build` assumes `validate` found no errors, but still never trusts the
document: anything it cannot represent becomes a diagnostic, not a crash.
One module per concern: schemas, parameters, security, operations, refine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .. import ir, naming
from ..diagnostics import Diagnostic
from ..load import Spec
from . import recursion, refine
from .common import _Context, _dict, _text, media_kind
from .operations import _handlers, _OperationBuilder
from .parameters import _ParamBuilder
from .schemas import _SchemaBuilder
from .security import _SecurityBuilder

__all__ = ["Options", "build", "media_kind"]


@dataclass
class Options:
    client_package: str = ""
    server_package: str = ""


def build(spec: Spec, options: Options) -> tuple[ir.Api | None, list[Diagnostic]]:
    """The IR of a validated spec, with whatever problems building it found."""
    ctx = _Context(spec)
    root: dict[str, Any] = spec.root.data
    schemas = _SchemaBuilder(ctx)
    schemas.register_components()
    security = _SecurityBuilder(ctx, root)
    ops_builder = _OperationBuilder(schemas, security, _ParamBuilder(schemas), root)
    security.security_schemes()
    ops_builder.path_scopes()
    operations = ops_builder.operations()
    recursion.collapse_self_unions(schemas.aliases)
    operations = refine.finalize_discriminators(schemas, operations)
    operations = refine.request_variants(schemas, operations)
    operations = refine.read_defaults(schemas, operations)
    operations, handlers = _handlers(ctx, operations, ops_builder.scopes)
    info = _dict(root.get("info"))
    title = _text(info.get("title")) or "API"
    servers = (
        tuple(
            s["url"]
            for s in root.get("servers", [])
            if isinstance(s, dict) and isinstance(s.get("url"), str)
        )
        if isinstance(root.get("servers"), list)
        else ()
    )
    api = ir.Api(
        title=title,
        version=str(info.get("version", "")),
        description=_text(info.get("description")),
        spec_name=spec.root.display.replace("\\", "/").rsplit("/", 1)[-1],
        spec_sha256=spec.sha256,
        spec_json=json.dumps(
            _bundle(spec),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=True,
            default=str,
        ),
        servers=servers,
        models=tuple(schemas.models[k] for k in sorted(schemas.models)),
        enums=tuple(schemas.enums[k] for k in sorted(schemas.enums)),
        aliases=recursion.ordered(schemas.aliases),
        operations=tuple(operations),
        handlers=tuple(handlers),
        security_schemes=tuple(security.schemes[k] for k in sorted(security.schemes)),
        scopes=ops_builder.scopes,
        client_package=options.client_package or naming.package(title, "client"),
        server_package=options.server_package or naming.package(title, "server"),
    )
    return api, ctx.diagnostics


def _bundle(spec: Spec) -> Any:
    """The root document as JSON data (references to other files stay as written)."""
    return spec.root.data
