"""The `mail:` block, parsed into typed values (structure only: every semantic check is in `checks`).

Malformed structure (an unknown key, a wrong type, a value outside a fixed set) raises ZoneFileError at
the offending line, with a did-you-mean; everything else becomes a Diagnostic later. Pure: no I/O.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.exception
import dns.name

from zonesync.errors import ZoneFileError
from zonesync.mail.presets import KEY_FILE_TEMPLATE, NO_MAIL, PRESETS, key_file, preset_defaults
from zonesync.mail.relay_spec import RelaySpec, parse_relay
from zonesync.model import Source
from zonesync.zonefile import names, rdata
from zonesync.zonefile.shape import (
    DKIM_DATES,
    DKIM_KEYS,
    DMARC_KEYS,
    HOST_KEYS,
    MAIL,
    MAIL_KEYS,
    MTA_STS_KEYS,
    MX_KEYS,
    SPF_KEYS,
    TLS_RPT_KEYS,
    misplaced,
)
from zonesync.zonefile.yaml_lines import LineDict, LineList, check_keys, did_you_mean, type_name

DKIM_STATES = ("next", "active", "retiring", "revoked")
"""A selector's place in a key rotation (docs/dkim-rotation.md): published beside the active key, signing,
published after the switch while mail in transit still needs it, published with an empty key."""
ROTATION_KEYS = ("period_days", "overlap_days")
DEFAULT_ROTATION_DAYS = 180  # M3AAWG DKIM Key Rotation BCP: at least every six months
DEFAULT_OVERLAP_DAYS = 7

SPF_ALL = ("fail", "softfail", "neutral")
DKIM_ALGORITHMS = ("rsa2048", "rsa4096", "ed25519")
DMARC_POLICIES = ("none", "quarantine", "reject")
DMARC_ALIGNMENT = ("relaxed", "strict")
STS_MODES = ("none", "testing", "enforce")
STS_HOSTS = ("external", "worker")  # who serves the policy: you (default), or a Worker zonesync deploys
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
    host_all: str | None = None  # the MX hosts' own `all` when it differs (mox, Stalwart: -all)


@dataclass(frozen=True)
class Dated:
    """A date written in the zone file, with the line it is on."""

    day: datetime.date
    source: Source


@dataclass(frozen=True)
class DkimSpec:
    selector: str
    algorithm: str
    private_key: Path  # resolved against ZoneConfig.base_dir
    source: Source
    algorithm_given: bool = True
    generate: bool = True  # False when the mail server makes its own keys (Stalwart, mox)
    state: str | None = None  # one of DKIM_STATES; None: not written (a selector outside any rotation)
    state_source: Source | None = None
    published: Dated | None = None  # when `dkim rotate --next` saw the new key served everywhere
    active_since: Dated | None = None  # when the mail server started signing with it
    retiring_since: Dated | None = None  # when the server stopped signing with it
    revoked_since: Dated | None = None  # when its key was replaced by an empty `p=`

    @property
    def effective_state(self) -> str:
        """The state, a selector without one counting as active (published and signing)."""
        return self.state or "active"


@dataclass(frozen=True)
class RotationPolicy:
    """`mail.dkim_rotation`: how old the active key may grow, how long a retired key stays published."""

    period_days: int = DEFAULT_ROTATION_DAYS
    overlap_days: int = DEFAULT_OVERLAP_DAYS
    source: Source | None = None


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
    host: str = "external"
    script: str | None = None  # the Worker's name when host is "worker"


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
    relay: RelaySpec | None = None
    """`mail.relay`: the outbound relay (smarthost) and its provider's records."""
    rotation: RotationPolicy = RotationPolicy()


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
    problem = names.dns_name_problem(name, wildcard=False)
    if problem is not None:  # Cloudflare would refuse the MX record (9007), failing its whole batch
        raise ZoneFileError(src, f"{text!r} is not a host name Cloudflare accepts: {problem}")
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
    check_keys(node, MAIL_KEYS, src, "mail", lambda key: misplaced(key, MAIL))

    def at(key: str) -> Source:
        return src.at(f"mail.{key}", node.line_of(key))

    preset = _enum(node["preset"], PRESETS, at("preset")) if "preset" in node else None
    defaults = preset_defaults(preset, zone)
    if preset == NO_MAIL:
        _refuse_with_no_mail(node, at)
    key_dir = _key_dir(node.get("key_dir", defaults.get("key_dir", DEFAULT_KEY_DIR)), at("key_dir"), base_dir)

    def section(name: str, keys: tuple[str, ...]) -> _Section | None:
        """The section as written, merged over the preset's; None when neither has it."""
        if name not in node and name not in defaults:
            return None
        return _Section(
            node.get(name), defaults.get(name), src.at(line=node.line_of(name)), f"mail.{name}", keys
        )

    if "dkim" in node:
        dkim = _parse_dkim(node["dkim"], zone, at("dkim"), key_dir, base_dir, preset)
    elif "dkim" in defaults:  # the preset's selectors: errors point at `preset:`
        dkim = _parse_dkim(defaults["dkim"], zone, at("preset"), key_dir, base_dir, preset)
    else:
        dkim = ()
    return MailSpec(
        zone=zone,
        preset=preset,
        mx=_parse_mx(node.get("mx", defaults.get("mx")), zone, at("mx")),
        hosts=_parse_hosts(node.get("hosts"), zone, at("hosts")),
        spf=_parse_spf(section("spf", SPF_KEYS)),
        dkim=dkim,
        dmarc=_parse_dmarc(section("dmarc", DMARC_KEYS)),
        mta_sts=_parse_mta_sts(section("mta_sts", MTA_STS_KEYS), zone),
        tls_rpt=_parse_tls_rpt(section("tls_rpt", TLS_RPT_KEYS), zone),
        key_dir=key_dir,
        ttl=ttl,
        source=src,
        relay=parse_relay(node.get("relay"), zone, src.at("mail.relay", node.line_of("relay")))
        if "relay" in node
        else None,
        rotation=_parse_rotation(section("dkim_rotation", ROTATION_KEYS)),
    )


def _parse_rotation(sec: _Section | None) -> RotationPolicy:
    if sec is None:
        return RotationPolicy()
    days = {}
    for key, default, low in (
        ("period_days", DEFAULT_ROTATION_DAYS, 1),
        ("overlap_days", DEFAULT_OVERLAP_DAYS, 1),
    ):
        value = _int(sec.get(key, default), sec.at(key))
        if value < low:
            raise ZoneFileError(sec.at(key), f"must be at least {low} day, not {value}")
        days[key] = value
    if days["overlap_days"] >= days["period_days"]:
        raise ZoneFileError(
            sec.at("overlap_days"),
            f"an overlap of {days['overlap_days']} days does not fit in a rotation period of "
            f"{days['period_days']} days",
        )
    return RotationPolicy(days["period_days"], days["overlap_days"], sec.at())


def _date(value: Any, src: Source) -> datetime.date:
    """A date as YAML writes it (`2026-12-05`, which the loader reads as a date) or as a quoted string."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ZoneFileError(src, f"must be a date like 2026-12-05, not {type_name(value)} ({value!r})")


def _refuse_with_no_mail(node: LineDict, at: Any) -> None:
    """`preset: no-mail` says the domain has no mail: a section that publishes mail records contradicts it."""
    for key in ("mx", "hosts", "spf", "dkim", "mta_sts", "tls_rpt", "relay"):
        if key in node:
            raise ZoneFileError(
                at(key),
                f"`preset: no-mail` publishes the records of a domain without mail (null MX, `v=spf1 -all`, "
                f"DMARC reject, empty DKIM keys); `mail.{key}` contradicts it: remove it, or use another preset",
            )


def _key_dir(text: Any, src: Source, base_dir: Path) -> Path:
    if not isinstance(text, str) or not text.strip():
        raise ZoneFileError(src, f"must be a directory path, not {type_name(text)}")
    return _resolve(text, base_dir)


def _parse_spf(sec: _Section | None) -> SpfSpec | None:
    if sec is None:
        return None
    on_hosts = sec.get("on_mx_hosts", False)
    host_all = None
    if isinstance(on_hosts, str):  # `on_mx_hosts: fail`: yes, with its own `all`
        host_all, on_hosts = _enum(on_hosts, SPF_ALL, sec.at("on_mx_hosts")), True
    return SpfSpec(
        allow=_strings(sec.get("allow", ["mx"]), sec.at("allow"), "mail.spf.allow"),
        all=_enum(sec.get("all", "softfail"), SPF_ALL, sec.at("all")),
        on_mx_hosts=_bool(on_hosts, sec.at("on_mx_hosts")),
        source=sec.at(),
        host_all=host_all,
    )


def _optional_enum(sec: _Section, key: str, choices: tuple[str, ...]) -> str | None:
    return _enum(sec.get(key), choices, sec.at(key)) if sec.has(key) else None


def _parse_dmarc(sec: _Section | None) -> DmarcSpec | None:
    if sec is None:
        return None
    return DmarcSpec(
        policy=_enum(sec.get("policy", "none"), DMARC_POLICIES, sec.at("policy")),
        subdomain_policy=_optional_enum(sec, "subdomain_policy", DMARC_POLICIES),
        percent=_int(sec.get("percent"), sec.at("percent")) if sec.has("percent") else None,
        adkim=_optional_enum(sec, "adkim", DMARC_ALIGNMENT),
        aspf=_optional_enum(sec, "aspf", DMARC_ALIGNMENT),
        rua=_strings(sec.get("rua", []), sec.at("rua"), "mail.dmarc.rua"),
        ruf=_strings(sec.get("ruf", []), sec.at("ruf"), "mail.dmarc.ruf"),
        failure_options=_failure_options(sec) if sec.has("failure_options") else None,
        source=sec.at(),
    )


def _parse_mta_sts(sec: _Section | None, zone: str) -> MtaStsSpec | None:
    if sec is None:
        return None
    return MtaStsSpec(
        mode=_enum(sec.get("mode", "testing"), STS_MODES, sec.at("mode")),
        max_age=_int(sec.get("max_age", DEFAULT_MAX_AGE), sec.at("max_age")),
        mx=_strings(sec.get("mx", []), sec.at("mx"), "mail.mta_sts.mx"),
        source=sec.at(),
        max_age_source=sec.at("max_age"),
        host=_enum(sec.get("host", "external"), STS_HOSTS, sec.at("host")),
        script=_worker_name(sec, zone),
    )


def _parse_tls_rpt(sec: _Section | None, zone: str) -> TlsRptSpec | None:
    if sec is None:
        return None
    rua = _strings(sec.get("rua", [f"mailto:postmaster@{zone}"]), sec.at("rua"), "mail.tls_rpt.rua")
    if not rua:
        raise ZoneFileError(sec.at("rua"), "needs at least one report address (mailto: or https:)")
    return TlsRptSpec(rua=rua, source=sec.at())


def _worker_name(sec: _Section, zone: str) -> str | None:
    """`mail.mta_sts.script`: the Worker's name, only with `host: worker` (default `mta-sts-<zone>`)."""
    from zonesync.mail.mta_sts_worker import default_script_name, script_name_problem

    worker = sec.get("host", "external") == "worker"
    if sec.has("script") and not worker:
        raise ZoneFileError(sec.at("script"), "a Worker name needs `host: worker`")
    if not worker:
        return None
    name = sec.get("script", default_script_name(zone))
    if not isinstance(name, str):
        raise ZoneFileError(sec.at("script"), f"must be a string, not {type_name(name)}")
    problem = script_name_problem(name)
    if problem:
        hint = "" if sec.has("script") else "; set mail.mta_sts.script to a shorter name"
        raise ZoneFileError(sec.at("script") if sec.has("script") else sec.at("host"), problem + hint)
    return name


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
    from zonesync.zonefile.load import absolute_name  # the zone-file name rules, one place

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


def _parse_dkim(
    value: Any, zone: str, src: Source, key_dir: Path, base_dir: Path, preset: str | None = None
) -> tuple[DkimSpec, ...]:
    template = key_file(preset)
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
        else:  # a server that names its own key files: the `.pub` is looked for under zonesync's name
            path = _key_path(key_dir, template or KEY_FILE_TEMPLATE, zone, selector.lower(), at("selector"))
        generate = "private_key" in item or template is not None
        state = _enum(item["state"], DKIM_STATES, at("state")) if "state" in item else None
        dates = {k: Dated(_date(item[k], at(k)), at(k)) for k in DKIM_DATES if item.get(k) is not None}
        out.append(
            DkimSpec(
                selector.lower(), algorithm, path, at("selector"), "algorithm" in item, generate,
                state, at("state") if state else None, **dates,
            )
        )  # fmt: skip
    return tuple(out)


def _key_path(key_dir: Path, template: str, zone: str, selector: str, src: Source) -> Path:
    """`<key_dir>/<template>` (maddy's `{domain}_{selector}.key` by default). The selector becomes part of a
    file name, so it must be a valid selector (DNS labels: no `/`, no `..`; the zone name is checked by the
    loader), and the file must land in the key folder itself."""
    from zonesync.mail.dkim import selector_problem  # cryptography only for zones with DKIM

    problem = selector_problem(selector)
    if problem is not None:
        raise ZoneFileError(src, f"{problem}; it names the key file {template}")
    name = template.format(domain=zone, selector=selector)
    path = key_dir / name
    parts = Path(name).parts
    inside = os.path.normpath(path).startswith(os.path.join(os.path.normpath(key_dir), ""))
    if not parts or Path(name).is_absolute() or ".." in parts or not inside:
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
