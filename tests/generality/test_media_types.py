"""A request body declared in several media types: the client sends any of them
(the `content_type` keyword, JSON by default) and the server accepts each.

The spec is the golden feature case `media_types` (its bytes are pinned
there): Kubernetes' three PATCH flavours, JSON, form and text for one body,
and a parameter that would have taken the keyword's name.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from generator import ir
from tests.generality import calls
from tests.generality.support import build_ir, generate, imported

SPEC = Path(__file__).resolve().parent.parent / "golden" / "media_types" / "spec.yaml"


def test_every_media_type_in_the_ir() -> None:
    ops = {o.name: o for o in build_ir(SPEC).operations}
    create = ops["create_pod"].body
    assert create is not None
    # JSON is the default wherever it is declared; the others in spec order.
    assert create.content_types == (
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
    )
    assert create.alternatives == (
        ("application/x-www-form-urlencoded", "form"),
        ("text/plain", "text"),
    )
    assert create.type == ir.UnionType((ir.NamedType("Pod"), ir.Scalar("str")))
    patch = ops["patch_pod"]
    assert patch.body is not None and patch.body.kind == "json"
    assert patch.body.content_types[0] == "application/json-patch+json"
    assert patch.body.alternatives[-1] == ("application/apply-patch+yaml", "binary")
    # The keyword is the method's own: a parameter of that name gives way.
    assert [p.name for p in patch.params] == ["name", "content_type_2"]


class _Pods:
    def __init__(self, interface: Any, models: Any) -> None:
        self.i, self.m = interface, models
        self.received: list[tuple[str, Any]] = []

    async def create_pod(self, ctx: Any, params: Any, body: Any) -> Any:
        self.received.append((ctx.request.headers["content-type"], body))
        name = body.name if isinstance(body, self.m.Pod) else body
        return self.i.Created(self.m.Pod(name=name))

    async def patch_pod(self, ctx: Any, params: Any, body: Any) -> Any:
        self.received.append((ctx.request.headers["content-type"], body))
        return self.i.Ok(self.m.Pod(name=params.name))


def test_each_media_type_is_sent_and_accepted(tmp_path: Path) -> None:
    generate(SPEC, tmp_path, "media")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "m")]
        + ["-p", "media_client", "-p", "media_server"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-5000:]
    with imported(tmp_path, "media_client", "media_server"):
        models = importlib.import_module("media_server.models")
        handler = _Pods(importlib.import_module("media_server.interface"), models)
        app_module = importlib.import_module("media_server.app")
        client_module = importlib.import_module("media_client.client")
        pod = importlib.import_module("media_client.models").Pod
        TestClient = calls.test_client_class()
        app = app_module.create_app(handler, authenticate=calls.authenticate)
        with TestClient(app, raise_server_exceptions=True) as http:
            client = client_module.Client(
                base_url="http://testserver", transport=http._transport, max_retries=0
            )
            client.create_pod(body=pod(name="a", replicas=2))
            client.create_pod(
                body=pod(name="b", replicas=3),
                content_type="application/x-www-form-urlencoded",
            )
            client.create_pod(body="c", content_type="text/plain")
            client.patch_pod(name="p", body={"replicas": 1})
            client.patch_pod(
                name="p",
                body={"replicas": 2},
                content_type="application/merge-patch+json",
            )
            client.patch_pod(
                name="p",
                body=b"replicas: 3\n",
                content_type="application/apply-patch+yaml",
                content_type_2="q",
            )
            received = [(media.split(";")[0], body) for media, body in handler.received]
            assert received == [
                ("application/json", models.Pod(name="a", replicas=2)),
                ("application/x-www-form-urlencoded", models.Pod(name="b", replicas=3)),
                ("text/plain", "c"),
                ("application/json-patch+json", {"replicas": 1}),
                ("application/merge-patch+json", {"replicas": 2}),
                ("application/apply-patch+yaml", b"replicas: 3\n"),
            ]
            # What the spec does not declare is refused, on both sides.
            refused = http.post(
                "/pods", content=b"<pod/>", headers={"Content-Type": "application/xml"}
            )
            assert refused.status_code == 415, refused.text
            with pytest.raises(ValueError, match="application/xml"):
                client.create_pod(body="d", content_type="application/xml")
