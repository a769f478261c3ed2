"""verify --outbound's relay part: a blocked port 25 names `mail.relay:`, and the relay's submission port is
probed with STARTTLS and AUTH (a loopback aiosmtpd reached through --connect-to)."""

from __future__ import annotations

import ssl
from pathlib import Path

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from netservers import closed_port

from zonesync.mail.relay_spec import RelaySpec
from zonesync.model import Source
from zonesync.verify.outbound import BLOCKED, RELAY_ADVICE, with_relay_advice
from zonesync.verify.relay_port import check_relay_port
from zonesync.verify.result import ConnectTo, Finding, NetOptions, Status

HOST = "email-smtp.eu-west-1.amazonaws.com"


def _spec(port: int = 587) -> RelaySpec:
    return RelaySpec("ses", "eu-west-1", HOST, port, "bounce", None, (), (), None, Source("z.yaml"))


def test_blocked_port_25_names_mail_relay() -> None:
    blocked = Finding("", "outbound", "outbound port 25", Status.FAIL, BLOCKED, "old fix")
    assert with_relay_advice([blocked], [])[0].fix == RELAY_ADVICE
    assert "`mail.relay:`" in RELAY_ADVICE and "zonesync relay config" in RELAY_ADVICE
    assert "relay's submission port is checked below" in with_relay_advice([blocked], ["example.com"])[0].fix


def test_relay_port_answers_with_starttls_and_auth(tmp_path: Path) -> None:
    ca = trustme.CA()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST).configure_cert(ctx)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server = Controller(
        Sink(), hostname="127.0.0.1", port=closed_port(), tls_context=ctx, require_starttls=True,
        auth_required=True, auth_require_tls=True, authenticator=lambda *a: None,
    )  # fmt: skip
    server.start()
    try:
        opts = NetOptions(
            timeout=3, connect_to=(ConnectTo(HOST, 587, "127.0.0.1", server.port),), ca_file=ca_file
        )
        good = check_relay_port("example.com", _spec(), opts)
        untrusted = check_relay_port(
            "example.com", _spec(), NetOptions(timeout=3, connect_to=opts.connect_to)
        )
    finally:
        server.stop()
    assert good.status is Status.PASS, good.message
    assert (
        good.message.startswith("the relay answers with STARTTLS (TLSv1.") and "offers AUTH" in good.message
    )
    assert untrusted.status is Status.FAIL and "STARTTLS failed" in untrusted.message


def test_relay_port_closed_fails_with_the_fix() -> None:
    opts = NetOptions(timeout=1, connect_to=(ConnectTo(HOST, 587, "127.0.0.1", closed_port()),))
    finding = check_relay_port("example.com", _spec(), opts)
    assert finding.status is Status.FAIL and "refused" in finding.message
    assert "try 465 or 2525" in finding.fix
