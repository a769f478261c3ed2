"""SPF (RFC 7208): the record text, and a syntax check of every term.

Only the record itself is checked here (offline): the recursive DNS-lookup count through `include`
belongs to `verify`. Findings are (level, message) pairs; `checks` attaches them to file lines.
"""

from __future__ import annotations

import ipaddress
import re

Finding = tuple[str, str]  # (level, message)

QUALIFIER = {"fail": "-", "softfail": "~", "neutral": "?"}
LOOKUP_TERMS = ("include", "a", "mx", "ptr", "exists", "redirect")
"""Terms that cost a DNS query; RFC 7208 §4.6.4 caps them at 10 per evaluation."""
MAX_LOOKUPS = 10
MAX_BYTES = 450
"""RFC 7208 §3.4: keep the record small enough that the whole answer fits a 512-byte UDP response."""

_MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")
_MACRO = re.compile(r"%\{[slodiphcrtv]\d*r?[.\-+,/_=]*\}|%%|%_|%-", re.IGNORECASE)
_LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$", re.IGNORECASE)
_MODIFIER = re.compile(r"^([a-z][a-z0-9_.-]*)=(.*)$", re.IGNORECASE)
_A_MX = re.compile(r"^(?::(?P<dom>.+?))?(?:/(?P<c4>\d+))?(?://(?P<c6>\d+))?$")


def is_spf(text: str) -> bool:
    """RFC 7208 §4.5: an SPF record is a TXT record starting with "v=spf1" followed by space or end."""
    low = text.lower()
    return low == "v=spf1" or low.startswith("v=spf1 ")


def record_text(terms: list[str], all_: str) -> str:
    return " ".join(["v=spf1", *terms, QUALIFIER[all_] + "all"])


def domain_spec_problem(spec: str) -> str | None:
    """RFC 7208 §7.1 domain-spec: macros, then a domain name ending in a real top label."""
    if not spec:
        return "is empty"
    stripped = _MACRO.sub("x", spec)
    if "%" in stripped:
        return "has a malformed macro (RFC 7208 §7: %{letter...}, %%, %_ or %-)"
    if stripped != spec:
        return None  # macro-expanded names are only known at evaluation time
    name = spec[:-1] if spec.endswith(".") else spec
    labels = name.split(".")
    if len(labels) < 2:
        return "is not a domain name with a dot (like _spf.example.net)"
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        return "is not a valid domain name"
    if labels[-1].isdigit():
        return "ends in a numeric label, which no domain does"
    return None


def term_lookups(term: str) -> int:
    """1 if the term makes a DNS query (RFC 7208 §4.6.4), else 0."""
    body = term.lstrip("+-~?").lower()
    mod = _MODIFIER.match(body)
    name = mod.group(1) if mod else re.split(r"[:/]", body, maxsplit=1)[0]
    return 1 if name in LOOKUP_TERMS and (mod is None or name == "redirect") else 0


def check_term(term: str) -> list[Finding]:
    """Syntax of one mechanism or modifier (RFC 7208 §5, §6, ABNF in §12)."""
    out: list[Finding] = []
    mod = _MODIFIER.match(term)
    if mod and term[0] not in "+-~?":
        name, value = mod.group(1).lower(), mod.group(2)
        if name in ("redirect", "exp"):
            problem = domain_spec_problem(value)
            if problem:
                out.append(("error", f"`{term}`: the {name}= domain {problem}"))
        return out
    qualifier = term[0] if term[0] in "+-~?" else ""
    body = term[len(qualifier) :]
    low = body.lower()
    name = re.split(r"[:/]", low, maxsplit=1)[0]
    if name not in _MECHANISMS:
        hint = ""
        if name in ("ip", "ipv4"):
            hint = " (did you mean ip4:?)"
        elif name == "ipv6":
            hint = " (did you mean ip6:?)"
        elif name in ("softfail", "fail", "neutral", "pass"):
            hint = " (the `all` qualifier goes under `all:`)"
        return [
            (
                "error",
                f"`{term}` is not an SPF mechanism{hint}: use all, include:, a, mx, ip4:, ip6:, exists: "
                "(RFC 7208 §5); receivers return permerror for the whole record, as if you had none",
            )
        ]
    rest = body[len(name) :]
    if name == "all":
        if rest:
            out.append(("error", f"`{term}`: `all` takes no argument"))
        elif qualifier in ("+", ""):
            out.append(
                (
                    "warning",
                    f"`{term}` lets every server on the internet send as this domain, which makes SPF useless: "
                    "end with ~all or -all",
                )
            )
    elif name in ("include", "exists"):
        if not rest.startswith(":"):
            out.append(("error", f"`{term}`: {name} needs a domain, like {name}:_spf.example.net"))
        else:
            problem = domain_spec_problem(rest[1:])
            if problem:
                out.append(("error", f"`{term}`: the domain {problem}"))
    elif name in ("a", "mx"):
        m = _A_MX.match(rest)
        if not m:
            out.append(("error", f"`{term}`: expected {name}, {name}:domain, {name}/24 or {name}//64"))
        else:
            if m.group("dom") is not None:
                problem = domain_spec_problem(m.group("dom"))
                if problem:
                    out.append(("error", f"`{term}`: the domain {problem}"))
            if m.group("c4") is not None and not 0 <= int(m.group("c4")) <= 32:
                out.append(("error", f"`{term}`: an IPv4 prefix length is 0..32"))
            if m.group("c6") is not None and not 0 <= int(m.group("c6")) <= 128:
                out.append(("error", f"`{term}`: an IPv6 prefix length is 0..128"))
    elif name == "ptr":
        if rest and not rest.startswith(":"):
            out.append(("error", f"`{term}`: expected ptr or ptr:domain"))
        elif rest and (problem := domain_spec_problem(rest[1:])):
            out.append(("error", f"`{term}`: the domain {problem}"))
        out.append(
            (
                "warning",
                f"`{term}`: ptr is slow and unreliable and RFC 7208 §5.5 says it SHOULD NOT be used; "
                "list the addresses with ip4:/ip6: or use a",
            )
        )
    elif name in ("ip4", "ip6"):
        if not rest.startswith(":"):
            out.append(("error", f"`{term}`: {name} needs an address, like {name}:192.0.2.0/24"))
        else:
            out.extend(_check_ip(term, name, rest[1:]))
    return out


def _check_ip(term: str, name: str, value: str) -> list[Finding]:
    addr, _, prefix = value.partition("/")
    version = 4 if name == "ip4" else 6
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return [("error", f"`{term}`: {addr!r} is not an IPv{version} address")]
    if ip.version != version:
        other = "ip6" if version == 4 else "ip4"
        return [("error", f"`{term}`: {addr} is an IPv{ip.version} address: write {other}:{value}")]
    if prefix:
        limit = 32 if version == 4 else 128
        if not prefix.isdigit() or not 0 <= int(prefix) <= limit:
            return [("error", f"`{term}`: the prefix length must be 0..{limit}")]
        if int(prefix) == 0:
            return [("warning", f"`{term}` authorises every IPv{version} address on the internet")]
    return []


def check_record(text: str, *, with_terms: bool = True) -> list[Finding]:
    """Whole-record checks: version, every term (unless checked one by one already), `all` last,
    modifiers once, lookup count, length."""
    out: list[Finding] = []
    terms = text.split()
    if not terms or terms[0].lower() != "v=spf1":
        return [("error", "an SPF record must start with `v=spf1` (RFC 7208 §4.5)")]
    terms = terms[1:]
    seen_all = None
    mods: dict[str, int] = {}
    lookups = 0
    for term in terms:
        if seen_all is not None:
            out.append(
                (
                    "error",
                    f"`{term}` comes after `{seen_all}`, so receivers never read it (RFC 7208 §5.1: evaluation "
                    "stops at all): put `all` last",
                )
            )
        if with_terms:
            out.extend(check_term(term))
        lookups += term_lookups(term)
        mod = _MODIFIER.match(term)
        if mod and term[0] not in "+-~?":
            name = mod.group(1).lower()
            mods[name] = mods.get(name, 0) + 1
        elif term.lstrip("+-~?").lower() == "all" and seen_all is None:
            seen_all = term
    for name in ("redirect", "exp"):
        if mods.get(name, 0) > 1:
            out.append(("error", f"`{name}=` appears {mods[name]} times: RFC 7208 §6 allows it once"))
    if seen_all and mods.get("redirect"):
        out.append(
            ("warning", "`redirect=` is ignored when the record has `all` (RFC 7208 §6.1): remove one")
        )
    if not seen_all and not mods.get("redirect"):
        out.append(
            (
                "warning",
                "the record has no `all`, so mail from servers it does not list gets a neutral result and "
                "is not flagged: end it with ~all (softfail) or -all (fail)",
            )
        )
    if lookups > MAX_LOOKUPS:
        out.append(
            (
                "error",
                f"the record needs {lookups} DNS lookups (include, a, mx, ptr, exists, redirect) before counting "
                f"any include's own; RFC 7208 §4.6.4 allows {MAX_LOOKUPS}, and receivers then fail SPF for all "
                "your mail: replace some with ip4:/ip6: ranges",
            )
        )
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        out.append(
            (
                "warning",
                f"the record is {size} bytes: RFC 7208 §3.4 recommends staying small enough for a 512-byte DNS "
                "answer, or some receivers cannot fetch it; use fewer terms or an include:",
            )
        )
    return out
