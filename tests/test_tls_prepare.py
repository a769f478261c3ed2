"""The API client's TLS context built ahead in a thread (`zonesync.cloudflare.tls_context`) is httpx's own default: verification
on, the same CAs; taken once; an error building it surfaces where the transport is made."""

from __future__ import annotations

import ssl

import httpx
import pytest

from zonesync.cloudflare import tls_context
from zonesync.cloudflare.provider import CloudflareProvider, DeadlineTransport


@pytest.fixture(autouse=True)
def _nothing_pending():
    tls_context.take()
    yield
    tls_context.take()


def test_prepared_context_is_httpx_default(monkeypatch) -> None:
    tls_context.prepare()
    ctx = tls_context.take()
    assert isinstance(ctx, ssl.SSLContext)
    default = httpx.create_ssl_context()
    assert ctx.verify_mode == default.verify_mode == ssl.CERT_REQUIRED
    assert ctx.check_hostname and default.check_hostname
    assert ctx.get_ca_certs() == default.get_ca_certs()
    assert tls_context.take() is True  # once: the next transport builds its own, as httpx does


def test_the_transport_takes_the_prepared_context() -> None:
    tls_context.prepare()
    assert tls_context._pending is not None
    prepared = tls_context._pending.result()
    transport = DeadlineTransport(10)
    assert transport.inner._pool._ssl_context is prepared  # type: ignore[attr-defined]
    assert tls_context.take() is True
    transport.close()


def test_without_prepare_httpx_builds_it() -> None:
    provider = CloudflareProvider("token", base_url="http://127.0.0.1:9/client/v4")
    provider.close()
    assert tls_context.take() is True


def test_an_unreadable_ca_file_fails_where_the_transport_is_made(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(FileNotFoundError):
        DeadlineTransport(10)  # httpx's own behaviour
    tls_context.prepare()
    with pytest.raises(FileNotFoundError):
        DeadlineTransport(10)
