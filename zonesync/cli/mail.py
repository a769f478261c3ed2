"""CLI commands for mail: `dkim generate|show`, `mta-sts policy`, `explain`. All work offline.

Only click is imported at module level (the CLI's --help must stay fast); everything else is imported
inside the commands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from zonesync.cli import Command, Group, echo

if TYPE_CHECKING:
    from zonesync.mail.spec import DkimSpec, MailSpec
    from zonesync.zonefile.config import ZoneConfig

ZONE_HELP = "ZONE is a zone name (zones/<zone>.yaml) or a zone file path."


def _load(zone: str) -> ZoneConfig:
    from zonesync.zonefile.load import load_zone_file
    from zonesync.zonefile.locate import find_zone_file

    return load_zone_file(find_zone_file(zone))


def _spec(config: ZoneConfig) -> MailSpec:
    from zonesync.errors import ZonesyncError
    from zonesync.mail import mail_spec

    spec = mail_spec(config)
    if spec is None or not spec.dkim:
        raise ZonesyncError(
            f"{config.path}: no DKIM selector: add a `mail:` block with `preset: maddy` or a `dkim:` list "
            "(see docs/mail.md)"
        )
    return spec


def _selected(spec: MailSpec, selector: str | None) -> list[DkimSpec]:
    from zonesync.errors import ZonesyncError
    from zonesync.zonefile.yaml_lines import did_you_mean

    if selector is None:
        return list(spec.dkim)
    chosen = [d for d in spec.dkim if d.selector == selector.lower()]
    if not chosen:
        names = [d.selector for d in spec.dkim]
        raise ZonesyncError(
            f"selector {selector!r} is not in the zone file's mail.dkim ({', '.join(names)})"
            f"{did_you_mean(selector, names)}: add it there first, so apply publishes it"
        )
    return chosen


@click.group("dkim", cls=Group)
def dkim() -> None:
    """DKIM keys: generate them before the first apply, or show the record and where the key is."""


@dkim.command("generate", epilog=ZONE_HELP)
@click.argument("zone")
@click.option("--selector", "-s", help="Only this selector (default: every selector in mail.dkim).")
def dkim_generate(zone: str, selector: str | None) -> None:
    """Generate the DKIM key pair for ZONE's selectors that have no key yet. Never overwrites a key."""
    from zonesync.mail import dkim as dkim_mod
    from zonesync.mail.keys import resolve

    config = _load(zone)
    spec = _spec(config)
    failed = False
    for d in _selected(spec, selector):
        problem = dkim_mod.selector_problem(d.selector)
        if problem is not None:  # it names a DNS record, and by default the key file
            echo(f"{d.source}: error: {problem}", err=True)
            failed = True
            continue
        state = resolve(d, config.zone, None, generate=True)
        for diag in state.diagnostics:
            echo(str(diag), err=True)
            failed = failed or diag.level == "error"
        name = dkim_mod.record_name(d.selector, config.zone)
        if state.generated is not None:
            echo(f"selector {d.selector}: generated a new {d.algorithm} key pair")
            echo(f"  private key: {state.generated.private_key} (mode 0600; keep it secret)")
            echo(
                f"  public key:  {state.generated.public_key} (safe to commit: plan works without the secret)"
            )
            echo(
                f"  The private key must reach the mail server (for maddy: {_maddy_hint(config.zone, d.selector)})."
            )
        elif not state.pending:
            echo(f"selector {d.selector}: a key already exists ({state.origin}); left untouched")
        echo(f'  record: {name} TXT "{state.value}"')
    if failed:
        raise SystemExit(1)


def _maddy_hint(zone: str, selector: str) -> str:
    from zonesync.mail.presets import KEY_FILE_TEMPLATE, MADDY_KEY_DIR

    return f"{MADDY_KEY_DIR}/{KEY_FILE_TEMPLATE.format(domain=zone, selector=selector)}, owned by maddy, mode 0600"


@dkim.command("show", epilog=ZONE_HELP)
@click.argument("zone")
def dkim_show(zone: str) -> None:
    """Print each DKIM selector's record and where its key is (reads files only, no network)."""
    from zonesync.mail import dkim as dkim_mod
    from zonesync.mail.keys import pub_path, resolve

    config = _load(zone)
    spec = _spec(config)
    for d in spec.dkim:
        state = resolve(d, config.zone, None, generate=False)
        name = dkim_mod.record_name(d.selector, config.zone)
        echo(f"selector {d.selector} ({d.algorithm})")
        exists = "exists" if d.private_key.exists() else "missing"
        echo(f"  private key: {d.private_key} ({exists})")
        pub = pub_path(d.private_key)
        echo(f"  public key:  {pub} ({'exists' if pub.exists() else 'missing'})")
        if state.pending:
            echo(
                f"  record: {name} TXT: no key yet; `zonesync dkim generate {zone}` or `zonesync apply` creates it"
            )
        else:
            echo(f"  key from: {state.origin}")
            echo(f'  record: {name} TXT "{state.value}"')
        for diag in state.diagnostics:
            echo(f"  {diag}", err=True)


@dkim.command("rotate", epilog=ZONE_HELP + " The rotation is described in docs/dkim-rotation.md.")
@click.argument("zone")
@click.option("--next", "advance", is_flag=True, help="Take the rotation's next step (each one is checked).")
@click.option("--selector", "-s", help="The new selector's name (default: date-named, e.g. s2026q4).")
@click.option(
    "--algorithm",
    type=click.Choice(["rsa2048", "rsa4096", "ed25519"]),
    help="The new key's (default: the old one's).",
)
@click.option("--replace", help="The active selector to replace, when several are active.")
@click.option(
    "--nameserver",
    "nameservers",
    multiple=True,
    metavar="HOST[:PORT]",
    help="With --next: ask these servers instead of the zone's nameservers (as verify does).",
)
@click.option(
    "--timeout", type=click.FloatRange(0.1, 120), default=5.0, show_default=True, help="DNS timeout."
)
def dkim_rotate(
    zone: str,
    advance: bool,
    selector: str | None,
    algorithm: str | None,
    replace: str | None,
    nameservers: tuple[str, ...],
    timeout: float,
) -> None:
    """Rotate ZONE's DKIM key: start a rotation (a new selector and key, published beside the current one),
    or with --next move it on: served -> switch the signer -> revoke after the overlap -> remove. Each step
    edits the zone file (its state and dates, every other line kept): commit it, then apply."""
    from zonesync.cli.verify import _nameservers
    from zonesync.run import dkim_rotation as rot
    from zonesync.verify.result import NetOptions
    from zonesync.zonefile.locate import find_zone_file

    path = find_zone_file(zone)
    if advance:
        if selector or algorithm or replace:
            raise click.UsageError(
                "--selector, --algorithm and --replace start a rotation; --next continues one"
            )
        net = NetOptions(timeout=timeout, nameservers=_nameservers(nameservers))
        result = rot.advance(path, net)
    else:
        result = rot.start(path, selector=selector, algorithm=algorithm, replace=replace)
    for line in result.lines:
        echo(line)
    if result.switch:
        echo("")
        echo(result.switch, nl=False)


@click.group("mta-sts", cls=Group)
def mta_sts() -> None:
    """MTA-STS: the policy file that must be served over HTTPS."""


@mta_sts.command("policy", epilog=ZONE_HELP)
@click.argument("zone")
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False),
    help="Write DIR/<zone>/.well-known/mta-sts.txt instead of printing it.",
)
def mta_sts_policy(zone: str, out_dir: str | None) -> None:
    """Print ZONE's MTA-STS policy (or write it, ready for any static host)."""
    from pathlib import Path

    from zonesync.base.secure_files import make_dirs
    from zonesync.errors import ZonesyncError
    from zonesync.mail import policy_for
    from zonesync.mail.mta_sts import policy_url

    config = _load(zone)
    policy = policy_for(config)
    if policy is None:
        raise ZonesyncError(f"{config.path}: the mail block has no `mta_sts:` (or `preset: maddy`)")
    if out_dir is None:
        echo(policy, nl=False)
        return
    target = Path(out_dir) / config.zone / ".well-known" / "mta-sts.txt"
    make_dirs(target.parent)
    target.write_bytes(policy.encode("utf-8"))
    echo(f"wrote {target}")
    echo(f"serve it at {policy_url(config.zone)} with a valid certificate for mta-sts.{config.zone}")


@click.command("explain", cls=Command, epilog=ZONE_HELP)
@click.argument("zone")
def explain(zone: str) -> None:
    """Explain ZONE's mail records in plain words: what each does, who reads it, what breaks without it."""
    from zonesync.mail import mail_records, mail_spec
    from zonesync.mail.expand import mx_hosts, sts_policy
    from zonesync.mail.explain import explain as explain_text

    config = _load(zone)
    result = mail_records(config, None, generate_keys=False)
    spec = mail_spec(config)
    records = [*config.records, *result.records]
    hosts = mx_hosts(spec, records, config.zone)
    policy = sts_policy(spec, config.records) if spec is not None else None
    relay = spec.relay if spec is not None else None
    echo(explain_text(config.zone, records, hosts, policy, result.diagnostics, relay), nl=False)
