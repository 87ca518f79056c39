"""The pipeline from a spec path to `{path: text}`: load, validate, build, render, format.

A pure function of (spec, templates, options), apart from the format cache it
is handed; only `cli` touches the output folder, prints or exits.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from . import build as build_stage
from . import diagnostics as diag
from .format import Cache, format_files
from .load import load
from .render import TEMPLATES, RenderOptions, render
from .validate import validate


@dataclass(frozen=True)
class Options:
    spec: str
    client_package: str = ""
    server_package: str = ""
    only: str | None = None
    api_key_env: str = ""
    strict: bool = False
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)


@dataclass
class Result:
    files: dict[str, str] | None
    diagnostics: list[diag.Diagnostic]
    spec_files: dict[str, str] = field(default_factory=dict)  # path -> sha256


def check_spec(options: Options) -> tuple[Result, object]:
    """Load and validate; returns the loaded spec when it is usable."""
    spec, problems = load(options.spec)
    if spec is None or diag.has_errors(problems):
        return Result(None, _sorted(problems)), None
    problems += validate(spec)
    hashes = {
        s.path: hashlib.sha256(s.text.encode()).hexdigest() for s in spec.files.values()
    }
    return Result(None, _sorted(problems), hashes), spec


def run(options: Options, cache: Cache | None) -> Result:
    result, spec = check_spec(options)
    if spec is None or diag.has_errors(result.diagnostics, strict=options.strict):
        return result
    from .load import Spec

    assert isinstance(spec, Spec)
    api, problems = build_stage.build(
        spec, build_stage.Options(options.client_package, options.server_package)
    )
    diagnostics = _sorted(result.diagnostics + problems)
    if api is None or diag.has_errors(diagnostics, strict=options.strict):
        return Result(None, diagnostics, result.spec_files)
    api_key_env = (
        options.api_key_env
        or f"{api.client_package.removesuffix('_client').upper()}_API_KEY"
    )
    rendered = render(api, RenderOptions(only=options.only, api_key_env=api_key_env))
    return Result(
        format_files(rendered, cache, options.jobs), diagnostics, result.spec_files
    )


def _sorted(problems: list[diag.Diagnostic]) -> list[diag.Diagnostic]:
    return sorted(dict.fromkeys(problems), key=lambda d: d.sort_key)


def fingerprint(options: Options) -> str:
    """Everything besides the spec that decides the output: our code, templates, pins, options."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in sorted([*here.glob("*.py"), *TEMPLATES.rglob("*")]):
        if path.is_file():
            digest.update(
                str(path.relative_to(here.parent)).encode() + b"\0" + path.read_bytes()
            )
    for package in ("black", "jinja2", "pyyaml"):
        digest.update(f"{package}={version(package)}".encode())
    digest.update(
        repr(
            (
                options.client_package,
                options.server_package,
                options.only,
                options.api_key_env,
                options.strict,
            )
        ).encode()
    )
    return digest.hexdigest()
