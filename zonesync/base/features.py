"""The one place that declares which heavy imports are deferred, and why (as dnspython's `_features`).

A module listed in DEFERRED is imported on its first attribute read, through `lazy(name)`, never at the
top of a zonesync module: runs that do not need it do not pay its import. `lazy` refuses a module that is
not declared here, so the list is complete. Why deferral stays: without it, scenario 0's bench ratio fell
past the bound of issue 22 (docs/performance.md, "Mechanisms that earn their place").

`importlib.util.LazyLoader` would do, but before Python 3.12 it is not thread-safe, and zones are planned in
threads; `importlib.import_module` is.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

DEFERRED: dict[str, str] = {
    "cryptography.hazmat.primitives.serialization": "DKIM keys: only a zone whose DKIM key is read or made",
    "cryptography.hazmat.primitives.asymmetric.ed25519": "DKIM keys: only a zone whose DKIM key is read or made",
    "cryptography.hazmat.primitives.asymmetric.rsa": "DKIM keys: only a zone whose DKIM key is read or made",
    "dns.rdata": "values that are not plain addresses or host names (with it comes most of dnspython)",
    "dns.rdataclass": "values that are not plain addresses or host names",
    "dns.rdatatype": "values that are not plain addresses or host names",
    "dns.rdtypes.ANY.TXT": "TXT presentation for output (plans and zone-file edits)",
    "dns.name": "a zone name that is not plain LDH labels (a plan's first request waits on the zone name)",
    "dns.exception": "a zone name that is not plain LDH labels",
    "dns.asyncquery": "verify over TCP or a malformed answer: dns.query loads httpx and ssl for DNS over HTTPS",
    "dns.query": "verify over TCP or a malformed answer: loads httpx and ssl for DNS over HTTPS",
    "dns.resolver": "verify through the system's resolvers, --smtp or --outbound (pulls dns.query)",
    "dns.nameserver": "verify through the system's resolvers, --smtp or --outbound",
    "publicsuffixlist": "the relative-target check: only a relative target that holds a dot",
    "yaml": "writing a recognised mail block back as zone-file YAML (`zonesync import`, `explain`)",
    "zonesync.zonefile.yaml_lines": "the YAML parser for an accounts file (zonesync.yaml), when there is one",
}
"""Module -> the runs that need it (every other run never imports it)."""


class LazyModule:
    """Stands for module `name`; the first attribute read imports it."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attr: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attr)


def lazy(name: str) -> Any:
    """Module `name`, imported on first use (typed Any: annotate with the real module under TYPE_CHECKING).

    Raises KeyError when `name` is not declared in DEFERRED."""
    if name not in DEFERRED:
        raise KeyError(f"{name} is not declared in zonesync.base.features.DEFERRED")
    return LazyModule(name)
