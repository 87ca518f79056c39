"""Stage 3, build: security schemes, and the requirements operations name."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import ir
from .common import _Context, _Located


@dataclass
class _SecurityBuilder:
    ctx: _Context
    root: dict[str, Any]
    schemes: dict[str, ir.SecurityScheme] = field(default_factory=dict)

    def security_schemes(self) -> None:
        schemes = self.root.get("components", {}).get("securitySchemes", {})
        if not isinstance(schemes, dict):
            return
        source = self.ctx.spec.root
        for key in sorted(schemes):
            scheme = self.ctx.deref(
                _Located(source, ("components", "securitySchemes", key), schemes[key])
            ).value
            if not isinstance(scheme, dict):
                continue
            kind = scheme.get("type")
            if kind == "http" and str(scheme.get("scheme", "")).lower() == "basic":
                self.schemes[key] = ir.SecurityScheme(
                    key, "basic", "header", "Authorization"
                )
            elif kind in ("http", "oauth2", "openIdConnect"):
                self.schemes[key] = ir.SecurityScheme(
                    key, "bearer", "header", "Authorization"
                )
            elif kind == "apiKey" and scheme.get("in") in ("header", "query", "cookie"):
                self.schemes[key] = ir.SecurityScheme(
                    key, "api_key", scheme["in"], str(scheme.get("name", ""))
                )
            else:
                self.ctx.problem(
                    "security-unsupported",
                    f"security scheme {key!r} of type {kind!r} is not supported; operations using it are not protected by it",
                    source,
                    ("components", "securitySchemes", key),
                    "warning",
                )

    def requirements(self, value: Any) -> tuple[ir.Requirement, ...]:
        if not isinstance(value, list):
            return ()
        result = []
        for requirement in value:
            if not isinstance(requirement, dict):
                continue
            schemes = tuple(
                (
                    key,
                    (
                        tuple(s for s in scopes if isinstance(s, str))
                        if isinstance(scopes, list)
                        else ()
                    ),
                )
                for key, scopes in sorted(requirement.items())
                if key in self.schemes
            )
            if schemes or not requirement:
                result.append(ir.Requirement(schemes))
        return tuple(result)
