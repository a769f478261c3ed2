"""verify's MTA-STS policy check: fetch `https://mta-sts.<zone>/.well-known/mta-sts.txt` as RFC 8461 §3.3 says
a sender does, read it strictly, compare it with the policy zonesync generates, and check that it covers every
MX host.

A sender verifies the certificate for `mta-sts.<zone>`, follows no redirect, accepts only a 200 `text/plain`
answer and reads a bounded size; it ignores a policy that fails any of these. So does this check.
"""

from __future__ import annotations

import http.client
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from zonesync.mail.mta_sts import policy_host, policy_url
from zonesync.verify import sts_policy
from zonesync.verify.connect import NetFailure, open_tcp, step
from zonesync.verify.result import Finding, NetOptions, Status
from zonesync.verify.tls import (
    CertInfo,
    describe,
    now,
    peer_certificate,
    unverified,
    verify_failure,
    verifying_context,
)

TOPIC = "mta-sts"
PATH = "/.well-known/mta-sts.txt"
MAX_POLICY_BYTES = 64 * 1024
"""Senders read a bounded policy (RFC 8461 §3.3 leaves the size to them; 64 KiB is the common cap): a policy
is a few hundred bytes, so more means the wrong file is served."""
EXPIRY_WARNING = timedelta(days=14)


@dataclass(frozen=True)
class Fetched:
    body: bytes
    content_type: str
    cert: CertInfo


def fetch(host: str, opts: NetOptions) -> Fetched:
    """GET the policy from `host` over verified HTTPS (port 443, after `--connect-to`). Raises NetFailure."""
    ctx = verifying_context(opts.ca_file)
    plain = open_tcp(host, 443, opts)
    tls = None
    try:
        try:
            with step(plain, opts.timeout, "TLS handshake"):
                tls = ctx.wrap_socket(plain, server_hostname=host)
        except ssl.SSLError as exc:
            raise verify_failure(exc, host, _certificate_anyway(host, opts)) from exc
        # read now: a server that closes after its answer (HTTP/1.0, `Connection: close`) has http.client close
        # the socket under us once the body is read
        cert = peer_certificate(tls, host)
        conn = http.client.HTTPSConnection(host, 443, timeout=opts.timeout)
        conn.sock = tls  # connected and verified above; http.client only speaks HTTP over it
        with step(tls, opts.timeout, "HTTP answer"):
            conn.request("GET", PATH, headers={"Accept": "text/plain", "User-Agent": "zonesync-verify"})
            response = conn.getresponse()
        _check_response(response, host)
        with step(tls, opts.timeout, "policy body"):
            body = response.read(MAX_POLICY_BYTES + 1)
        if len(body) > MAX_POLICY_BYTES:
            raise NetFailure(
                "too-large", f"the policy is larger than {MAX_POLICY_BYTES} bytes: senders discard it"
            )
        _check_complete(response, body)
        return Fetched(body, response.getheader("Content-Type", ""), cert)
    except (http.client.HTTPException, OSError) as exc:
        raise NetFailure(
            "protocol", f"https://{host}{PATH} gave no valid HTTP answer: {exc or type(exc).__name__}"
        ) from exc
    finally:
        (tls or plain).close()


def _check_response(response: http.client.HTTPResponse, host: str) -> None:
    status = response.status
    if 300 <= status < 400:
        where = response.getheader("Location", "(no Location)")
        raise NetFailure(
            "redirect",
            f"answers {status} with a redirect to {where}: senders never follow redirects (RFC 8461 §3.3)",
        )
    if status != 200:
        raise NetFailure("status", f"answers HTTP {status} {response.reason}, not 200")
    media_type = response.getheader("Content-Type", "").split(";")[0].strip().lower()
    if media_type != "text/plain":
        raise NetFailure(
            "content-type",
            f"Content-Type is {media_type or '(none)'!r}, not text/plain: senders ignore the policy (RFC 8461 §3.3)",
        )
    length = response.getheader("Content-Length")
    if length and length.isdigit() and int(length) > MAX_POLICY_BYTES:
        raise NetFailure(
            "too-large",
            f"the policy is {int(length)} bytes (Content-Length), more than the {MAX_POLICY_BYTES} senders read: "
            "they discard it",
        )


def _check_complete(response: http.client.HTTPResponse, body: bytes) -> None:
    """A body shorter than its Content-Length is a truncated policy (http.client returns what came when a
    bounded read meets the end of the connection): senders discard it."""
    if response.length:  # bytes still announced and never sent
        raise NetFailure(
            "protocol",
            f"the body ended after {len(body)} of the {len(body) + response.length} bytes its Content-Length "
            "announced: senders discard a truncated policy",
        )


def _certificate_anyway(host: str, opts: NetOptions) -> bytes | None:
    """The certificate that failed verification, read without verifying, to say what it is for."""
    try:
        plain = open_tcp(host, 443, opts)
    except NetFailure:
        return None
    try:
        with step(plain, opts.timeout, "TLS handshake"):
            tls = unverified().wrap_socket(plain, server_hostname=host)
        with tls:
            return tls.getpeercert(binary_form=True)
    except (NetFailure, OSError):
        plain.close()
        return None


def _fix(kind: str, host: str, url: str) -> str:
    return {
        "resolve": f"publish an A/AAAA (or proxied CNAME) record for {host}",
        "refused": f"serve HTTPS on port 443 of {host}",
        "timeout": f"open port 443 of {host} in its firewall, or check the web server there",
        "unreachable": f"check the address of {host} and the route to it",
        "cert-name": f"serve a certificate that names {host} (e.g. from Let's Encrypt): senders refuse any other",
        "cert-expired": f"renew the certificate of {host}",
        "cert-untrusted": f"serve a certificate from a public CA for {host} (for a private CA, pass --ca-file)",
        "tls": f"serve TLS 1.2 or later on port 443 of {host}",
        "redirect": f"serve the policy itself at {url} with status 200",
        "status": f"serve the policy at {url} with status 200",
        "content-type": "serve the policy with `Content-Type: text/plain`",
        "too-large": f"serve only the policy (a few hundred bytes) at {url}",
        "protocol": f"serve the policy over HTTP/1.1 at {url}",
    }.get(kind, "")


WORKER_TLS_KINDS = ("tls", "cert-name", "cert-untrusted")
"""Handshake failures a Worker custom domain shows while Cloudflare is still issuing its certificate."""


def check_policy(
    zone: str,
    expected_policy: str | None,
    mx_hosts: Sequence[str],
    opts: NetOptions,
    certificate_status: Callable[[], str | None] | None = None,
) -> list[Finding]:
    """Fetch, parse, compare with `expected_policy` (None: zonesync generates none for this zone, nothing to
    compare) and check that every host of `mx_hosts` is covered by an `mx` pattern. `certificate_status`
    (the policy is served by a Worker custom domain): asked when the TLS handshake fails, the status of the
    domain's certificate as Cloudflare's API tells it, or None when it cannot be read."""
    host, url = policy_host(zone), policy_url(zone)

    def finding(
        subject: str, status: Status, message: str, fix: str = "", details: Sequence[str] = ()
    ) -> Finding:
        return Finding(zone, TOPIC, subject, status, message, fix, tuple(details))

    try:
        fetched = fetch(host, opts)
    except NetFailure as failure:
        status = Status.ERROR if failure.kind == "ca-file" else Status.FAIL
        if certificate_status is not None and failure.kind in WORKER_TLS_KINDS:
            return [_worker_tls_finding(failure.message, certificate_status(), host, finding, url)]
        return [finding(url, status, failure.message, _fix(failure.kind, host, url))]
    try:
        text = fetched.body.decode("utf-8")
    except UnicodeDecodeError:
        return [
            finding(url, Status.FAIL, "the policy is not UTF-8 text", f"serve the plain-text policy at {url}")
        ]
    as_fetched = ("policy as fetched:", *(f"  {line}" for line in text.splitlines()))
    findings = [_fetched_finding(fetched, host, finding, url, as_fetched)]
    policy, problems = sts_policy.parse(text)
    for problem in problems:
        status = Status.FAIL if problem.severity == "fail" else Status.WARN
        findings.append(
            finding(
                url, status, problem.message, "serve the policy zonesync generates (`version: STSv1` first)"
            )
        )
    if policy is None:
        return findings
    findings.append(
        finding(
            url,
            Status.PASS,
            f"policy parses: mode {policy.mode}, max_age {policy.max_age}, mx {', '.join(policy.mx) or '(none)'}",
        )
    )
    findings += _compare(policy, expected_policy, finding, url)
    findings += _coverage(policy, mx_hosts, finding, url)
    return findings


def _worker_tls_finding(message: str, cert: str | None, host: str, finding: Callable, url: str) -> Finding:
    """A failed handshake with a Worker custom domain: most often its certificate is not issued yet."""
    wait = "Cloudflare issues a new custom domain's certificate within minutes: wait, then run verify again"
    if cert is not None and cert != "active":
        return finding(
            url,
            Status.FAIL,
            f"{message}: certificate pending (Cloudflare's API shows the certificate of {host} {cert})",
            wait,
        )
    told = " (Cloudflare's API shows it active)" if cert == "active" else ""
    return finding(
        url,
        Status.FAIL,
        f"{message}{told}",
        f"if the Worker custom domain {host} was just created, {wait[0].lower()}{wait[1:]}; "
        "otherwise check its certificate in Cloudflare's dashboard (SSL/TLS > Edge Certificates)",
    )


def _fetched_finding(fetched: Fetched, host: str, finding: Callable, url: str, details: tuple) -> Finding:
    left = fetched.cert.not_after - now()
    message = f"fetched over HTTPS ({len(fetched.body)} bytes, text/plain), {describe(fetched.cert)}"
    if left < EXPIRY_WARNING:
        return finding(
            url,
            Status.WARN,
            f"{message}: expires in {left.days} days",
            f"renew the certificate of {host}",
            details,
        )
    return finding(url, Status.PASS, message, "", details)


def _compare(
    policy: sts_policy.Policy, expected_text: str | None, finding: Callable, url: str
) -> list[Finding]:
    if expected_text is None:
        return []
    expected, _ = sts_policy.parse(expected_text)
    if expected is None:
        return []
    diffs = sts_policy.differences(policy, expected)
    if not diffs:
        return [finding(url, Status.PASS, "the served policy is the one zonesync generates")]
    return [
        finding(
            url,
            Status.FAIL,
            f"the served policy differs from the one zonesync generates: {'; '.join(diffs)}",
            "serve the generated policy: the `_mta-sts` record's id announces that one",
            ("zonesync generates:", *(f"  {line}" for line in expected_text.splitlines())),
        )
    ]


def _coverage(
    policy: sts_policy.Policy, mx_hosts: Sequence[str], finding: Callable, url: str
) -> list[Finding]:
    if policy.mode == "none":
        return []
    findings = []
    for mx in mx_hosts:
        host = mx.lower().rstrip(".")
        pattern = sts_policy.covering(policy.mx, host)
        if pattern:
            findings.append(
                finding(host, Status.PASS, f"MX {host} is covered by the policy's `mx: {pattern}`")
            )
            continue
        consequence = (
            "in enforce mode senders refuse to deliver to it"
            if policy.mode == "enforce"
            else "in testing mode senders only report it"
        )
        findings.append(
            finding(
                host,
                Status.FAIL if policy.mode == "enforce" else Status.WARN,
                f"MX {host} is not covered by any `mx:` line of the policy ({', '.join(policy.mx)}): {consequence}",
                f"add `mx: {host}` to the policy at {url} (zonesync's generated policy lists every MX)",
            )
        )
    return findings
