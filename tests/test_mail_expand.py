"""The mail: block's expansion: golden test for `preset: maddy`, structure errors, purity."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from zonesync.errors import ZoneFileError
from zonesync.mail import mail_records, mail_spec
from zonesync.mail.expand import DkimValue, expand
from zonesync.zonefile.load import load_zone_file

MADDY = """
zone: example.com
mail:
  preset: maddy
  mx:
    - host: mx
      priority: 10
  hosts:
    mx: {ipv4: [203.0.113.25], ipv6: ["2001:db8::25"]}
"""


def zone_file(tmp_path: Path, text: str, name: str = "example.com") -> Path:
    zones = tmp_path / "zones"
    zones.mkdir(exist_ok=True)
    path = zones / f"{name}.yaml"
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def load(tmp_path: Path, text: str):
    return load_zone_file(zone_file(tmp_path, text))


def rows(records):
    return [(r.name, r.type, r.value, r.proxied, r.pending, r.source.origin) for r in records]


def test_preset_maddy_golden(tmp_path):
    """Exactly the records of maddy's setup tutorial (docs/tutorials/setting-up.md, "DNS records")."""
    config = load(tmp_path, MADDY)
    result = mail_records(config, None, generate_keys=False)
    assert rows(result.records) == [
        ("example.com", "MX", "10 mx.example.com.", None, False, "mail:mx"),
        ("mx.example.com", "A", "203.0.113.25", False, False, "mail:hosts"),
        ("mx.example.com", "AAAA", "2001:db8::25", False, False, "mail:hosts"),
        ("example.com", "TXT", "v=spf1 mx ~all", None, False, "mail:spf"),
        ("mx.example.com", "TXT", "v=spf1 a ~all", None, False, "mail:spf"),
        ("default._domainkey.example.com", "TXT", "v=DKIM1; k=rsa; p=<generated at apply>", None, True, "mail:dkim"),
        ("_dmarc.example.com", "TXT", "v=DMARC1; p=quarantine; ruf=mailto:postmaster@example.com", None, False, "mail:dmarc"),
        ("_mta-sts.example.com", "TXT", "v=STSv1; id=36ddd63e6986d7f734bc36b4", None, False, "mail:mta_sts"),
        ("_smtp._tls.example.com", "TXT", "v=TLSRPTv1;rua=mailto:postmaster@example.com", None, False, "mail:tls_rpt"),
    ]  # fmt: skip
    assert all(r.ttl == 1 for r in result.records)
    assert result.generated == ()
    # warnings only: maddy's DMARC record has no rua (no aggregate reports), nothing serves the policy yet
    assert [d.level for d in result.diagnostics] == ["warning", "warning"]
    assert "no `rua=` report address" in result.diagnostics[0].message
    assert "mta-sts.example.com" in result.diagnostics[1].message
    # maddy's key location: {domain}_{selector}.key in the key folder beside zones/
    spec = mail_spec(config)
    assert spec.dkim[0].private_key == tmp_path.resolve() / "keys" / "example.com_default.key"
    assert not (tmp_path / "keys").exists()  # plan never writes keys


def test_mta_sts_policy_and_id(tmp_path):
    from zonesync.mail import policy_for
    from zonesync.mail.mta_sts import policy_id

    config = load(tmp_path, MADDY)
    policy = policy_for(config)
    assert policy == "version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 604800\r\n"
    rec = next(
        r for r in mail_records(config, None, generate_keys=False).records if r.name.startswith("_mta-sts")
    )
    assert rec.value == f"v=STSv1; id={policy_id(policy)}"
    # the id follows the policy: another max_age, another id; same policy, same id
    other = load(tmp_path, MADDY + "  mta_sts: {max_age: 1209600}\n")
    rec2 = next(
        r for r in mail_records(other, None, generate_keys=False).records if r.name.startswith("_mta-sts")
    )
    assert rec2.value != rec.value
    again = next(
        r for r in mail_records(config, None, generate_keys=False).records if r.name.startswith("_mta-sts")
    )
    assert again.value == rec.value


def test_full_block(tmp_path):
    config = load(
        tmp_path,
        """
        zone: example.com
        ttl: 3600
        mail:
          mx:
            - {host: mx1, priority: 10}
            - {host: mx.backup.example.net., priority: 20}
          hosts:
            mx1: {ipv4: [203.0.113.25]}
          spf:
            allow: [mx, "ip4:198.51.100.0/24", "include:_spf.example.net"]
            all: fail
          dkim:
            - {selector: rsa1, algorithm: rsa2048, private_key: secrets/rsa1.key}
            - {selector: ed1, algorithm: ed25519}
          dmarc:
            policy: reject
            subdomain_policy: quarantine
            percent: 50
            adkim: strict
            aspf: relaxed
            rua: ["mailto:dmarc@example.com"]
            ruf: ["mailto:forensic@example.com"]
            failure_options: "1"
          mta_sts:
            mode: testing
            max_age: 86400
            mx: [mx1.example.com, "*.backup.example.net"]
          tls_rpt:
            rua: ["mailto:tlsrpt@example.com", "https://reports.example.com/tls"]
        """,
    )
    result = mail_records(config, None, generate_keys=False)
    by = {
        (r.name, r.value.split(";")[0].split()[0] if r.type == "TXT" else r.type): r for r in result.records
    }
    assert (
        by[("example.com", "v=spf1")].value == "v=spf1 mx ip4:198.51.100.0/24 include:_spf.example.net -all"
    )
    assert ("mx1.example.com", "v=spf1") not in by  # on_mx_hosts is off without the preset
    mx = [r.value for r in result.records if r.type == "MX"]
    assert mx == ["10 mx1.example.com.", "20 mx.backup.example.net."]
    assert by[("_dmarc.example.com", "v=DMARC1")].value == (
        "v=DMARC1; p=reject; sp=quarantine; pct=50; adkim=s; aspf=r; rua=mailto:dmarc@example.com; "
        "ruf=mailto:forensic@example.com; fo=1"
    )
    assert by[("_smtp._tls.example.com", "v=TLSRPTv1")].value == (
        "v=TLSRPTv1;rua=mailto:tlsrpt@example.com,https://reports.example.com/tls"
    )
    assert by[("ed1._domainkey.example.com", "v=DKIM1")].value == "v=DKIM1; k=ed25519; p=<generated at apply>"
    assert all(r.ttl == 3600 for r in result.records)
    spec = mail_spec(config)
    assert spec.dkim[0].private_key == tmp_path.resolve() / "secrets" / "rsa1.key"
    assert [d.level for d in result.diagnostics if d.level == "error"] == []


def test_expand_is_pure(tmp_path):
    config = load(tmp_path, MADDY)
    spec = mail_spec(config)
    values = {"default": DkimValue("v=DKIM1; k=ed25519; p=AAAA")}
    a = expand(spec, values, config.records)
    b = expand(spec, values, config.records)
    assert a == b
    assert next(r for r in a if "_domainkey" in r.name).value == "v=DKIM1; k=ed25519; p=AAAA"


def test_preset_sections_merge_key_by_key(tmp_path):
    config = load(
        tmp_path,
        MADDY + '  dmarc: {rua: ["mailto:agg@example.com"]}\n  tls_rpt: {rua: ["mailto:tls@example.com"]}\n',
    )
    values = {
        r.name: r.value for r in mail_records(config, None, generate_keys=False).records if r.type == "TXT"
    }
    assert values["_dmarc.example.com"] == (
        "v=DMARC1; p=quarantine; rua=mailto:agg@example.com; ruf=mailto:postmaster@example.com"
    )
    assert values["_smtp._tls.example.com"] == "v=TLSRPTv1;rua=mailto:tls@example.com"


def test_key_dir_points_at_maddy_keys(tmp_path):
    config = load(tmp_path, MADDY + "  key_dir: /var/lib/maddy/dkim_keys\n")
    assert mail_spec(config).dkim[0].private_key == Path("/var/lib/maddy/dkim_keys/example.com_default.key")


def test_absolute_mx_outside_zone_and_apex(tmp_path):
    config = load(
        tmp_path,
        """
        zone: example.com
        records:
          "@": {type: A, value: 203.0.113.7}
        mail:
          mx: [{host: "@", priority: 5}, {host: mail.provider.example., priority: 10}]
          spf: {allow: [mx], on_mx_hosts: true}
        """,
    )
    result = mail_records(config, None, generate_keys=False)
    assert [r.value for r in result.records if r.type == "MX"] == [
        "5 example.com.",
        "10 mail.provider.example.",
    ]
    # no host SPF for the apex (it has the domain's) nor for a host outside the zone
    assert [r.name for r in result.records if r.type == "TXT"] == ["example.com"]
    assert [d for d in result.diagnostics if d.level == "error"] == []


@pytest.mark.parametrize(
    ("block", "line", "message"),
    [
        ("  spff: {}\n", 3, "mail.spff: unknown key 'spff' (did you mean 'spf'?)"),
        (
            "  spf: {all: sofftail}\n",
            3,
            "mail.spf.all: 'sofftail' is not one of fail, softfail, neutral (did you mean 'softfail'?)",
        ),
        (
            "  dkim: [{selector: a, algorithm: rsa1024}]\n",
            3,
            "mail.dkim[0].algorithm: 'rsa1024' is not one of rsa2048, rsa4096, ed25519",
        ),
        (
            "  dmarc: {policy: quarantine, percnt: 5}\n",
            3,
            "mail.dmarc.percnt: unknown key 'percnt' (did you mean 'percent'?)",
        ),
        (
            "  mta_sts: {mode: enforcing}\n",
            3,
            "'enforcing' is not one of none, testing, enforce (did you mean 'enforce'?)",
        ),
        ("  mx: [{host: 203.0.113.25}]\n", 3, "is an IP address, but an MX record must name a host"),
        ("  mx: [{host: mx, priority: 70000}]\n", 3, "priority 70000 is outside 0..65535"),
        ("  hosts: {mx: {ipv4: [2001:db8::1]}}\n", 3, "invalid A value"),
        ("  hosts: {mx.other.net.: {ipv4: [192.0.2.1]}}\n", 3, "is outside the zone example.com"),
        ("  preset: exim\n", 3, "'exim' is not one of maddy"),
        ("  mta_sts: {max_age: soon}\n", 3, "mail.mta_sts.max_age: must be a whole number"),
    ],
)
def test_structure_errors(tmp_path, block, line, message):
    config = load(tmp_path, "zone: example.com\nmail:\n" + block)
    with pytest.raises(ZoneFileError) as exc:
        mail_records(config, None, generate_keys=False)
    assert message in str(exc.value.message)
    assert f"example.com.yaml:{line}:" in str(exc.value.message)


def test_no_mail_block(tmp_path):
    config = load(tmp_path, "zone: example.com\n")
    result = mail_records(config, None, generate_keys=False)
    assert result.records == () and result.diagnostics == () and result.generated == ()
