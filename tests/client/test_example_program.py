"""The issue's "done when" program, against a stub server: 10,000 persons, a 429, a 403."""

from __future__ import annotations

import importlib.util
import json
from types import ModuleType

import httpx
import pytest

from tests.conftest import ROOT

from .conftest import FakeServer, error_body, json_response


def load_program() -> ModuleType:
    path = ROOT / "examples" / "client_program.py"
    spec = importlib.util.spec_from_file_location("client_program", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class StubPostHog(FakeServer):
    """Pages persons, throttles once midway, refuses the trends endpoint."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/trends/"):
            return json_response(
                403,
                error_body(
                    "authentication_error",
                    "permission_denied",
                    "This action does not support Personal API Key access",
                ),
            )
        assert request.headers["authorization"] == "Bearer phx_program"
        assert (
            json.loads(request.url.params["properties"])[0]["operator"] == "icontains"
        )
        if (
            request.url.params.get("offset") == "5000"
            and not self.script
            and not getattr(self, "throttled", False)
        ):
            self.throttled = True
            self.requests.append(request)
            return json_response(
                429,
                error_body(
                    "throttled_error",
                    "throttled",
                    "Request was throttled. Expected available in 1 seconds.",
                ),
                **{"Retry-After": "1"},
            )
        return super().__call__(request)


def test_program_pages_survives_429_and_reports_403(
    capsys: pytest.CaptureFixture[str],
) -> None:
    program = load_program()
    server = StubPostHog(10_000)
    args = ["--base-url", "http://testserver", "--api-key", "phx_program"]
    args += ["--contains", "@", "--expect", "10000"]
    status = program.main(args, transport=httpx.MockTransport(server))
    out = capsys.readouterr().out
    assert status == 0, out
    assert "10000 persons whose 'email' contains '@'" in out
    assert "survived 1 429 responses, waiting 1s" in out
    assert (
        "refused as expected: 403 This action does not support Personal API Key access"
        in out
    )
    assert (
        len(server.requests) == 102
    )  # 100 pages, the 429, the empty page after the last
    assert "phx_program" not in out
