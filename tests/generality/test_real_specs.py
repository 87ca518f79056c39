"""Real-world specs nobody wrote for us: the output compiles, imports, is black- and mypy-clean, and works.

Each spec is generated once per module. A deterministic sample of its
operations is called twice: against `httpx.MockTransport` (what goes on the
wire, what comes back decoded) and through the generated server via FastAPI's
test client, injected into the generated client as its `http_client`.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from generator import ir
from tests.conftest import shared_spec
from tests.generality import calls
from tests.generality.support import Sampler, Unsampleable, build_ir, generate, imported

SPECS = {
    "petstore": "petstore.yaml",
    "petstore_expanded": "petstore-expanded.yaml",
    "spotify": "spotify.yml",
    "authentik": "authentik.yml",
}
HEAVY = {"authentik"}
SAMPLE = 40  # operations per spec, at most


def _param(name: str) -> Any:
    marks = [pytest.mark.slow] if name in HEAVY else []
    return pytest.param(name, marks=marks, id=name)


PARAMS = [_param(n) for n in SPECS]


class Generated:
    def __init__(self, name: str, out: Path, api: ir.Api) -> None:
        self.name = name
        self.out = out
        self.api = api
        self.client = f"g_{name}_client"
        self.server = f"g_{name}_server"


_CACHE: dict[str, Generated] = {}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Generated]:
    return _CACHE


def _generated(name: str, factory: pytest.TempPathFactory) -> Generated:
    if name not in _CACHE:
        spec = shared_spec(SPECS[name])
        out = factory.mktemp(f"real-{name}")
        generate(spec, out, f"g_{name}")
        _CACHE[name] = Generated(name, out, build_ir(spec))
    return _CACHE[name]


@pytest.fixture
def gen(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Generated:
    return _generated(request.param, tmp_path_factory)


def _python_files(g: Generated) -> list[Path]:
    return sorted(g.out.rglob("*.py"))


@pytest.mark.parametrize("gen", PARAMS, indirect=True)
def test_compiles_and_imports(gen: Generated) -> None:
    files = _python_files(gen)
    assert len(files) >= 9  # four client modules, five server ones
    for path in files:
        compile(path.read_text(encoding="utf-8"), str(path), "exec", dont_inherit=True)
    with imported(gen.out, gen.client, gen.server):
        for module in ("client", "models"):
            importlib.import_module(f"{gen.client}.{module}")
        for module in ("app", "models", "interface"):
            importlib.import_module(f"{gen.server}.{module}")


BLACK_SAMPLE_ABOVE = 300_000  # characters; larger files are checked by sample
BLACK_SAMPLE_EVERY = 8


def _black_sample(text: str) -> str:
    """Every Nth top-level chunk (they are separated by two blank lines), kept in order.

    Black keeps up to two blank lines between top-level statements, so a file
    made of black-clean chunks joined this way is clean exactly when they are.
    """
    chunks = text.split("\n\n\n")
    kept = [chunks[0], *chunks[1::BLACK_SAMPLE_EVERY], chunks[-1]]
    return "\n\n\n".join(dict.fromkeys(kept))


@pytest.mark.parametrize("gen", PARAMS, indirect=True)
def test_black_clean(gen: Generated) -> None:
    """`black --check`; the two big modules of authentik (5 MB) are checked by sample."""
    import black

    mode = black.Mode(target_versions={black.TargetVersion.PY311}, line_length=88)
    big = [p for p in _python_files(gen) if p.stat().st_size > BLACK_SAMPLE_ABOVE]
    for path in big:
        sample = _black_sample(path.read_text(encoding="utf-8"))
        assert black.format_str(sample, mode=mode) == sample, path
    small = [str(p.relative_to(gen.out)) for p in _python_files(gen) if p not in big]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "black",
            "--check",
            "-q",
            "--target-version",
            "py311",
            *small,
        ],
        cwd=gen.out,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("gen", PARAMS, indirect=True)
def test_mypy_strict(gen: Generated, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "mypy"),
            "-p",
            gen.client,
            "-p",
            gen.server,
        ],
        cwd=gen.out,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]


def _sample(api: ir.Api) -> list[ir.Operation]:
    ops = sorted(api.operations, key=lambda o: o.name)
    step = max(1, len(ops) // SAMPLE)
    return ops[::step][:SAMPLE]


@pytest.mark.parametrize("gen", PARAMS, indirect=True)
def test_client_sample_against_mock_transport(gen: Generated) -> None:
    sampler = Sampler(gen.api)
    done = 0
    with imported(gen.out, gen.client, gen.server):
        client_module = importlib.import_module(f"{gen.client}.client")
        for op in _sample(gen.api):
            response = calls.success(op)
            if response is None:
                continue
            try:
                args, path_values = calls.arguments(
                    op, sampler, getattr(client_module.Client, op.name)
                )
                expected, wire, content_type = calls.response_body(sampler, response)
            except Unsampleable:
                continue
            seen: list[httpx.Request] = []
            transport = calls.mock_transport(op, response, wire, content_type, seen)
            with client_module.Client(
                base_url="http://api.test/base", api_key="k", transport=transport
            ) as client:
                result = calls.call(client, op, args)
            assert len(seen) == 1, op.name
            assert seen[0].method == op.method
            assert seen[0].url.raw_path.decode().split("?")[
                0
            ] == "/base" + calls.expected_path(op, path_values), op.name
            if expected is not None:
                assert calls.to_json(client_module, result) == expected, op.name
            done += 1
    assert done >= min(len(gen.api.operations), SAMPLE) // 2, done


@pytest.mark.parametrize("gen", PARAMS, indirect=True)
def test_client_to_server_sample(gen: Generated) -> None:
    TestClient = calls.test_client_class()
    sampler = Sampler(gen.api)
    done = 0
    with imported(gen.out, gen.client, gen.server):
        client_module = importlib.import_module(f"{gen.client}.client")
        interface = importlib.import_module(f"{gen.server}.interface")
        app_module = importlib.import_module(f"{gen.server}.app")
        handler = calls.SampleHandler(gen.api, interface, sampler)
        app = app_module.create_app(handler, authenticate=calls.authenticate)
        with TestClient(app, raise_server_exceptions=True) as http:
            client = client_module.Client(
                base_url="http://testserver",
                api_key="k",
                # The test client's own transport: calling through TestClient itself
                # would warn about our per-request timeout.
                transport=http._transport,
                headers=calls.extra_headers(gen.api),
                max_retries=0,
            )
            for op in _sample(gen.api):
                response = calls.success(op)
                if response is None or not calls.reachable(op, gen.api):
                    continue
                try:
                    args, _ = calls.arguments(
                        op, sampler, getattr(client_module.Client, op.name)
                    )
                    expected, _, _ = calls.response_body(sampler, response)
                except Unsampleable:
                    continue
                before = len(handler.calls)
                result = calls.call(client, op, args)
                assert len(handler.calls) == before + 1, op.name
                if expected is not None:
                    assert calls.to_json(client_module, result) == expected, op.name
                done += 1
    assert done >= min(len(gen.api.operations), SAMPLE) // 3, done
