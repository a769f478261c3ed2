"""A run that talks to Cloudflare: the zone files read, the provider opened, and the steps after them (plan,
check a saved plan, apply). The command layer resolves its arguments to paths, calls these and renders what
they return; progress and notices reach it through plain callables (`Settings`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zonesync.cloudflare.provider import CloudflareProvider
    from zonesync.cloudflare.ratelimit import RateLimiter
    from zonesync.model import ZoneInfo
    from zonesync.plan.saved_plan import SavedPlan
    from zonesync.run.orchestrate import Locking, ZoneApply, ZoneOutcome, ZoneWork
    from zonesync.run.provider import Provider
    from zonesync.zonefile.config import ZoneConfig


@dataclass(frozen=True)
class Settings:
    """How the run talks to the API, as the command line set it."""

    verbose: bool = False
    """Log each request (`-v`)."""
    rate_limit: str | None = None
    """The client-side rate limit (`--rate-limit`; None: Cloudflare's own)."""
    on_request: Callable[[], None] | None = None
    """Called before every request (the progress line counts them)."""
    notify: Callable[[str], None] | None = None
    """Hears what the user should know while the run waits ("rate limited: waiting 120 s")."""


def find_zone(provider: Provider, zone: str) -> ZoneInfo:
    """The live zone `zone` (one lookup). Raises ZonesyncError when the account has no such zone, or the
    token cannot see it; ApiError as the lookup does."""
    from zonesync.errors import ZonesyncError

    info = provider.find_zones([zone]).get(zone)
    if info is None:
        raise ZonesyncError(
            f"zone {zone} does not exist in this Cloudflare account (or the API token cannot see it)"
        )
    return info


def open_provider(zones: Sequence[str], settings: Settings) -> Provider:
    """The provider for these zones: one token (CLOUDFLARE_API_TOKEN), or with an accounts file
    (zonesync.yaml) an account router over one provider per account, each with its own token; one rate
    limiter per token (Cloudflare's budget is per token). Every token the zones need is read before any
    request. Raises ZonesyncError (a bad accounts file, a token not set)."""
    from zonesync.cloudflare import accounts as accounts_file
    from zonesync.cloudflare.provider import CloudflareProvider
    from zonesync.cloudflare.ratelimit import from_setting

    accounts = accounts_file.load()
    groups = accounts.route(zones) if accounts.accounts else {accounts_file.DEFAULT_ACCOUNT: list(zones)}
    tokens = accounts_file.tokens_for(groups, os.environ)
    limiters: dict[str, RateLimiter | None] = {}

    def provider(account: accounts_file.Account) -> CloudflareProvider:
        token = tokens[account]
        if token not in limiters:
            limiters[token] = from_setting(settings.rate_limit)
        return CloudflareProvider(
            token,
            verbose=settings.verbose,
            limiter=limiters[token],
            account_id=account.id,
            token_env=account.token_env,
            before_request=settings.on_request,
            notify=settings.notify,
        )

    if not accounts.accounts:
        return provider(accounts_file.DEFAULT_ACCOUNT)
    from zonesync.cloudflare.router import AccountRouter

    return AccountRouter(accounts, {account: provider(account) for account in groups})


class Session:
    """A run's provider and what it plans: the zone files read and checked, or a saved plan's zones. No zone
    file: no provider, and the plan is empty without a request. A context manager: leaving it closes the
    provider.
    Every step returns values and prints nothing; each raises ZonesyncError (a zone that does not exist,
    an API error, a stale saved plan, a zone over its safety limits...)."""

    def __init__(self, configs: list[ZoneConfig], provider: Provider | None) -> None:
        self.configs = configs
        self.provider = provider

    def _provider(self) -> Provider:
        assert self.provider is not None, "a session without zones has no provider"
        return self.provider

    def plan(self, on_zone_done: Callable[[], None] | None = None) -> list[ZoneWork]:
        """Every zone file planned against its live zone; `on_zone_done` is called as each is."""
        from zonesync.run.orchestrate import plan_all

        if not self.configs:
            return []
        return plan_all(self._provider(), self.configs, on_zone_done)

    def plan_for_apply(self, on_zone_done: Callable[[], None] | None = None) -> list[ZoneApply]:
        """As `plan`, each zone ready for `apply` (its safety limits, its lock record)."""
        from zonesync.run.orchestrate import plan_for_apply

        if not self.configs:
            return []
        return plan_for_apply(self._provider(), self.configs, on_zone_done)

    def check_saved(self, saved: SavedPlan) -> list[ZoneApply]:
        """The zones of a saved plan that change something, once each is checked to be still as planned
        (StalePlanError otherwise, naming each stale zone)."""
        from zonesync.run.orchestrate import saved_for_apply

        return saved_for_apply(self._provider(), saved)

    def apply(
        self,
        zones: Sequence[ZoneApply],
        *,
        confirm: Callable[[], None],
        force: bool = False,
        no_new_keys: bool = False,
        batch_size: int | None = None,
        on_zone_done: Callable[[], None] | None = None,
        locking: Locking | None = None,
    ) -> list[ZoneOutcome]:
        """`orchestrate.apply` with this session's provider: every zone checked, `confirm` asked (it raises
        to stop), then the zones applied, each under its zone lock; one outcome a zone."""
        from zonesync.run.orchestrate import apply

        return apply(
            self._provider(),
            zones,
            confirm=confirm,
            force=force,
            no_new_keys=no_new_keys,
            batch_size=batch_size,
            on_zone_done=on_zone_done,
            locking=locking,
        )

    def close(self) -> None:
        if self.provider is not None:
            self.provider.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_saved(saved: SavedPlan, settings: Settings) -> Session:
    """A session for applying a saved plan: the provider for its zones (no zone file is read)."""
    return Session([], open_provider([z.plan.zone for z in saved.zones], settings))


def start_planning(paths: Sequence[Path], settings: Settings) -> Session:
    """A session for planning these zone files: each parsed and checked first (a bad zone file stops the
    run before any write, with its own error), then the provider for their zones. No path: no provider.
    When every file's name says its zone, the zone lookup and listings start before the parse and overlap
    it (`read_ahead`); large files are parsed by a child process on another core (`parse_process`).
    Raises ZonesyncError (a zone file's errors, a bad accounts file, a token not set)."""
    if not paths:
        return Session([], None)
    from zonesync.run import parse_process, read_ahead

    # First, while this process runs one thread: large files go to a child process, which loads the parser
    # and the checks itself while this one loads the SDK.
    parsing = parse_process.start(paths)
    ahead = None
    try:
        # The SDK before the files: its modules then do not settle in the memory a large zone file's parse
        # leaves fragmented; and the reads need it. Its HTTP client (httpx) comes first of all: the CA
        # certificates then load in a thread while the rest of the SDK loads.
        from zonesync.cloudflare import tls_context

        tls_context.prepare()
        import cloudflare  # noqa: F401

        import zonesync.cloudflare.provider  # noqa: F401
        from zonesync.zonefile.locate import zone_of_path

        names = [name for p in paths if (name := zone_of_path(p)) is not None]
        if len(names) == len(paths):
            ahead = read_ahead.start(names, lambda: open_provider(names, settings))
        if parsing is not None:
            configs = parsing.result()
        else:
            from zonesync.zonefile.load import load_configs

            configs = load_configs(paths)
    except BaseException:
        if ahead is not None:
            ahead.abandon()
        raise
    finally:
        if parsing is not None:
            parsing.close()
    zones = [c.zone for c in configs]
    if ahead is not None:
        if ahead.covers(zones):
            return Session(configs, ahead)
        ahead.close()
    return Session(configs, open_provider(zones, settings))
