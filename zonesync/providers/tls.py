"""The API client's TLS context, built in a thread while the rest of the SDK and the zone files load.

httpx builds it when the transport is made (`create_ssl_context`: the CAs of SSL_CERT_FILE, SSL_CERT_DIR
or certifi, with verification on). Loading the CA file takes 30-50 ms inside OpenSSL, which releases the
GIL, so `prepare` starts that same call as soon as httpx is imported and the first transport `take`s its
result: the same context, made earlier, next to the importing and parsing that follows (the rest of the
SDK, zonesync's modules, the zone files). Nothing about verification changes.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    import ssl

_lock = threading.Lock()
_pending: Future[ssl.SSLContext] | None = None


def prepare() -> None:
    """Start building httpx's default context (`verify=True`) in a thread, unless one is pending."""
    global _pending
    import certifi  # noqa: F401  (httpx's CA bundle) imported here: the thread imports nothing

    with _lock:
        if _pending is not None:
            return
        future: Future[ssl.SSLContext] = Future()
        _pending = future

    def build() -> None:
        try:
            future.set_result(httpx.create_ssl_context())
        except BaseException as exc:  # raised where the transport takes it, as if built there
            future.set_exception(exc)

    threading.Thread(target=build, name="zonesync-tls").start()


def take() -> ssl.SSLContext | bool:
    """`verify` for one transport: the prepared context (once: each transport owns its context, as with
    httpx's default), else True for httpx to build one itself."""
    global _pending
    with _lock:
        future, _pending = _pending, None
    return True if future is None else future.result()
