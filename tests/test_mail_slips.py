"""Issue 12, items 2, 3 and 5, through the real CLI (and the real SDK against the emulator): unreadable
live mail records become updates, common slips are refused before any request, zones by name, `-v` after
the command."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from clirun import run
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from emu_records import user_records

from zonesync.mail import dkim
from zonesync.zonefile import rdata

DKIM_NAME = "default._domainkey.example.com"


def write(text: str, name: str = "example.com.yaml") -> None:
    Path("zones", name).write_text(textwrap.dedent(text).lstrip())


def live(emulator, name: str) -> list[dict]:
    return [r for r in user_records(emulator, "example.com") if r["name"] == name and r["type"] == "TXT"]


def add_txt(emulator, name: str, content: str) -> None:
    emulator.add_record("example.com", {"type": "TXT", "name": name, "content": content, "ttl": 1})


def write_key(path: Path):
    key = rsa.generate_private_key(65537, 2048)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    path.chmod(0o600)  # as the mail server keeps it (a looser mode gets a warning)
    return key


# --- item 2: TXT as Cloudflare stores it, unreadable live records are updates ---------------------------


def test_emulator_splits_a_long_quoted_string_and_keeps_bare_text(emulator, api):
    """Facts row 6c: quoted strings over 255 bytes are split by the API; bare content is stored as sent."""
    long = "v=DKIM1; k=rsa; p=" + "A" * 380
    r = api.post("/zones/" + emulator.zone_id("example.com") + "/dns_records",
                 json={"type": "TXT", "name": "a.example.com", "content": f'"{long}"'})  # fmt: skip
    assert r.status_code == 200, r.text
    content = r.json()["result"]["content"]
    assert content == f'"{long[:255]}" "{long[255:]}"'
    bare = 'v=spf1 mx "quoted" ~all'
    r = api.post("/zones/" + emulator.zone_id("example.com") + "/dns_records",
                 json={"type": "TXT", "name": "b.example.com", "content": bare})  # fmt: skip
    assert r.json()["result"]["content"] == bare


def test_txt_content_read_as_cloudflare_stores_it():
    long = "p=" + "B" * 300
    assert rdata.txt_from_presentation(f'"{long}"') == long  # one string over 255 bytes: joined, unquoted
    assert rdata.txt_from_presentation('"v=spf1 " "mx ~all"') == "v=spf1 mx ~all"
    assert rdata.txt_from_presentation('"a\\"b" "c"') == 'a"bc'
    assert rdata.txt_from_presentation("v=spf1 mx ~all") == "v=spf1 mx ~all"  # bare: as is
    assert rdata.txt_from_presentation('"unterminated') == '"unterminated'  # not quoted strings: as is


MAIL = """
zone: example.com
mail:
  mx: [{host: mx, priority: 10}]
  hosts: {mx: {ipv4: [203.0.113.25]}}
  spf: {allow: [mx], all: fail}
  dkim: [{selector: default}]
  dmarc: {policy: reject, rua: ["mailto:dmarc@example.com"]}
"""


def seed_correct(emulator) -> None:
    emulator.add_record("example.com", {"type": "MX", "name": "example.com", "content": "mx.example.com",
                                        "priority": 10, "ttl": 1})  # fmt: skip
    emulator.add_record(
        "example.com", {"type": "A", "name": "mx.example.com", "content": "203.0.113.25", "ttl": 1}
    )
    add_txt(emulator, "_dmarc.example.com", '"v=DMARC1; p=reject; rua=mailto:dmarc@example.com"')


def test_long_unsplit_dkim_string_is_read_as_the_key(emulator, workdir):
    """The issue's case: the live key is one quoted string over 255 bytes (as a listing may hold it)."""
    write(MAIL)
    key = write_key(workdir / "keys" / "example.com_default.key")
    seed_correct(emulator)
    add_txt(emulator, "example.com", '"v=spf1 mx -all"')
    value = dkim.txt_value(key.public_key())
    add_txt(emulator, DKIM_NAME, f'"{value}"')  # the emulator splits it, as Cloudflare does
    assert len(live(emulator, DKIM_NAME)[0]["content"]) > len(value) + 2
    result = run("plan", "--exit-code")
    assert result.exit_code == 0, result.output
    assert "no changes" in result.output


def test_unusable_live_dkim_and_spf_become_updates(emulator, workdir):
    write(MAIL)
    key = write_key(workdir / "keys" / "example.com_default.key")
    seed_correct(emulator)
    add_txt(emulator, "example.com", "v=spf1 mx -all ipv4:192.0.2.1")  # a slip: not an SPF mechanism
    add_txt(emulator, DKIM_NAME, '"v=DKIM1; k=rsa; p=MIIBIjANBg')  # unterminated quote, truncated key
    result = run("plan", "--exit-code")
    assert result.exit_code == 2, result.output
    assert "update" in result.output or "~" in result.output
    err = result.output
    assert f"the DKIM record published at {DKIM_NAME} is unusable" in err
    assert "the plan replaces it with the key from private key" in err
    assert "the live SPF record at example.com does not parse" in err and "ipv4:192.0.2.1" in err
    assert run("apply", "--yes").exit_code == 0
    assert [rdata.txt_from_presentation(r["content"]) for r in live(emulator, DKIM_NAME)] == [
        dkim.txt_value(key.public_key())
    ]
    again = run("plan", "--exit-code")
    assert again.exit_code == 0 and "no changes" in again.output, again.output
    assert "unusable" not in again.output


def test_unusable_live_dkim_without_key_is_an_error(emulator, workdir):
    write(MAIL)
    seed_correct(emulator)
    add_txt(emulator, DKIM_NAME, '"v=DKIM1; k=rsa; p=%%%"')
    result = run("plan")
    assert result.exit_code == 1
    assert "is unusable" in result.output and "keys/example.com_default.key" in result.output


# --- item 3: slips refused before any request ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("v=spf mx -all", "starts like SPF but not with `v=spf1`"),
        ("v=spf1 mx ~al", "SPF"),
        (
            "v=DMARC1; p=quarantin; rua=mailto:d@example.com",
            "`p=quarantin` must be none, quarantine or reject",
        ),
        ("v=TLSRPTv1; rua=tls@example.com", "is neither mailto: nor https:"),
    ],
)
def test_broken_mail_record_under_records_is_an_error(workdir, value, needle):
    name = {"v=DMARC1": "_dmarc", "v=TLSRPT": "_smtp._tls"}.get(value[:8], "'@'")
    write(f"zone: example.com\nrecords:\n  {name}: {{type: TXT, value: '{value}'}}\n")
    result = run("validate")
    assert result.exit_code == 1, result.output
    assert "zones/example.com.yaml:3:" in result.output and needle in result.output


def test_broken_record_live_and_unchanged_is_a_warning(emulator, workdir):
    """An imported zone still plans: the same broken record live and in the file only warns."""
    write("zone: example.com\nrecords:\n  _dmarc: {type: TXT, value: 'v=DMARC1; p=quarantin'}\n")
    add_txt(emulator, "_dmarc.example.com", '"v=DMARC1; p=quarantin"')
    result = run("plan", "--exit-code")
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output and "`p=quarantin` must be none" in result.output
    assert "live as it is" in result.output
    changed = run("plan", "--exit-code")  # still fine; now change it into another broken value
    write("zone: example.com\nrecords:\n  _dmarc: {type: TXT, value: 'v=DMARC1; p=rejec'}\n")
    changed = run("plan")
    assert changed.exit_code == 1 and "`p=rejec` must be" in changed.output


def test_ip_address_as_mx_target_is_an_error(workdir):
    write("zone: example.com\nrecords:\n  '@': {type: MX, value: '10 192.0.2.25'}\n")
    result = run("validate")
    assert result.exit_code == 1
    assert "zones/example.com.yaml:3: records.@.value: MX target 192.0.2.25 is an IP address" in result.output


def test_relative_target_that_reads_like_an_outside_domain_is_warned(workdir):
    write(
        """
        zone: example.org
        records:
          www: {type: CNAME, value: example.net}
          intranet: {type: CNAME, value: host.internal}
          '@':
            - {type: MX, value: 10 mail.example.net}
            - {type: TXT, value: v=spf1 mx -all}
        """,
        "example.org.yaml",
    )
    result = run("validate", "example.org")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "CNAME target `example.net` has no trailing dot" in out and "means example.net.example.org." in out
    assert "write `example.net.` (with the trailing dot)" in out
    assert "host.internal" not in out  # not a public suffix: a private name, no warning
    # the MX-host hint proposes the trailing dot, never `mail.hosts` for a name that is not in the zone
    assert "for the outside host write `mail.example.net.`" in out
    assert "mail.hosts" not in out


def test_file_name_must_match_the_zone(workdir):
    write("zone: example.org\n", "example.com.yaml")
    result = run("validate")
    assert result.exit_code == 1
    assert "the file is named example.com.yaml but holds `zone: example.org`" in result.output
    Path("zones/example.com.yaml").write_text("records:\n  www: {type: A, value: 192.0.2.1}\n")
    ok = run("validate")  # zone: absent: taken from the name
    assert ok.exit_code == 0 and "example.com: 1 record OK" in ok.output, ok.output


def test_dmarc_without_rua_is_warned(workdir):
    write("zone: example.com\nrecords:\n  _dmarc: {type: TXT, value: 'v=DMARC1; p=none'}\n")
    result = run("validate")
    assert result.exit_code == 0
    assert "no `rua=` report address" in result.output


# --- item 5: zones by name, -v after the command --------------------------------------------------------


def test_zone_names_and_verbose_after_the_command(emulator, workdir):
    write("zone: example.com\nrecords:\n  www: {type: A, value: 192.0.2.1}\n")
    # a real process, so the request log reaches its stderr
    proc = subprocess.run(
        [sys.executable, "-m", "zonesync", "plan", "-v", "example.com"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "+ create www A 192.0.2.1" in proc.stdout
    assert "GET /client/v4/zones/" in proc.stderr and "dns_records" in proc.stderr
    assert run("apply", "--yes", "example.com", "-v").exit_code == 0
    assert run("validate", "example.com").exit_code == 0
    missing = run("plan", "example.net")
    assert missing.exit_code == 1 and "no such zone file" in missing.output
