"""Golden tests of the presets against each mail server's own documentation or code (fetched from their
public repositories; cited by file and line, never copied into this repository), and `preset: no-mail`
through the real CLI against the emulator."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from clirun import run
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from emu_records import user_records

from zonesync.mail import dkim, mail_records
from zonesync.mail.expand import meaning
from zonesync.zonefile import rdata
from zonesync.zonefile.load import load_zone_file

Z = "example.com"
HOSTS = "  mx: [{host: mail, priority: 10}]\n  hosts: {mail: {ipv4: [203.0.113.25]}}\n"


def expand(tmp_path: Path, preset: str, extra: str = "", live=None):
    zones = tmp_path / "zones"
    zones.mkdir(exist_ok=True)
    path = zones / f"{Z}.yaml"
    path.write_text(f"zone: {Z}\nmail:\n  preset: {preset}\n" + HOSTS + extra)
    return mail_records(load_zone_file(path), live, generate_keys=False)


def txt(result, name: str) -> list[str]:
    return [r.value for r in result.records if r.name == name and r.type == "TXT"]


def same(ours: list[str], theirs: str) -> bool:
    """The same SPF terms, or the same DMARC / MTA-STS / TLS-RPT tags (RFC default values aside)."""
    return len(ours) == 1 and meaning(ours[0]) == meaning(theirs)


def test_stalwart(tmp_path):
    r = expand(tmp_path, "stalwart")
    # stalwartlabs/stalwart crates/common/src/network/dns/records.rs:91 and :84 (in-domain MX hosts)
    assert same(txt(r, Z), "v=spf1 mx -all")
    assert same(txt(r, f"mail.{Z}"), "v=spf1 a -all")
    # records.rs:97 (report address = the domain's report_address_uri; zonesync's default postmaster@)
    assert same(txt(r, f"_dmarc.{Z}"), f"v=DMARC1; p=reject; rua=mailto:postmaster@{Z}")
    # records.rs:111
    assert same(txt(r, f"_smtp._tls.{Z}"), f"v=TLSRPTv1; rua=mailto:postmaster@{Z}")
    # records.rs:131 (id: zonesync's, from the policy); policy defaults structs_impl.rs:29289-29290
    assert txt(r, f"_mta-sts.{Z}")[0].startswith("v=STSv1; id=")
    assert "mode: testing" in _policy(tmp_path) and "max_age: 604800" in _policy(tmp_path)
    # selectors are dated (structs_impl.rs:7653 `v{version}-{algorithm}-{date-%Y%m%d}`): none by default
    assert not [x for x in r.records if "._domainkey." in x.name]
    assert any("names its DKIM selectors itself" in d.message for d in r.diagnostics)


def test_stalwart_publishes_its_own_key_never_a_new_one(tmp_path):
    extra = "  dkim: [{selector: v1-ed25519-20261127}]\n"
    r = expand(tmp_path, "stalwart", extra)
    assert any(d.level == "error" and "stalwart makes its own keys" in d.message for d in r.diagnostics)
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    pub = tmp_path / "keys" / f"{Z}_v1-ed25519-20261127.key.pub"
    pub.parent.mkdir()
    pub.write_bytes(
        key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    r = expand(tmp_path, "stalwart", extra)
    assert [d for d in r.diagnostics if d.level == "error"] == []
    assert txt(r, f"v1-ed25519-20261127._domainkey.{Z}") == [dkim.txt_value(key)]
    # the live record as Stalwart writes it (dkim.rs:125, with h=sha256) holds the same key: kept as it is
    b64 = dkim.txt_value(key).split("p=")[1]
    from zonesync.model import Record

    live_value = f"v=DKIM1; k=ed25519; h=sha256; p={b64}"
    live = [Record(f"v1-ed25519-20261127._domainkey.{Z}", "TXT", live_value)]
    assert txt(expand(tmp_path, "stalwart", extra, live), f"v1-ed25519-20261127._domainkey.{Z}") == [
        live_value
    ]


def test_mox(tmp_path):
    r = expand(tmp_path, "mox")
    # mjl-/mox admin/dnsrecords.go:188-192 (mx, ~all) and :111 (host: a -all)
    assert same(txt(r, Z), "v=spf1 mx ~all")
    assert same(txt(r, f"mail.{Z}"), "v=spf1 a -all")
    # dnsrecords.go:172,179 (p=reject, rua with !10m); admin.go:222 (localpart dmarcreports); as mox
    # prints it (dmarc/txt.go String: no spaces)
    assert same(txt(r, f"_dmarc.{Z}"), f"v=DMARC1;p=reject;rua=mailto:dmarcreports@{Z}!10m")
    # dnsrecords.go:237-241, admin.go:227 (tlsreports)
    assert same(txt(r, f"_smtp._tls.{Z}"), f"v=TLSRPTv1; rua=mailto:tlsreports@{Z}")
    # admin.go:235,238: enforce, 24 hours, the host as mx
    policy = _policy(tmp_path)
    assert "mode: enforce" in policy and "max_age: 86400" in policy and f"mx: mail.{Z}" in policy
    # admin.go:204,207: selectors <year>a / <year>b, named by mox
    assert any("names its DKIM selectors itself" in d.message for d in r.diagnostics)


def test_docker_mailserver(tmp_path):
    r = expand(tmp_path, "docker-mailserver")
    # docker-mailserver/docker-mailserver docs/content/config/best-practices/dkim_dmarc_spf.md:327
    assert same(txt(r, Z), "v=spf1 mx ~all")
    # dkim_dmarc_spf.md:299 (rf=afrf; ri=86400 are RFC 7489 defaults)
    assert same(
        txt(r, f"_dmarc.{Z}"),
        f"v=DMARC1; p=none; sp=none; fo=0; adkim=r; aspf=r; pct=100; rf=afrf; ri=86400; "
        f"rua=mailto:dmarc.report@{Z}; ruf=mailto:dmarc.report@{Z}",
    )
    # dkim_dmarc_spf.md:256 (selector mail), :78 (RSA-2048); target/bin/open-dkim:17-18, :189
    # (keys/<domain>/<selector>.private)
    (state,) = r.key_states
    assert state.spec.selector == "mail" and state.spec.algorithm == "rsa2048"
    assert state.spec.private_key == tmp_path / "keys" / Z / "mail.private"
    assert not txt(r, f"_mta-sts.{Z}") and not txt(r, f"_smtp._tls.{Z}")  # the guide has none


def test_rspamd(tmp_path):
    r = expand(tmp_path, "rspamd")
    # rspamd/rspamd conf/modules.d/dkim_signing.conf:37 (selector) and :35 ($domain.$selector.key)
    (state,) = r.key_states
    assert state.spec.selector == "dkim" and state.spec.private_key == tmp_path / "keys" / f"{Z}.dkim.key"
    # lualib/rspamadm/dkim_keygen.lua:123 defaults to 1024 bits, below RFC 8301's floor: rsa2048
    assert state.spec.algorithm == "rsa2048"
    assert same(txt(r, Z), "v=spf1 mx ~all")
    assert same(txt(r, f"_dmarc.{Z}"), f"v=DMARC1; p=none; rua=mailto:postmaster@{Z}")


def test_postfix(tmp_path):
    r = expand(tmp_path, "postfix")
    # opendkim-genkey(8), -s: the selector "default"; it writes <selector>.private into the -D folder
    (state,) = r.key_states
    assert state.spec.selector == "default" and state.spec.algorithm == "rsa2048"
    assert state.spec.private_key == tmp_path / "keys" / Z / "default.private"
    assert same(txt(r, Z), "v=spf1 mx ~all")
    assert same(txt(r, f"_dmarc.{Z}"), f"v=DMARC1; p=none; rua=mailto:postmaster@{Z}")
    assert not txt(r, f"_mta-sts.{Z}")


def test_live_record_in_another_spelling_shows_no_change(tmp_path):
    from zonesync.model import Record

    live = [Record(f"_dmarc.{Z}", "TXT", f"v=DMARC1;p=reject;rua=mailto:dmarcreports@{Z}!10m")]
    r = expand(tmp_path, "mox", live=live)
    assert txt(r, f"_dmarc.{Z}") == [live[0].value]
    other = [Record(f"_dmarc.{Z}", "TXT", f"v=DMARC1;p=none;rua=mailto:dmarcreports@{Z}!10m")]
    assert txt(expand(tmp_path, "mox", live=other), f"_dmarc.{Z}") != [other[0].value]


def _policy(tmp_path: Path) -> str:
    from zonesync.mail import policy_for

    return policy_for(load_zone_file(tmp_path / "zones" / f"{Z}.yaml")) or ""


# --- no-mail, through the CLI against the emulator ----------------------------------------------------


def test_no_mail_plan_apply_plan(emulator, workdir):
    Path("zones/example.com.yaml").write_text("zone: example.com\nmail:\n  preset: no-mail\n")
    plan = run("plan")
    assert plan.exit_code == 0, plan.output
    apply = run("apply", "--yes")
    assert apply.exit_code == 0, apply.output
    live = {(r["name"], r["type"]): r for r in user_records(emulator, "example.com")}
    assert live[("example.com", "MX")]["content"] == "." and live[("example.com", "MX")]["priority"] == 0
    got = {name: rdata.txt_from_presentation(r["content"]) for (name, t), r in live.items() if t == "TXT"}
    assert got == {
        "example.com": "v=spf1 -all",
        "_dmarc.example.com": "v=DMARC1; p=reject",
        "*._domainkey.example.com": "v=DKIM1; p=",
    }
    again = run("plan", "--exit-code")
    assert again.exit_code == 0 and "no changes" in again.output, again.output
    assert not (workdir / "keys").exists()


@pytest.mark.parametrize(
    ("records", "needle", "code"),
    [
        ("  '@': {type: MX, value: 10 mx.example.net.}\n", "receives mail", 1),
        ("  '@': {type: TXT, value: 'v=spf1 mx -all'}\n", "SPF", 1),
        ("  shop: {type: TXT, value: 'v=spf1 include:_spf.example.net ~all'}\n", "allows senders", 0),
    ],
)
def test_no_mail_contradictions(workdir, records, needle, code):
    Path("zones/example.com.yaml").write_text(
        textwrap.dedent("zone: example.com\nmail:\n  preset: no-mail\nrecords:\n") + records
    )
    result = run("validate")
    assert result.exit_code == code, result.output
    assert needle in result.output


def test_no_mail_refuses_mail_sections(workdir):
    Path("zones/example.com.yaml").write_text("zone: example.com\nmail:\n  preset: no-mail\n" + HOSTS)
    result = run("validate")
    assert result.exit_code == 1
    assert "zones/example.com.yaml:4: mail.mx: `preset: no-mail`" in result.output
