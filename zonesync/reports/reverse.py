"""Reverse names of the reports' source addresses (PTR, RFC 1035 §3.5), asked only when the user wants
them (`--reverse-dns`): at most `MAX_LOOKUPS` addresses, each question within the timeout, the whole within
a deadline. An address without an answer in time has no name. The I/O edge: verify's resolver.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from zonesync.verify.resolver import Resolver
from zonesync.verify.result import NetOptions

MAX_LOOKUPS = 64
"""The busiest sources are looked up first; the rest keep their address only."""


def reverse_names(
    addresses: Sequence[str],
    *,
    timeout: float = 2.0,
    nameservers: tuple[tuple[str, int], ...] = (),
    limit: int = MAX_LOOKUPS,
) -> dict[str, str]:
    """address -> its first PTR name (no trailing dot), for the first `limit` addresses that have one.
    Never raises for a DNS failure; the whole run takes at most about three timeouts."""
    wanted = list(dict.fromkeys(addresses))[:limit]
    if not wanted:
        return {}

    async def run() -> dict[str, str]:
        resolver = Resolver(NetOptions(timeout=timeout, nameservers=nameservers))
        tasks = {ip: asyncio.ensure_future(resolver.ptr(ip)) for ip in wanted}
        done, pending = await asyncio.wait(tasks.values(), timeout=timeout * 3)
        for task in pending:
            task.cancel()
        names: dict[str, str] = {}
        for ip, task in tasks.items():
            if task in done and not task.cancelled() and task.exception() is None:
                answer = task.result()
                if answer.ok and answer.values:
                    names[ip] = answer.values[0].rstrip(".")
        return names

    return asyncio.run(run())
