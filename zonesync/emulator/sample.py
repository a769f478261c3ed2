"""The sample seed that ships with the emulator: a mail zone made by hand, as a setup guide has people copy it.

``zonesync emulator --sample-seed`` starts from it, and the docs' mail migration (``import --mail``, plan,
apply, an empty plan) is tried on it. It is package data (``zonesync/emulator/data/``), read through
``importlib.resources``, so an installed zonesync has it without a checkout.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

SAMPLE_SEED = "sample-seed.json"


def sample_seed_text() -> str:
    """Return the bundled sample seed as JSON text (the ``--seed`` file format).

    Raises:
        FileNotFoundError: the package was installed without its data (a broken install).
    """
    return resources.files(__package__).joinpath("data", SAMPLE_SEED).read_text(encoding="utf-8")


def sample_seed() -> Any:
    """Return the bundled sample seed, parsed: ``{"zones": [{"name": ..., "records": [...]}]}``.

    Raises:
        FileNotFoundError: the package was installed without its data (a broken install).
    """
    return json.loads(sample_seed_text())
