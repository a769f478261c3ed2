"""Several Cloudflare accounts in one run: one provider per account (its own token and rate limit), each
zone sent to the provider of the account that holds it (`zonesync.yaml`, see `zonesync.cloudflare.accounts`).

It has the shape the run asks of a provider (`zonesync.run.provider.Provider`: find_zones, list_records,
read_lock, export, apply, workers, close), so plan and apply stay one flow whatever the number of accounts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from zonesync.cloudflare.accounts import Account, Accounts
from zonesync.cloudflare.dnssec import DnssecProvider
from zonesync.cloudflare.provider import CloudflareProvider
from zonesync.cloudflare.workers_api import WorkersProvider
from zonesync.model import ZoneInfo
from zonesync.plan.model import ApplyReport, Change, LiveZone
from zonesync.plan.zone_lock import LockRecord, LockSession


class AccountRouter:
    """Each call goes to the provider of the account that holds the zone."""

    def __init__(self, accounts: Accounts, providers: Mapping[Account, CloudflareProvider]) -> None:
        self.accounts = accounts
        self.providers = dict(providers)

    def provider_for(self, zone: str) -> CloudflareProvider:
        return self.providers[self.accounts.for_zone(zone)]

    def find_zones(self, names: Sequence[str]) -> dict[str, ZoneInfo]:
        found: dict[str, ZoneInfo] = {}
        for account, zones in self.accounts.route(names).items():
            found.update(self.providers[account].find_zones(zones))
        return found

    def list_records(self, zone: ZoneInfo) -> LiveZone:
        return self.provider_for(zone.name).list_records(zone)

    def read_lock(self, zone: ZoneInfo) -> LockRecord | None:
        return self.provider_for(zone.name).read_lock(zone)

    def export(self, zone: ZoneInfo) -> str:
        return self.provider_for(zone.name).export(zone)

    def apply(
        self,
        zone: ZoneInfo,
        changes: Sequence[Change],
        batch_limit: int | None = None,
        lock: LockSession | None = None,
        release: bool = True,
        interrupted: Callable[[], bool] | None = None,
    ) -> ApplyReport:
        provider = self.provider_for(zone.name)
        return provider.apply(zone, changes, batch_limit, lock, release, interrupted)

    def workers(self, zone: str) -> WorkersProvider:
        """Workers calls for a zone go to its account's provider (its token, its rate limit)."""
        return self.provider_for(zone).workers(zone)

    def dnssec(self, zone: str) -> DnssecProvider:
        return self.provider_for(zone).dnssec(zone)

    def close(self) -> None:
        for provider in self.providers.values():
            provider.close()
