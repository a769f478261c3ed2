"""verify's MTA-STS policy fetch against real HTTPS servers on loopback (trustme certificates), reached through
`--connect-to` as the real world would be, and the strict policy reader."""

from __future__ import annotations

import datetime as dt

import pytest
import trustme
from netservers import Answer, closed_port, filtered_port, https_server, silent_port

from zonesync.mail.mta_sts import policy_text
from zonesync.verify import sts_policy
from zonesync.verify.mta_sts import MAX_POLICY_BYTES, check_policy
from zonesync.verify.result import ConnectTo, NetOptions, Status

ZONE = "example.com"
HOST = "mta-sts.example.com"
URL = "https://mta-sts.example.com/.well-known/mta-sts.txt"
POLICY = policy_text("enforce", ["mx1.example.com", "*.mail.example.com"], 604800)
MX = ["mx1.example.com", "in.mail.example.com"]


def server_context(ca: trustme.CA, *names: str, **kwargs):
    import ssl

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names, **kwargs).configure_cert(ctx)
    return ctx


def opts_for(port: int, ca_file=None, timeout: float = 2.0) -> NetOptions:
    return NetOptions(timeout=timeout, connect_to=(ConnectTo(HOST, 443, "127.0.0.1", port),), ca_file=ca_file)


def run(ca, ca_file, answer: Answer, *, names=(HOST,), expected=POLICY, mx=MX, **cert_kwargs):
    with https_server(server_context(ca, *names, **cert_kwargs), answer) as (port, seen):
        return check_policy(ZONE, expected, mx, opts_for(port, ca_file)), seen


def by_status(findings, status):
    return [f.message for f in findings if f.status is status]


def test_good_policy_passes_and_keeps_the_name_for_sni_and_host(ca, ca_file):
    findings, seen = run(ca, ca_file, Answer(body=POLICY.encode()))
    assert {f.status for f in findings} == {Status.PASS}, findings
    assert all(f.zone == ZONE and f.topic == "mta-sts" for f in findings)
    assert seen.sni == [HOST]
    assert seen.requests == [("/.well-known/mta-sts.txt", HOST)]
    messages = [f.message for f in findings]
    assert messages[0].startswith(
        f"fetched over HTTPS ({len(POLICY)} bytes, text/plain), certificate for {HOST}"
    )
    assert "policy parses: mode enforce, max_age 604800, mx mx1.example.com, *.mail.example.com" in messages
    assert "the served policy is the one zonesync generates" in messages
    assert "MX in.mail.example.com is covered by the policy's `mx: *.mail.example.com`" in messages
    assert findings[0].details[1:] == tuple(f"  {line}" for line in POLICY.splitlines())


def test_lf_line_endings_and_charset_parameter_are_accepted(ca, ca_file):
    answer = Answer(
        body=POLICY.replace("\r\n", "\n").encode(), headers={"Content-Type": "text/plain; charset=utf-8"}
    )
    findings, _ = run(ca, ca_file, answer)
    assert {f.status for f in findings} == {Status.PASS}, findings


def test_certificate_for_another_name(ca, ca_file):
    findings, _ = run(ca, ca_file, Answer(body=POLICY.encode()), names=("www.example.net",))
    [finding] = findings
    assert finding.status is Status.FAIL and finding.subject == URL
    assert finding.message == "the certificate is for www.example.net, not mta-sts.example.com"
    assert "names mta-sts.example.com" in finding.fix


def test_expired_certificate(ca, ca_file):
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    findings, _ = run(
        ca, ca_file, Answer(body=POLICY.encode()), not_before=past - dt.timedelta(days=90), not_after=past
    )
    [finding] = findings
    assert finding.status is Status.FAIL
    assert finding.message == f"the certificate of mta-sts.example.com expired on {past:%Y-%m-%d}"
    assert finding.fix == "renew the certificate of mta-sts.example.com"


def test_certificate_expiring_soon_is_a_warning(ca, ca_file):
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=5)
    findings, _ = run(ca, ca_file, Answer(body=POLICY.encode()), not_after=soon)
    assert findings[0].status is Status.WARN
    assert findings[0].message.endswith(": expires in 4 days")


def test_private_ca_without_ca_file_is_untrusted(ca):
    findings, _ = run(ca, None, Answer(body=POLICY.encode()))
    [finding] = findings
    assert finding.status is Status.FAIL
    assert finding.message.startswith(
        "the certificate of mta-sts.example.com is not signed by a trusted CA (issuer "
    )
    assert "--ca-file" in finding.fix


def test_redirect_is_not_followed(ca, ca_file):
    answer = Answer(status=301, headers={"Location": "https://www.example.com/mta-sts.txt"})
    findings, seen = run(ca, ca_file, answer)
    [finding] = findings
    assert finding.status is Status.FAIL
    assert finding.message == (
        "answers 301 with a redirect to https://www.example.com/mta-sts.txt: senders never follow redirects "
        "(RFC 8461 §3.3)"
    )
    assert len(seen.requests) == 1


def test_not_found(ca, ca_file):
    findings, _ = run(ca, ca_file, Answer(status=404, body=b"nope"))
    assert by_status(findings, Status.FAIL) == ["answers HTTP 404 Not Found, not 200"]


def test_wrong_content_type(ca, ca_file):
    findings, _ = run(ca, ca_file, Answer(body=POLICY.encode(), headers={"Content-Type": "text/html"}))
    assert by_status(findings, Status.FAIL) == [
        "Content-Type is 'text/html', not text/plain: senders ignore the policy (RFC 8461 §3.3)"
    ]


def test_ten_megabyte_policy_is_refused_from_its_content_length(ca, ca_file):
    findings, _ = run(ca, ca_file, Answer(body=b"x" * 10 * 1024 * 1024))
    assert by_status(findings, Status.FAIL) == [
        f"the policy is {10 * 1024 * 1024} bytes (Content-Length), more than the {MAX_POLICY_BYTES} senders read: "
        "they discard it"
    ]


def test_ten_megabyte_chunked_policy_is_cut_at_the_limit(ca, ca_file):
    findings, _ = run(ca, ca_file, Answer(body=b"x" * 1024 * 1024, chunks=10))
    assert by_status(findings, Status.FAIL) == [
        f"the policy is larger than {MAX_POLICY_BYTES} bytes: senders discard it"
    ]


def test_missing_version_line(ca, ca_file):
    body = POLICY.replace("version: STSv1\r\n", "")
    findings, _ = run(ca, ca_file, Answer(body=body.encode()))
    assert by_status(findings, Status.FAIL) == [
        "no `version: STSv1` line: senders ignore the whole policy (RFC 8461 §3.2)"
    ]
    assert not any(f.message.startswith("MX ") for f in findings)


def test_mx_not_covering_fails_in_enforce_mode(ca, ca_file):
    findings, _ = run(ca, ca_file, Answer(body=POLICY.encode()), mx=["mx1.example.com", "mx2.example.com"])
    [uncovered] = [f for f in findings if f.subject == "mx2.example.com"]
    assert uncovered.status is Status.FAIL
    assert uncovered.message == (
        "MX mx2.example.com is not covered by any `mx:` line of the policy (mx1.example.com, *.mail.example.com): "
        "in enforce mode senders refuse to deliver to it"
    )


def test_mx_not_covering_warns_in_testing_mode(ca, ca_file):
    testing = policy_text("testing", ["mx1.example.com"], 604800)
    findings, _ = run(ca, ca_file, Answer(body=testing.encode()), expected=testing, mx=["mx2.example.com"])
    assert by_status(findings, Status.WARN) == [
        "MX mx2.example.com is not covered by any `mx:` line of the policy (mx1.example.com): "
        "in testing mode senders only report it"
    ]


def test_served_policy_differs_from_the_generated_one(ca, ca_file):
    served = policy_text("testing", ["mx1.example.com", "old.example.com"], 86400)
    findings, _ = run(ca, ca_file, Answer(body=served.encode()), mx=["mx1.example.com"])
    assert by_status(findings, Status.FAIL) == [
        "the served policy differs from the one zonesync generates: mode testing (zonesync generates enforce); "
        "max_age 86400 (zonesync generates 604800); mx lines missing: *.mail.example.com; "
        "mx lines not generated by zonesync: old.example.com"
    ]


def test_no_expected_policy_skips_the_comparison(ca, ca_file):
    findings, _ = run(ca, ca_file, Answer(body=POLICY.encode()), expected=None)
    assert {f.status for f in findings} == {Status.PASS}
    assert not any("zonesync generates" in f.message for f in findings)


def test_connection_refused():
    [finding] = check_policy(ZONE, POLICY, MX, opts_for(closed_port()))
    assert finding.status is Status.FAIL
    assert finding.message.startswith("connection to 127.0.0.1:")
    assert finding.message.endswith(" refused (nothing listens there, or a firewall rejects)")
    assert finding.fix == "serve HTTPS on port 443 of mta-sts.example.com"


def test_nothing_answers():
    with filtered_port() as port:
        [finding] = check_policy(ZONE, POLICY, MX, opts_for(port, timeout=0.5))
    assert finding.status is Status.FAIL
    assert (
        finding.message
        == f"nothing answers at 127.0.0.1:{port} within 0.5 s (the port is filtered on the way)"
    )


def test_server_that_never_answers_the_handshake():
    with silent_port() as port:
        [finding] = check_policy(ZONE, POLICY, MX, opts_for(port, timeout=0.5))
    assert finding.status is Status.FAIL
    assert finding.message == "no complete TLS handshake within 0.5 s"


def test_unreadable_ca_file_means_the_check_could_not_run(tmp_path):
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    [finding] = check_policy(ZONE, POLICY, MX, NetOptions(ca_file=bad))
    assert finding.status is Status.ERROR
    assert finding.message.startswith(f"cannot read CA certificates from {bad}: ")


# The strict reader, alone.


def test_reader_accepts_crlf_and_lf_alike():
    crlf = sts_policy.parse(POLICY)
    lf = sts_policy.parse(POLICY.replace("\r\n", "\n"))
    assert crlf == lf
    assert crlf[0] == sts_policy.Policy("STSv1", "enforce", 604800, ("mx1.example.com", "*.mail.example.com"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: STSv2\nmode: enforce\nmx: a.example.com\nmax_age: 1\n", "version is 'STSv2', not STSv1"),
        ("version: STSv1\nmode: strict\nmx: a.example.com\nmax_age: 1\n", "mode 'strict' is not enforce"),
        ("version: STSv1\nmode: enforce\nmx: a.example.com\n", "no `max_age:` line"),
        ("version: STSv1\nmode: enforce\nmx: a.example.com\nmax_age: 99999999999\n", "max_age '99999999999'"),
        ("version: STSv1\nmode: enforce\nmax_age: 86400\n", "no `mx:` line"),
        ("version: STSv1\nmode: enforce\nmx: *example.com\nmax_age: 86400\n", "mx pattern '*example.com'"),
        ("version: STSv1\nmode enforce\nmx: a.example.com\nmax_age: 86400\n", "line 2 is not `key: value`"),
        (
            "version: STSv1\nmode: enforce\nmode: none\nmx: a.example.com\nmax_age: 86400\n",
            "`mode` appears twice",
        ),
    ],
)
def test_reader_rejects(text, message):
    policy, problems = sts_policy.parse(text)
    assert policy is None
    assert any(p.severity == "fail" and p.message.startswith(message) for p in problems), problems


def test_version_not_first_is_a_warning():
    policy, problems = sts_policy.parse("mode: enforce\nversion: STSv1\nmx: a.example.com\nmax_age: 86400\n")
    assert policy is not None
    assert problems == [
        sts_policy.Problem("warn", "`version: STSv1` is not the first line, where senders expect it")
    ]


def test_policy_host_that_does_not_resolve():
    # --nameserver at a loopback port where no DNS server listens: no answer, reported as such.
    opts = NetOptions(timeout=0.5, nameservers=(("127.0.0.1", closed_port()),))
    [finding] = check_policy(ZONE, POLICY, MX, opts)
    assert finding.status is Status.FAIL
    assert finding.message.startswith("mta-sts.example.com does not resolve")
    assert finding.fix == "publish an A/AAAA (or proxied CNAME) record for mta-sts.example.com"


def test_a_policy_trickling_in_stops_at_the_timeout(ca, ca_file):
    # Each byte comes within the socket timeout, so only the step's wall-time bound ends the fetch.
    with https_server(server_context(ca, HOST), Answer(body=POLICY.encode(), trickle=0.1)) as (port, _):
        [finding] = check_policy(ZONE, POLICY, MX, opts_for(port, ca_file, timeout=0.5))
    assert finding.status is Status.FAIL
    assert finding.message == "no complete policy body within 0.5 s"
