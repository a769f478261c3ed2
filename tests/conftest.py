"""Shared fixtures: a local Cloudflare API emulator (``zonesync.emulator``) per test, and a scratch project."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from zonesync.emulator.server import Emulator


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch project as the current folder: an empty ``zones/``, no plan key from the environment.
    Test modules that need more (a zone file, NO_COLOR) extend it with a ``workdir`` of their own."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ZONESYNC_PLAN_KEY", raising=False)
    (tmp_path / "zones").mkdir()
    return tmp_path


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """A running emulator: token ``test-token``, zone ``example.com``, no rate limit; env points the SDK at it."""
    emu = Emulator(tokens=("test-token",), zones=("example.com",), rate_limit=0).start()
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "test-token")
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", emu.url)
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def cf(emulator: Emulator) -> Iterator[object]:
    """The official SDK pointed at the emulator (no retries, so errors surface at once)."""
    import cloudflare

    client = cloudflare.Cloudflare(api_token="test-token", base_url=emulator.url, max_retries=0)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def api(emulator: Emulator) -> Iterator[object]:
    """A raw ``httpx`` client with the bearer token, for status codes, headers and exact bodies."""
    import httpx

    with httpx.Client(
        base_url=emulator.url, headers={"Authorization": "Bearer test-token"}, timeout=10
    ) as client:
        yield client


@pytest.fixture(scope="module")
def ca() -> Any:
    """A private certificate authority (trustme) for loopback TLS servers: HTTPS policy hosts, SMTP STARTTLS."""
    import trustme

    return trustme.CA()


@pytest.fixture
def ca_file(ca: Any, tmp_path: Path) -> Path:
    """That authority's certificate as a PEM file, for `--ca-file`."""
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


INTEROP = Path(__file__).resolve().parent / "interop"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """tests/interop (real servers, a real CI runner) runs only when named: `make test-interop`."""
    if collection_path != INTEROP:
        return None
    named = (Path(arg.split("::")[0]).resolve() for arg in config.args)
    return not any(p == INTEROP or INTEROP in p.parents for p in named)
