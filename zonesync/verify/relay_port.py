"""verify --outbound's relay check: does the relay's submission port answer, with STARTTLS (587, RFC 3207) or
implicit TLS (465, RFC 8314), and a certificate valid for the relay's name? Run on the mail host, it is what
the mail server needs when port 25 is blocked. No login is tried (zonesync never holds the password).
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from contextlib import suppress

from zonesync.mail.relay_config import implicit_tls
from zonesync.mail.relay_spec import RelaySpec
from zonesync.verify.connect import NetFailure, open_tcp, step
from zonesync.verify.result import Finding, NetOptions, Status
from zonesync.verify.tls import peer_certificate, verifying_context

TOPIC = "outbound"


class _Client(smtplib.SMTP):
    """smtplib over a socket verify opened (so --connect-to and the failure kinds apply)."""

    def __init__(self, sock: socket.socket, host: str) -> None:
        self._opened = sock
        address = sock.getsockname()[0]
        super().__init__(local_hostname=f"[IPv6:{address}]" if ":" in address else f"[{address}]")
        self._host = host  # STARTTLS sends it as SNI and verifies the certificate against it

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return self._opened


def _talk(spec: RelaySpec, opts: NetOptions) -> tuple[str, str]:
    """(TLS version, certificate expiry) after banner, EHLO and TLS with a verified certificate; raises
    NetFailure naming the step that failed."""
    context = verifying_context(opts.ca_file)
    sock = open_tcp(spec.host, spec.port, opts)
    try:
        if implicit_tls(spec):
            with step(sock, opts.timeout, "TLS handshake"):
                try:
                    sock = context.wrap_socket(sock, server_hostname=spec.host)
                except ssl.SSLError as exc:
                    raise NetFailure("tls", f"TLS handshake failed: {exc.reason or exc}") from exc
        client = _Client(sock, spec.host)
        with step(sock, opts.timeout, "SMTP banner"):
            code, _ = client.connect(spec.host, spec.port)
        if code != 220:
            raise NetFailure("greeting", f"greets with {code}: it does not accept mail")
        with step(sock, opts.timeout, "answer to EHLO"):
            client.ehlo()
        if not implicit_tls(spec):
            if not client.has_extn("starttls"):
                raise NetFailure("protocol", "STARTTLS is not offered: the login would travel in clear text")
            with step(sock, opts.timeout, "STARTTLS"):
                try:
                    client.starttls(context=context)
                except ssl.SSLError as exc:
                    raise NetFailure("tls", f"STARTTLS failed: {exc.reason or exc}") from exc
                client.ehlo()
        tls_sock = client.sock
        assert isinstance(tls_sock, ssl.SSLSocket)
        cert = peer_certificate(tls_sock, spec.host)
        auth = client.has_extn("auth")
        version = tls_sock.version() or "TLS"
        with suppress(smtplib.SMTPException, OSError):
            client.quit()
        if not auth:
            raise NetFailure(
                "protocol", f"{version} works but AUTH is not offered: the relay cannot take your login"
            )
        return version, f"{cert.not_after:%Y-%m-%d}"
    except (smtplib.SMTPException, OSError) as exc:
        raise NetFailure("protocol", f"the SMTP conversation failed: {exc}") from exc
    finally:
        sock.close()


def check_relay_port(zone: str, spec: RelaySpec, opts: NetOptions) -> Finding:
    """One finding: PASS when the relay's submission port speaks TLS with a valid certificate and offers AUTH."""
    subject = f"relay {spec.host}:{spec.port}"
    how = "implicit TLS" if implicit_tls(spec) else "STARTTLS"
    try:
        version, until = _talk(spec, opts)
    except NetFailure as failure:
        return Finding(
            zone, TOPIC, subject, Status.FAIL, f"the relay's submission port ({how}): {failure.message}",
            f"check mail.relay (host, port) against the provider's SMTP settings; from this network {spec.port} "
            "must be open (try 465 or 2525 if the provider offers them)",
        )  # fmt: skip
    return Finding(
        zone, TOPIC, subject, Status.PASS,
        f"the relay answers with {how} ({version}, certificate valid for {spec.host} until {until}) and offers "
        "AUTH: the mail server can hand it outgoing mail",
    )  # fmt: skip
