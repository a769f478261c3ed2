"""The API client's TLS context, built in a thread while the rest of the SDK and the zone files load.

httpx builds it when the transport is made (`create_ssl_context`: the CAs of SSL_CERT_FILE, SSL_CERT_DIR
or certifi, with verification on). Loading the CA file is OpenSSL's work, which releases the GIL, so
`prepare` starts that same call as soon as httpx is imported and the first transport `take`s its result:
the same context, made earlier, next to the importing that follows (the rest of the SDK). Nothing about
verification changes. Why it stays: it takes the CA loading off the way to a plan's first request, and
without it the bench's scenario 0 stood past the bound of issue 22 (docs/performance.md, "Mechanisms that
earn their place").
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    import ssl


class _Building:
    """httpx's default context, being built in a thread (a plain thread: concurrent.futures would load
    logging and more before the SDK does)."""

    def __init__(self) -> None:
        self.context: ssl.SSLContext | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._build, name="zonesync-tls")
        self.thread.start()

    def _build(self) -> None:
        try:
            self.context = httpx.create_ssl_context()
        except BaseException as exc:  # raised where the transport takes it, as if built there
            self.error = exc

    def result(self) -> ssl.SSLContext:
        self.thread.join()
        if self.error is not None:
            raise self.error
        assert self.context is not None
        return self.context


_lock = threading.Lock()
_pending: _Building | None = None


def prepare() -> None:
    """Start building httpx's default context (`verify=True`) in a thread, unless one is pending."""
    global _pending
    import certifi  # noqa: F401  (httpx's CA bundle) imported here: the thread imports nothing

    with _lock:
        if _pending is None:
            _pending = _Building()


def take() -> ssl.SSLContext | bool:
    """`verify` for one transport: the prepared context (once: each transport owns its context, as with
    httpx's default), else True for httpx to build one itself."""
    global _pending
    with _lock:
        building, _pending = _pending, None
    return True if building is None else building.result()
