"""`mail.relay:` parsed: the outbound relay (smarthost) and what its provider gave you. Structure only; the
records are `relay`'s, the checks `relay.check_relay`'s. Pure: no I/O.

Secrets never live in a zone file: a `password:`-like key is refused with the place it belongs instead
(`zonesync relay config` prints it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from zonesync.errors import ZoneFileError
from zonesync.mail.relay_providers import PROVIDER_NAMES, PROVIDERS, smtp_host
from zonesync.model import Source
from zonesync.zonefile.yaml_lines import LineDict, LineList, check_keys, did_you_mean, type_name

RELAY_KEYS = (
    "provider", "region", "host", "port", "return_path", "return_path_cname", "spf", "dkim_tokens",
    "dkim_selector", "dkim_key", "dkim", "code",
)  # fmt: skip
DKIM_ENTRY_KEYS = ("selector", "cname", "key")
SECRET_KEYS = ("password", "secret", "smtp_password", "api_key", "token", "username", "user")
DEFAULT_SELECTOR = {"brevo": "mail"}
"""The selector when the block names none (Brevo's DNS records sample: `mail._domainkey`)."""
SUBMISSION_PORTS = (587, 465, 2525, 2587, 2465, 8025, 8465)
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)*$")


@dataclass(frozen=True)
class RelayDkim:
    selector: str
    cname: str | None  # absolute target, no trailing dot
    key: str | None  # the TXT value ("v=DKIM1; k=rsa; p=...")
    source: Source


@dataclass(frozen=True)
class RelaySpec:
    provider: str
    region: str | None
    host: str
    port: int
    return_path: str | None
    """The envelope sender's domain label in the zone (absolute name in `return_path_name`)."""
    return_path_cname: str | None
    spf: tuple[str, ...]
    dkim: tuple[RelayDkim, ...]
    code: str | None
    source: Source

    def return_path_name(self, zone: str) -> str | None:
        if self.return_path is None:
            return None
        return zone if self.return_path == "@" else f"{self.return_path}.{zone}"


def _str(value: Any, src: Source, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise ZoneFileError(src, f"must be {what}, not {type_name(value)}")
    return str(value).strip()


def _label(value: Any, src: Source) -> str:
    text = _str(value, src, "a name in the zone, like `bounce`").lower().rstrip(".")
    if text != "@" and not _LABEL.match(text):
        raise ZoneFileError(
            src, f"{text!r} is not a name in the zone (letters, digits, - and _, dot-separated)"
        )
    return text


def _target(value: Any, src: Source) -> str:
    text = _str(value, src, "a host name, like `pm.mtasv.net`").lower().rstrip(".")
    if "." not in text or not _LABEL.match(text):
        raise ZoneFileError(src, f"{text!r} is not a host name like relay.example.net")
    return text


def parse_relay(node: Any, zone: str, src: Source) -> RelaySpec | None:
    """The raw `mail.relay` mapping -> RelaySpec (None when absent). Raises ZoneFileError at the line."""
    if node is None:
        return None
    if not isinstance(node, LineDict):
        raise ZoneFileError(
            src, f"must be a mapping like `{{provider: ses, region: eu-west-1}}`, not {type_name(node)}"
        )
    for key in node:
        if str(key).lower() in SECRET_KEYS:
            raise ZoneFileError(
                src.at(f"mail.relay.{key}", node.line_of(key)),
                "SMTP credentials never go in a zone file (it is committed and read by CI): `zonesync relay "
                "config` prints where the mail server reads them (a 0600 file or an environment variable)",
            )
    check_keys(node, RELAY_KEYS, src, "mail.relay")

    def at(key: str) -> Source:
        return src.at(f"mail.relay.{key}", node.line_of(key) if key in node else src.line)

    if "provider" not in node:
        raise ZoneFileError(src, f"missing `provider:` (one of {', '.join(PROVIDER_NAMES)})")
    name = node["provider"]
    if not isinstance(name, str) or name.lower() not in PROVIDERS:
        word = str(name)
        raise ZoneFileError(
            at("provider"),
            f"{word!r} is not one of {', '.join(PROVIDER_NAMES)}{did_you_mean(word, PROVIDER_NAMES)}",
        )
    provider = PROVIDERS[name.lower()]
    for key in provider.required:
        if key not in node:
            raise ZoneFileError(src, f"`provider: {provider.name}` needs `{key}:` ({_REQUIRED_WHY[key]})")
    region = None
    if provider.regions:
        region = _str(node.get("region", provider.default_region), at("region"), "a region").lower()
        if region not in provider.regions:
            raise ZoneFileError(
                at("region"),
                f"{region!r} is not a {provider.title} region{did_you_mean(region, provider.regions)} "
                f"(one of {', '.join(provider.regions)})",
            )
    elif "region" in node:
        raise ZoneFileError(at("region"), f"{provider.title} has no regions: remove `region:`")
    host = _target(node["host"], at("host")) if "host" in node else None
    port = node.get("port", provider.port)
    if isinstance(port, bool) or not isinstance(port, int) or port not in SUBMISSION_PORTS:
        raise ZoneFileError(
            at("port"),
            f"{port!r} is not a submission port ({', '.join(map(str, SUBMISSION_PORTS))}): relays take mail on "
            "587 with STARTTLS or 465 with implicit TLS, never on 25 (the port that is blocked)",
        )
    return_path = (
        _label(node["return_path"], at("return_path")) if "return_path" in node else provider.return_path
    )
    rp_cname = (
        _target(node["return_path_cname"], at("return_path_cname"))
        if "return_path_cname" in node
        else provider.return_path_cname
    )
    if provider.name == "custom" and rp_cname is not None and return_path is None:
        raise ZoneFileError(at("return_path_cname"), "needs `return_path:` (the name in the zone it is for)")
    spf = tuple(t for t, _ in _strings(node.get("spf", []), at("spf"), "mail.relay.spf"))
    if spf and provider.name != "custom":
        raise ZoneFileError(at("spf"), f"{provider.title}'s SPF comes from the provider table: remove `spf:`")
    return RelaySpec(
        provider=provider.name,
        region=region,
        host=host or smtp_host(provider, region),
        port=port,
        return_path=return_path,
        return_path_cname=rp_cname,
        spf=spf,
        dkim=_dkim(node, provider.name, at),
        code=_str(node["code"], at("code"), "the verification code") if "code" in node else None,
        source=src,
    )


_REQUIRED_WHY = {
    "region": "the region the provider's console shows, e.g. eu-west-1",
    "dkim_tokens": "the three Easy DKIM tokens from the SES console",
    "dkim_selector": "the DKIM selector from the provider's DNS page",
    "dkim_key": 'the DKIM TXT value from the provider\'s DNS page, "k=rsa; p=..."',
    "return_path": "the return-path label from the provider's DNS page, e.g. em123456",
    "code": "the brevo-code value from Brevo's DNS page",
    "host": "the relay's submission host name",
}


def _strings(value: Any, src: Source, field: str) -> tuple[tuple[str, Source], ...]:
    if isinstance(value, str):
        return ((value.strip(), src),)
    if not isinstance(value, list):
        raise ZoneFileError(src, f"must be a list of strings, not {type_name(value)}")
    out = []
    for i, item in enumerate(value):
        isrc = src.at(f"{field}[{i}]", value.line_of(i) if isinstance(value, LineList) else src.line)
        out.append((_str(item, isrc, "a non-empty string"), isrc))
    return tuple(out)


def _dkim(node: LineDict, provider: str, at: Any) -> tuple[RelayDkim, ...]:
    info = PROVIDERS[provider]
    if provider == "ses":
        tokens = _strings(node["dkim_tokens"], at("dkim_tokens"), "mail.relay.dkim_tokens")
        if len(tokens) != 3:
            raise ZoneFileError(at("dkim_tokens"), f"Easy DKIM gives three tokens, not {len(tokens)}")
        assert info.dkim_cname is not None
        return tuple(
            RelayDkim(t.lower(), info.dkim_cname.format(token=t.lower()), None, s) for t, s in tokens
        )
    if provider == "custom":
        if "dkim" not in node:
            return ()
        entries = node["dkim"]
        if not isinstance(entries, list):
            raise ZoneFileError(
                at("dkim"), f"must be a list of {{selector, cname | key}}, not {type_name(entries)}"
            )
        out = []
        for i, item in enumerate(entries):
            isrc = at("dkim").at(
                f"mail.relay.dkim[{i}]", entries.line_of(i) if isinstance(entries, LineList) else None
            )
            if not isinstance(item, LineDict):
                raise ZoneFileError(
                    isrc, f"must be a mapping {{selector, cname | key}}, not {type_name(item)}"
                )
            check_keys(item, DKIM_ENTRY_KEYS, isrc, f"mail.relay.dkim[{i}]")
            if "selector" not in item or ("cname" in item) == ("key" in item):
                raise ZoneFileError(
                    isrc, "needs `selector:` and one of `cname:` (the relay's key) or `key:` (a TXT value)"
                )
            selector = _label(item["selector"], isrc)
            cname = _target(item["cname"], isrc) if "cname" in item else None
            key = _str(item["key"], isrc, "a DKIM TXT value") if "key" in item else None
            out.append(RelayDkim(selector, cname, key, isrc))
        return tuple(out)
    if "dkim_selector" not in node and "dkim_key" not in node:
        return ()
    selector = _label(node.get("dkim_selector", DEFAULT_SELECTOR.get(provider, "")), at("dkim_selector"))
    if info.dkim_cname is not None:
        return (RelayDkim(selector, info.dkim_cname.format(selector=selector), None, at("dkim_selector")),)
    key = _str(node["dkim_key"], at("dkim_key"), "a DKIM TXT value")
    return (RelayDkim(selector, None, key, at("dkim_selector")),)
