"""The `mail:` block, parsed into typed values (structure only: every semantic check is in `checks`).

Malformed structure (an unknown key, a wrong type, a value outside a fixed set) raises ZoneFileError at
the offending line, with a did-you-mean; everything else becomes a Diagnostic later. Pure: no I/O.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.exception
import dns.name

from zonesync import rdata
from zonesync.errors import ZoneFileError
from zonesync.mail.presets import KEY_FILE_TEMPLATE, PRESETS, preset_defaults
from zonesync.model import Source
from zonesync.yamlfile import LineDict, LineList, check_keys, did_you_mean, type_name

MAIL_KEYS = ("preset", "mx", "hosts", "spf", "dkim", "dmarc", "mta_sts", "tls_rpt", "key_dir")
MX_KEYS = ("host", "priority")
HOST_KEYS = ("ipv4", "ipv6")
SPF_KEYS = ("allow", "all", "on_mx_hosts")
DKIM_KEYS = ("selector", "algorithm", "private_key")
DMARC_KEYS = (
    "policy", "subdomain_policy", "percent", "adkim", "aspf", "rua", "ruf", "failure_options",
)  # fmt: skip
MTA_STS_KEYS = ("mode", "max_age", "mx")
TLS_RPT_KEYS = ("rua",)

SPF_ALL = ("fail", "softfail", "neutral")
DKIM_ALGORITHMS = ("rsa2048", "rsa4096", "ed25519")
DMARC_POLICIES = ("none", "quarantine", "reject")
DMARC_ALIGNMENT = ("relaxed", "strict")
STS_MODES = ("none", "testing", "enforce")
DEFAULT_KEY_DIR = "keys"
DEFAULT_MAX_AGE = 604800  # one week, the value in maddy's tutorial


@dataclass(frozen=True)
class MxSpec:
    host: str  # absolute, lower-case, no trailing dot
    priority: int
    in_zone: bool
    source: Source


@dataclass(frozen=True)
class HostSpec:
    name: str
    ipv4: tuple[tuple[str, Source], ...]
    ipv6: tuple[tuple[str, Source], ...]
    source: Source


@dataclass(frozen=True)
class SpfSpec:
    allow: tuple[tuple[str, Source], ...]
    all: str
    on_mx_hosts: bool
    source: Source


@dataclass(frozen=True)
class DkimSpec:
    selector: str
    algorithm: str
    private_key: Path  # resolved against ZoneConfig.base_dir
    source: Source
    algorithm_given: bool = True


@dataclass(frozen=True)
class DmarcSpec:
    policy: str
    subdomain_policy: str | None
    percent: int | None
    adkim: str | None
    aspf: str | None
    rua: tuple[tuple[str, Source], ...]
    ruf: tuple[tuple[str, Source], ...]
    failure_options: str | None
    source: Source


@dataclass(frozen=True)
class MtaStsSpec:
    mode: str
    max_age: int
    mx: tuple[tuple[str, Source], ...]  # patterns given by the user; empty = the MX hosts
    source: Source
    max_age_source: Source | None = None


@dataclass(frozen=True)
class TlsRptSpec:
    rua: tuple[tuple[str, Source], ...]
    source: Source


@dataclass(frozen=True)
class MailSpec:
    zone: str
    preset: str | None
    mx: tuple[MxSpec, ...]
    hosts: tuple[HostSpec, ...]
    spf: SpfSpec | None
    dkim: tuple[DkimSpec, ...]
    dmarc: DmarcSpec | None
    mta_sts: MtaStsSpec | None
    tls_rpt: TlsRptSpec | None
    key_dir: Path
    ttl: int
    source: Source


class _Section:
    """A mapping from the file merged over preset defaults; `at(key)` points at the line to blame."""

    def __init__(
        self, node: Any, defaults: dict[str, Any] | None, src: Source, field: str, keys: tuple[str, ...]
    ):
        self.field = field
        self.src = src
        if node is None:
            node = LineDict()
            node.line = src.line or 0
            node.key_lines = {}
        if not isinstance(node, LineDict):
            raise ZoneFileError(src.at(field), f"must be a mapping, not {type_name(node)}")
        check_keys(node, keys, src, field)
        self.node = node
        self.defaults = defaults or {}

    def has(self, key: str) -> bool:
        return key in self.node or key in self.defaults

    def given(self, key: str) -> bool:
        return key in self.node

    def get(self, key: str, default: Any = None) -> Any:
        if key in self.node:
            return self.node[key]
        return self.defaults.get(key, default)

    def at(self, key: str | None = None) -> Source:
        if key is None:
            return self.src.at(self.field, self.node.line or self.src.line)
        line = self.node.line_of(key) if key in self.node else (self.node.line or self.src.line)
        return self.src.at(f"{self.field}.{key}", line)


def _enum(value: Any, choices: tuple[str, ...], src: Source) -> str:
    if not isinstance(value, str) or value not in choices:
        word = value if isinstance(value, str) else repr(value)
        raise ZoneFileError(
            src, f"{word!r} is not one of {', '.join(choices)}{did_you_mean(str(value), choices)}"
        )
    return value


def _bool(value: Any, src: Source) -> bool:
    if not isinstance(value, bool):
        raise ZoneFileError(src, f"must be true or false, not {value!r}")
    return value


def _int(value: Any, src: Source) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ZoneFileError(src, f"must be a whole number, not {type_name(value)} ({value!r})")
    return value


def _strings(value: Any, src: Source, field: str) -> tuple[tuple[str, Source], ...]:
    """A string or a list of strings, each with the line it is on."""
    if isinstance(value, str):
        return ((value, src),)
    if not isinstance(value, list):
        raise ZoneFileError(src, f"must be a list of strings, not {type_name(value)}")
    out = []
    for i, item in enumerate(value):
        line = value.line_of(i) if isinstance(value, LineList) else src.line
        isrc = src.at(f"{field}[{i}]", line)
        if not isinstance(item, str) or not item.strip():
            raise ZoneFileError(isrc, f"must be a non-empty string, not {type_name(item)}")
        out.append((item.strip(), isrc))
    return tuple(out)


def host_name(text: Any, zone: str, src: Source) -> tuple[str, bool]:
    """An MX host as written -> (absolute name without dot, inside the zone?).

    Relative names are relative to the zone (`mx` -> mx.<zone>, `@` -> the zone); a trailing dot
    makes a name absolute, as in zone files (RFC 1035 §5.1).
    """
    if not isinstance(text, str) or not text.strip():
        raise ZoneFileError(src, f"must be a host name like `mx` or `mx.example.net.`, not {type_name(text)}")
    text = text.strip()
    try:
        ipaddress.ip_address(text.rstrip("."))
    except ValueError:
        pass
    else:
        raise ZoneFileError(
            src,
            f"{text!r} is an IP address, but an MX record must name a host (RFC 5321 §5.1): "
            "name the host (e.g. `mx`) and give its address under `mail.hosts`",
        )
    origin = rdata.zone_origin(zone)
    try:
        name = origin if text == "@" else dns.name.from_text(text, origin)
    except dns.exception.DNSException as exc:
        raise ZoneFileError(src, f"{text!r} is not a valid host name: {exc}") from None
    return name.to_text(omit_final_dot=True).lower(), name.is_subdomain(origin)


def parse_mail(
    node: LineDict | None, zone: str, path: str, line: int, base_dir: Path, ttl: int
) -> MailSpec | None:
    """The raw `mail:` mapping -> MailSpec (None when there is no block)."""
    if node is None:
        return None
    src = Source(path, line, "mail")
    if not isinstance(node, LineDict):
        raise ZoneFileError(src, f"`mail` must be a mapping, not {type_name(node)}")
    check_keys(node, MAIL_KEYS, src, "mail")

    def at(key: str) -> Source:
        return src.at(f"mail.{key}", node.line_of(key))

    preset = None
    if "preset" in node:
        preset = _enum(node["preset"], PRESETS, at("preset"))
    defaults = preset_defaults(preset, zone)

    key_dir_text = node.get("key_dir", DEFAULT_KEY_DIR)
    if not isinstance(key_dir_text, str) or not key_dir_text.strip():
        raise ZoneFileError(at("key_dir"), f"must be a directory path, not {type_name(key_dir_text)}")
    key_dir = _resolve(key_dir_text, base_dir)

    mx = _parse_mx(node.get("mx"), zone, at("mx"))
    hosts = _parse_hosts(node.get("hosts"), zone, at("hosts"))

    spf = None
    if "spf" in node or "spf" in defaults:
        sec = _Section(
            node.get("spf"), defaults.get("spf"), src.at(line=node.line_of("spf")), "mail.spf", SPF_KEYS
        )
        allow = _strings(sec.get("allow", ["mx"]), sec.at("allow"), "mail.spf.allow")
        spf = SpfSpec(
            allow=allow,
            all=_enum(sec.get("all", "softfail"), SPF_ALL, sec.at("all")),
            on_mx_hosts=_bool(sec.get("on_mx_hosts", False), sec.at("on_mx_hosts")),
            source=sec.at(),
        )

    dkim: tuple[DkimSpec, ...] = ()
    if "dkim" in node:
        dkim = _parse_dkim(node["dkim"], zone, at("dkim"), key_dir, base_dir)
    elif "dkim" in defaults:
        dkim = _parse_dkim(
            defaults["dkim"], zone, src.at("mail.preset", node.line_of("preset")), key_dir, base_dir
        )

    dmarc = None
    if "dmarc" in node or "dmarc" in defaults:
        sec = _Section(
            node.get("dmarc"),
            defaults.get("dmarc"),
            src.at(line=node.line_of("dmarc")),
            "mail.dmarc",
            DMARC_KEYS,
        )
        dmarc = DmarcSpec(
            policy=_enum(sec.get("policy", "none"), DMARC_POLICIES, sec.at("policy")),
            subdomain_policy=(
                _enum(sec.get("subdomain_policy"), DMARC_POLICIES, sec.at("subdomain_policy"))
                if sec.has("subdomain_policy")
                else None
            ),
            percent=_int(sec.get("percent"), sec.at("percent")) if sec.has("percent") else None,
            adkim=_enum(sec.get("adkim"), DMARC_ALIGNMENT, sec.at("adkim")) if sec.has("adkim") else None,
            aspf=_enum(sec.get("aspf"), DMARC_ALIGNMENT, sec.at("aspf")) if sec.has("aspf") else None,
            rua=_strings(sec.get("rua", []), sec.at("rua"), "mail.dmarc.rua"),
            ruf=_strings(sec.get("ruf", []), sec.at("ruf"), "mail.dmarc.ruf"),
            failure_options=_failure_options(sec) if sec.has("failure_options") else None,
            source=sec.at(),
        )

    mta_sts = None
    if "mta_sts" in node or "mta_sts" in defaults:
        sec = _Section(
            node.get("mta_sts"),
            defaults.get("mta_sts"),
            src.at(line=node.line_of("mta_sts")),
            "mail.mta_sts",
            MTA_STS_KEYS,
        )
        mta_sts = MtaStsSpec(
            mode=_enum(sec.get("mode", "testing"), STS_MODES, sec.at("mode")),
            max_age=_int(sec.get("max_age", DEFAULT_MAX_AGE), sec.at("max_age")),
            mx=_strings(sec.get("mx", []), sec.at("mx"), "mail.mta_sts.mx"),
            source=sec.at(),
            max_age_source=sec.at("max_age"),
        )

    tls_rpt = None
    if "tls_rpt" in node or "tls_rpt" in defaults:
        sec = _Section(
            node.get("tls_rpt"),
            defaults.get("tls_rpt"),
            src.at(line=node.line_of("tls_rpt")),
            "mail.tls_rpt",
            TLS_RPT_KEYS,
        )
        rua = _strings(sec.get("rua", [f"mailto:postmaster@{zone}"]), sec.at("rua"), "mail.tls_rpt.rua")
        if not rua:
            raise ZoneFileError(sec.at("rua"), "needs at least one report address (mailto: or https:)")
        tls_rpt = TlsRptSpec(rua=rua, source=sec.at())

    return MailSpec(
        zone=zone, preset=preset, mx=mx, hosts=hosts, spf=spf, dkim=dkim, dmarc=dmarc, mta_sts=mta_sts,
        tls_rpt=tls_rpt, key_dir=key_dir, ttl=ttl, source=src,
    )  # fmt: skip


def _resolve(text: str, base_dir: Path) -> Path:
    path = Path(text.strip()).expanduser()
    return path if path.is_absolute() else base_dir / path


def _parse_mx(value: Any, zone: str, src: Source) -> tuple[MxSpec, ...]:
    if value is None:
        return ()
    if not isinstance(value, LineList):
        raise ZoneFileError(src, f"must be a list of {{host, priority}}, not {type_name(value)}")
    out = []
    for i, item in enumerate(value):
        field = f"mail.mx[{i}]"
        isrc = src.at(field, value.line_of(i))
        if isinstance(item, str):  # shorthand: `- mx`
            host, in_zone = host_name(item, zone, isrc.at(f"{field}.host"))
            out.append(MxSpec(host, 10, in_zone, isrc))
            continue
        if not isinstance(item, LineDict):
            raise ZoneFileError(isrc, f"must be a mapping {{host, priority}}, not {type_name(item)}")
        check_keys(item, MX_KEYS, isrc, field)
        if "host" not in item:
            raise ZoneFileError(isrc, "missing `host:` (the mail server's name, e.g. `mx`)")
        host, in_zone = host_name(item["host"], zone, isrc.at(f"{field}.host", item.line_of("host")))
        prio = _int(item.get("priority", 10), isrc.at(f"{field}.priority", item.line_of("priority")))
        if not 0 <= prio <= 65535:
            raise ZoneFileError(
                isrc.at(f"{field}.priority", item.line_of("priority")),
                f"priority {prio} is outside 0..65535 (RFC 974: a 16-bit preference, lower is tried first)",
            )
        out.append(MxSpec(host, prio, in_zone, isrc.at(f"{field}.host", item.line_of("host"))))
    return tuple(out)


def _parse_hosts(value: Any, zone: str, src: Source) -> tuple[HostSpec, ...]:
    from zonesync.loader import absolute_name  # the zone-file name rules, one place

    if value is None:
        return ()
    if not isinstance(value, LineDict):
        raise ZoneFileError(src, f"must be a mapping of host name -> {{ipv4, ipv6}}, not {type_name(value)}")
    out = []
    for name, body in value.items():
        field = f"mail.hosts.{name}"
        hsrc = src.at(field, value.line_of(name))
        fqdn = absolute_name(name, zone, hsrc)
        if not isinstance(body, LineDict):
            raise ZoneFileError(
                hsrc, f"must be a mapping {{ipv4: [...], ipv6: [...]}}, not {type_name(body)}"
            )
        check_keys(body, HOST_KEYS, hsrc, field)
        addrs: dict[str, list[tuple[str, Source]]] = {"ipv4": [], "ipv6": []}
        for key, rtype in (("ipv4", "A"), ("ipv6", "AAAA")):
            if key not in body:
                continue
            ksrc = hsrc.at(f"{field}.{key}", body.line_of(key))
            for text, asrc in _strings(body[key], ksrc, f"{field}.{key}"):
                try:
                    addrs[key].append((rdata.canonical_value(rtype, text, zone), asrc))
                except rdata.ValueError_ as exc:
                    raise ZoneFileError(asrc, f"{exc} (`{key}` takes {rtype} addresses)") from None
        if not addrs["ipv4"] and not addrs["ipv6"]:
            raise ZoneFileError(hsrc, "needs `ipv4:` or `ipv6:` (the mail server's addresses)")
        out.append(HostSpec(fqdn, tuple(addrs["ipv4"]), tuple(addrs["ipv6"]), hsrc))
    return tuple(out)


def _parse_dkim(value: Any, zone: str, src: Source, key_dir: Path, base_dir: Path) -> tuple[DkimSpec, ...]:
    if isinstance(value, LineDict):
        value = LineList([value])
        value.line = src.line or 0
        value.item_lines = [src.line or 0]
    if not isinstance(value, list):
        raise ZoneFileError(
            src, f"must be a list of {{selector, algorithm, private_key}}, not {type_name(value)}"
        )
    out = []
    for i, item in enumerate(value):
        field = f"mail.dkim[{i}]"
        line = value.line_of(i) if isinstance(value, LineList) else src.line
        isrc = src.at(field, line)
        if not isinstance(item, dict):
            raise ZoneFileError(
                isrc, f"must be a mapping {{selector, algorithm, private_key}}, not {type_name(item)}"
            )
        if isinstance(item, LineDict):
            check_keys(item, DKIM_KEYS, isrc, field)

        def at(key: str, item: dict[str, Any] = item, isrc: Source = isrc, field: str = field) -> Source:
            ln = item.line_of(key) if isinstance(item, LineDict) else isrc.line
            return isrc.at(f"{field}.{key}", ln)

        selector = item.get("selector", "default")
        if not isinstance(selector, str) or not selector:
            raise ZoneFileError(
                at("selector"), f"must be a selector name like `default`, not {type_name(selector)}"
            )
        algorithm = _enum(item.get("algorithm", "rsa2048"), DKIM_ALGORITHMS, at("algorithm"))
        if "private_key" in item:
            pk = item["private_key"]
            if not isinstance(pk, str) or not pk.strip():
                raise ZoneFileError(at("private_key"), f"must be a file path, not {type_name(pk)}")
            path = _resolve(pk, base_dir)
        else:
            path = _key_path(key_dir, zone, selector.lower(), at("selector"))
        out.append(DkimSpec(selector.lower(), algorithm, path, at("selector"), "algorithm" in item))
    return tuple(out)


def _key_path(key_dir: Path, zone: str, selector: str, src: Source) -> Path:
    """maddy's `<key_dir>/{domain}_{selector}.key`. The selector becomes part of a file name, so it must be
    a valid selector (DNS labels: no `/`, no `..`; the zone name is checked by the loader), and the file
    must land in the key folder itself."""
    from zonesync.mail.dkim import selector_problem  # cryptography only for zones with DKIM

    problem = selector_problem(selector)
    if problem is not None:
        raise ZoneFileError(src, f"{problem}; it names the key file {KEY_FILE_TEMPLATE}")
    name = KEY_FILE_TEMPLATE.format(domain=zone, selector=selector)
    path = key_dir / name
    if Path(name).name != name or Path(os.path.normpath(path)).parent != Path(os.path.normpath(key_dir)):
        raise ZoneFileError(src, f"the key file {name!r} would not be inside the key folder {key_dir}")
    return path


def _failure_options(sec: _Section) -> str:
    value = sec.get("failure_options")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, list):
        value = ":".join(str(v) for v in value)
    if not isinstance(value, str):
        raise ZoneFileError(
            sec.at("failure_options"), f'must be a string like "1" or "0:d", not {type_name(value)}'
        )
    return value.replace(" ", "")
