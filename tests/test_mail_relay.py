"""`mail.relay`: each provider's records against its golden file (which quotes the provider's page), the
checks (SPF where the envelope sender is, lookup budget, DMARC alignment, secrets refused), explain and
`zonesync relay config`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from zonesync.cli import cli
from zonesync.errors import ZoneFileError
from zonesync.mail import mail_records, mail_spec
from zonesync.zonefile.load import load_zone_file

GOLDEN = Path(__file__).parent / "golden" / "relay"
PROVIDERS = sorted(p.stem for p in GOLDEN.glob("*.json"))


def _zone(tmp_path: Path, relay: dict, **mail: object) -> Path:
    doc = {
        "zone": "example.com",
        "mail": {"mx": ["mx"], "hosts": {"mx": {"ipv4": ["203.0.113.25"]}}, "spf": {"allow": ["mx"]},
                 "dmarc": {"policy": "quarantine", "rua": ["mailto:d@example.com"]}, "relay": relay, **mail},
    }  # fmt: skip
    (tmp_path / "zones").mkdir(exist_ok=True)
    path = tmp_path / "zones" / "example.com.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _relay_records(path: Path) -> tuple[list[list[str]], list[str]]:
    result = mail_records(load_zone_file(path), None, generate_keys=False)
    recs = [[r.name, r.type, r.value] for r in result.records if r.source and r.source.origin == "mail:relay"]
    return recs, [str(d) for d in result.diagnostics]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_provider_records_match_the_golden_file(tmp_path: Path, provider: str) -> None:
    golden = json.loads((GOLDEN / f"{provider}.json").read_text())
    assert all(s["read"] and "url" in s for s in golden["sources"])  # every golden file cites its pages
    records, diagnostics = _relay_records(_zone(tmp_path, golden["relay"]))
    assert records == golden["expected"]
    assert not [d for d in diagnostics if "error" in d], diagnostics
    spec = mail_spec(load_zone_file(tmp_path / "zones" / "example.com.yaml"))
    assert spec is not None and spec.relay is not None
    assert f"{spec.relay.host}:{spec.relay.port}" == golden["smtp"]


def test_all_six_providers_have_golden_files() -> None:
    assert PROVIDERS == ["brevo", "custom", "mailgun", "postmark", "ses", "smtp2go"]


def test_the_provider_spf_at_the_apex_is_flagged(tmp_path: Path) -> None:
    golden = json.loads((GOLDEN / "ses.json").read_text())
    path = _zone(tmp_path, golden["relay"], spf={"allow": ["mx", "include:amazonses.com"]})
    _, diagnostics = _relay_records(path)
    assert any("has `include:amazonses.com`, but Amazon SES sends with the envelope sender at "
               "bounce.example.com" in d for d in diagnostics), diagnostics  # fmt: skip


def test_custom_spf_beyond_ten_lookups_names_each_cost(tmp_path: Path) -> None:
    terms = ["include:amazonses.com", *[f"a:h{i}.example.net" for i in range(10)]]
    path = _zone(tmp_path, {"provider": "custom", "host": "relay.example.net", "return_path": "bounce", "spf": terms,
                            "dkim": [{"selector": "r1", "cname": "r1.dkim.example.net"}]})  # fmt: skip
    _, diagnostics = _relay_records(path)
    (err,) = [d for d in diagnostics if "costs 1, a:h0" in d]
    assert "needs 11 DNS lookups (include:amazonses.com costs 1, a:h0.example.net costs 1" in err
    assert "error" in err


def test_strict_alignment_without_dkim_fails_dmarc(tmp_path: Path) -> None:
    path = _zone(tmp_path, {"provider": "custom", "host": "relay.example.net", "return_path": "bounce",
                            "spf": ["ip4:192.0.2.1"]},
                 dmarc={"policy": "reject", "aspf": "strict", "rua": ["mailto:d@example.com"]})  # fmt: skip
    _, diagnostics = _relay_records(path)
    assert any("mail sent through the relay fails DMARC for example.com: its envelope sender is bounce.example.com "
               "(aspf=s needs example.com itself)" in d for d in diagnostics), diagnostics  # fmt: skip


def test_relaxed_alignment_through_spf_only_warns(tmp_path: Path) -> None:
    path = _zone(tmp_path, {"provider": "custom", "host": "relay.example.net", "return_path": "bounce",
                            "spf": ["ip4:192.0.2.1"]})  # fmt: skip
    _, diagnostics = _relay_records(path)
    assert any("aligns with DMARC through SPF alone" in d and "warning" in d for d in diagnostics)


@pytest.mark.parametrize("key", ["password", "smtp_password", "username"])
def test_secrets_are_refused_at_their_line(tmp_path: Path, key: str) -> None:
    path = _zone(
        tmp_path, {"provider": "smtp2go", "return_path": "em1", "dkim_selector": "s1", key: "hunter2"}
    )
    with pytest.raises(ZoneFileError) as exc:
        mail_spec(load_zone_file(path))
    assert f"mail.relay.{key}" in str(exc.value) and "never go in a zone file" in str(exc.value)
    assert "hunter2" not in str(exc.value)


def test_missing_and_wrong_fields_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(ZoneFileError, match="`provider: ses` needs `region:`"):
        mail_spec(load_zone_file(_zone(tmp_path, {"provider": "ses", "dkim_tokens": ["a", "b", "c"]})))
    with pytest.raises(ZoneFileError, match="'sendgrd' is not one of"):
        mail_spec(load_zone_file(_zone(tmp_path, {"provider": "sendgrd"})))
    with pytest.raises(ZoneFileError, match="never on 25"):
        mail_spec(
            load_zone_file(_zone(tmp_path, {"provider": "custom", "host": "r.example.net", "port": 25}))
        )


def test_explain_says_what_each_relay_record_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    golden = json.loads((GOLDEN / "postmark.json").read_text())
    _zone(tmp_path, golden["relay"])
    monkeypatch.chdir(tmp_path)
    out = CliRunner().invoke(cli, ["explain", "example.com"]).output
    assert "pm-bounces.example.com  CNAME  pm.mtasv.net." in out
    assert "The return path (envelope sender, MAIL FROM) of relayed mail" in out
    assert (
        'DKIM for mail the relay sends: selector "20260101000000pm" is the public key Postmark gave you'
        in out
    )
    assert (
        "Outbound relay (Postmark): your mail server hands every outgoing message to smtp.postmarkapp.com:587"
        in out
    )


def test_relay_config_prints_maddy_and_postfix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    golden = json.loads((GOLDEN / "ses.json").read_text())
    _zone(tmp_path, golden["relay"], preset="maddy")
    monkeypatch.chdir(tmp_path)
    maddy = CliRunner().invoke(cli, ["relay", "config", "example.com"])
    assert maddy.exit_code == 0, maddy.output
    assert (
        "target.smtp relay_smarthost {\n    targets tcp://email-smtp.eu-west-1.amazonaws.com:587\n"
        in maddy.output
    )
    assert "    auth plain {env:RELAY_USERNAME} {env:RELAY_PASSWORD}\n" in maddy.output
    assert "    target &relay_smarthost\n" in maddy.output and "mode 0600" in maddy.output
    postfix = CliRunner().invoke(cli, ["relay", "config", "example.com", "--server", "postfix"]).output
    for line in (
        "relayhost = [email-smtp.eu-west-1.amazonaws.com]:587",
        "smtp_sasl_auth_enable = yes",
        "smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd",
        "smtp_tls_security_level = encrypt",
    ):
        assert line + "\n" in postfix  # fmt: skip
    assert "smtp_tls_wrappermode" not in postfix


def test_relay_config_implicit_tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    golden = json.loads((GOLDEN / "custom.json").read_text())
    _zone(tmp_path, golden["relay"])
    monkeypatch.chdir(tmp_path)
    maddy = CliRunner().invoke(cli, ["relay", "config", "example.com", "--server", "maddy"]).output
    assert "targets tls://relay.example.net:465" in maddy and "starttls" not in maddy
    postfix = CliRunner().invoke(cli, ["relay", "config", "example.com", "--server", "postfix"]).output
    assert "smtp_tls_wrappermode = yes" in postfix
    none = CliRunner().invoke(cli, ["relay", "config", "example.com"])
    assert none.exit_code != 0 and "pass --server" in none.output


CONFIG_GOLDEN = Path(__file__).parent / "golden" / "relay_config"


@pytest.mark.parametrize("path", sorted(CONFIG_GOLDEN.glob("*.txt")), ids=lambda p: p.stem)
def test_relay_config_matches_the_golden_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: Path
) -> None:
    """Each server's snippet for a STARTTLS relay (SES, 587) and an implicit-TLS one (custom, 465)."""
    server, provider = path.stem.rsplit("-", 1)
    _zone(tmp_path, json.loads((GOLDEN / f"{provider}.json").read_text())["relay"])
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(cli, ["relay", "config", "example.com", "--server", server])
    assert done.exit_code == 0, done.output
    assert done.output == path.read_text()


def test_every_server_has_golden_files() -> None:
    from zonesync.mail.relay_config import SERVERS

    assert sorted(p.stem for p in CONFIG_GOLDEN.glob("*.txt")) == sorted(
        f"{server}-{provider}" for server in SERVERS for provider in ("custom", "ses")
    )


def test_stalwart_and_mox_follow_the_preset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`relay config` without --server picks the preset's server; the snippets carry no secret, only where
    it goes, and are in each server's own syntax (Stalwart's JSON objects, mox's tab-indented sconf)."""
    relay = json.loads((GOLDEN / "ses.json").read_text())["relay"]
    monkeypatch.chdir(tmp_path)
    _zone(tmp_path, relay, preset="stalwart")
    stalwart = CliRunner().invoke(cli, ["relay", "config", "example.com"])
    assert stalwart.exit_code == 0, stalwart.output
    objects = [json.loads(line) for line in stalwart.output.splitlines() if line.startswith("{")]
    route, strategy = objects
    assert route["@type"] == "Relay" and route["name"] == "relay"
    assert (route["address"], route["port"], route["implicitTls"]) == (
        "email-smtp.eu-west-1.amazonaws.com",
        587,
        False,
    )
    assert route["authSecret"] == {"@type": "File", "filePath": "/opt/stalwart/etc/relay-password"}
    assert strategy["else"] == "'relay'" and "startTls" in stalwart.output
    _zone(tmp_path, relay, preset="mox")
    mox = CliRunner().invoke(cli, ["relay", "config", "example.com"])
    assert mox.exit_code == 0, mox.output
    body = [line for line in mox.output.splitlines() if line and not line.lstrip().startswith("#")]
    assert all(not line.startswith(" ") for line in body)  # sconf: tabs only
    assert "\t\tSubmission:\n\t\t\tHost: email-smtp.eu-west-1.amazonaws.com\n\t\t\tPort: 587\n" in mox.output
    assert "\t\t\t\tMechanisms:\n\t\t\t\t\t- PLAIN\n" in mox.output
    assert "Routes:\n\t-\n\t\tTransport: relay\n" in mox.output
