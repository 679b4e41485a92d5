"""Small local servers that misbehave the way real deployments do, for tests/system/test_hostile.py.

Each is a raw TCP server in a daemon thread (no framework, so it can break HTTP itself): it answers
every connection with one behaviour, whatever the request. ``Hostile(behaviour)`` is a context manager
whose ``base_url`` points at it.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable

BASE_PATH = "/api/v1/d2s/external"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed_pem(directory) -> str:
    """A self-signed certificate and its key for 127.0.0.1, in one PEM file (needs openssl)."""
    pem = f"{directory}/self-signed.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-keyout", pem, "-out", pem + ".crt"], check=True, capture_output=True)
    with open(pem, "a") as out, open(pem + ".crt") as cert:
        out.write(cert.read())
    return pem


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    conn.settimeout(5)
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _response(status: str, body: bytes, ctype: str = "application/json", extra: str = "") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body


# ------------------------------------------------------------------------------- behaviours
# Each takes the connection and the raw request, and returns True to keep the connection open.


def hang(conn: socket.socket, request: bytes) -> bool:
    time.sleep(3600)
    return False


def trickle(conn: socket.socket, request: bytes) -> bool:
    """Headers at once, then one byte of an endless body every 0.2 s."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    conn.sendall(b"1\r\n[\r\n")
    while True:
        time.sleep(0.2)
        conn.sendall(b"1\r\n \r\n")


def slow(conn: socket.socket, request: bytes) -> bool:
    """A correct-looking JSON answer, 3 s late."""
    time.sleep(3)
    conn.sendall(_response("200 OK", b'{"data": [], "total": 0}'))
    return True


def html(conn: socket.socket, request: bytes) -> bool:
    body = b"<!DOCTYPE html><html><head><title>Welcome</title></head><body><h1>It works!</h1></body></html>"
    conn.sendall(_response("200 OK", body, "text/html; charset=utf-8"))
    return True


def truncated_json(conn: socket.socket, request: bytes) -> bool:
    """Announces 400 bytes of JSON, sends 20, closes."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n"
                 b'{"data": [{"id": 1, ')
    return False


def server_error(conn: socket.socket, request: bytes) -> bool:
    body = b'{"success": false, "error": {"code": "INTERNAL", "message": "Internal Server Error"}}'
    conn.sendall(_response("500 Internal Server Error", body))
    return True


def huge_body(conn: socket.socket, request: bytes) -> bool:
    """A 50 MB JSON array."""
    size = 50 * 2**20
    conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n\r\n".encode())
    chunk = b"[" + b"0," * (2**20 // 2 - 1) + b"0"
    sent = 0
    try:
        while sent < size:
            part = chunk[: size - sent] if sent else chunk
            conn.sendall(part)
            sent += len(part)
    except OSError:  # the client gave up reading: that is the point
        pass
    return False


def redirect_loop(conn: socket.socket, request: bytes) -> bool:
    path = request.split(b" ", 2)[1].decode() if request.count(b" ") >= 2 else "/"
    conn.sendall(_response("302 Found", b"", extra=f"Location: {path}\r\n"))
    return True


def echo_key(conn: socket.socket, request: bytes) -> bool:
    """Non-JSON answers that quote the request, key included, in body and headers."""
    text = request.decode(errors="replace")
    key = next((line.split(":", 1)[1].strip() for line in text.split("\r\n") if line.lower().startswith("x-api-key:")), "")
    conn.sendall(_response("200 OK", f"<pre>key {key} refused; you sent: {text}</pre>".encode(), "text/html", f"X-Echo: {key}\r\n"))
    return True


class Hostile:
    """A server that answers every request with ``behaviour``."""

    def __init__(self, behaviour: Callable[[socket.socket, bytes], bool], *, certfile: str | None = None):
        """With ``certfile`` (certificate and key in one PEM file) the server speaks TLS."""
        self.behaviour = behaviour
        self.tls = None
        if certfile:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(certfile)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.base_url = f"{'https' if certfile else 'http'}://127.0.0.1:{self.port}{BASE_PATH}"
        self.connections = 0

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            with conn:
                while (request := _read_request(conn)) and self.behaviour(conn, request):
                    pass
        except OSError:
            pass

    def __enter__(self) -> Hostile:
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
