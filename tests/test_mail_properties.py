"""Property tests: whatever valid input the block takes, checkdmarc (an independent parser) accepts the
SPF and MTA-STS text zonesync produces, and zonesync's own checks agree. No DNS: only ip4/ip6 terms."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zonesync.mail import mta_sts, spf

cd_spf = pytest.importorskip("checkdmarc.spf")
cd_sts = pytest.importorskip("checkdmarc.mta_sts")

ip4 = st.builds(
    lambda a, p: f"ip4:{ipaddress.IPv4Network((a, p), strict=False)}",
    st.integers(0, 2**32 - 1),
    st.integers(8, 32),
)
ip6 = st.builds(
    lambda a, p: f"ip6:{ipaddress.IPv6Network((a, p), strict=False)}",
    st.integers(0, 2**128 - 1),
    st.integers(16, 128),
)
qualifier = st.sampled_from(["", "+", "-", "~", "?"])
term = st.builds(lambda q, t: q + t, qualifier, st.one_of(ip4, ip6))


@settings(max_examples=60, deadline=None)
@given(st.lists(term, min_size=1, max_size=8), st.sampled_from(sorted(spf.QUALIFIER)))
def test_spf_record_parses(terms, all_):
    text = spf.record_text(terms, all_)
    assert [f for f in spf.check_record(text) if f[0] == "error"] == []
    parsed = cd_spf.parse_spf_record(text, "example.com")
    assert parsed["parsed"]["all"] == all_
    assert parsed["dns_lookups"] == 0
    assert len(parsed["parsed"]["mechanisms"]) == len(terms)


label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
host = st.builds(lambda a, b: f"{a}.{b}.example", label, label)
pattern = st.one_of(host, st.builds(lambda h: "*." + h, host))


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(["none", "testing", "enforce"]),
    st.lists(pattern, min_size=1, max_size=4, unique=True),
    st.integers(0, mta_sts.MAX_AGE_LIMIT),
)
def test_mta_sts_policy_parses(mode, patterns, max_age):
    policy = mta_sts.policy_text(mode, patterns, max_age)
    parsed = cd_sts.parse_mta_sts_policy(policy)
    assert parsed["policy"] == {"version": "STSv1", "mode": mode, "max_age": max_age, "mx": patterns}
    pid = mta_sts.policy_id(policy)
    assert mta_sts.id_problem(pid) is None and pid == mta_sts.policy_id(
        mta_sts.policy_text(mode, patterns, max_age)
    )
    assert cd_sts.parse_mta_sts_record(mta_sts.record_text(pid))["tags"]["id"] == pid
    for p in patterns:
        assert mta_sts.pattern_problem(p) is None
        concrete = "mx." + p[2:] if p.startswith("*.") else p
        assert mta_sts.pattern_matches(p, concrete) == cd_sts.mx_in_mta_sts_patterns(concrete, [p])
