"""A real TLS client for the emulator's Workers edge: connects to a loopback port while speaking to a hostname
(SNI, certificate name check, ``Host``), trusting only the CA it is given, like ``curl --connect-to``."""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass


@dataclass(frozen=True)
class EdgeReply:
    status: int
    headers: dict[str, str]
    body: bytes


class _PinnedConnection(http.client.HTTPSConnection):
    def __init__(self, hostname: str, address: tuple[str, int], context: ssl.SSLContext) -> None:
        super().__init__(hostname, address[1], context=context, timeout=10)
        self._address = address
        self._ctx = context

    def connect(self) -> None:
        raw = socket.create_connection(self._address, timeout=10)
        self.sock = self._ctx.wrap_socket(raw, server_hostname=self.host)


def fetch(
    hostname: str,
    port: int,
    ca_pem: bytes | str,
    path: str = "/",
    method: str = "GET",
    body: bytes | None = None,
) -> EdgeReply:
    ctx = ssl.create_default_context(cadata=ca_pem.decode() if isinstance(ca_pem, bytes) else ca_pem)
    conn = _PinnedConnection(hostname, ("127.0.0.1", port), ctx)
    try:
        conn.request(method, path, body=body)
        resp = conn.getresponse()
        data = resp.read()
        return EdgeReply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()
