"""Runtime micro-benchmarks of the generated persons package in generated/.

bench/run.py runs this with the project's virtualenv (it needs httpx and
FastAPI) and folds its JSON into RESULTS.md; it can also be run alone:

    .venv/bin/python bench/runtime.py [--quick] [--json]

Three measurements, each against a baseline measured in the same process and
interleaved with it round by round:
  * import time of `persons_client` in a fresh interpreter, vs `import httpx`;
  * per-call time of the generated client's `persons_list` vs a bare
    `httpx.Client.get` (+ `.json()`), both against the same local HTTP server
    on 127.0.0.1 (and, to isolate the client's own work, through an in-memory
    transport);
  * a generated server route vs a hand-written FastAPI route calling the same
    handler, in process through `httpx.ASGITransport`.
All loops are bounded in count; the local server stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

# FastAPI reads the hand-written route's annotations, which this module's
# `from __future__ import annotations` turns into names it looks up here.
from fastapi import FastAPI, Header, HTTPException, Request

REPO = Path(__file__).resolve().parent.parent
GENERATED = REPO / "generated"
CLIENT_PACKAGE = "persons_client"
SERVER_PACKAGE = "persons_server"
API_KEY = "phx_benchmark"
PROJECT_ID = "1"
LIST_PATH = f"/api/projects/{PROJECT_ID}/persons/"


def list_page(size: int = 10) -> dict[str, Any]:
    """A fixed page of `PaginatedPersonList`, as the real list endpoint returns it."""
    results = []
    for index in range(size):
        uuid = f"01890000-0000-7000-8000-{index:012d}"
        results.append(
            {
                "type": "person",
                "id": uuid,
                "uuid": uuid,
                "created_at": f"2024-01-{index % 28 + 1:02d}T12:00:00Z",
                "last_seen_at": None,
                "properties": {"email": f"user{index}@example.com", "plan": "free"},
                "is_identified": index % 2 == 0,
                "name": f"user{index}@example.com",
                "distinct_ids": [f"user{index}@example.com", uuid],
                "matched_recordings": [],
                "value_at_data_point": None,
            }
        )
    return {
        "results": results,
        "next": f"http://127.0.0.1/api/projects/{PROJECT_ID}/persons/?offset={size}&limit={size}",
        "previous": None,
    }


@dataclass(slots=True)
class Report:
    metrics: dict[str, float] = field(default_factory=dict)
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def row(self, name: str, ours: str, baseline: str, ratio: str, how: str) -> None:
        self.rows.append([name, ours, baseline, ratio, how])

    def failed(self, name: str, why: str) -> None:
        self.row(name, f"n/a: {why}", "", "", "")


def _fmt_ratio(ours: float, baseline: float) -> str:
    return f"{ours / baseline:.2f}× ({(ours / baseline - 1) * 100:+.1f}%)"


# --------------------------------------------------------------------------- #
# Import time
# --------------------------------------------------------------------------- #

_IMPORT_PROBE = """
import sys, time
start = time.perf_counter()
import {module}
print(time.perf_counter() - start)
"""


def _import_seconds(module: str, env: dict[str, str]) -> float:
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=tempfile.gettempdir(),
    )
    return float(result.stdout.strip())


def bench_import(report: Report, generated: Path, runs: int) -> None:
    # Imported from a copy, so that byte-code lands there and never in
    # generated/; one untimed import first compiles it, as an installed
    # package would have it.
    with tempfile.TemporaryDirectory(prefix="bench-import-") as scratch:
        shutil.copytree(generated / CLIENT_PACKAGE, Path(scratch) / CLIENT_PACKAGE)
        env = dict(os.environ, PYTHONPATH=scratch)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for module in (CLIENT_PACKAGE, "httpx"):
            _import_seconds(module, env)
        ours: list[float] = []
        httpx_: list[float] = []
        for _ in range(runs):
            ours.append(_import_seconds(CLIENT_PACKAGE, env))
            httpx_.append(_import_seconds("httpx", env))
    ours_ms, httpx_ms = statistics.median(ours) * 1000, statistics.median(httpx_) * 1000
    report.metrics["client_import_ms"] = ours_ms
    report.row(
        f"`import {CLIENT_PACKAGE}`",
        f"{ours_ms:.1f} ms",
        f"{httpx_ms:.1f} ms (`import httpx`)",
        _fmt_ratio(ours_ms, httpx_ms),
        f"fresh interpreter, perf_counter around the import, median of {runs}",
    )


# --------------------------------------------------------------------------- #
# Client per-call overhead
# --------------------------------------------------------------------------- #

_SERVER = """
import http.server, sys, threading
body = sys.stdin.buffer.read()

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else delayed ACKs add ~40 ms to each call
    wbufsize = 1 << 16  # headers and body leave in one write

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
threading.Timer(float(sys.argv[1]), server.shutdown).start()  # stops by itself
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def _alternate(
    ours: Callable[[], object], baseline: Callable[[], object], rounds: int, calls: int
) -> tuple[float, float]:
    """Seconds per call of each: the fastest of alternating rounds.

    The minimum, not the median: on a shared machine, noise only ever adds
    time, and it comes in bursts that a median of few rounds does not absorb.
    """
    for function in (ours, baseline):
        for _ in range(max(calls // 5, 10)):
            function()  # warm up connections, caches and decoders
    per_call: dict[str, list[float]] = {"ours": [], "baseline": []}
    for round_ in range(rounds):
        pair = [("ours", ours), ("baseline", baseline)]
        for name, function in pair if round_ % 2 == 0 else reversed(pair):
            start = time.perf_counter()
            for _ in range(calls):
                function()
            per_call[name].append((time.perf_counter() - start) / calls)
    return min(per_call["ours"]), min(per_call["baseline"])


def bench_client(report: Report, rounds: int, calls: int) -> None:
    import httpx

    client_module = importlib.import_module(CLIENT_PACKAGE)
    page = list_page()
    body = json.dumps(page).encode()
    headers = {"Accept": "application/json", "Authorization": f"Bearer {API_KEY}"}

    # Over real HTTP to a local server in its own process.
    lifetime = 60 + rounds * calls * 0.01
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(lifetime)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=False,
    )
    try:
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(body)
        server.stdin.close()
        port = int(server.stdout.readline())
        base_url = f"http://127.0.0.1:{port}"
        with (
            client_module.Client(
                base_url=base_url, api_key=API_KEY, max_retries=0
            ) as client,
            httpx.Client() as bare,
        ):

            def ours() -> Any:
                return client.persons_list(project_id=PROJECT_ID)

            def baseline() -> object:
                response = bare.get(base_url + LIST_PATH, headers=headers)
                response.raise_for_status()
                return response.json()

            check = ours()
            if len(check.results) != len(page["results"]):
                raise RuntimeError(
                    "the generated client did not decode the fixture page"
                )
            ours_s, base_s = _alternate(ours, baseline, rounds, calls)
    finally:
        server.kill()
        server.wait()
    overhead = ours_s / base_s - 1
    report.metrics["client_call_overhead"] = overhead
    report.row(
        "client call, local HTTP server",
        f"{ours_s * 1e6:.0f} µs",
        f"{base_s * 1e6:.0f} µs (`httpx.Client.get` + `.json()`)",
        _fmt_ratio(ours_s, base_s),
        f"`persons_list` of a {len(page['results'])}-person page from a stdlib server on "
        f"127.0.0.1 (own process, keep-alive); fastest of {rounds} alternating rounds "
        f"× {calls} calls",
    )

    # The same through an in-memory transport: what the client itself costs.
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=body, headers={"Content-Type": "application/json"}
        )

    transport = httpx.MockTransport(handler)
    with (
        client_module.Client(
            base_url="http://bench", api_key=API_KEY, max_retries=0, transport=transport
        ) as client,
        httpx.Client(transport=transport) as bare,
    ):

        def ours_mem() -> object:
            return client.persons_list(project_id=PROJECT_ID)

        def baseline_mem() -> object:
            response = bare.get("http://bench" + LIST_PATH, headers=headers)
            response.raise_for_status()
            return response.json()

        ours_s, base_s = _alternate(ours_mem, baseline_mem, rounds, calls)
    report.metrics["client_call_overhead_in_memory"] = ours_s / base_s - 1
    report.row(
        "client call, in-memory transport",
        f"{ours_s * 1e6:.0f} µs",
        f"{base_s * 1e6:.0f} µs (same)",
        _fmt_ratio(ours_s, base_s),
        "as above through `httpx.MockTransport`: no network, so the difference is "
        "the generated client's own work (request building, model decoding)",
    )


# --------------------------------------------------------------------------- #
# Generated server route vs a hand-written one
# --------------------------------------------------------------------------- #


class _Principal:
    def has_scope(self, scope: str) -> bool:
        return True


def _authenticate(scheme: str, credential: str) -> _Principal | None:
    return _Principal() if credential == API_KEY else None


def bench_server(report: Report, rounds: int, calls: int) -> None:
    """The generated app's `persons_list` route against a hand-written FastAPI
    route doing the same: typed query parameters, bearer authentication, the
    handler's reply validated and serialised as `response_model`."""
    import httpx

    server = importlib.import_module(SERVER_PACKAGE)
    models = importlib.import_module(f"{SERVER_PACKAGE}.models")
    interface = importlib.import_module(f"{SERVER_PACKAGE}.interface")
    page = models.PaginatedPersonList.model_validate(list_page())

    class BenchHandler:
        """Answers `persons_list` with a fixed page; every other operation is a stub."""

        async def persons_list(self, ctx: Any, params: Any) -> Any:
            return interface.Ok(page)

        def __getattr__(self, name: str) -> Any:
            async def not_benchmarked(*args: Any) -> Any:
                raise NotImplementedError(name)

            return not_benchmarked

    handler = BenchHandler()
    generated_app = server.create_app(handler, authenticate=_authenticate)

    hand_written = FastAPI()

    @hand_written.get(
        "/api/projects/{project_id}/persons/",
        response_model=models.PaginatedPersonList,
        response_model_by_alias=True,
        response_model_exclude_unset=True,
    )
    async def persons_list(
        request: Request,
        project_id: str,
        authorization: Annotated[str | None, Header()] = None,
        distinct_id: str | None = None,
        email: str | None = None,
        search: str | None = None,
        properties: str | None = None,
        limit: int | None = None,
        offset: int | None = None,
        include_total: bool | None = None,
        format: Literal["csv", "json"] | None = None,
    ) -> Any:
        kind, _, credential = (authorization or "").partition(" ")
        principal = _authenticate("PersonalAPIKeyAuth", credential.strip())
        if kind.lower() != "bearer" or principal is None:
            raise HTTPException(401, "Authentication credentials were not provided.")
        ctx = server.Context(
            request,
            principal,
            server.Scope("project", "project_id", project_id),
            "persons_list",
            "persons_list",
        )
        query = {
            "distinct_id": distinct_id,
            "email": email,
            "search": search,
            "properties": json.loads(properties) if properties else None,
            "limit": limit,
            "offset": offset,
            "include_total": include_total,
            "format": format,
        }
        params = interface.PersonsListParams.model_validate(
            {key: value for key, value in query.items() if value is not None}
        )
        reply = await handler.persons_list(ctx, params)
        return reply.body

    headers = {"Authorization": f"Bearer {API_KEY}", "Accept": "application/json"}
    url = LIST_PATH + "?limit=10&offset=0"

    async def measure() -> tuple[float, float]:
        transport_g = httpx.ASGITransport(app=generated_app)
        transport_h = httpx.ASGITransport(app=hand_written)
        async with (
            httpx.AsyncClient(transport=transport_g, base_url="http://bench") as gen,
            httpx.AsyncClient(transport=transport_h, base_url="http://bench") as hand,
        ):
            first_g, first_h = (
                await gen.get(url, headers=headers),
                await hand.get(url, headers=headers),
            )
            if first_g.status_code != 200 or first_h.status_code != 200:
                raise RuntimeError(
                    f"status {first_g.status_code} / {first_h.status_code}"
                )
            if first_g.json() != first_h.json():
                raise RuntimeError("the two routes answer different bodies")
            per_call: dict[str, list[float]] = {"gen": [], "hand": []}
            clients = [("gen", gen), ("hand", hand)]
            for _, client in clients:
                for _ in range(max(calls // 5, 10)):
                    await client.get(url, headers=headers)
            for round_ in range(rounds):
                for name, client in clients if round_ % 2 == 0 else reversed(clients):
                    start = time.perf_counter()
                    for _ in range(calls):
                        await client.get(url, headers=headers)
                    per_call[name].append((time.perf_counter() - start) / calls)
        return min(per_call["gen"]), min(
            per_call["hand"]
        )  # fastest round, as in _alternate

    ours_s, base_s = asyncio.run(measure())
    report.metrics["server_route_overhead"] = ours_s / base_s - 1
    report.row(
        "server route `GET /api/projects/{id}/persons/`",
        f"{ours_s * 1e6:.0f} µs",
        f"{base_s * 1e6:.0f} µs (hand-written FastAPI route)",
        _fmt_ratio(ours_s, base_s),
        "in process through `httpx.ASGITransport`, same handler and fixed 10-person page; "
        f"fastest of {rounds} alternating rounds × {calls} requests",
    )


# --------------------------------------------------------------------------- #


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and calls")
    parser.add_argument(
        "--json", action="store_true", help="print JSON for bench/run.py"
    )
    parser.add_argument(
        "--generated", type=Path, default=GENERATED, help="default: %(default)s"
    )
    args = parser.parse_args()
    generated: Path = args.generated

    if not (generated / CLIENT_PACKAGE).is_dir():
        result: dict[str, object] = {
            "available": False,
            "reason": f"generated/{CLIENT_PACKAGE} not found (generate it first)",
        }
    else:
        sys.path.insert(0, str(generated))
        sys.dont_write_bytecode = True  # leave generated/ as it is
        report = Report()
        import_runs, rounds, calls = (10, 20, 25) if args.quick else (30, 50, 50)
        steps: list[tuple[str, Callable[[], None]]] = [
            (
                f"`import {CLIENT_PACKAGE}`",
                lambda: bench_import(report, generated, import_runs),
            ),
            ("client call", lambda: bench_client(report, rounds, calls)),
            ("generated server route", lambda: bench_server(report, rounds, calls)),
        ]
        for name, step in steps:
            try:
                step()
            except (
                Exception
            ) as error:  # one failed measurement must not hide the others
                report.failed(
                    name, f"{type(error).__name__}: {error}".splitlines()[0][:200]
                )
        result = {
            "available": True,
            "metrics": report.metrics,
            "rows": report.rows,
            "notes": report.notes,
        }
    if args.json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
