"""A tiny HTTPS server on loopback that answers with raw bytes the test chooses, and then closes
or resets the connection: what `http.server` cannot be made to send (a status line holding control bytes, a
body shorter than its Content-Length, HTTP/1.0 with no Content-Length)."""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from netservers import tcp_server


@dataclass(frozen=True)
class RawAnswer:
    data: bytes
    """Sent as is after the request's headers were read."""
    end: str = "close"
    """close: FIN once the answer is sent (no TLS close_notify, as many servers do); reset: RST (SO_LINGER 0)."""


def http_answer(status_line: bytes, headers: dict[str, str], body: bytes) -> bytes:
    head = status_line + b"\r\n" + b"".join(f"{k}: {v}\r\n".encode() for k, v in headers.items())
    return head + b"\r\n" + body


@contextlib.contextmanager
def raw_tls_server(context: ssl.SSLContext, answer: RawAnswer) -> Iterator[int]:
    """Serve `answer` to every connection on 127.0.0.1; yields the port."""

    def talk(plain: socket.socket, _stop: threading.Event) -> None:
        try:
            plain.settimeout(5)
            conn = context.wrap_socket(plain, server_side=True)
        except (OSError, ssl.SSLError):
            plain.close()
            return
        with contextlib.suppress(OSError, ssl.SSLError):
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                request += chunk
            conn.sendall(answer.data)
            if answer.end == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
                return
            conn.shutdown(socket.SHUT_RDWR)
        conn.close()

    with tcp_server(talk) as port:
        yield port
