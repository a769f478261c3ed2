"""Canonical values: one spelling per value, whatever the input spelling; TXT split and joined."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zonesync import rdata


@pytest.mark.parametrize(
    ("rtype", "a", "b"),
    [
        ("AAAA", "2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("CNAME", "Target.Example.COM.", "target"),
        ("MX", "10 MX.example.com.", "10 mx"),
        ("SRV", "10 5 5060 SIP.example.com.", "10 5 5060 sip"),
        ("CAA", '0 issue "letsencrypt.org"', '0   issue   "letsencrypt.org"'),
    ],
)
def test_spellings_meet(rtype: str, a: str, b: str) -> None:
    assert rdata.canonical_value(rtype, a, "example.com") == rdata.canonical_value(rtype, b, "example.com")


def test_invalid_value_is_readable() -> None:
    with pytest.raises(rdata.ValueError_) as exc:
        rdata.canonical_value("SSHFP", "1 1 abcd", "example.com")
    assert "invalid SSHFP value" in str(exc.value)


@given(st.text(min_size=0, max_size=1200))
def test_txt_presentation_round_trip(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeError:
        return
    presentation = rdata.txt_presentation(text)
    assert rdata.txt_from_presentation(presentation) == text
    assert all(len(chunk) <= 255 for chunk in rdata.txt_chunks(text))


@given(st.lists(st.integers(0, 65535), min_size=1, max_size=1), st.sampled_from(["mx", "mail.other.net."]))
def test_mx_parse_render_parse(prio: list[int], host: str) -> None:
    once = rdata.canonical_value("MX", f"{prio[0]} {host}", "example.com")
    assert rdata.canonical_value("MX", once, "example.com") == once


def test_relative_name() -> None:
    assert rdata.relative_name("example.com", "example.com") == "@"
    assert rdata.relative_name("a.b.example.com", "example.com") == "a.b"


_label = r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,18}[A-Za-z0-9_])?"
hosts = st.from_regex(rf"{_label}(\.{_label}){{0,3}}\.?", fullmatch=True)


@given(hosts, st.integers(0, 65535))
def test_fast_paths_agree_with_dnspython(host: str, prio: int) -> None:
    """The plain-hostname shortcut must give exactly what dnspython gives."""
    import dns.name
    import dns.rdata

    origin = dns.name.from_text("example.com")
    for rtype in ("CNAME", "NS", "PTR"):
        expected = dns.name.from_text(host, origin).to_text().lower()
        assert rdata.canonical_value(rtype, host, "example.com") == expected
    rd = dns.rdata.from_text("IN", "MX", f"{prio} {host}", origin=origin, relativize=False)
    wire = rd.to_digestable()
    expected_mx = dns.rdata.from_wire("IN", "MX", wire, 0, len(wire)).to_text()
    assert rdata.canonical_value("MX", f"{prio} {host}", "example.com") == expected_mx


@pytest.mark.parametrize(
    ("rtype", "value", "reason"),
    [
        ("CNAME", "-a.example.net.", "label '-a' starts or ends with '-'"),
        ("CNAME", "a b.example.net.", "label 'a b' holds ' '"),
        ("NS", "*.example.net.", "'*' is a wildcard, which is allowed only in record names"),
        ("PTR", "a/b.example.net.", "label 'a/b' holds '/'"),
        ("MX", "10 my\\032host.example.net.", "label 'my host' holds ' '"),
        ("MX", "10 x*.example.net.", "label 'x*'"),
    ],
)
def test_targets_cloudflare_refuses_are_refused(rtype: str, value: str, reason: str) -> None:
    """Cloudflare answers 9007 for a CNAME/MX/NS/PTR target that is not a host name, failing the batch."""
    with pytest.raises(rdata.ValueError_) as exc:
        rdata.canonical_value(rtype, value, "example.com")
    assert f"invalid {rtype} value" in str(exc.value) and reason in str(exc.value)


def test_null_mx_is_still_accepted() -> None:
    assert rdata.canonical_value("MX", "0 .", "example.com") == "0 ."
