"""Loopback servers for verify's network checks: an HTTPS server with any certificate and any answer, TCP
ports that refuse, that never answer (a full accept queue drops the SYN, like a filtering firewall), that
accept but never speak, and an SMTP server whose banner never ends."""

from __future__ import annotations

import contextlib
import http.server
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/plain"})
    body: bytes = b""
    chunks: int = 0
    """When set, the body is sent that many times with chunked encoding and no Content-Length."""
    trickle: float = 0.0
    """When set, the body is sent one byte at a time, this many seconds apart (a peer that never finishes)."""


@dataclass
class Seen:
    sni: list[str | None] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    """(path, Host header) of each request."""


@contextlib.contextmanager
def https_server(context: ssl.SSLContext, answer: Answer) -> Iterator[tuple[int, Seen]]:
    """An HTTPS server on 127.0.0.1 answering every GET with `answer`; yields its port and what it saw."""
    seen = Seen()
    context.sni_callback = lambda sslobj, name, ctx: seen.sni.append(name)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            seen.requests.append((self.path, self.headers.get("Host", "")))
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            if answer.chunks:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                with contextlib.suppress(OSError):
                    for _ in range(answer.chunks):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(answer.body), answer.body))
                    self.wfile.write(b"0\r\n\r\n")
                return
            if "Content-Length" not in answer.headers:
                self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            with contextlib.suppress(OSError):
                if not answer.trickle:
                    self.wfile.write(answer.body)
                for byte in answer.body if answer.trickle else b"":
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(answer.trickle)

        def log_message(self, *args: object) -> None:
            pass

    class Server(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def get_request(self):  # the TLS handshake in the connection's thread, not the accept loop
            sock, addr = self.socket.accept()
            return context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

        def handle_error(self, request, client_address) -> None:
            pass

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def filtered_port() -> Iterator[int]:
    """A port where a SYN gets no answer, as behind a dropping firewall: a listener that never accepts, its
    accept queue filled by one connection, so the kernel drops further SYNs and connect() times out."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)):
            yield port


@contextlib.contextmanager
def silent_port() -> Iterator[int]:
    """A port that completes the TCP handshake but never sends a byte (never accepts)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@contextlib.contextmanager
def tcp_server(talk: Callable[[socket.socket, threading.Event], None]) -> Iterator[int]:
    """A TCP server on 127.0.0.1 running `talk(connection, stop)` in a thread for each connection; yields the
    port. `stop` is set when the server closes."""
    stop = threading.Event()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=talk, args=(conn, stop), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()


@contextlib.contextmanager
def endless_banner_server() -> Iterator[int]:
    """An SMTP server whose greeting never ends: `220-` continuation lines, one every 50 ms, forever."""

    def talk(conn: socket.socket, stop: threading.Event) -> None:
        with conn, contextlib.suppress(OSError):
            while not stop.wait(0.05):
                conn.sendall(b"220-still greeting you\r\n")

    with tcp_server(talk) as port:
        yield port
