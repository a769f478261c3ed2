"""Presets: what a mail server's own setup guide asks for, used as defaults for the `mail:` block.

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
"""

from __future__ import annotations

from typing import Any

PRESETS = ("maddy",)

MADDY_STATE_DIR = "/var/lib/maddy"
MADDY_KEY_DIR = MADDY_STATE_DIR + "/dkim_keys"
"""Where maddy keeps its DKIM keys; `key_dir: /var/lib/maddy/dkim_keys` shares them with zonesync."""

KEY_FILE_TEMPLATE = "{domain}_{selector}.key"
"""maddy's `key_path` default file name (internal/modify/dkim/dkim.go)."""


def preset_defaults(preset: str | None, zone: str) -> dict[str, Any]:
    """Section defaults a preset adds when the block leaves a section out (plain data, no line numbers).

    Keys are the `mail:` sections; a section the user writes is merged key by key over these.
    """
    if preset != "maddy":
        return {}
    postmaster = f"mailto:postmaster@{zone}"
    return {
        "spf": {"allow": ["mx"], "all": "softfail", "on_mx_hosts": True},
        "dkim": [{"selector": "default", "algorithm": "rsa2048"}],
        "dmarc": {"policy": "quarantine", "ruf": [postmaster]},
        "mta_sts": {"mode": "enforce", "max_age": 604800},
        "tls_rpt": {"rua": [postmaster]},
    }
