"""Presets: what a mail server's own setup guide (or code) asks for, used as defaults for the `mail:` block.

Each preset names where its values come from; `tests/test_mail_presets.py` compares the expansion with
those sources, file and line. A preset sets the defaults of the sections it lists; a section the user
writes is merged key by key over them.

`maddy` follows maddy's setup tutorial (foxcpp/maddy `docs/tutorials/setting-up.md`, section "DNS
records") and its DKIM signer (`internal/modify/dkim/dkim.go`, `keys.go`):

- MX at the domain; A/AAAA for the MX host;
- SPF `v=spf1 mx ~all` on the domain and `v=spf1 a ~all` on the MX host ("It is recommended to serve
  SPF record for both domain and MX hostname");
- DMARC `v=DMARC1; p=quarantine; ruf=mailto:postmaster@<domain>`;
- `_mta-sts` `v=STSv1; id=...` and `_smtp._tls` `v=TLSRPTv1;rua=mailto:postmaster@<domain>`, with the
  policy `mode: enforce`, `max_age: 604800`, `mx: <MX host>` from the "MTA-STS and DANE" section;
- DKIM selector `default` (maddy.conf: `dkim $(primary_domain) $(local_domains) default`), algorithm
  `rsa2048` (`newkey_algo` default in dkim.go), key file `{domain}_{selector}.key` (the `key_path`
  default `dkim_keys/{domain}_{selector}.key`, relative to maddy's state directory `/var/lib/maddy`,
  `DefaultStateDirectory` in directories.go).

`stalwart` follows Stalwart's DNS record list (stalwartlabs/stalwart
`crates/common/src/network/dns/records.rs`): SPF `v=spf1 mx -all` on the domain and `v=spf1 a -all` on
in-domain MX hosts, DMARC `v=DMARC1; p=reject; rua=<report address>`, TLS-RPT to the same address,
MTA-STS with its policy defaults (`structs_impl.rs`, `impl Default for MtaSts`: testing, one week). Its
DKIM selectors are named after the day they were made (`v{version}-{algorithm}-{date-%Y%m%d}`, an
Ed25519 and an RSA key) and the keys live in Stalwart's own store: list the selectors under `dkim:`
(`zonesync import --mail` does) and zonesync publishes the keys it finds, never a new one.

`mox` follows `mox config dnsrecords` (mjl-/mox `admin/dnsrecords.go`, `admin/admin.go`
MakeDomainConfig): SPF `v=spf1 mx ~all` (softfail, "to prevent older mail servers from rejecting") and
`v=spf1 a -all` for the host, DMARC `p=reject` with `rua=mailto:dmarcreports@<domain>!10m`, TLS-RPT to
`tlsreports@<domain>`, MTA-STS `enforce` with `max_age` 24 hours and the host as `mx`. Its DKIM
selectors are named after the year (`2026a`, `2026b`, RSA 2048) and the keys are files mox names with a
timestamp: list the selectors under `dkim:`; zonesync never generates a key for mox.

`docker-mailserver` follows its "DKIM, DMARC & SPF" guide (docker-mailserver/docker-mailserver
`docs/content/config/best-practices/dkim_dmarc_spf.md`) and `target/bin/open-dkim`: DKIM selector
`mail`, RSA 2048, key `<domain>/mail.private` under OpenDKIM's `keys/` folder; SPF `v=spf1 mx ~all`;
DMARC `p=none; sp=none; fo=0; adkim=r; aspf=r; pct=100` with `rua` and `ruf` to `dmarc.report@<domain>`.
Its guide prescribes no MTA-STS or TLS-RPT record, so the preset adds none.

`rspamd` (Postfix or any MTA signing through rspamd's `dkim_signing` module) follows rspamd's shipped
configuration (rspamd/rspamd `conf/modules.d/dkim_signing.conf`): selector `dkim`, key
`/var/lib/rspamd/dkim/$domain.$selector.key`; keys are RSA 2048 (`rspamadm dkim_keygen -b 2048`: its own
default of 1024 bits is below what receivers accept). rspamd prescribes no SPF or DMARC record: the
preset starts where RFC 7489 §6.7 suggests, `p=none` with reports to `postmaster@<domain>`, and SPF
`v=spf1 mx ~all`.

`postfix` is Postfix signing through the OpenDKIM milter (Debian's `postfix` and `opendkim` packages):
selector `default` (opendkim-genkey(8), `-s`: "The default is \"default\""), key `<domain>/<selector>.private`
(opendkim-genkey writes `<selector>.private` and `<selector>.txt` into the `-D` folder; opendkim.conf(5)
`KeyFile`/`KeyTable`), RSA 2048 (RFC 8301's floor is 1024; receivers expect 2048). Neither prescribes SPF or
DMARC: as for rspamd, SPF `v=spf1 mx ~all` and DMARC `p=none` with reports to `postmaster@<domain>`.

`no-mail` is the record set for a domain that sends and receives no mail (M3AAWG "Protecting Parked
Domains", 2015; gov.uk "Protect domains that do not send email"): a null MX `0 .` (RFC 7505), SPF
`v=spf1 -all`, DMARC `p=reject`, and an empty DKIM key for every selector, `*._domainkey` `v=DKIM1; p=`
(RFC 6376 §3.6.1: an empty key means revoked).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MADDY_STATE_DIR = "/var/lib/maddy"
MADDY_KEY_DIR = MADDY_STATE_DIR + "/dkim_keys"
"""Where maddy keeps its DKIM keys; `key_dir: /var/lib/maddy/dkim_keys` shares them with zonesync."""

KEY_FILE_TEMPLATE = "{domain}_{selector}.key"
"""maddy's `key_path` default file name (internal/modify/dkim/dkim.go)."""

NO_MAIL = "no-mail"


@dataclass(frozen=True)
class Preset:
    name: str
    key_file: str | None
    """Key file name under `key_dir` ({domain}, {selector}); None: the server keeps its keys where
    zonesync cannot name them, so a key is never generated for it (a `.pub` or the live record is used)."""
    sections: tuple[str, ...]
    """The `mail:` sections the preset fills in."""
    server_names_selectors: bool = False
    """The server picks its own selector names (dated): the block must list them."""


PRESET_INFO = {
    "maddy": Preset("maddy", KEY_FILE_TEMPLATE, ("spf", "dkim", "dmarc", "mta_sts", "tls_rpt")),
    "stalwart": Preset("stalwart", None, ("spf", "dmarc", "mta_sts", "tls_rpt"), server_names_selectors=True),
    "mox": Preset("mox", None, ("spf", "dmarc", "mta_sts", "tls_rpt"), server_names_selectors=True),
    "docker-mailserver": Preset("docker-mailserver", "{domain}/{selector}.private", ("spf", "dkim", "dmarc")),
    "rspamd": Preset("rspamd", "{domain}.{selector}.key", ("spf", "dkim", "dmarc")),
    "postfix": Preset("postfix", "{domain}/{selector}.private", ("spf", "dkim", "dmarc")),
    NO_MAIL: Preset(NO_MAIL, None, ("spf", "dmarc")),
}
PRESETS = tuple(PRESET_INFO)


def key_file(preset: str | None) -> str | None:
    """The key file name template for a selector without `private_key:` (None: never generated)."""
    return PRESET_INFO[preset].key_file if preset else KEY_FILE_TEMPLATE


def preset_defaults(preset: str | None, zone: str) -> dict[str, Any]:
    """Section defaults a preset adds when the block leaves a section out (plain data, no line numbers).

    Keys are the `mail:` sections; a section the user writes is merged key by key over these.
    """
    postmaster = f"mailto:postmaster@{zone}"
    if preset == "maddy":
        return {
            "spf": {"allow": ["mx"], "all": "softfail", "on_mx_hosts": True},
            "dkim": [{"selector": "default", "algorithm": "rsa2048"}],
            "dmarc": {"policy": "quarantine", "ruf": [postmaster]},
            "mta_sts": {"mode": "enforce", "max_age": 604800},
            "tls_rpt": {"rua": [postmaster]},
        }
    if preset == "stalwart":
        return {
            "spf": {"allow": ["mx"], "all": "fail", "on_mx_hosts": True},
            "dmarc": {"policy": "reject", "rua": [postmaster]},
            "mta_sts": {"mode": "testing", "max_age": 604800},
            "tls_rpt": {"rua": [postmaster]},
        }
    if preset == "mox":
        return {
            "spf": {"allow": ["mx"], "all": "softfail", "on_mx_hosts": "fail"},
            "dmarc": {"policy": "reject", "rua": [f"mailto:dmarcreports@{zone}!10m"]},
            "mta_sts": {"mode": "enforce", "max_age": 86400},
            "tls_rpt": {"rua": [f"mailto:tlsreports@{zone}"]},
        }
    if preset == "docker-mailserver":
        report = f"mailto:dmarc.report@{zone}"
        return {
            "spf": {"allow": ["mx"], "all": "softfail"},
            "dkim": [{"selector": "mail", "algorithm": "rsa2048"}],
            "dmarc": {
                "policy": "none", "subdomain_policy": "none", "failure_options": "0", "adkim": "relaxed",
                "aspf": "relaxed", "percent": 100, "rua": [report], "ruf": [report],
            },
        }  # fmt: skip
    if preset == "rspamd":
        return {
            "spf": {"allow": ["mx"], "all": "softfail"},
            "dkim": [{"selector": "dkim", "algorithm": "rsa2048"}],
            "dmarc": {"policy": "none", "rua": [postmaster]},
        }
    if preset == "postfix":
        return {
            "spf": {"allow": ["mx"], "all": "softfail"},
            "dkim": [{"selector": "default", "algorithm": "rsa2048"}],
            "dmarc": {"policy": "none", "rua": [postmaster]},
        }
    if preset == NO_MAIL:
        return {"spf": {"allow": [], "all": "fail"}, "dmarc": {"policy": "reject"}}
    return {}
