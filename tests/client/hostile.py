"""A misbehaving HTTP server on loopback, for the client's tests.

Each connection is read up to the end of its request, recorded, and then handed
to a behaviour: a function writing whatever bytes it likes (slowly, too many,
half a response, a reset). One connection at a time, in a daemon thread; every
response closes its connection, so each attempt of the client is a new one.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from typing import Any


@dataclasses.dataclass
class Seen:
    """A request as the server received it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes


Behaviour = Callable[[socket.socket, Seen], None]


class HostileServer:
    def __init__(self, behave: Behaviour, host: str = "127.0.0.1") -> None:
        self.behave = behave
        self.listener = socket.create_server((host, 0))
        self.listener.settimeout(0.1)
        self.origin = f"http://{host}:{self.listener.getsockname()[1]}"
        self.requests: list[Seen] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self.listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    seen = _read_request(conn)
                    if seen is None:
                        continue
                    self.requests.append(seen)
                    self.behave(conn, seen)
                except OSError:
                    pass  # the client gave up: what these tests want to see


def _read_request(conn: socket.socket) -> Seen | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return Seen(method, target, headers, body)


def head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} X"]
    lines += [f"{name}: {value}" for name, value in {**headers}.items()]
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


PAGE = json.dumps({"results": [], "next": None, "previous": None}).encode()


# --- behaviours ----------------------------------------------------------------


def answer(status: int = 200, body: bytes = PAGE, **headers: str) -> Behaviour:
    """A well-formed response."""

    def behave(conn: socket.socket, seen: Seen) -> None:
        fields = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        conn.sendall(head(status, {**fields, **headers}) + body)

    return behave


def trickle(
    body: bytes = PAGE, every: float = 0.25, *, headers_too: bool = False
) -> Behaviour:
    """A valid response, one byte at a time (the body only, or the headers too)."""

    def behave(conn: socket.socket, seen: Seen) -> None:
        start = head(
            200,
            {"Content-Type": "application/json", "Content-Length": str(len(body))},
        )
        slow = start + body if headers_too else body
        if not headers_too:
            conn.sendall(start)
        for byte in slow:
            conn.sendall(bytes([byte]))
            time.sleep(every)

    return behave


def huge(size: int, *, chunked: bool = False) -> Behaviour:
    """A valid page after `size` bytes of JSON whitespace, sent in 64 KiB pieces,
    with its length declared, or chunked (then the client learns it as it reads)."""

    def behave(conn: socket.socket, seen: Seen) -> None:
        fields = {"Content-Type": "application/json"}
        if chunked:
            fields["Transfer-Encoding"] = "chunked"
        else:
            fields["Content-Length"] = str(size + len(PAGE))
        conn.sendall(head(200, fields))
        pieces = [b" " * 65536] * (size // 65536) + [b" " * (size % 65536) + PAGE]
        for piece in pieces:
            conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
        if chunked:
            conn.sendall(b"0\r\n\r\n")

    return behave


def gzip_bomb(size: int) -> Behaviour:
    """A small gzip body that expands to `size` bytes of JSON whitespace."""
    packed = gzip.compress(b" " * size + PAGE, compresslevel=9)
    return answer(body=packed, **{"Content-Encoding": "gzip"})


def reset(after: bytes = b"") -> Behaviour:
    """Send `after` (part of a response, or nothing), then reset the connection."""

    def behave(conn: socket.socket, seen: Seen) -> None:
        if after:
            conn.sendall(after)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    return behave


def redirect(status: int, location: str) -> Behaviour:
    return answer(status, b"", Location=location)


def chain(*behaviours: Behaviour) -> Behaviour:
    """Each behaviour for one connection, in turn; the last one for the rest."""
    pending = list(behaviours)

    def behave(conn: socket.socket, seen: Seen) -> None:
        current = pending.pop(0) if len(pending) > 1 else pending[0]
        current(conn, seen)

    return behave


def page_with(items: list[dict[str, Any]]) -> bytes:
    return json.dumps({"results": items, "next": None, "previous": None}).encode()
