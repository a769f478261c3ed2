"""Zone file (v1) loading: canonical records and file:line:field errors."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zonesync.errors import ZoneFileError
from zonesync.zonefile.load import load_zone_file

BASE = """\
zone: example.com
ttl: 3600
proxied: false
ignore:
  - name: "_acme-challenge*"
    type: [TXT]
records:
  "@":
    - type: A
      value: 203.0.113.10
    - type: MX
      values: ["10 mx.example.com."]
  www:
    type: CNAME
    value: example.com.
    proxied: true
    comment: "public site"
  _sip._tcp:
    type: SRV
    value: "10 5 5060 sip.example.com."
"""


def load(text: str):
    return load_zone_file("zones/example.com.yaml", textwrap.dedent(text))


def error_of(text: str) -> str:
    with pytest.raises(ZoneFileError) as exc:
        load(text)
    return str(exc.value.message)


def test_issue_example_loads_canonically() -> None:
    cfg = load(BASE)
    assert cfg.zone == "example.com"
    assert cfg.ttl == 3600
    got = {(r.name, r.type, r.value, r.ttl, r.proxied, r.comment) for r in cfg.records}
    assert got == {
        ("example.com", "A", "203.0.113.10", 3600, False, None),
        ("example.com", "MX", "10 mx.example.com.", 3600, None, None),
        ("www.example.com", "CNAME", "example.com.", 1, True, "public site"),
        ("_sip._tcp.example.com", "SRV", "10 5 5060 sip.example.com.", 3600, None, None),
    }
    assert cfg.ignore[0].name == "_acme-challenge*" and cfg.ignore[0].types == ("TXT",)
    www = next(r for r in cfg.records if r.type == "CNAME")
    assert www.source is not None and www.source.line == 15 and www.source.field == "records.www.value"


def test_relative_and_absolute_hostnames() -> None:
    cfg = load(
        """\
        zone: Example.COM
        records:
          a: {type: CNAME, value: target}
          b: {type: CNAME, value: "target.other.net."}
          c: {type: MX, value: "5 MAIL"}
          d: {type: AAAA, value: "2001:DB8:0:0::1"}
        """
    )
    values = {r.name: r.value for r in cfg.records}
    assert values == {
        "a.example.com": "target.example.com.",
        "b.example.com": "target.other.net.",
        "c.example.com": "5 mail.example.com.",
        "d.example.com": "2001:db8::1",
    }
    assert all(r.ttl == 1 for r in cfg.records)  # default ttl is auto


def test_long_txt_is_plain_text() -> None:
    key = "v=DKIM1; k=rsa; p=" + "A" * 400
    cfg = load(f"zone: example.com\nrecords:\n  sel._domainkey: {{type: TXT, value: '{key}'}}\n")
    assert cfg.records[0].value == key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "zone: example.com\nrecods: {}\n",
            "zones/example.com.yaml:2: recods: unknown key 'recods' (did you mean 'records'?)",
        ),
        (
            "zone: example.com\nrecords:\n  www:\n    type: A\n    vaule: 1.2.3.4\n",
            "zones/example.com.yaml:5: records.www.vaule: unknown key 'vaule' (did you mean 'value'?)",
        ),
        (
            "zone: example.com\nrecords:\n  www:\n    type: A\n    value: 1.2.3.400\n",
            "zones/example.com.yaml:5: records.www.value: invalid A value '1.2.3.400'",
        ),
        (
            "zone: example.com\nrecords:\n  www:\n    type: AAA\n    value: ::1\n",
            "zones/example.com.yaml:4: records.www.type: unknown record type 'AAA' (did you mean 'AAAA'?)",
        ),
        (
            "zone: example.com\nrecords:\n  t:\n    type: TXT\n    value: x\n    proxied: true\n",
            "zones/example.com.yaml:6: records.t.proxied: Cloudflare cannot proxy TXT records",
        ),
        ("zone: example.com\nttl: 30\n", "zones/example.com.yaml:2: ttl: TTL 30 is refused by Cloudflare"),
        ("zone: example.com\nttl: 86401\n", "zones/example.com.yaml:2: ttl: TTL 86401 is refused"),
        (
            "zone: example.com\nrecords:\n  www.other.org.:\n    type: A\n    value: 1.2.3.4\n",
            "zones/example.com.yaml:3: records.www.other.org.: 'www.other.org.' is outside the zone example.com",
        ),
        ("zone: example.com\nrecords:\n  www: [\n", "zones/example.com.yaml:4: YAML syntax"),
        ("records: {}\n", "zones/example.com.yaml:1: zone: missing `zone:`"),
        (
            "zone: example.com\nrecords:\n  www:\n    type: A\n    value: 1.2.3.4\n    values: [1.2.3.5]\n",
            "zones/example.com.yaml:4: records.www: needs exactly one of `value:` or `values:`",
        ),
        (
            "zone: example.com\nrecords:\n  x:\n    type: MX\n    value: mail.example.com.\n",
            "zones/example.com.yaml:5: records.x.value: invalid MX value",
        ),
        (
            "zone: example.com\nrecords:\n  www:\n    type: A\n    value: 1.2.3.4\n    proxied: true\n    ttl: 300\n",
            "zones/example.com.yaml:7: records.www.ttl: proxied records always use Cloudflare's automatic TTL",
        ),
        (
            "zone: example.com\nrecords:\n  '@': {type: NS, value: ns1.other.net.}\n",
            "zones/example.com.yaml:3: records.@.type: Cloudflare serves the apex NS records itself",
        ),
        (
            "zone: example.com\nrecords:\n  www:\n    type: 5\n    value: 1.2.3.4\n",
            "zones/example.com.yaml:4: records.www.type: must be one record type, like A or MX",
        ),
        (
            "zone: example.com\nrecords:\n  www:\n    value: 1.2.3.4\n",
            "zones/example.com.yaml:4: records.www: missing `type:`",
        ),
        (
            "zone: example.com\nrecords:\n  www:\n  - {type: A, value: 1.2.3.4}\n  - {type: a, value: 1.2.3}\n",
            "zones/example.com.yaml:5: records.www[1].value: invalid A value '1.2.3'",
        ),
        (
            "zone: example.com\nrecords:\n  www:\n  - {type: A, value: 1.2.3.4}\n  - {type: a, vaule: 1.2.3.4}\n",
            "zones/example.com.yaml:5: records.www[1].vaule: unknown key 'vaule' (did you mean 'value'?)",
        ),
        (
            "zone: example.com\nrecords:\n  www: [{type: A, value: 1.2.3.4}, 7]\n",
            "zones/example.com.yaml:3: records.www[1]: a record set must be a mapping, not the number 7",
        ),
        (
            "zone: example.com\nrecords:\n  'a b': {type: A, value: 1.2.3.4}\n",
            "zones/example.com.yaml:3: records.a b: 'a b' is not",
        ),
        (
            "zone: example.com\nrecords:\n  www: {type: AAAA, values: ['2001:db8::1', '2001:db8::g']}\n",
            "zones/example.com.yaml:3: records.www.values[1]: invalid AAAA value '2001:db8::g'",
        ),
        (
            "zone: example.com\nzone: other.com\n",
            "zones/example.com.yaml:2: YAML syntax: duplicate key 'zone'",
        ),
    ],
)
def test_bad_input_names_file_line_and_field(text: str, expected: str) -> None:
    message = error_of(text)
    assert message.startswith(expected), message
    assert "\n" not in message


def test_record_types_in_any_case() -> None:
    cfg = load(
        "zone: example.com\nrecords:\n  a: {type: a, value: 192.0.2.1}\n  m: {type: Mx, value: 10 a}\n"
    )
    assert [(r.type, r.value) for r in cfg.records] == [("A", "192.0.2.1"), ("MX", "10 a.example.com.")]


def test_enterprise_allows_ttl_30() -> None:
    cfg = load("zone: example.com\nenterprise: true\nttl: 30\n")
    assert cfg.ttl == 30


def test_missing_file_is_one_line(tmp_path) -> None:
    with pytest.raises(ZoneFileError) as exc:
        load_zone_file(tmp_path / "nope.yaml")
    assert "cannot read" in exc.value.message


_LABEL = r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,18}[A-Za-z0-9_])?"


@given(st.from_regex(rf"(\*|{_LABEL})(\.{_LABEL}){{0,3}}", fullmatch=True))
def test_plain_names_agree_with_dnspython(name: str) -> None:
    import dns.name

    from zonesync.model import Source
    from zonesync.zonefile.load import absolute_name

    expected = (
        dns.name.from_text(name, dns.name.from_text("example.com")).to_text(omit_final_dot=True).lower()
    )
    assert absolute_name(name, "example.com", Source("x")) == expected
