"""verify's `--smtp` probe: talk to port 25 of every MX address as a sending server does (banner, EHLO,
STARTTLS) and check the certificate the MX presents: valid for the MX name (RFC 8461 §4.2) and the name covered
by the MTA-STS `mx` patterns (§4.1).

smtplib speaks SMTP; verify opens the socket itself (so `--connect-to` and the failure kinds apply) and bounds
every step in wall time, so a server that never ends its banner cannot hold the check past `--timeout`.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import TypeVar

from zonesync.mail.tlsa import Tlsa
from zonesync.verify.connect import NetFailure, open_tcp, step
from zonesync.verify.dane_check import judge, usable
from zonesync.verify.result import Finding, NetOptions, Status
from zonesync.verify.sts_policy import covering
from zonesync.verify.tls import (
    cert_info,
    describe,
    presented_chain,
    unverified,
    verify_failure,
    verifying_context,
)

TOPIC = "smtp"
PORT = 25
_T = TypeVar("_T")


class _Client(smtplib.SMTP):
    """smtplib over a socket verify opened itself."""

    def __init__(self, sock: socket.socket, host: str) -> None:
        self._opened = sock
        # EHLO with our address literal (RFC 5321 §4.1.3): always well-formed, and no DNS lookup of our name.
        address = sock.getsockname()[0]
        super().__init__(local_hostname=f"[IPv6:{address}]" if ":" in address else f"[{address}]")
        self._host = host  # the MX name: STARTTLS sends it as SNI and verifies the certificate against it

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return self._opened


@contextmanager
def _speaking(what: str) -> Iterator[None]:
    """smtplib's exceptions as NetFailure, named after the step that failed."""
    try:
        yield
    except smtplib.SMTPServerDisconnected as exc:
        raise NetFailure("closed", f"the server closed the connection waiting for the {what}") from exc
    except smtplib.SMTPResponseException as exc:
        said = (
            exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        )
        raise NetFailure("protocol", f"{what}: {exc.smtp_code} {said}") from exc
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        raise NetFailure("protocol", f"the {what} failed: {exc}") from exc


class _Session:
    """One SMTP conversation with one MX address, every step bounded by the timeout."""

    def __init__(self, host: str, address: str | None, opts: NetOptions, port: int = PORT) -> None:
        self.host, self.opts, self.port = host, opts, port
        self.sock = open_tcp(host, port, opts, address=address)
        self.client = _Client(self.sock, host)

    def do(self, what: str, action: Callable[[], _T]) -> _T:
        with _speaking(what), step(self.sock, self.opts.timeout, what):
            return action()

    def greet(self) -> str:
        code, banner = self.do("SMTP banner", lambda: self.client.connect(self.host, self.port))
        text = banner.decode("utf-8", "replace").replace("\n", " / ")
        if code != 220:
            raise NetFailure("greeting", f"greets with {code} {text}: it does not accept mail")
        code, answer = self.do("answer to EHLO", self.client.ehlo)
        if code != 250:
            raise NetFailure("protocol", f"answers EHLO with {code} {answer.decode('utf-8', 'replace')}")
        return f"220 {text}"

    def starttls(self, context: ssl.SSLContext) -> ssl.SSLSocket:
        self.do("answer to STARTTLS", lambda: self.client.starttls(context=context))
        tls = self.client.sock
        assert isinstance(tls, ssl.SSLSocket)  # smtplib wraps it or raises
        return tls

    def close(self) -> None:
        with suppress(NetFailure):
            self.do("answer to QUIT", self.client.quit)
        self.client.close()


def check_smtp(
    zone: str,
    mx_addresses: Mapping[str, Sequence[str]],
    sts_mx_patterns: Sequence[str],
    opts: NetOptions,
    tlsa: Mapping[str, Sequence[Tlsa]] | None = None,
) -> list[Finding]:
    """One finding per MX address (probed concurrently), in the order given; for an MX host with TLSA records
    (`tlsa`, by host name), a DANE finding after it: the key presented after STARTTLS against them."""
    targets = [(host, address) for host, addresses in mx_addresses.items() for address in addresses]
    if not targets:
        return []
    tlsa = tlsa or {}

    def probe(target: tuple[str, str]) -> list[Finding]:
        host = target[0].lower().rstrip(".")
        records = tuple(tlsa.get(host, ()))
        seen: list[tuple[bytes, ...]] = []
        first = _probe(zone, host, target[1], sts_mx_patterns, opts, seen, bool(usable(records)))
        if not records:
            return [first]
        why = "" if seen else first.message
        return [first, judge(zone, host, target[1], records, seen[0] if seen else (), why)]

    with ThreadPoolExecutor(max_workers=min(8, len(targets))) as pool:
        return [f for found in pool.map(probe, targets) for f in found]


def _probe(
    zone: str,
    host: str,
    address: str,
    patterns: Sequence[str],
    opts: NetOptions,
    seen: list[tuple[bytes, ...]],
    dane: bool = False,
) -> Finding:
    """The STARTTLS check of one MX address; the certificate chain presented is appended to `seen`. With `dane`
    (the host has usable TLSA records) and no MTA-STS policy, a certificate no CA vouches for is fine."""
    subject = f"{host} ({address})"

    def finding(status: Status, message: str, fix: str = "", details: Sequence[str] = ()) -> Finding:
        return Finding(zone, TOPIC, subject, status, message, fix, tuple(details))

    details: list[str] = []
    try:
        context = verifying_context(opts.ca_file)
        session = _Session(host, address, opts)
    except NetFailure as failure:
        status = Status.ERROR if failure.kind == "ca-file" else Status.FAIL
        return finding(status, failure.message, _fix(failure.kind, host))
    try:
        details.append(session.greet())
        details.append("EHLO: " + ", ".join(sorted(session.client.esmtp_features)))
        if not session.client.has_extn("starttls"):
            return finding(
                Status.FAIL,
                "STARTTLS is not offered: mail to this MX travels in clear text"
                + (", and senders enforcing MTA-STS refuse it" if patterns else ""),
                f"enable STARTTLS on the mail server of {host}, with a certificate for {host}",
                details,
            )
        try:
            tls = session.starttls(context)
        except NetFailure as failure:
            if not isinstance(failure.__cause__, ssl.SSLError):
                raise
            return _certificate_finding(
                failure.__cause__, host, address, patterns, opts, finding, details, seen, dane
            )
        chain = presented_chain(tls)
        if not chain:
            raise NetFailure("tls", f"{host} sent no certificate")
        seen.append(chain)
        cert = cert_info(chain[0])
        details.append(f"{tls.version()}, {describe(cert)}")
        session.do("answer to EHLO after STARTTLS", session.client.ehlo)
    except NetFailure as failure:
        return finding(Status.FAIL, failure.message, _fix(failure.kind, host), details)
    finally:
        session.close()
    message = f"STARTTLS with a certificate valid for {host} until {cert.not_after:%Y-%m-%d}"
    if not patterns:
        return finding(Status.PASS, message, "", details)
    pattern = covering(patterns, host)
    if pattern is None:
        return finding(
            Status.FAIL,
            f"{message}, but no MTA-STS `mx:` pattern ({', '.join(patterns)}) covers {host}: senders enforcing "
            "the policy refuse this MX",
            f"add `mx: {host}` to the MTA-STS policy",
            details,
        )
    return finding(Status.PASS, f"{message}, covered by MTA-STS `mx: {pattern}`", "", details)


def _certificate_finding(
    exc: ssl.SSLError,
    host: str,
    address: str,
    patterns: Sequence[str],
    opts: NetOptions,
    finding: Callable[..., Finding],
    details: list[str],
    seen: list[tuple[bytes, ...]],
    dane: bool,
) -> Finding:
    """A certificate that does not verify: mail still flows to senders doing opportunistic TLS, but not to
    senders enforcing MTA-STS, so it fails when the zone has an MTA-STS policy. DANE senders check the TLSA
    records instead (RFC 7672 §3.1.1: no name or expiry checks for DANE-EE): the DANE finding judges it."""
    chain = _certificate_anyway(host, address, opts)
    if chain:
        seen.append(chain)
    failure = verify_failure(exc, host, chain[0] if chain else None)
    if dane and not patterns:
        return finding(
            Status.PASS,
            f"STARTTLS; {failure.message}, which senders using DANE do not need (the TLSA records decide)",
            "",
            details,
        )
    if patterns:
        return finding(
            Status.FAIL,
            f"{failure.message}: senders enforcing MTA-STS refuse this MX",
            _fix(failure.kind, host),
            details,
        )
    return finding(
        Status.WARN,
        f"{failure.message}: senders encrypt anyway but cannot authenticate this MX",
        _fix(failure.kind, host),
        details,
    )


def presented_certificate(host: str, opts: NetOptions, port: int = PORT) -> bytes:
    """The certificate (DER) `host` presents after STARTTLS on `port`, unverified: what `zonesync dane pin`
    pins. Raises NetFailure (one line: what failed) when there is no STARTTLS or no certificate."""
    session = _Session(host.lower().rstrip("."), None, opts, port)
    try:
        session.greet()
        if not session.client.has_extn("starttls"):
            raise NetFailure("protocol", f"{host} does not offer STARTTLS on port {port}")
        der = session.starttls(unverified()).getpeercert(binary_form=True)
    finally:
        session.close()
    if not der:
        raise NetFailure("tls", f"{host} presented no certificate after STARTTLS")
    return der


def _certificate_anyway(host: str, address: str, opts: NetOptions) -> tuple[bytes, ...]:
    """The certificate chain that failed verification (leaf first), read in a second unverified session, for
    the message and the DANE check; empty when that session fails too."""
    try:
        session = _Session(host, address, opts)
    except NetFailure:
        return ()
    try:
        session.greet()
        return presented_chain(session.starttls(unverified()))
    except NetFailure:
        return ()
    finally:
        session.close()


def _fix(kind: str, host: str) -> str:
    return {
        "resolve": f"publish an A/AAAA record for {host}",
        "refused": f"start the mail server on {host}, or open port 25 in its firewall",
        "timeout": f"allow inbound TCP port 25 to {host} in its firewall and at its hosting provider "
        "(many block it until asked), and check that the mail server answers",
        "unreachable": f"check the address of {host} and the route to it",
        "closed": f"check the mail server's log on {host}: it hangs up on senders",
        "greeting": f"check why the mail server on {host} refuses connections (its log says)",
        "protocol": f"check the mail server on {host}: it does not speak SMTP as senders expect",
        "cert-name": f"serve a certificate that names {host} (e.g. from Let's Encrypt) for STARTTLS",
        "cert-expired": f"renew the STARTTLS certificate of {host}",
        "cert-untrusted": f"serve a STARTTLS certificate from a public CA for {host} (for a private CA, pass --ca-file)",
        "tls": f"enable TLS 1.2 or later for STARTTLS on {host}",
    }.get(kind, "")
