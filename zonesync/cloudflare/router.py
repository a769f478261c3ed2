"""Several Cloudflare accounts in one run: one provider per account (its own token and rate limit), each
zone sent to the provider of the account that holds it (`zonesync.yaml`, see `zonesync.cloudflare.accounts`).

It offers what orchestration asks of a provider — find_zones, list_records, export, apply, workers, close — so plan and
apply stay one flow whatever the number of accounts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from zonesync.cloudflare.accounts import Account, Accounts
from zonesync.cloudflare.provider import CloudflareProvider
from zonesync.cloudflare.workers_api import WorkersProvider
from zonesync.model import ZoneInfo
from zonesync.plan.model import ApplyReport, Change, LiveZone


class AccountRouter:
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

    def list_records(self, zone: ZoneInfo, *args: Any, **kwargs: Any) -> LiveZone:
        return self.provider_for(zone.name).list_records(zone, *args, **kwargs)

    def export(self, zone: ZoneInfo) -> str:
        return self.provider_for(zone.name).export(zone)

    def apply(self, zone: ZoneInfo, changes: Sequence[Change], *args: Any, **kwargs: Any) -> ApplyReport:
        return self.provider_for(zone.name).apply(zone, changes, *args, **kwargs)

    def workers(self, zone: str) -> WorkersProvider:
        """Workers calls for a zone go to its account's provider (its token, its rate limit)."""
        return self.provider_for(zone).workers(zone)

    def close(self) -> None:
        for provider in self.providers.values():
            provider.close()
