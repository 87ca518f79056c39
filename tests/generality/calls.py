"""Call generated operations with sampled values: against a mock, or client to server.

Shared by the real-spec tests and the dialect tests. Everything is chosen
deterministically from the IR: the same spec always exercises the same calls.
"""

from __future__ import annotations

import importlib
import re
import types
import typing
import warnings
from typing import Any

import httpx

from generator import ir
from tests.generality.support import Sampler, Unsampleable, strip_unset


def success(op: ir.Operation) -> ir.Response | None:
    """The first documented success response, when its body is one we can sample."""
    for response in op.success:
        media = response.json or next(iter(response.media), None)
        if media is None or media.kind in ("json", "binary", "text"):
            return response
    return None


def status_of(response: ir.Response) -> int:
    return response.code or 200


def response_body(sampler: Sampler, response: ir.Response) -> tuple[Any, bytes, str]:
    """(expected decoded JSON or raw value, wire bytes, content type)."""
    import json

    media = response.json or next(iter(response.media), None)
    if media is None:
        return None, b"", ""
    if media.kind == "json":
        data = sampler.json(media.type)
        return data, json.dumps(data).encode(), "application/json"
    if media.kind == "binary":
        return b"x", b"x", "application/octet-stream"
    return "x", b"x", "text/plain"


def arguments(
    op: ir.Operation, sampler: Sampler, method: Any
) -> tuple[dict[str, Any], dict[str, str]]:
    """Keyword arguments for the client method (required ones only), and the raw path values."""
    package = method.__module__.rsplit(".", 1)[0]
    runtime = importlib.import_module(f"{package}._runtime")
    hints = typing.get_type_hints(method)
    args: dict[str, Any] = {}
    path_values: dict[str, str] = {}
    for p in op.params:
        if not p.required:
            continue
        data = sampler.json(p.type)
        if p.location == "path" and isinstance(data, list | dict):
            raise Unsampleable("structured path parameter")
        if p.location == "path" and data in ("", None):
            raise Unsampleable("empty path parameter")
        args[p.name] = runtime.decoder(strip_unset(hints[p.name]))(data)
        if p.location == "path":
            path_values[p.wire] = (
                str(data).lower() if isinstance(data, bool) else str(data)
            )
    if op.body is not None:
        if op.body.kind == "binary":
            args["body"] = b"x"
        elif op.body.kind == "text":
            args["body"] = "x"
        else:
            data = sampler.json(op.body.type)
            if op.body.kind in ("form", "multipart") and not isinstance(data, dict):
                raise Unsampleable("non-object form body")
            args["body"] = runtime.decoder(strip_unset(hints["body"]))(data)
    return args, path_values


def expected_path(op: ir.Operation, values: dict[str, str]) -> str:
    from urllib.parse import quote

    return re.sub(
        r"\{([^{}]*)\}",
        lambda m: quote(values.get(m.group(1), m.group(0)), safe=""),
        op.path,
    )


def call(client: Any, op: ir.Operation, args: dict[str, Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return getattr(client, op.name)(**args)


def to_json(client_module: types.ModuleType, value: Any) -> Any:
    package = client_module.__name__.rsplit(".", 1)[0]
    return importlib.import_module(f"{package}._runtime").to_json(value)


def mock_transport(
    op: ir.Operation,
    response: ir.Response,
    body: bytes,
    content_type: str,
    seen: list[httpx.Request],
) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        headers = {"content-type": content_type} if content_type else {}
        return httpx.Response(status_of(response), content=body, headers=headers)

    return httpx.MockTransport(handle)


class SampleHandler:
    """Answers every handler method with the first documented success, with a sampled body."""

    def __init__(
        self, api: ir.Api, interface: types.ModuleType, sampler: Sampler
    ) -> None:
        self._replies: dict[str, Any] = {}
        self.calls: list[tuple[str, Any, Any]] = []
        for handler in api.handlers:
            response = success(handler.operations[0])
            if response is None:
                continue
            self._replies[handler.name] = (response, interface)
        self._sampler = sampler

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)

        async def method(ctx: Any, params: Any, body: Any = None) -> Any:
            self.calls.append((name, params, body))
            response, interface = self._replies[name]
            value, _, _ = response_body(self._sampler, response)
            cls = ir.reply_class(response.status)
            if response.code:
                return getattr(interface, cls)(value)
            return interface.RangeReply(status_of(response), value)

        return method


class Principal:
    def has_scope(self, scope: str) -> bool:
        return True


def authenticate(scheme: str, credential: str) -> Principal:
    return Principal()


def reachable(op: ir.Operation, api: ir.Api) -> bool:
    """Whether a client holding one API key (sent every way) satisfies the operation's security."""
    if not op.security or any(not r.schemes for r in op.security):
        return True
    first = api.security_schemes[0] if api.security_schemes else None
    for requirement in op.security:
        ok = True
        for name, _ in requirement.schemes:
            scheme = next(s for s in api.security_schemes if s.key == name)
            if scheme.kind == "api_key" and scheme.location in ("header", "cookie"):
                continue  # sent as an extra header / cookie by the test
            if (
                first is not None
                and scheme.kind == first.kind
                and scheme.kind != "api_key"
            ):
                continue
            if first is not None and scheme == first:
                continue
            ok = False
        if ok:
            return True
    return False


def extra_headers(api: ir.Api) -> dict[str, str]:
    headers: dict[str, str] = {}
    cookies = []
    for scheme in api.security_schemes:
        if scheme.kind == "api_key" and scheme.location == "header":
            headers[scheme.parameter] = "k"
        elif scheme.kind == "api_key" and scheme.location == "cookie":
            cookies.append(f"{scheme.parameter}=k")
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    return headers


def test_client_class() -> Any:
    """Starlette's TestClient; it warns at import that it prefers `httpx2`, which we do not use."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*httpx2.*")
        from fastapi.testclient import TestClient
    return TestClient
