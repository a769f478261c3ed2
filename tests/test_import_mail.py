"""`zonesync import --mail` through the real CLI: live (SDK against the emulator) and from BIND. The plan of
the imported file changes nothing but the improvements the importer names."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from zonesync.cli import cli
from zonesync.mail import dkim
from zonesync.zonefile import rdata

ZONE = "example.com"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    (tmp_path / "zones").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def add(emulator, rtype: str, name: str, content: str, **extra) -> None:
    rec = {"type": rtype, "name": name, "content": content, "ttl": 1, **extra}
    emulator.add_record(ZONE, rec)


def dkim_value(key=None) -> str:
    return dkim.txt_value((key or rsa.generate_private_key(65537, 2048)).public_key())


def seed_maddy(emulator, dkim_txt: str) -> None:
    """maddy's tutorial record set (foxcpp/maddy docs/tutorials/setting-up.md, "DNS records"), by hand."""
    add(emulator, "MX", ZONE, f"mx.{ZONE}", priority=10)
    add(emulator, "A", f"mx.{ZONE}", "203.0.113.25")
    add(emulator, "AAAA", f"mx.{ZONE}", "2001:db8::25")
    add(emulator, "TXT", ZONE, '"v=spf1 mx ~all"')
    add(emulator, "TXT", f"mx.{ZONE}", '"v=spf1 a ~all"')
    add(emulator, "TXT", f"_dmarc.{ZONE}", f'"v=DMARC1; p=quarantine; ruf=mailto:postmaster@{ZONE}"')
    add(emulator, "TXT", f"_mta-sts.{ZONE}", '"v=STSv1; id=1"')
    add(emulator, "TXT", f"_smtp._tls.{ZONE}", f'"v=TLSRPTv1;rua=mailto:postmaster@{ZONE}"')
    add(emulator, "TXT", f"default._domainkey.{ZONE}", dkim_txt)
    add(emulator, "A", f"www.{ZONE}", "203.0.113.80", proxied=True)


def zone_file() -> dict:
    return yaml.safe_load(Path("zones/example.com.yaml").read_text())


def test_maddy_tutorial_set_becomes_the_preset(emulator, workdir):
    value = dkim_value()
    seed_maddy(emulator, rdata.txt_presentation(value))
    result = run("import", ZONE, "--mail")
    assert result.exit_code == 0, result.output
    doc = zone_file()
    assert doc["mail"] == {
        "preset": "maddy",
        "mx": [{"host": "mx", "priority": 10}],
        "hosts": {"mx": {"ipv4": ["203.0.113.25"], "ipv6": ["2001:db8::25"]}},
    }
    assert list(doc["records"]) == ["www"]  # the rest stays plain
    assert "improvement: _mta-sts.example.com: the id becomes content-derived" in result.output
    pub = workdir / "keys" / "example.com_default.key.pub"
    assert dkim.same_key(dkim.public_key_from_text(pub.read_text()), dkim.public_key_from_record(value))
    assert [p.name for p in (workdir / "keys").iterdir()] == [pub.name]  # never a private key
    assert stat.S_IMODE(pub.stat().st_mode) == 0o644

    plan = run("plan", "--exit-code")
    assert plan.exit_code == 2, plan.output  # exactly the improvement the importer named
    changes = [line for line in plan.output.splitlines() if line.strip().startswith(("+", "-", "~"))]
    assert len(changes) == 1 and "_mta-sts" in changes[0], plan.output
    assert run("apply", "--yes").exit_code == 0
    again = run("plan", "--exit-code")
    assert again.exit_code == 0 and "no changes" in again.output, again.output


def test_maddy_set_with_the_usual_mistakes(emulator, workdir):
    """A hand-made zone: TXT stored bare (no quotes), a DMARC typo, a TLS-RPT address without mailto:,
    and no SPF on the MX host. What parses becomes the block; the broken records stay plain and warned;
    the plan is still empty but for the named improvement."""
    add(emulator, "MX", ZONE, f"mx.{ZONE}", priority=10)
    add(emulator, "A", f"mx.{ZONE}", "203.0.113.25")
    add(emulator, "TXT", ZONE, "v=spf1 mx ~all")  # bare: Cloudflare stores it as sent
    add(emulator, "TXT", f"_dmarc.{ZONE}", '"v=DMARC1; p=quarantin"')
    add(emulator, "TXT", f"_smtp._tls.{ZONE}", f'"v=TLSRPTv1; rua=postmaster@{ZONE}"')
    add(emulator, "TXT", f"_mta-sts.{ZONE}", '"v=STSv1; id=20240101"')
    add(emulator, "TXT", f"default._domainkey.{ZONE}", f'"{dkim_value()}"')  # one long string: split
    add(emulator, "TXT", f"old._domainkey.{ZONE}", '"v=DKIM1; k=rsa; p=MIIBIjANBg"')  # a truncated key
    result = run("import", ZONE, "--mail")
    assert result.exit_code == 0, result.output
    text = Path("zones/example.com.yaml").read_text()
    assert '"' not in yaml.safe_load(text)["records"]["_dmarc"]["value"]  # never quotes inside a value
    mail = zone_file()["mail"]
    assert "preset" not in mail  # maddy would add SPF on the host, TLS-RPT...: explicit sections
    assert mail["spf"] == {"allow": ["mx"], "all": "softfail"}
    assert mail["dkim"] == [{"selector": "default"}] and "dmarc" not in mail and "tls_rpt" not in mail
    plan = run("plan", "--exit-code")
    assert plan.exit_code == 2, plan.output
    assert "`p=quarantin` must be none, quarantine or reject" in plan.output  # warned, left as it is
    assert "is neither mailto: nor https:" in plan.output
    assert "DKIM: the key record does not parse" in plan.output  # old._domainkey stays plain, warned
    changes = [line for line in plan.output.splitlines() if line.strip().startswith(("+", "-", "~"))]
    assert len(changes) == 1 and "_mta-sts" in changes[0], plan.output


@pytest.mark.parametrize("preset", ["stalwart", "mox", "docker-mailserver", "rspamd", "no-mail"])
def test_zone_made_by_a_preset_imports_as_that_preset(emulator, workdir, preset):
    """Apply a preset's zone, forget the file, import: the same preset, and an empty plan."""
    body = (
        ""
        if preset == "no-mail"
        else "  mx: [{host: mx, priority: 10}]\n  hosts: {mx: {ipv4: [203.0.113.25]}}\n"
    )
    if preset in ("stalwart", "mox"):
        selector = "v1-ed25519-20261127" if preset == "stalwart" else "2026a"
        body += f"  dkim: [{{selector: {selector}}}]\n"
        key = ed25519.Ed25519PrivateKey.generate().public_key()
        (workdir / "keys").mkdir()
        (workdir / "keys" / f"{ZONE}_{selector}.key.pub").write_bytes(
            key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
    Path("zones/example.com.yaml").write_text(f"zone: {ZONE}\nmail:\n  preset: {preset}\n" + body)
    applied = run("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    Path("zones/example.com.yaml").unlink()
    result = run("import", ZONE, "--mail")
    assert result.exit_code == 0, result.output
    assert zone_file()["mail"]["preset"] == preset
    plan = run("plan", "--exit-code")
    assert plan.exit_code == 0 and "no changes" in plan.output, plan.output


def test_from_bind(workdir):
    value = dkim_value()
    Path("db.example.com").write_text(
        f"""$ORIGIN example.com.
$TTL 3600
@ IN SOA ns1 host 1 7200 3600 1209600 3600
@ IN MX 10 mx
mx IN A 203.0.113.25
@ IN TXT "v=spf1 mx -all"
_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"
mail._domainkey IN TXT {rdata.txt_presentation(value)}
"""
    )
    result = run("import", ZONE, "--from-bind", "db.example.com", "--mail")
    assert result.exit_code == 0, result.output
    mail = zone_file()["mail"]
    assert mail["spf"] == {"allow": ["mx"], "all": "fail"}
    assert mail["dmarc"] == {"policy": "reject", "rua": ["mailto:dmarc@example.com"]}
    assert mail["dkim"] == [{"selector": "mail"}]
    assert (workdir / "keys" / "example.com_mail.key.pub").is_file()
    assert run("validate", ZONE).exit_code == 0


def test_readme_migration_in_four_commands(workdir, monkeypatch):
    """README and docs/mail.md: the bundled sample seed (`zonesync emulator --sample-seed`, a mail zone made by
    hand), import --mail, plan, apply, empty plan."""
    from zonesync.emulator.sample import sample_seed
    from zonesync.emulator.server import Emulator

    emu = Emulator(tokens=("test-token",), rate_limit=0, seed=sample_seed()).start()
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "test-token")
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emu.url)
    try:
        imported = run("import", ZONE, "--mail")
        assert imported.exit_code == 0, imported.output
        assert zone_file()["mail"]["preset"] == "maddy"
        assert (workdir / "keys" / "example.com_default.key.pub").is_file()
        plan = run("plan")
        assert plan.exit_code == 0 and "update _mta-sts TXT" in plan.output, plan.output
        assert run("apply", "--yes").exit_code == 0
        again = run("plan", "--exit-code")
        assert again.exit_code == 0 and "no changes" in again.output, again.output
    finally:
        emu.stop()


def test_outside_mail_provider_gives_explicit_sections(workdir):
    """MX at another provider (absolute names), SPF include, an extra TTL: explicit sections, no preset."""
    Path("db.example.com").write_text(
        """$ORIGIN example.com.
$TTL 3600
@ IN SOA ns1 host 1 7200 3600 1209600 3600
@ IN MX 1 aspmx.l.example.net.
@ IN MX 5 alt1.aspmx.l.example.net.
@ IN TXT "v=spf1 include:_spf.example.net ~all"
_dmarc 300 IN TXT "v=DMARC1; p=none; rua=mailto:d@example.com"
www IN A 192.0.2.80
"""
    )
    result = run("import", ZONE, "--from-bind", "db.example.com", "--mail")
    assert result.exit_code == 0, result.output
    doc = zone_file()
    assert doc["mail"] == {
        "mx": [
            {"host": "aspmx.l.example.net.", "priority": 1},
            {"host": "alt1.aspmx.l.example.net.", "priority": 5},
        ],
        "spf": {"allow": ["include:_spf.example.net"], "all": "softfail"},
    }
    assert doc["records"]["_dmarc"]["ttl"] == 300  # another TTL than the block's: stays a plain record
    assert run("validate", ZONE).exit_code == 0
