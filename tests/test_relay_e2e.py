"""A relay zone plans, applies and verifies end to end against the emulator (its DNS serves what was
applied; the provider's own names live in an emulator zone standing in for amazonses.com)."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from verify_env import REVERSE_V4, TOKEN, World, findings

from zonesync.emulator.server import Emulator

RELAY_ZONE = """
zone: example.com
mail:
  preset: maddy
  mx: [mx]
  hosts:
    mx: {ipv4: [203.0.113.25]}
  dmarc:
    rua: ["mailto:dmarc@example.com"]
  relay:
    provider: ses
    region: eu-west-1
    dkim_tokens: [tok1aaaaaaaaaaaa, tok2bbbbbbbbbbbb, tok3cccccccccccc]
"""


@pytest.fixture(name="world")
def world_fixture(tmp_path, monkeypatch):
    emu = Emulator(
        tokens=(TOKEN,), zones=("example.com", "amazonses.com", REVERSE_V4), rate_limit=0, dns_port=0
    ).start()
    (tmp_path / "zones").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emu.url)
    monkeypatch.setenv("NO_COLOR", "1")
    try:
        yield World(emu, tmp_path)
    finally:
        emu.stop()


def _provider_side(world: World, tokens: tuple[str, ...]) -> None:
    """What SES serves: a DKIM key per token, its SPF, the feedback host."""
    for tok in tokens:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
        der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        import base64

        world.add(
            "amazonses.com", "TXT", f"{tok}.dkim", f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}"
        )
    world.add("amazonses.com", "TXT", "@", "v=spf1 ip4:192.0.2.0/24 ~all")
    world.add("amazonses.com", "A", "feedback-smtp.eu-west-1", "192.0.2.80")


def test_relay_zone_plans_applies_and_verifies(world: World) -> None:
    from click.testing import CliRunner

    from zonesync.cli import cli

    world.write(RELAY_ZONE)
    plan = CliRunner().invoke(cli, ["plan", "example.com"], catch_exceptions=False)
    assert plan.exit_code in (0, 2), plan.output
    assert "tok1aaaaaaaaaaaa._domainkey CNAME" in plan.output and "bounce MX" in plan.output, plan.output
    world.apply()
    world.ptr("203.0.113.25", "mx.example.com")
    tokens = ("tok1aaaaaaaaaaaa", "tok2bbbbbbbbbbbb", "tok3cccccccccccc")
    _provider_side(world, tokens)
    code, doc = world.verify_json()
    relay = {f["subject"]: f for f in findings(doc, "relay")}
    assert all(f["status"] == "pass" for f in relay.values()), json.dumps(relay, indent=1)
    for tok in tokens:
        assert relay[f"{tok}._domainkey.example.com"]["message"] == (
            f"resolves to a DKIM key (RSA 2048-bit) through the CNAME to {tok}.dkim.amazonses.com"
        )
    assert "authorises Amazon SES: 1 DNS lookup" in relay["bounce.example.com SPF"]["message"]
    assert (
        relay["bounce.example.com"]["message"] == "bounce MX feedback-smtp.eu-west-1.amazonses.com resolves"
    )
    assert code == 0, json.dumps(doc, indent=1)


def test_verify_fails_when_the_provider_key_is_missing(world: World) -> None:
    world.write(RELAY_ZONE)
    world.apply()
    world.add("amazonses.com", "TXT", "@", "v=spf1 ip4:192.0.2.0/24 ~all")
    code, doc = world.verify_json()
    failed = [f for f in findings(doc, "relay", "fail") if "._domainkey." in f["subject"]]
    assert len(failed) == 3 and "no DKIM key record through the CNAME" in failed[0]["message"]
    assert code == 5
