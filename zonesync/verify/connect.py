"""Opening TCP connections for verify's HTTPS, SMTP and outbound checks, the way a sending server does.

Every connection goes through `open_tcp`, so `--connect-to` (curl's meaning) applies to all of them and the
failure kinds a check reports ("refused", "timeout", ...) are named in one place. `Step` bounds a protocol
step in wall time: a socket timeout bounds each read, not a peer that trickles a byte at a time or an SMTP
banner that never ends.
"""

from __future__ import annotations

import errno
import ipaddress
import re
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

import dns.exception

from zonesync.base.features import lazy
from zonesync.verify.result import ConnectTo, NetOptions

# loaded by the first name this module resolves itself (--smtp, --outbound): dns.resolver pulls dns.query,
# which loads httpx and ssl for DNS over HTTPS (~0.1 s) that a DNS-only verify never needs
nameserver: Any = lazy("dns.nameserver")
resolver_module: Any = lazy("dns.resolver")


class NetFailure(Exception):
    """A network step failed. `kind` is one of: resolve, refused, timeout, unreachable, closed, tls,
    cert-name, cert-expired, cert-untrusted, protocol, ca-file; the message is one line for the finding."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


_FIELD = r"(\[[^\]]*\]|[^:\[\]]*)"
_CONNECT_TO = re.compile(rf"^{_FIELD}:{_FIELD}:{_FIELD}:{_FIELD}$")


def parse_connect_to(text: str) -> ConnectTo:
    """`HOST:PORT:CONNECT_HOST:CONNECT_PORT` as curl's `--connect-to` reads it: IPv6 addresses in brackets;
    an empty HOST or PORT matches any, an empty CONNECT_HOST or CONNECT_PORT keeps the original."""
    match = _CONNECT_TO.match(text.strip())
    if not match:
        raise ValueError(
            f"{text!r}: expected HOST:PORT:CONNECT_HOST:CONNECT_PORT (curl's --connect-to), "
            "e.g. mta-sts.example.com:443:127.0.0.1:8443"
        )
    fields = [f[1:-1] if f.startswith("[") else f for f in match.groups()]
    host, port, connect_host, connect_port = fields
    return ConnectTo(
        host=host.lower().rstrip("."),
        port=_port(port, text, "PORT"),
        connect_host=connect_host,
        connect_port=_port(connect_port, text, "CONNECT_PORT"),
    )


def _port(value: str, text: str, what: str) -> int:
    """0 stands for an empty field: any port (PORT) or the original one (CONNECT_PORT)."""
    if value == "":
        return 0
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise ValueError(f"{text!r}: {what} {value!r} is not a port number (1-65535)")
    return int(value)


def route(host: str, port: int, rules: Sequence[ConnectTo], address: str | None = None) -> tuple[str, int]:
    """Where a connection to `host:port` really goes: the first rule whose HOST is the name (or the address
    the check picked, e.g. one MX address) and whose PORT matches; else `address` or `host` itself."""
    name = host.lower().rstrip(".")
    for rule in rules:
        if rule.host in ("", name, address) and rule.port in (0, port):
            return rule.connect_host or address or host, rule.connect_port or port
    return address or host, port


def _addresses(host: str, opts: NetOptions) -> list[str]:
    """IP literals as they are; names through `--nameserver` when given (the zone's authoritative servers
    answer for names in it), else the system's resolver configuration, bounded by the timeout."""
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    try:
        resolver = resolver_module.Resolver(configure=not opts.nameservers)
    except resolver_module.NoResolverConfiguration:
        return _system_addresses(host)
    if opts.nameservers:
        resolver.nameservers = [nameserver.Do53Nameserver(h, p) for h, p in opts.nameservers]
    found: list[str] = []
    for rdtype in ("A", "AAAA"):
        try:
            found += [r.address for r in resolver.resolve(host, rdtype, lifetime=opts.timeout)]
        except (resolver_module.NXDOMAIN, resolver_module.NoAnswer):
            continue
        except dns.exception.Timeout as exc:
            raise NetFailure(
                "resolve", f"{host} does not resolve: no DNS answer within {opts.timeout:g} s"
            ) from exc
        except dns.exception.DNSException as exc:
            raise NetFailure("resolve", f"{host} does not resolve: {exc}") from exc
    if not found:
        raise NetFailure("resolve", f"{host} has no A or AAAA record")
    return found


def _system_addresses(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise NetFailure("resolve", f"{host} does not resolve: {exc.strerror}") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def open_tcp(host: str, port: int, opts: NetOptions, address: str | None = None) -> socket.socket:
    """A connected socket to `host:port` (or to `address`, an address of `host` the caller chose), after
    `--connect-to`; every address of a name is tried in turn, as senders do. Raises NetFailure."""
    target, target_port = route(host, port, opts.connect_to, address)
    failures: list[NetFailure] = []
    for addr in _addresses(target, opts):
        try:
            return socket.create_connection((addr, target_port), timeout=opts.timeout)
        except OSError as exc:
            failures.append(_connect_failure(exc, addr, target_port, opts.timeout))
    # Report the most telling failure: a refusal is an answer, a timeout says nothing answered.
    raise min(failures, key=lambda f: _PRIORITY.get(f.kind, len(_PRIORITY)))


_PRIORITY = {"refused": 0, "unreachable": 1, "timeout": 2}


def _connect_failure(exc: OSError, addr: str, port: int, timeout: float) -> NetFailure:
    where = f"[{addr}]:{port}" if ":" in addr else f"{addr}:{port}"
    if isinstance(exc, ConnectionRefusedError):
        return NetFailure(
            "refused", f"connection to {where} refused (nothing listens there, or a firewall rejects)"
        )
    if isinstance(exc, TimeoutError):
        return NetFailure(
            "timeout", f"nothing answers at {where} within {timeout:g} s (the port is filtered on the way)"
        )
    if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
        return NetFailure("unreachable", f"{where} is unreachable from this machine ({exc.strerror})")
    return NetFailure("unreachable", f"cannot connect to {where}: {exc.strerror or exc}")


@contextmanager
def step(sock: socket.socket, seconds: float, what: str) -> Iterator[None]:
    """Bound one protocol step to `seconds` of wall time: when they pass, the connection is shut down under
    the reader and the step raises NetFailure("timeout", "no complete <what> within N s"). The socket is
    found by its descriptor, which a TLS wrapper (STARTTLS, HTTPS) takes over from the plain socket."""
    fd = sock.fileno()
    fired = threading.Event()

    def expire() -> None:
        fired.set()
        with suppress(OSError):
            borrowed = socket.socket(fileno=fd)
            try:
                borrowed.shutdown(socket.SHUT_RDWR)
            finally:
                borrowed.detach()

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        yield
    except Exception as exc:
        if fired.is_set() or _caused_by_timeout(exc):
            raise NetFailure("timeout", f"no complete {what} within {seconds:g} s") from exc
        raise
    finally:
        timer.cancel()
    if fired.is_set():
        raise NetFailure("timeout", f"no complete {what} within {seconds:g} s")


def _caused_by_timeout(exc: BaseException | None) -> bool:
    """A socket timeout, also when a library re-raised it as its own error (smtplib: "disconnected")."""
    while exc is not None:
        if isinstance(exc, TimeoutError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
