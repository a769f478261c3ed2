"""Canonical values: one spelling per value, whatever the input spelling; TXT split and joined."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zonesync.zonefile import rdata


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


# -- the address fast path (C library round trip) agrees with dnspython ---------------------------------------

_hextets = st.lists(st.one_of(st.just(0), st.just(0xFFFF), st.integers(0, 0xFFFF)), min_size=8, max_size=8)
_address_text = st.text(alphabet="0123456789abcdefABCDEF:.% \t\n", max_size=45)


def _dnspython(rtype: str, text: str) -> str | None:
    import dns.exception
    import dns.ipv4
    import dns.ipv6

    try:
        return (dns.ipv4 if rtype == "A" else dns.ipv6).canonicalize(text.strip())
    except (dns.exception.DNSException, ValueError):
        return None


@given(st.binary(min_size=4, max_size=4))
def test_canonical_ipv4_takes_the_fast_path(packed: bytes) -> None:
    import dns.ipv4

    text = dns.ipv4.inet_ntoa(packed)
    assert rdata._fast_value("A", text, "example.com") == text
    assert rdata.canonical_value("A", text, "example.com") == text


@given(_hextets)
def test_canonical_ipv6_is_what_dnspython_gives(hextets: list[int]) -> None:
    import dns.ipv6

    text = dns.ipv6.inet_ntoa(b"".join(h.to_bytes(2, "big") for h in hextets))
    assert rdata.canonical_value("AAAA", text, "example.com") == text
    assert rdata.canonical_value("AAAA", text.upper(), "example.com") == text  # the slow path
    if any(hextets[:5]):  # outside ::/80: no dotted quad, so the fast path takes it
        assert rdata._fast_value("AAAA", text, "example.com") == text


@given(st.sampled_from(["A", "AAAA"]), st.one_of(_address_text, st.text(max_size=20)))
def test_address_fast_path_never_accepts_what_dnspython_would_not(rtype: str, text: str) -> None:
    fast = rdata._fast_value(rtype, text, "example.com")
    if fast is not None:
        assert fast == _dnspython(rtype, text)


@pytest.mark.parametrize(
    ("rtype", "text"),
    [("A", "010.0.0.1"), ("A", "1.2.3"), ("A", "256.0.0.1"), ("A", "1.2.3.4\x00"), ("AAAA", "fe80::1%eth0")],
)
def test_bad_address_is_still_refused_by_dnspython(rtype: str, text: str) -> None:
    assert rdata._fast_value(rtype, text, "example.com") is None
    with pytest.raises(rdata.ValueError_, match=f"invalid {rtype} value"):
        rdata.canonical_value(rtype, text, "example.com")


def _txt_by_tokenizer(content: str) -> str:
    stripped = content.strip()
    if not stripped.startswith('"'):
        return content
    strings = rdata.quoted_strings(stripped)
    return content if strings is None else b"".join(strings).decode("utf-8", errors="surrogateescape")


@given(
    st.one_of(
        st.text(alphabet=' "\\;()\t\nabc=-_.:é', max_size=20).map(lambda t: f'"{t}"'),
        st.text(alphabet=' "\\;()\t\nabc=-_.:é', max_size=20),
        st.text(max_size=12).map(lambda t: f' "{t}" '),
    )
)
def test_txt_content_without_escapes_reads_as_the_tokenizer_reads_it(content: str) -> None:
    """One quoted string of printable ASCII, no quote or backslash inside, is taken without dnspython's
    tokenizer; the text is what the tokenizer makes of it (everything else goes through it)."""
    try:
        expected = _txt_by_tokenizer(content)
    except ValueError:  # not encodable: the tokenizer's error stands
        with pytest.raises(ValueError):
            rdata.txt_from_presentation(content)
        return
    assert rdata.txt_from_presentation(content) == expected
