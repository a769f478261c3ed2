"""``zonesync emulator``: run the Cloudflare API emulator in the foreground.

Only click is imported at module level so that ``zonesync --help`` stays fast; the server is imported inside
the command.
"""

from __future__ import annotations

import os
from typing import Literal

import click

from zonesync.cli import echo


def _rate_limit(value: str | None) -> tuple[int, float] | Literal[0] | None:
    if value is None:
        return None
    if value.lower() in ("off", "0", "none"):
        return 0
    try:
        requests, _, window = value.partition("/")
        return int(requests), float(window or 300)
    except ValueError:
        raise click.BadParameter(
            "expected N/SECONDS (e.g. 1200/300) or 'off'", param_hint="--rate-limit"
        ) from None


def _pairs(specs: tuple[str, ...], form: str, hint: str) -> dict[str, str]:
    """``LEFT=RIGHT`` options as a dict of LEFT -> RIGHT (both non-empty)."""
    out: dict[str, str] = {}
    for spec in specs:
        left, sep, right = spec.partition("=")
        if not sep or not left or not right:
            raise click.BadParameter(f"{spec!r}: expected {form}", param_hint=hint)
        out[left] = right
    return out


def _fault(spec: str) -> dict:
    """``status=500,code=10001,method=POST,path=dns_records/batch,times=1,every=3,retry_after=1``."""
    out: dict = {}
    for item in spec.split(","):
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep:
            raise click.BadParameter(f"expected key=value, got {item!r}", param_hint="--fail")
        if key in ("path", "path_pattern"):
            out["path_pattern"] = value
        elif key in ("status", "code", "times", "every"):
            out[key] = int(value)
        elif key == "retry_after":
            out[key] = float(value)
        elif key in ("method", "message"):
            out[key] = value
        else:
            raise click.BadParameter(f"unknown key {key!r}", param_hint="--fail")
    return out


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=0, type=int, show_default=True, help="Port (0 = a free port).")
@click.option(
    "--token", "tokens", multiple=True, help="Accepted API token (repeatable; default $CLOUDFLARE_API_TOKEN)."
)
@click.option(
    "--dns-only-token",
    "dns_only_tokens",
    multiple=True,
    help="Accepted API token without Workers permission: 403 10000 on Workers calls (repeatable).",
)
@click.option(
    "--zone",
    "zones",
    multiple=True,
    help="Zone to create (repeatable): NAME, or NAME@ACCOUNT_ID for a zone of another account.",
)
@click.option(
    "--account-token",
    "account_tokens",
    multiple=True,
    metavar="ACCOUNT_ID=TOKEN",
    help="A token that sees only that account (repeatable); other tokens see every account.",
)
@click.option(
    "--dns-port",
    type=int,
    help="Also serve the zones as their authoritative nameserver on this UDP+TCP port.",
)
@click.option(
    "--plan",
    type=click.Choice(["free", "pro", "business", "enterprise"]),
    default="free",
    show_default=True,
    help="Plan of the zones created here (TTL minimum, batch limit).",
)
@click.option(
    "--state",
    "state",
    type=click.Path(dir_okay=False),
    help="JSON state file: loaded if present, saved after each change.",
)
@click.option(
    "--seed",
    type=click.Path(exists=True, dir_okay=False),
    help='JSON file of zones and records to start with: {"zones": [{"name": "example.com", "plan": "free", '
    '"records": [{"type": "MX", "name": "example.com", "content": "mx.example.com", "priority": 10, "ttl": 3600}, '
    '...]}]}. Records are shaped like a POST /dns_records body and validated the same way; "meta" (e.g. '
    '{"read_only": true}) is kept. Example: --sample-seed. Ignored when --state exists.',
)
@click.option(
    "--sample-seed",
    is_flag=True,
    help="Start from the bundled sample seed instead of a --seed file: example.com, a mail zone made by hand "
    "(MX, its A, SPF, DKIM, DMARC, MTA-STS, TLS-RPT), to try `zonesync import --mail` on. "
    "Ignored when --state exists.",
)
@click.option(
    "--latency", type=float, default=0.0, show_default=True, help="Seconds added to every API request."
)
@click.option(
    "--rate-limit", "rate_limit", help="N/SECONDS per user or account token (default 1200/300) or 'off'."
)
@click.option(
    "--ip-rate-limit", "ip_rate_limit", help="N/SECONDS per client address (default 200/1 with --rate-limit)."
)
@click.option(
    "--token-owner",
    "token_owners",
    multiple=True,
    help="TOKEN=USER: a user token of USER (a user's tokens share one rate-limit budget).",
)
@click.option(
    "--cert-pending",
    type=float,
    default=0.0,
    show_default=True,
    help="Seconds a new Worker custom domain's certificate stays pending (TLS to it fails meanwhile).",
)
@click.option(
    "--propagation-delay",
    type=click.FloatRange(0, 3600),
    default=0.0,
    show_default=True,
    help="Seconds before --dns-port serves an API change (Cloudflare's nameservers: usually seconds).",
)
@click.option(
    "--batch-limit", type=int, help="Operations per batch request (default: 200 on Free, 3500 otherwise)."
)
@click.option(
    "--fail",
    "fails",
    multiple=True,
    help="Inject a fault: status=500,method=POST,path=REGEX,times=N,every=N,code=C.",
)
@click.option(
    "--edge-port",
    type=int,
    help="Serve Worker custom domains over HTTPS on this port (0 = a free port; default: no edge).",
)
@click.option(
    "--ca-file",
    type=click.Path(dir_okay=False),
    help="Write the edge's CA certificate (PEM) here, for clients to trust.",
)
def emulator(
    host: str,
    port: int,
    tokens: tuple[str, ...],
    dns_only_tokens: tuple[str, ...],
    zones: tuple[str, ...],
    dns_port: int | None,
    account_tokens: tuple[str, ...],
    plan: str,
    state: str | None,
    seed: str | None,
    sample_seed: bool,
    latency: float,
    rate_limit: str | None,
    ip_rate_limit: str | None,
    token_owners: tuple[str, ...],
    cert_pending: float,
    propagation_delay: float,
    batch_limit: int | None,
    fails: tuple[str, ...],
    edge_port: int | None,
    ca_file: str | None,
) -> None:
    """Run a local Cloudflare API v4 emulator (zones and DNS records) for tests and benchmarks."""
    if ca_file and edge_port is None:
        raise click.UsageError("--ca-file needs --edge-port")
    if seed and sample_seed:
        raise click.UsageError("give --seed FILE or --sample-seed, not both")
    if not tokens and not account_tokens:
        env = os.environ.get("CLOUDFLARE_API_TOKEN")
        if not env:
            raise click.UsageError("give --token or set CLOUDFLARE_API_TOKEN")
        tokens = (env,)
    limit = _rate_limit(rate_limit)
    ip_limit = _rate_limit(ip_rate_limit)
    owners = _pairs(token_owners, "TOKEN=USER", "--token-owner")
    faults = [_fault(spec) for spec in fails]
    scoped = {
        token: account
        for account, token in _pairs(account_tokens, "ACCOUNT_ID=TOKEN", "--account-token").items()
    }

    import threading

    from zonesync.emulator.sample import sample_seed as bundled_seed
    from zonesync.emulator.server import Emulator

    emu = Emulator(
        tokens=tokens,
        zones=zones,
        plan=plan,
        latency=latency,
        rate_limit=limit,
        ip_rate_limit=ip_limit,
        token_owners=owners,
        cert_pending=cert_pending,
        propagation_delay=propagation_delay,
        seed=bundled_seed() if sample_seed else seed,
        state_path=state,
        batch_limit=batch_limit,
        host=host,
        port=port,
        dns_port=dns_port,
        dns_only_tokens=dns_only_tokens,
        edge_port=edge_port,
        ca_file=ca_file,
        account_tokens=scoped,
    )
    for spec in faults:
        emu.inject_fault(**spec)
    emu.start()
    echo(f"Cloudflare API emulator listening on {emu.url}")
    if emu.dns is not None:
        echo(f"DNS (UDP and TCP) on {host}:{emu.dns.port}")
    if emu.edge is not None:
        where = f"; CA certificate in {ca_file}" if ca_file else ""
        echo(f"Workers edge (HTTPS) on {host}:{emu.edge_port}{where}")
        from zonesync.emulator.jsworker import ENGINE_MISSING, engine_available

        if not engine_available():
            echo(f"note: {ENGINE_MISSING}", err=True)
    import sys

    sys.stdout.flush()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
