"""The accounts file, `zonesync.yaml` at the repository root: which Cloudflare account holds which zones,
and which environment variable holds that account's API token.

Agencies and companies keep zones in several accounts, each with its own token. Without the file every
zone uses `CLOUDFLARE_API_TOKEN` and its account is found from the zone. With it, a zone is looked up only
in its account (`GET /zones?account.id=`), so the same zone name in two accounts is resolved by the id,
never by guessing. Pure: parsing and routing only; the providers are built in the command layer.

    accounts:
      - id: 023e105f4ecef8ad9ca31a8372d0c353   # Cloudflare account id (dashboard URL, or `zones` API)
        token_env: CLOUDFLARE_TOKEN_AGENCY     # default: CLOUDFLARE_API_TOKEN
        zones: [example.com, "*.example.org"]  # zone names or shell globs; one account per zone

A zone matched by the patterns of two accounts is an error naming both: which token may write it is
never decided by the order of the file. `token_env` must name a variable meant for a Cloudflare token
(`TOKEN_ENV_RULE`): zonesync sends its value to the API, so `PATH`, `ZONESYNC_PLAN_KEY` or the CI's own
`GITHUB_TOKEN` are refused rather than sent.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from zonesync.base.features import lazy
from zonesync.cloudflare.tokens import check_token
from zonesync.errors import ZoneFileError, ZonesyncError
from zonesync.model import Source

if TYPE_CHECKING:
    from zonesync.zonefile import yaml_lines as yamlfile
else:
    yamlfile = lazy("zonesync.zonefile.yaml_lines")  # the YAML parser only when there is an accounts file

ACCOUNTS_FILE = "zonesync.yaml"
DEFAULT_TOKEN_ENV = "CLOUDFLARE_API_TOKEN"
ACCOUNT_ID = re.compile(r"^[0-9a-f]{32}$")
"""Cloudflare identifiers are 32 lower-case hex digits."""
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TOKEN_ENV_RULE = (
    "upper case, with TOKEN and CLOUDFLARE (or a CF_ part) in it, not one of zonesync's own ZONESYNC_ "
    "settings (like CLOUDFLARE_TOKEN_SHOP or SHOP_CF_TOKEN)"
)


def token_env_problem(name: str) -> str | None:
    """Why environment variable `name` may not hold an API token zonesync sends (None: it may).

    Upper case, holding `TOKEN`, and `CLOUDFLARE` or a `CF` part: a name that says what it holds, so a
    slip (`PATH`, `HOME`), zonesync's own plan key or another service's token (`GITHUB_TOKEN`,
    `CI_JOB_TOKEN`) is never sent to the API endpoint.
    """
    if not re.fullmatch(r"[A-Z][A-Z0-9_]*", name) or name.startswith("ZONESYNC_"):
        return TOKEN_ENV_RULE
    if "TOKEN" not in name or ("CLOUDFLARE" not in name and "CF" not in name.split("_")):
        return TOKEN_ENV_RULE
    return None


@dataclass(frozen=True)
class Account:
    id: str | None
    """None: the default account, found from the zone itself."""
    token_env: str
    zones: tuple[str, ...]
    source: Source

    def holds(self, zone: str) -> bool:
        return any(fnmatch.fnmatchcase(zone, pattern) for pattern in self.zones)


DEFAULT_ACCOUNT = Account(None, DEFAULT_TOKEN_ENV, ("*",), Source("(default)"))


@dataclass(frozen=True)
class Accounts:
    accounts: tuple[Account, ...] = ()

    def for_zone(self, zone: str) -> Account:
        """The account whose patterns match `zone`; zones no account names use the default token.

        Raises ZoneFileError (at the second account) when two accounts match, naming both."""
        matches = [a for a in self.accounts if a.holds(zone)]
        if len(matches) > 1:
            first, second = matches[0], matches[1]
            raise ZoneFileError(
                second.source.at(f"{second.source.field}.zones"),
                f"zone {zone} is matched by two accounts: {first.id} ({first.source.field} at line "
                f"{first.source.line}) and {second.id}; a zone belongs to one account, so narrow the patterns",
            )
        return matches[0] if matches else DEFAULT_ACCOUNT

    def route(self, zones: Sequence[str]) -> dict[Account, list[str]]:
        """Zones grouped by account, in the order given."""
        groups: dict[Account, list[str]] = {}
        for zone in zones:
            groups.setdefault(self.for_zone(zone), []).append(zone)
        return groups


def tokens_for(groups: Mapping[Account, Sequence[str]], environ: Mapping[str, str]) -> dict[Account, str]:
    """Every account's token, read before any request: a missing one is an error naming the variable and
    the zones that need it (never the token)."""
    tokens: dict[Account, str] = {}
    for account, zones in groups.items():
        token = environ.get(account.token_env, "").strip()
        if not token:
            where = f" ({account.source})" if account.id else ""
            raise ZonesyncError(
                f"{account.token_env} is not set{where}: zones {', '.join(zones)} need it — create an API "
                "token with Zone:Read and DNS:Edit permissions at Cloudflare and export it"
            )
        tokens[account] = check_token(token, account.token_env)  # printable ASCII, never shown
    return tokens


def load(root: str | Path = ".") -> Accounts:
    """The accounts file under `root`, or the default (no file: one account, CLOUDFLARE_API_TOKEN)."""
    path = Path(root) / ACCOUNTS_FILE
    if not path.is_file():
        return Accounts()
    return parse(yamlfile.load(path), str(path))


def parse(doc: object, path: str) -> Accounts:
    src = Source(path, 1)
    if doc is None:
        return Accounts()
    top = yamlfile.require_mapping(doc, src, "the accounts file")
    yamlfile.check_keys(top, ("accounts",), src, "")
    items = top.get("accounts")
    at = src.at("accounts", top.line_of("accounts") if "accounts" in top else None)
    if not isinstance(items, yamlfile.LineList):
        raise ZoneFileError(at, f"must be a list of accounts, not {yamlfile.type_name(items)}")
    accounts = tuple(
        _account(item, at.at(f"accounts[{i}]", items.line_of(i))) for i, item in enumerate(items)
    )
    seen: dict[str, Source] = {}
    for account in accounts:
        assert account.id is not None
        if account.id in seen:
            raise ZoneFileError(account.source.at(f"{account.source.field}.id"),
                                f"account {account.id} is listed twice (first at line {seen[account.id].line})")  # fmt: skip
        seen[account.id] = account.source
    return Accounts(accounts)


def _account(item: object, src: Source) -> Account:
    node = yamlfile.require_mapping(item, src, "an account")
    prefix = src.field or ""
    yamlfile.check_keys(node, ("id", "token_env", "zones"), src, prefix)

    def at(key: str) -> Source:
        return src.at(f"{prefix}.{key}", node.line_of(key) if key in node else src.line)

    account_id = node.get("id")
    if not isinstance(account_id, str) or not ACCOUNT_ID.match(account_id):
        raise ZoneFileError(at("id"), f"must be a Cloudflare account id (32 hex digits), not {account_id!r}")
    token_env = node.get("token_env", DEFAULT_TOKEN_ENV)
    if not isinstance(token_env, str) or not ENV_NAME.match(token_env):
        raise ZoneFileError(
            at("token_env"),
            f"must be the NAME of an environment variable holding the token (like CLOUDFLARE_TOKEN_SHOP), "
            f"not {yamlfile.type_name(token_env) if not isinstance(token_env, str) else 'that text'}",
        )
    problem = token_env_problem(token_env)
    if problem is not None:
        raise ZoneFileError(
            at("token_env"),
            f"{token_env} is not a variable meant for a Cloudflare token, and zonesync sends its value to the "
            f"API: name one that is — {problem}",
        )
    zones = node.get("zones")
    if not isinstance(zones, yamlfile.LineList) or not zones:
        raise ZoneFileError(at("zones"), 'must be a non-empty list of zone names or globs ("*.example.org")')
    patterns = []
    for i, zone in enumerate(zones):
        if not isinstance(zone, str) or not zone.strip() or "/" in zone or any(c.isspace() for c in zone):
            raise ZoneFileError(src.at(f"{prefix}.zones[{i}]", zones.line_of(i)),
                                f"must be a zone name or a glob, not {zone!r}")  # fmt: skip
        patterns.append(zone.strip().lower().rstrip("."))
    return Account(account_id, token_env, tuple(patterns), src)
