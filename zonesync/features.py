"""A module imported on first use, for the heavy ones only some runs need (cryptography: DKIM keys).

`importlib.util.LazyLoader` would do, but before Python 3.12 it is not thread-safe, and zones are planned in
threads; `importlib.import_module` is."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


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
    """`name` imported at first use (typed Any: annotate with the real module under TYPE_CHECKING)."""
    return LazyModule(name)
