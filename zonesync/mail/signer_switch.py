"""The mail server's side of a DKIM key switch: the exact configuration change, per preset (pure text).

Each preset's text follows that server's own documentation, cited in the text it prints:

- maddy: `docs/reference/modifiers/dkim.md` (foxcpp/maddy): one selector per `modify.dkim` block, given as
  the argument after the domains (`dkim $(primary_domain) $(local_domains) default` in the shipped
  maddy.conf); `key_path` default `dkim_keys/{domain}_{selector}.key` under `/var/lib/maddy`, and "If key
  does not exist, it will be generated": so the key must be in place before maddy restarts.
- rspamd: https://rspamd.com/doc/modules/dkim_signing.html: `selector` and `path` (with `$domain` and
  `$selector`) in `local.d/dkim_signing.conf`, or per domain under `domain { <domain> { ... } }`.
- postfix (OpenDKIM milter): opendkim.conf(5): `Selector` and `KeyFile` for one domain, or a `KeyTable` line
  `<name> <domain>:<selector>:<keyfile>` and a `SigningTable` line pointing at it.
- docker-mailserver: its OpenDKIM configuration in `docker-data/dms/config/opendkim/` (`KeyTable`,
  `SigningTable`, `keys/<domain>/<selector>.private`), docs/content/config/best-practices/dkim_dmarc_spf.md.
- stalwart: https://stalw.art/docs/mta/authentication/dkim/sign/: the server signs with every DKIM signature
  of the sender's domain, so the switch is removing the old signature (0.15 and older: the `auth.dkim.sign`
  list names the signatures).
- mox: `config/config.go` (mjl-/mox), `DKIM.Selectors` ("Add the name to Sign to use the selector for
  signing messages") and `DKIM.Sign` ("List of selectors that emails will be signed with") in domains.conf.
"""

from __future__ import annotations

from pathlib import Path

from zonesync.mail.presets import MADDY_KEY_DIR


def switch_instructions(preset: str | None, zone: str, new: str, old: str | None, key: Path | None) -> str:
    """The configuration change that makes the mail server sign `zone`'s mail with selector `new` instead of
    `old`, for `preset` (None: maddy's, the default preset). `key` is the new private key file, if zonesync
    made it. Returns lines of text ending in a newline."""
    old_text = old or "<the current selector>"
    key_text = str(key) if key is not None else "<the new private key>"
    lines: list[str]
    if preset in (None, "maddy"):
        target = f"{MADDY_KEY_DIR}/{zone}_{new}.key"
        lines = [
            "maddy (docs/reference/modifiers/dkim.md, foxcpp/maddy):",
            "  1. copy the key first (maddy generates an unpublished key when the file is missing):",
            f"       install -o maddy -g maddy -m 0600 {key_text} {target}",
            "  2. in /etc/maddy/maddy.conf, the modify block of the outgoing mail:",
            f"       - dkim $(primary_domain) $(local_domains) {old_text}",
            f"       + dkim $(primary_domain) $(local_domains) {new}",
            "  3. systemctl restart maddy",
        ]
    elif preset == "rspamd":
        target = f"/var/lib/rspamd/dkim/{zone}.{new}.key"
        lines = [
            "rspamd (https://rspamd.com/doc/modules/dkim_signing.html):",
            f"  1. install -o _rspamd -g _rspamd -m 0600 {key_text} {target}",
            "  2. in /etc/rspamd/local.d/dkim_signing.conf:",
            f'       - selector = "{old_text}";',
            f'       + selector = "{new}";',
            '     (path = "/var/lib/rspamd/dkim/$domain.$selector.key"; stays as it is; with per-domain',
            f"     settings, change `selector` under domain {{ {zone} {{ ... }} }} instead)",
            "  3. systemctl reload rspamd",
        ]
    elif preset == "postfix":
        folder = f"/etc/opendkim/keys/{zone}"
        lines = [
            "Postfix with OpenDKIM (opendkim.conf(5)):",
            f"  1. install -o opendkim -g opendkim -m 0600 {key_text} {folder}/{new}.private",
            "  2. with Selector/KeyFile in /etc/opendkim.conf:",
            f"       - Selector {old_text}",
            f"       + Selector {new}",
            f"       - KeyFile {folder}/{old_text}.private",
            f"       + KeyFile {folder}/{new}.private",
            "     or with a KeyTable and SigningTable:",
            f"       KeyTable:     + {new}._domainkey.{zone} {zone}:{new}:{folder}/{new}.private",
            f"       SigningTable: - *@{zone} {old_text}._domainkey.{zone}",
            f"                     + *@{zone} {new}._domainkey.{zone}",
            "  3. systemctl restart opendkim (Postfix needs no change: the milter signs)",
        ]
    elif preset == "docker-mailserver":
        folder = f"docker-data/dms/config/opendkim/keys/{zone}"
        lines = [
            "docker-mailserver (OpenDKIM; docs/content/config/best-practices/dkim_dmarc_spf.md):",
            f"  1. cp {key_text} {folder}/{new}.private",
            "  2. in docker-data/dms/config/opendkim/KeyTable:",
            f"       - {old_text}._domainkey.{zone} {zone}:{old_text}:/etc/opendkim/keys/{zone}/{old_text}.private",
            f"       + {new}._domainkey.{zone} {zone}:{new}:/etc/opendkim/keys/{zone}/{new}.private",
            "     and in SigningTable:",
            f"       - *@{zone} {old_text}._domainkey.{zone}",
            f"       + *@{zone} {new}._domainkey.{zone}",
            "  3. docker compose restart mailserver",
        ]
    elif preset == "stalwart":
        lines = [
            "Stalwart (https://stalw.art/docs/mta/authentication/dkim/sign/): it signs with every DKIM",
            f"signature of {zone}, and its keys stay in its own store:",
            f"  1. the signature with selector {new} exists already (its key is the one just published)",
            f"  2. delete the DKIM signature with selector {old_text} (WebUI: Settings > DKIM signatures);",
            "     before 0.16, remove it from the `auth.dkim.sign` list instead",
            "  3. the old key stays in DNS as `retiring` for the overlap: zonesync keeps publishing it",
        ]
    elif preset == "mox":
        lines = [
            "mox (config/config.go, mjl-/mox: DKIM.Selectors and DKIM.Sign in domains.conf):",
            f"  1. the selector {new} is under Domains > {zone} > DKIM > Selectors (its key is the one published)",
            f"  2. in Domains > {zone} > DKIM > Sign:",
            f"       - {old_text}",
            f"       + {new}",
            "     (mox reloads domains.conf when it changes; keep the old selector under Selectors for now)",
        ]
    else:
        lines = [
            f"switch the mail server's DKIM signer for {zone} from selector {old_text} to {new}"
            + (f", with the key {key_text}" if key is not None else ""),
        ]
    return "\n".join(lines) + "\n"
