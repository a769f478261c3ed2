"""Every mail check: a zone file that triggers it, and the message it gives (what, why, how to fix)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from zonesync.mail import mail_records
from zonesync.zonefile.load import load_zone_file

HOSTS = "  mx: [{host: mx, priority: 10}]\n  hosts: {mx: {ipv4: [203.0.113.25]}}\n"


def run(tmp_path: Path, text: str, live=None):
    zones = tmp_path / "zones"
    zones.mkdir(exist_ok=True)
    path = zones / "example.com.yaml"
    path.write_text(textwrap.dedent(text).lstrip())
    return mail_records(load_zone_file(path), live, generate_keys=False)


def only(result, level: str, needle: str):
    found = [d for d in result.diagnostics if d.level == level and needle in d.message]
    assert found, f"no {level} containing {needle!r} in {[str(d) for d in result.diagnostics]}"
    return found[0]


def errors(result):
    return [str(d) for d in result.diagnostics if d.level == "error"]


# --- MX -----------------------------------------------------------------------------------------------


def test_mx_host_without_address(tmp_path):
    r = run(tmp_path, "zone: example.com\nmail:\n  mx: [{host: mx, priority: 10}]\n")
    d = only(r, "error", "MX host mx.example.com has no A or AAAA record in this zone")
    assert "mail bounces" in d.message and "mail.hosts" in d.message
    assert d.source.line == 3


def test_mx_host_is_cname(tmp_path):
    r = run(
        tmp_path,
        "zone: example.com\nrecords:\n  mx: {type: CNAME, value: server.example.net.}\n"
        "mail:\n  mx: [{host: mx, priority: 10}]\n",
    )
    d = only(r, "error", "MX host mx.example.com is a CNAME")
    assert "RFC 2181 §10.3" in d.message and "A/AAAA" in d.message


def test_mx_host_proxied(tmp_path):
    r = run(
        tmp_path,
        "zone: example.com\nrecords:\n  mx: {type: A, value: 203.0.113.25, proxied: true}\n"
        "mail:\n  mx: [{host: mx, priority: 10}]\n",
    )
    d = only(r, "error", "MX host mx.example.com is proxied by Cloudflare")
    assert "`proxied: false`" in d.message and "bounces" in d.message
    assert d.source.line == 3


def test_mx_host_user_records_ok_and_outside_zone(tmp_path):
    r = run(
        tmp_path,
        "zone: example.com\nrecords:\n  mx: {type: AAAA, value: '2001:db8::25'}\n"
        "mail:\n  mx: [{host: mx, priority: 10}, {host: mx.provider.example., priority: 20}]\n",
    )
    assert errors(r) == []


def test_user_declared_mx_checked_without_mail_block(tmp_path):
    r = run(tmp_path, "zone: example.com\nrecords:\n  '@': {type: MX, value: 10 mail}\n")
    only(r, "warning", "MX host mail.example.com has no A or AAAA record")  # the user's own records: warned


def test_preset_without_mx(tmp_path):
    r = run(tmp_path, "zone: example.com\nmail:\n  preset: maddy\n")
    only(r, "error", "the mail block has no MX host")


# --- SPF ----------------------------------------------------------------------------------------------


def test_spf_collision_names_both_places(tmp_path):
    r = run(
        tmp_path,
        "zone: example.com\nrecords:\n  '@': {type: TXT, value: 'v=spf1 a -all'}\nmail:\n" + HOSTS
        + "  spf: {allow: [mx]}\n",
    )  # fmt: skip
    d = only(r, "error", "this SPF record at example.com collides with the one `mail:` generates")
    assert d.source.line == 3  # the user's record
    assert "example.com.yaml:7" in d.message  # the mail.spf line
    assert "permerror" in d.message and "remove it from `records:`" in d.message


def test_two_user_spf_records(tmp_path):
    r = run(
        tmp_path,
        "zone: example.com\nrecords:\n  '@':\n    - {type: TXT, value: 'v=spf1 mx -all'}\n"
        "    - {type: TXT, value: 'v=spf1 a -all'}\n",
    )
    d = only(r, "warning", "example.com has 2 SPF records")  # no mail block: the user's own records
    assert "merge them into one" in d.message


@pytest.mark.parametrize(
    ("term", "needle"),
    [
        ("ipv4:192.0.2.1", "`ipv4:192.0.2.1` is not an SPF mechanism (did you mean ip4:?)"),
        ("!mx", "`!mx` is not an SPF mechanism"),
        ("ip4:192.0.2.300", "'192.0.2.300' is not an IPv4 address"),
        ("ip4:2001:db8::1", "is an IPv6 address: write ip6:"),
        ("ip4:192.0.2.0/33", "the prefix length must be 0..32"),
        ("include:", "the domain is empty"),
        ("include:localhost", "is not a domain name with a dot"),
        ("exists", "exists needs a domain"),
        ("a/40", "an IPv4 prefix length is 0..32"),
        ("mx:example.com//200", "an IPv6 prefix length is 0..128"),
        ("include:%{z}.example.com", "malformed macro"),
    ],
)
def test_spf_term_syntax(tmp_path, term, needle):
    r = run(tmp_path, "zone: example.com\nmail:\n" + HOSTS + f"  spf:\n    allow: [mx, '{term}']\n")
    d = only(r, "error", needle)
    assert d.source.field == "mail.spf.allow[1]" and d.source.line == 6


def test_spf_ptr_warned(tmp_path):
    r = run(tmp_path, "zone: example.com\nmail:\n" + HOSTS + "  spf: {allow: [ptr]}\n")
    only(r, "warning", "RFC 7208 §5.5 says it SHOULD NOT be used")


def test_spf_all_in_allow(tmp_path):
    r = run(tmp_path, "zone: example.com\nmail:\n" + HOSTS + "  spf: {allow: [mx, '-all']}\n")
    only(r, "error", "`-all` in allow: `all` is always written last, from `mail.spf.all`")


def test_spf_all_not_last_in_user_record(tmp_path):
    r = run(tmp_path, "zone: example.com\nrecords:\n  '@': {type: TXT, value: 'v=spf1 -all mx'}\n")
    d = only(r, "error", "`mx` comes after `-all`, so receivers never read it")
    assert "put `all` last" in d.message


def test_spf_too_many_lookups(tmp_path):
    includes = ", ".join(f"'include:_spf{i}.example.net'" for i in range(10))
    r = run(tmp_path, "zone: example.com\nmail:\n" + HOSTS + f"  spf:\n    allow: [mx, {includes}]\n")
    d = only(r, "error", "the record needs 11 DNS lookups")
    assert "RFC 7208 §4.6.4 allows 10" in d.message and "ip4:/ip6:" in d.message


def test_spf_ten_lookups_is_fine(tmp_path):
    includes = ", ".join(f"'include:_spf{i}.example.net'" for i in range(9))
    r = run(tmp_path, "zone: example.com\nmail:\n" + HOSTS + f"  spf:\n    allow: [mx, {includes}]\n")
    assert errors(r) == []


def test_spf_length(tmp_path):
    nets = ", ".join(f"'ip6:2001:db8:{i:x}::/48'" for i in range(30))
    r = run(tmp_path, "zone: example.com\nmail:\n" + HOSTS + f"  spf:\n    allow: [{nets}]\n")
    only(r, "warning", "RFC 7208 §3.4 recommends staying small enough for a 512-byte DNS answer")


def test_user_spf_without_all_and_plus_all(tmp_path):
    r = run(
        tmp_path,
        "zone: example.com\nrecords:\n  '@': {type: TXT, value: 'v=spf1 mx'}\n"
        "  www: {type: TXT, value: 'v=spf1 +all'}\n",
    )
    only(r, "warning", "the record has no `all`")
    only(r, "warning", "lets every server on the internet send as this domain")


# --- DKIM ---------------------------------------------------------------------------------------------


def write_key(path: Path, key) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


def test_dkim_selector_syntax(tmp_path):
    # with its own key path (a derived one is refused by the loader: the selector would be in a file name)
    r = run(tmp_path, "zone: example.com\nmail:\n  dkim: [{selector: 'bad_sel!', private_key: keys/x.key}]\n")
    d = only(r, "error", "selector 'bad_sel!' is not a valid DNS label sequence (RFC 6376 §3.1)")
    assert "like `default`" in d.message


def test_dkim_duplicate_selector(tmp_path):
    r = run(tmp_path, "zone: example.com\nmail:\n  dkim: [{selector: a}, {selector: a}]\n")
    only(r, "error", "selector 'a' is listed twice")


def test_dkim_rsa_below_2048_refused(tmp_path):
    write_key(tmp_path / "keys" / "example.com_default.key", rsa.generate_private_key(65537, 1024))
    r = run(tmp_path, "zone: example.com\nmail:\n  dkim: [{selector: default}]\n")
    d = only(r, "error", "is RSA 1024-bit")
    assert "2048" in d.message and "new selector" in d.message


def test_dkim_ed25519_alone_warned(tmp_path):
    r = run(tmp_path, "zone: example.com\nmail:\n  dkim: [{selector: ed, algorithm: ed25519}]\n")
    d = only(r, "warning", "only Ed25519 DKIM keys: many receivers do not verify Ed25519 yet")
    assert "add an rsa2048 selector" in d.message
    r = run(
        tmp_path, "zone: example.com\nmail:\n  dkim: [{selector: ed, algorithm: ed25519}, {selector: rsa}]\n"
    )
    assert not [d for d in r.diagnostics if "Ed25519" in d.message]


def test_dkim_key_unreadable(tmp_path, monkeypatch):
    key = tmp_path / "keys" / "example.com_default.key"
    write_key(key, ed25519.Ed25519PrivateKey.generate())
    from zonesync.mail import keys

    real = keys.read_key_file

    def deny(path, folder=None):  # the tests run as root, who may read anything
        if path == key:
            raise PermissionError(str(path))
        return real(path, folder)

    monkeypatch.setattr(keys, "read_key_file", deny)
    r = run(
        tmp_path,
        "zone: example.com\nmail:\n  dkim: [{selector: default, algorithm: ed25519}, {selector: b}]\n",
    )
    d = only(r, "error", "cannot read DKIM private key")
    assert "permission denied" in d.message and ".pub" in d.message
    # with the key published, the live record is kept and the problem is only a warning
    from zonesync.mail.dkim import txt_value
    from zonesync.model import Record

    published = txt_value(ed25519.Ed25519PrivateKey.generate().public_key())
    live = [Record("default._domainkey.example.com", "TXT", published)]
    r = run(
        tmp_path,
        "zone: example.com\nmail:\n  dkim: [{selector: default, algorithm: ed25519}, {selector: b}]\n",
        live,
    )
    assert errors(r) == []
    only(r, "warning", "cannot read DKIM private key")
    assert next(x for x in r.records if x.name.startswith("default.")).value == published


def test_dkim_key_garbage(tmp_path):
    key = tmp_path / "keys" / "example.com_default.key"
    key.parent.mkdir()
    key.write_text("not a key\n")
    r = run(tmp_path, "zone: example.com\nmail:\n  dkim: [{selector: default}]\n")
    d = only(r, "error", "cannot be used: it is not a PEM private key")
    assert "PKCS#8" in d.message


def test_dkim_key_not_matching_published(tmp_path):
    from zonesync.mail.dkim import txt_value
    from zonesync.model import Record

    write_key(tmp_path / "keys" / "example.com_default.key", rsa.generate_private_key(65537, 2048))
    other = rsa.generate_private_key(65537, 2048).public_key()
    live = [Record("default._domainkey.example.com", "TXT", txt_value(other))]
    r = run(tmp_path, "zone: example.com\nmail:\n  dkim: [{selector: default}]\n", live)
    d = only(r, "error", "the key published at default._domainkey.example.com is not the key in private key")
    assert "to rotate keys, run `zonesync dkim rotate`" in d.message


def test_dkim_pub_file_not_matching_private(tmp_path):
    from zonesync.mail.keys import public_pem

    key = tmp_path / "keys" / "example.com_default.key"
    write_key(key, rsa.generate_private_key(65537, 2048))
    (key.parent / (key.name + ".pub")).write_bytes(
        public_pem(rsa.generate_private_key(65537, 2048).public_key())
    )
    r = run(tmp_path, "zone: example.com\nmail:\n  dkim: [{selector: default}]\n")
    only(r, "error", "public key file")
    only(r, "error", "does not match private key")


def test_dkim_algorithm_differs_from_existing_key(tmp_path):
    write_key(tmp_path / "keys" / "example.com_default.key", rsa.generate_private_key(65537, 2048))
    r = run(tmp_path, "zone: example.com\nmail:\n  dkim: [{selector: default, algorithm: ed25519}]\n")
    only(r, "warning", "asks for ed25519 but its existing key")


def test_dkim_live_record_unusable(tmp_path):
    from zonesync.model import Record

    live = [Record("default._domainkey.example.com", "TXT", "v=DKIM1; k=rsa; p=!!!")]
    r = run(tmp_path, "zone: example.com\nmail:\n  dkim: [{selector: default}]\n", live)
    only(r, "error", "the DKIM record published at default._domainkey.example.com is unusable")


def test_dkim_live_record_unusable_is_replaced_when_key_known(tmp_path):
    from zonesync.mail import dkim
    from zonesync.model import Record

    key = rsa.generate_private_key(65537, 2048)
    write_key(tmp_path / "keys" / "example.com_default.key", key)
    live = [Record("default._domainkey.example.com", "TXT", '"v=DKIM1; k=rsa; p=abc')]
    r = run(tmp_path, "zone: example.com\nmail:\n  dkim: [{selector: default}]\n", live)
    assert errors(r) == []
    d = only(r, "warning", "the DKIM record published at default._domainkey.example.com is unusable")
    assert (
        "'\"v' is not a valid tag name" in d.message
        and "replaces it with the key from private key" in d.message
    )
    (rec,) = [x for x in r.records if x.name == "default._domainkey.example.com"]
    assert rec.value == dkim.txt_value(key.public_key())


def test_dkim_collision_with_user_record(tmp_path):
    r = run(
        tmp_path,
        "zone: example.com\nrecords:\n  default._domainkey: {type: TXT, value: 'v=DKIM1; k=rsa; p=MIIB'}\n"
        "mail:\n  dkim: [{selector: default}]\n",
    )
    only(r, "error", "this DKIM key record at default._domainkey.example.com collides")


# --- DMARC --------------------------------------------------------------------------------------------


def dmarc(tmp_path, body: str):
    return run(
        tmp_path, "zone: example.com\nmail:\n  dmarc:\n" + textwrap.indent(textwrap.dedent(body), "    ")
    )


def test_dmarc_bare_address(tmp_path):
    d = only(dmarc(tmp_path, "policy: none\nrua: [dmarc@example.com]\n"), "error", "is not a mailto: URI")
    assert "write mailto:dmarc@example.com" in d.message and "reports would never arrive" in d.message
    assert d.source.field == "mail.dmarc.rua[0]"


def test_dmarc_bad_mailto(tmp_path):
    only(
        dmarc(tmp_path, "policy: none\nruf: ['mailto:nobody']\n"), "error", "'nobody' is not an email address"
    )


def test_dmarc_bad_size_and_comma(tmp_path):
    r = dmarc(
        tmp_path,
        "policy: none\nrua: ['mailto:a@example.com!10x', 'mailto:a@example.com,mailto:b@example.com']\n",
    )
    only(r, "error", "the size limit after `!`")
    only(r, "error", "a comma separates report URIs")


def test_dmarc_external_report_domain(tmp_path):
    d = only(
        dmarc(tmp_path, "policy: none\nrua: ['mailto:reports@dmarc.example.net']\n"),
        "warning",
        "another domain",
    )
    assert "example.com._report._dmarc.dmarc.example.net" in d.message and "RFC 7489 §7.1" in d.message


def test_dmarc_percent_and_fo(tmp_path):
    r = dmarc(tmp_path, "policy: reject\npercent: 150\nfailure_options: '1:x'\n")
    only(r, "error", "percent 150 must be 0..100")
    only(r, "error", "failure_options '1:x' must be 0, 1, d or s")


def test_dmarc_user_record_checked(tmp_path):
    r = run(
        tmp_path,
        "zone: example.com\nrecords:\n  _dmarc: {type: TXT, value: 'v=DMARC1; p=maybe; pct=200; rua=x@example.com; foo=1'}\n",
    )
    only(r, "error", "`p=maybe` must be none, quarantine or reject")
    only(r, "error", "`pct=200` must be a whole number 0..100")
    only(r, "error", "`foo` is not a DMARC tag")
    only(r, "error", "is not a mailto: URI")
    r = run(
        tmp_path,
        "zone: example.com\nrecords:\n  _dmarc: {type: TXT, value: 'v=DMARC1; rua=mailto:a@example.com'}\n",
    )
    only(r, "error", "no `p=` policy")


def test_dmarc_collision(tmp_path):
    r = run(
        tmp_path,
        "zone: example.com\nrecords:\n  _dmarc: {type: TXT, value: 'v=DMARC1; p=none'}\nmail:\n  dmarc: {policy: reject}\n",
    )
    only(r, "error", "this DMARC record at _dmarc.example.com collides with the one `mail:` generates")


# --- MTA-STS ------------------------------------------------------------------------------------------


def sts(tmp_path, body: str, extra: str = ""):
    return run(
        tmp_path,
        "zone: example.com\nrecords:\n  mta-sts: {type: CNAME, value: pages.example.net.}\n" + extra
        + "mail:\n" + HOSTS + "  tls_rpt: {rua: ['mailto:tls@example.com']}\n  mta_sts:\n"
        + textwrap.indent(textwrap.dedent(body), "    "),
    )  # fmt: skip


def test_sts_ok(tmp_path):
    r = sts(tmp_path, "mode: enforce\n")
    assert r.diagnostics == ()


def test_sts_max_age_bounds(tmp_path):
    d = only(
        sts(tmp_path, "mode: enforce\nmax_age: 40000000\n"),
        "error",
        "max_age 40000000 is outside 0..31557600",
    )
    assert d.source.field == "mail.mta_sts.max_age"
    only(sts(tmp_path, "mode: enforce\nmax_age: 3600\n"), "warning", "max_age 3600 is under a day")


def test_sts_mx_not_covered(tmp_path):
    d = only(
        sts(tmp_path, "mode: enforce\nmx: [mail.example.com]\n"),
        "error",
        "MX host mx.example.com matches no `mx` pattern",
    )
    assert "senders refuse to deliver to it" in d.message
    only(sts(tmp_path, "mode: testing\nmx: ['*.other.example.com']\n"), "warning", "matches no `mx` pattern")
    assert sts(tmp_path, "mode: enforce\nmx: ['*.example.com']\n").diagnostics == ()


def test_sts_bad_pattern(tmp_path):
    only(
        sts(tmp_path, "mode: testing\nmx: ['mx.*.example.com', mx.example.com]\n"),
        "error",
        "is not a host name or `*.`-wildcard",
    )


def test_sts_policy_host_missing(tmp_path):
    r = run(tmp_path, "zone: example.com\nmail:\n" + HOSTS + "  tls_rpt: {}\n  mta_sts: {mode: enforce}\n")
    d = only(r, "warning", "no record for mta-sts.example.com")
    assert "https://mta-sts.example.com/.well-known/mta-sts.txt" in d.message


def test_sts_without_tlsrpt(tmp_path):
    r = run(
        tmp_path,
        "zone: example.com\nrecords:\n  mta-sts: {type: A, value: 192.0.2.1}\nmail:\n"
        + HOSTS
        + "  mta_sts: {mode: enforce}\n",
    )
    d = only(r, "warning", "MTA-STS without TLS-RPT")
    assert "tls_rpt" in d.message


def test_sts_user_record_id(tmp_path):
    r = run(
        tmp_path, "zone: example.com\nrecords:\n  _mta-sts: {type: TXT, value: 'v=STSv1; id=2026-01-01'}\n"
    )
    d = only(r, "error", "id '2026-01-01' must be 1 to 32 letters or digits (RFC 8461 §3.1)")
    assert "never fetched" in d.message
    r = run(tmp_path, "zone: example.com\nrecords:\n  _mta-sts: {type: TXT, value: 'v=STSv1;'}\n")
    only(r, "error", "no `id=`")


# --- TLS-RPT ------------------------------------------------------------------------------------------


def test_tlsrpt_scheme(tmp_path):
    r = run(
        tmp_path, "zone: example.com\nmail:\n  tls_rpt: {rua: ['ftp://reports.example.com', 'mailto:x']}\n"
    )
    d = only(r, "error", "is neither mailto: nor https: (RFC 8460 §3)")
    assert d.source.field == "mail.tls_rpt.rua[0]"
    only(r, "error", "'x' is not an email address")


def test_tlsrpt_user_record(tmp_path):
    r = run(
        tmp_path,
        "zone: example.com\nrecords:\n  _smtp._tls: {type: TXT, value: 'v=TLSRPTv1; rua=reports@example.com'}\n",
    )
    only(r, "error", "is neither mailto: nor https:")


def test_spf_a_and_mx_matching_nothing(tmp_path):
    r = run(tmp_path, "zone: example.com\nmail:\n  spf: {allow: [a, mx]}\n")
    d = only(r, "warning", "`a` allows this name's own addresses, but example.com has no A or AAAA record")
    assert "remove `a`" in d.message
    only(r, "warning", "`mx` allows this name's MX servers, but example.com has no MX record")


def test_mx_and_host_collisions(tmp_path):
    r = run(
        tmp_path,
        "zone: example.com\nrecords:\n  '@': {type: MX, value: 20 backup.example.net.}\n"
        "  mx: {type: A, value: 203.0.113.99}\nmail:\n" + HOSTS,
    )
    d = only(r, "error", "this MX record at example.com collides with the one `mail:` generates")
    assert "mail.mx" in d.message and d.source.line == 3
    d = only(r, "error", "this A record at mx.example.com collides")
    assert "mail.hosts" in d.message and d.source.line == 4


def test_dkim_unusable_live_record_blocks_generation(tmp_path):
    from zonesync.model import Record
    from zonesync.zonefile.load import load_zone_file

    zones = tmp_path / "zones"
    zones.mkdir()
    (zones / "example.com.yaml").write_text("zone: example.com\nmail:\n  dkim: [{selector: default}]\n")
    live = [Record("default._domainkey.example.com", "TXT", "v=DKIM1; p=%%%")]
    r = mail_records(load_zone_file(zones / "example.com.yaml"), live, generate_keys=True)
    assert r.generated == () and not (tmp_path / "keys").exists()
    only(r, "error", "is unusable")
