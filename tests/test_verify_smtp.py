"""verify --smtp against a real SMTP server (aiosmtpd with STARTTLS, trustme certificates) on loopback,
reached through `--connect-to`, and against ports that refuse, never answer, or never end their banner."""

from __future__ import annotations

import contextlib
import datetime as dt
import ssl

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from netservers import closed_port, endless_banner_server, filtered_port, silent_port

from zonesync.verify.result import ConnectTo, NetOptions, Status
from zonesync.verify.smtp import check_smtp

ZONE = "example.com"
MX = "mx.example.com"
ADDRESS = "192.0.2.25"  # what DNS would say; --connect-to sends the connection to loopback instead


@contextlib.contextmanager
def smtp_server(ca: trustme.CA | None, *names: str, **cert_kwargs):
    """aiosmtpd on 127.0.0.1, offering STARTTLS with a certificate for `names` (none: no STARTTLS)."""
    kwargs = {}
    if ca is not None:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(*names, **cert_kwargs).configure_cert(ctx)
        kwargs = {"tls_context": ctx, "require_starttls": False}
    controller = Controller(Sink(), hostname="127.0.0.1", port=closed_port(), ident="test ESMTP", **kwargs)
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


def opts_for(port: int, ca_file=None, timeout: float = 2.0, host: str = MX) -> NetOptions:
    return NetOptions(timeout=timeout, connect_to=(ConnectTo(host, 25, "127.0.0.1", port),), ca_file=ca_file)


def probe(port: int, ca_file=None, patterns=(MX,), timeout: float = 2.0):
    [finding] = check_smtp(ZONE, {MX: [ADDRESS]}, list(patterns), opts_for(port, ca_file, timeout))
    assert (finding.zone, finding.topic, finding.subject) == (ZONE, "smtp", f"{MX} ({ADDRESS})")
    return finding


def test_starttls_with_a_valid_certificate_covered_by_the_policy(ca, ca_file):
    with smtp_server(ca, MX) as port:
        finding = probe(port, ca_file, patterns=["*.example.com"])
    assert finding.status is Status.PASS
    assert finding.message.startswith(f"STARTTLS with a certificate valid for {MX} until ")
    assert finding.message.endswith(", covered by MTA-STS `mx: *.example.com`")
    assert finding.details[0].startswith("220 ") and "test ESMTP" in finding.details[0]
    assert "starttls" in finding.details[1]
    assert finding.details[2].startswith("TLSv1.")


def test_no_policy_means_no_pattern_check(ca, ca_file):
    with smtp_server(ca, MX) as port:
        finding = probe(port, ca_file, patterns=())
    assert finding.status is Status.PASS
    assert "MTA-STS" not in finding.message


def test_valid_certificate_but_name_not_in_the_policy(ca, ca_file):
    with smtp_server(ca, MX) as port:
        finding = probe(port, ca_file, patterns=["mail.example.com"])
    assert finding.status is Status.FAIL
    assert finding.message.endswith(
        ", but no MTA-STS `mx:` pattern (mail.example.com) covers mx.example.com: senders enforcing the policy "
        "refuse this MX"
    )


def test_certificate_for_another_name_fails_under_mta_sts(ca, ca_file):
    with smtp_server(ca, "other.example.net") as port:
        finding = probe(port, ca_file)
    assert finding.status is Status.FAIL
    assert finding.message == (
        "the certificate is for other.example.net, not mx.example.com: senders enforcing MTA-STS refuse this MX"
    )
    assert "names mx.example.com" in finding.fix


def test_certificate_for_another_name_warns_without_mta_sts(ca, ca_file):
    with smtp_server(ca, "other.example.net") as port:
        finding = probe(port, ca_file, patterns=())
    assert finding.status is Status.WARN
    assert finding.message == (
        "the certificate is for other.example.net, not mx.example.com: senders encrypt anyway but cannot "
        "authenticate this MX"
    )


def test_expired_certificate(ca, ca_file):
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    with smtp_server(ca, MX, not_before=past - dt.timedelta(days=90), not_after=past) as port:
        finding = probe(port, ca_file)
    assert finding.status is Status.FAIL
    assert finding.message == (
        f"the certificate of mx.example.com expired on {past:%Y-%m-%d}: senders enforcing MTA-STS refuse this MX"
    )


def test_no_starttls(ca_file):
    with smtp_server(None) as port:
        finding = probe(port, ca_file)
    assert finding.status is Status.FAIL
    assert finding.message == (
        "STARTTLS is not offered: mail to this MX travels in clear text, and senders enforcing MTA-STS refuse it"
    )


def test_connection_refused():
    port = closed_port()
    finding = probe(port)
    assert finding.status is Status.FAIL
    assert finding.message == (
        f"connection to 127.0.0.1:{port} refused (nothing listens there, or a firewall rejects)"
    )
    assert finding.fix == "start the mail server on mx.example.com, or open port 25 in its firewall"


def test_nothing_answers_is_told_apart_from_refused():
    with filtered_port() as port:
        finding = probe(port, timeout=0.5)
    assert finding.status is Status.FAIL
    assert (
        finding.message
        == f"nothing answers at 127.0.0.1:{port} within 0.5 s (the port is filtered on the way)"
    )
    assert finding.fix.startswith("allow inbound TCP port 25 to mx.example.com")


def test_server_that_never_greets():
    with silent_port() as port:
        finding = probe(port, timeout=0.5)
    assert finding.status is Status.FAIL
    assert finding.message == "no complete SMTP banner within 0.5 s"


def test_banner_that_never_ends_stops_at_the_timeout():
    with endless_banner_server() as port:
        finding = probe(port, timeout=0.5)
    assert finding.status is Status.FAIL
    assert finding.message == "no complete SMTP banner within 0.5 s"


def test_each_address_is_probed_and_connect_to_can_name_an_address(ca, ca_file):
    refused = closed_port()
    with smtp_server(ca, MX) as port:
        rules = (
            ConnectTo("192.0.2.1", 25, "127.0.0.1", refused),
            ConnectTo("192.0.2.2", 25, "127.0.0.1", port),
        )
        findings = check_smtp(
            ZONE,
            {MX: ["192.0.2.1", "192.0.2.2"]},
            [MX],
            NetOptions(timeout=2, connect_to=rules, ca_file=ca_file),
        )
    assert [(f.subject, f.status) for f in findings] == [
        (f"{MX} (192.0.2.1)", Status.FAIL),
        (f"{MX} (192.0.2.2)", Status.PASS),
    ]
    assert "refused" in findings[0].message
