"""Check 3, DKIM: each selector's served record parses, holds the key the mail server signs with, and a
signature made with the private key verifies against the key read from DNS (what a receiver does).

Keys are read with `zonesync.mail.keys` (the private key, else `<key>.pub`, else maddy's `.dns`); the probe
signature uses `cryptography` with the algorithms DKIM uses (RSA PKCS#1 v1.5 with SHA-256, RFC 6376 §3.3;
Ed25519, RFC 8463). Reading key files is this module's only I/O besides DNS.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

from zonesync.mail import dkim
from zonesync.mail.keys import KeyFileError, maddy_dns_path, pub_path, read_private_key, read_public_key
from zonesync.mail.spec import DkimSpec
from zonesync.verify.context import ZoneContext
from zonesync.verify.resolver import Answer, Server
from zonesync.verify.result import Finding, Status

TOPIC = "dkim"
PROBE = b"zonesync verify: DKIM probe signature"


def signature_verifies(private: dkim.PrivateKey, public: dkim.PublicKey) -> bool:
    """Sign PROBE with `private` as a DKIM signer does, verify with `public` as a receiver does."""
    try:
        if isinstance(private, ed25519.Ed25519PrivateKey) and isinstance(public, ed25519.Ed25519PublicKey):
            public.verify(private.sign(PROBE), PROBE)
            return True
        if isinstance(private, rsa.RSAPrivateKey) and isinstance(public, rsa.RSAPublicKey):
            sig = private.sign(PROBE, padding.PKCS1v15(), hashes.SHA256())
            public.verify(sig, PROBE, padding.PKCS1v15(), hashes.SHA256())
            return True
    except InvalidSignature:
        return False
    return False


def _local_key(private: Path) -> tuple[dkim.PrivateKey | None, dkim.PublicKey | None, str, str]:
    """(private key, public key, where from, problem) from the key files of one selector."""
    problem = ""
    if private.exists() or private.is_symlink():
        try:
            key = read_private_key(private)
            return key, key.public_key(), str(private), ""
        except PermissionError:
            problem = f"cannot read {private} (permission denied)"
        except (KeyFileError, OSError) as exc:
            problem = f"{private} is unusable: {exc}"
    for path in (pub_path(private), maddy_dns_path(private)):
        if path.exists() or path.is_symlink():
            try:
                return None, read_public_key(path), str(path), problem
            except (OSError, KeyFileError) as exc:
                return None, None, str(path), f"{path} is unusable: {exc}"
    return None, None, "", problem or f"no key file at {private} (nor {pub_path(private).name})"


async def check_dkim(ctx: ZoneContext) -> list[Finding]:
    if ctx.spec is None:
        return []
    results = await asyncio.gather(*(check_selector(ctx, d) for d in ctx.spec.dkim))
    return [f for group in results for f in group]


async def check_selector(ctx: ZoneContext, spec: DkimSpec, servers: tuple[Server, ...] = ()) -> list[Finding]:
    """One selector's served record: the key of its key files, or for a revoked selector an empty key.
    With `servers`, asked of those servers only (else of any of the zone's authoritative servers)."""
    if spec.state == "revoked":
        return await _check_revoked(ctx, spec.selector, servers)
    return await _check_selector(ctx, spec.selector, spec.private_key, servers)


async def check_served_everywhere(ctx: ZoneContext, spec: DkimSpec) -> list[Finding]:
    """`check_selector` asked of each authoritative server of the zone in turn: one finding per server,
    its subject `<selector> at <server>` (what `dkim rotate --next` needs before a switch or a removal)."""
    servers = await ctx.resolver.zone_servers(ctx.zone)
    if isinstance(servers, str):
        return [ctx.finding(TOPIC, spec.selector, Status.ERROR, f"cannot find the nameservers: {servers}")]
    groups = await asyncio.gather(*(check_selector(ctx, spec, (server,)) for server in servers))
    out = []
    for server, group in zip(servers, groups, strict=True):
        where = f"{server[0]}:{server[1]}"
        out += [replace(f, subject=f"{spec.selector} at {where}") for f in group]
    return out


async def _ask(ctx: ZoneContext, name: str, servers: tuple[Server, ...]) -> Answer:
    return await (ctx.resolver.query(name, "TXT", servers) if servers else ctx.lookup(name, "TXT"))


async def _check_revoked(ctx: ZoneContext, selector: str, servers: tuple[Server, ...]) -> list[Finding]:
    """A revoked selector must be served with an empty key (RFC 6376 §3.6.1), not the old one."""
    name = dkim.record_name(selector, ctx.zone)
    answer = await _ask(ctx, name, servers)
    if answer.status == "error":
        return [ctx.finding(TOPIC, selector, Status.ERROR, f"cannot check: {answer.error}")]
    texts = [v for v in answer.values if dkim.is_dkim_text(v)]
    try:
        keys = [dkim.parse_record(t).p for t in texts]
    except dkim.DkimParseError as exc:
        keys, problem = [b"?"], str(exc)
    else:
        problem = ""
    if texts and not any(keys):
        return [
            ctx.finding(
                TOPIC, selector, Status.PASS, f"selector {selector} is served revoked (empty p=) at {name}"
            )
        ]
    what = (
        f"still serves a key ({problem})"
        if problem
        else ("still serves its key" if texts else "serves no DKIM record")
    )
    return [
        ctx.finding(
            TOPIC,
            selector,
            Status.FAIL,
            f"selector {selector} is revoked in the zone file, but {name} {what}",
            "run zonesync apply: it publishes `v=DKIM1; p=`",
        )
    ]


async def _check_selector(
    ctx: ZoneContext, selector: str, private_path: Path, servers: tuple[Server, ...] = ()
) -> list[Finding]:
    name = dkim.record_name(selector, ctx.zone)
    answer = await _ask(ctx, name, servers)
    if answer.status == "error":
        return [ctx.finding(TOPIC, selector, Status.ERROR, f"cannot check: {answer.error}")]
    texts = [v for v in answer.values if dkim.is_dkim_text(v)]
    if not texts:
        return [
            ctx.finding(
                TOPIC,
                selector,
                Status.FAIL,
                f"no DKIM record served at {name}: receivers cannot verify mail signed with selector {selector!r}",
                "run zonesync apply (it publishes the key, generating it if needed)",
            )
        ]
    if len(texts) > 1:
        return [
            ctx.finding(
                TOPIC,
                selector,
                Status.FAIL,
                f"{len(texts)} DKIM records at {name}: receivers pick one at random",
                "keep one record per selector",
            )
        ]
    try:
        served = dkim.public_key_from_record(texts[0])
    except dkim.DkimParseError as exc:
        return [
            ctx.finding(
                TOPIC,
                selector,
                Status.FAIL,
                f"the record at {name} does not parse ({exc}): every signature fails",
                "run zonesync apply to publish the key from the key file",
            )
        ]
    private, public, origin, problem = await asyncio.to_thread(_local_key, private_path)
    if public is None:
        return [
            ctx.finding(
                TOPIC,
                selector,
                Status.WARN,
                f"the record parses ({dkim.describe(served)}), but there is no local key to compare: {problem}",
                f"run verify where the key is readable, or put the public key in {pub_path(private_path)}",
            )
        ]
    if not dkim.same_key(served, public):
        return [
            ctx.finding(
                TOPIC,
                selector,
                Status.FAIL,
                f"the key served at {name} is not the key in {origin}: receivers reject every signature the mail "
                "server makes",
                f"run zonesync apply to publish the key of {origin}, or copy the published key's private half "
                "to the mail server",
            )
        ]
    if private is None:
        return [
            ctx.finding(
                TOPIC,
                selector,
                Status.PASS,
                f"the served key ({dkim.describe(served)}) equals {origin}; signature not tried ({problem or 'no private key here'})",
            )
        ]
    if not signature_verifies(private, served):
        return [
            ctx.finding(
                TOPIC,
                selector,
                Status.FAIL,
                f"a signature made with {origin} does not verify against the key served at {name}",
                "publish the key of the private key file (zonesync apply)",
            )
        ]
    return [
        ctx.finding(
            TOPIC,
            selector,
            Status.PASS,
            f"a signature made with {origin} verifies against the key served at {name} ({dkim.describe(served)})",
        )
    ]
