"""Relative targets that look like a domain outside the zone: `example.net` written without its
trailing dot in zone `example.org` silently becomes `example.net.example.org.` (RFC 1035 §5.1).

"Looks outside" = the part before the zone contains a dot and ends in a label of the Public Suffix
List (`publicsuffixlist`, which bundles the list; unknown endings such as `.internal` or `.lan` do not
count, so private names stay quiet). Pure.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from zonesync.base.features import lazy

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

publicsuffixlist: Any = lazy("publicsuffixlist")


@cache
def _psl() -> PublicSuffixList:
    return publicsuffixlist.PublicSuffixList(accept_unknown=False)


def meant_outside(target: str, zone: str) -> str | None:
    """`example.net.example.org` in zone example.org -> `example.net.` (what was likely meant), else None."""
    host = target.rstrip(".").lower()
    suffix = "." + zone
    if not host.endswith(suffix):
        return None
    prefix = host[: -len(suffix)]
    if "." not in prefix or _psl().publicsuffix(prefix) is None:
        return None
    return prefix + "."
