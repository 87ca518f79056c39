"""schemathesis with every check against the reference server, as `make serve` runs it.

`python -m examples.serve` in a subprocess, on a fresh database with the demo
seed, and the schemathesis CLI against its `/openapi.json`: every phase
(examples, coverage, fuzzing, stateful), `--checks all`, a fixed seed, bounded
by examples. It must find nothing: every request the schema allows is
accepted, every one it refuses is refused, and every response is documented.
The two rules OpenAPI cannot state are taught to the fuzzer by
`schemathesis_hooks.py`.

The default run covers the project scope in about half a minute. `make fuzz`
runs both scopes with more examples (`PERSONS_FUZZ_SCOPES=all`,
`PERSONS_FUZZ_EXAMPLES=N`); the environment scope is the same handlers behind
another prefix.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
KEY = "phx_schemathesis"
# A person the hooks give `properties_at_time` to find (imported, not seeded).
PERSON = {"distinct_ids": ["schemathesis-person"], "properties": {"plan": "pro"}}
EXAMPLES = int(os.environ.get("PERSONS_FUZZ_EXAMPLES", "3"))
ALL_SCOPES = os.environ.get("PERSONS_FUZZ_SCOPES") == "all"
SEED = 20261204


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`make serve` on a fresh database: its base URL and the database path."""
    db = tmp_path / "persons.db"
    people = tmp_path / "people.jsonl"
    people.write_text(json.dumps(PERSON) + "\n", encoding="utf-8")
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "examples.serve",
        "--host=127.0.0.1",
        f"--port={port}",
        f"--db={db}",
        f"--api-key={KEY}=*",
        f"--import={people}",
        "--no-rate-limit",
        "--log-level=warning",
    ]
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(log.read_text()) from None
                time.sleep(0.1)
        yield base, db
    finally:
        server.terminate()
        server.wait(10)


def test_schemathesis_finds_nothing(served: tuple[str, Path], tmp_path: Path) -> None:
    base, db = served
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        f'headers = {{ Authorization = "Bearer {KEY}" }}\n'
        "[parameters]\n"
        '"path.project_id" = "1"\n'
        '"path.environment_id" = "1"\n',
        encoding="utf-8",
    )
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        f"--config-file={config}",
        "run",
        f"{base}/openapi.json",
        "--checks=all",
        f"--max-examples={EXAMPLES}",
        f"--seed={SEED}",
        "--workers=1",  # schemathesis' own threads trip over each other
        "--generation-database=none",
        "--no-color",
    ]
    if not ALL_SCOPES:
        command.append("--exclude-path-regex=^/api/environments/")
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.e2e.schemathesis_hooks",
        "PYTHONPATH": str(ROOT),
        "PERSONS_DB": str(db),
        "PERSONS_FUZZ_DISTINCT_ID": PERSON["distinct_ids"][0],
    }
    run = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
    )
    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    print(run.stdout[run.stdout.rfind("API Operations:") :])  # shown by `make fuzz`
    tested = int(run.stdout.split("Tested: ")[1].split()[0])
    assert tested == (64 if ALL_SCOPES else 32), run.stdout[-3000:]
