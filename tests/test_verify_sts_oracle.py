"""checkdmarc (an independent implementation) as the oracle for verify's MTA-STS verdicts: the strict reading of
a served policy (RFC 8461 §3.2) and MX coverage by its `mx` patterns (§4.1). checkdmarc fetches policies
itself over the real network, so it is given the same text verify read; the loopback HTTPS fetch is tested
in test_verify_mta_sts.py."""

from __future__ import annotations

import pytest

from zonesync.verify import sts_policy

cd_sts = pytest.importorskip("checkdmarc.mta_sts")

GOOD = "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 604800\n"
POLICIES = {
    "good": GOOD,
    "crlf": GOOD.replace("\n", "\r\n"),
    "testing, wildcard": "version: STSv1\nmode: testing\nmx: *.example.com\nmax_age: 86400\n",
    "mode none without mx": "version: STSv1\nmode: none\nmax_age: 604800\n",
    "unknown extension field": GOOD + "foo: bar\n",
    "no version line": GOOD.replace("version: STSv1\n", ""),
    "version STSv2": GOOD.replace("STSv1", "STSv2"),
    "mode misspelt": GOOD.replace("enforce", "enforcing"),
    "no mode": GOOD.replace("mode: enforce\n", ""),
    "no max_age": GOOD.replace("max_age: 604800\n", ""),
    "max_age not a number": GOOD.replace("604800", "soon"),
    "max_age over a year": GOOD.replace("604800", "99999999999"),
    "enforce without mx": GOOD.replace("mx: mx.example.com\n", ""),
    "a line that is not key: value": GOOD.replace("mx:", "this is not a policy\nmx:"),
    "an HTML error page": "<html><body>404 Not Found</body></html>\n",
    "mx pattern with an empty label": GOOD.replace("mx.example.com", "mx..example.com"),
}
STRICTER = {
    # RFC 8461 §3.2 defines one value for each of version, mode and max_age; a second `mode` line leaves a
    # sender to guess which applies. checkdmarc keeps the last; verify calls the policy unreadable.
    "mode twice": GOOD.replace("mode: enforce\n", "mode: enforce\nmode: testing\n"),
}


def checkdmarc_accepts(text: str) -> bool:
    try:
        cd_sts.parse_mta_sts_policy(text)
    except cd_sts.MTASTSError:
        return False
    return True


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_policy_verdict_agrees_with_checkdmarc(name: str) -> None:
    text = POLICIES[name]
    policy, problems = sts_policy.parse(text)
    assert (policy is not None) == checkdmarc_accepts(text), problems
    if policy is not None:
        parsed = cd_sts.parse_mta_sts_policy(text)["policy"]
        assert (policy.version, policy.mode, policy.max_age) == (
            parsed["version"],
            parsed["mode"],
            parsed["max_age"],
        )
        assert list(policy.mx) == parsed.get("mx", [])


@pytest.mark.parametrize("name", sorted(STRICTER))
def test_where_verify_is_stricter_it_says_why(name: str) -> None:
    text = STRICTER[name]
    policy, problems = sts_policy.parse(text)
    assert checkdmarc_accepts(text) and policy is None
    assert any("appears twice" in p.message for p in problems)


@pytest.mark.parametrize(
    ("patterns", "host"),
    [
        (["mx.example.com"], "mx.example.com"),
        (["mx.example.com"], "MX.Example.COM"),
        (["mx.example.com"], "mx2.example.com"),
        (["*.example.com"], "mx.example.com"),
        (["*.example.com"], "example.com"),
        (["*.example.com"], "a.mx.example.com"),
        (["*.example.com", "mail.example.net"], "mail.example.net"),
        (["*.example.net"], "mx.example.com"),
    ],
)
def test_mx_coverage_agrees_with_checkdmarc(patterns: list[str], host: str) -> None:
    covered = sts_policy.covering(patterns, host) is not None
    assert covered == cd_sts.mx_in_mta_sts_patterns(host, patterns)
