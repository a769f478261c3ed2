"""Cloudflare through the official SDK: find zones, read a zone in one listing, apply a plan in batches.

Transport, retries and `Retry-After` are the SDK's (`cloudflare.Cloudflare(max_retries=...)`); the API is
selected by the SDK's own base URL (`CLOUDFLARE_BASE_URL`), so the bundled emulator needs no special
case. Requests go through the SDK client's generic methods with `cast_to=httpx.Response` (its raw-response
interface: same auth, base URL, retries and error classes) and the JSON is read as is: building pydantic
models for 10,000 records costs more than the request itself (0.79 s against 0.1 s, bench/), and loading
the typed `zones` and `dns.records` resource modules costs another 0.12 s per run.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import cloudflare
import httpx
import ijson

from zonesync.errors import ApiError
from zonesync.model import ApplyReport, Record
from zonesync.plan import ACTION_ORDER, Change, SkippedRecord
from zonesync.providers.cloudflare_records import Skipped, from_api, to_api
from zonesync.ratelimit import RateLimiter

if TYPE_CHECKING:
    from zonesync.providers.cloudflare_workers import WorkersProvider

log = logging.getLogger("zonesync.api")

MAX_PER_PAGE = 5_000_000
"""dns_records `per_page` maximum in Cloudflare's OpenAPI schema (record_list_params.py)."""
STREAM_ABOVE = 8 * 1024 * 1024
"""Listing bodies larger than this (about 30,000 records) are parsed as they stream in."""
STREAM_HEADERS = {"X-Stainless-Raw-Response": "stream"}
"""What the SDK's `.with_streaming_response` sends: the SDK then returns the response unread."""
ZONES_PER_PAGE = 50
"""zones `per_page` maximum."""
LOOKUP_WORKERS = 8
"""Zone-list pages or filtered zone lookups in flight at once (as many as zones planned at once)."""
T = TypeVar("T")
R = TypeVar("R")
MAX_RETRIES = 4
"""SDK retries for 429/5xx/connection errors (exponential back-off, `Retry-After` honoured up to 60 s)."""
BATCH_LIMITS = {"free": 200}
DEFAULT_PAID_BATCH_LIMIT = 3_500
"""Operations per /dns_records/batch request: Free 200, Pro/Business/Enterprise 3,500
(developers.cloudflare.com/dns/manage-dns-records/how-to/batch-record-changes/)."""


@dataclass(frozen=True, slots=True)
class ZoneInfo:
    id: str
    name: str
    plan: str
    account_id: str = ""  # the zone object's `account.id`: where its Workers live

    @property
    def batch_limit(self) -> int:
        return BATCH_LIMITS.get(self.plan, DEFAULT_PAID_BATCH_LIMIT)


@dataclass(frozen=True)
class LiveZone:
    zone: ZoneInfo
    records: tuple[Record, ...]
    skipped: tuple[SkippedRecord, ...]


def describe_api_error(exc: Exception) -> str:
    """One line from an SDK exception: HTTP status, Cloudflare's codes and messages, never headers/tokens."""
    if isinstance(exc, cloudflare.APIStatusError):
        parts = []
        body = exc.body if isinstance(exc.body, dict) else {}
        for err in body.get("errors") or []:
            if not isinstance(err, dict):
                continue
            text = f"{err.get('code')} {err.get('message', '')}".strip()
            chain = [f"{c.get('code')} {c.get('message', '')}".strip() for c in err.get("error_chain") or []]
            parts.append(text + (f" ({'; '.join(chain)})" if chain else ""))
        detail = "; ".join(parts) or exc.message
        return f"HTTP {exc.status_code}: {detail}"
    if isinstance(exc, cloudflare.APIConnectionError):
        cause = exc.__cause__ or exc
        return f"cannot reach the Cloudflare API: {type(cause).__name__}: {cause}"
    return f"{type(exc).__name__}: {exc}"


def _auth_hint(exc: Exception) -> str:
    if isinstance(exc, cloudflare.APIStatusError) and exc.status_code in (400, 401, 403):
        body = exc.body if isinstance(exc.body, dict) else {}
        codes = {e.get("code") for e in body.get("errors") or [] if isinstance(e, dict)}
        if codes & {9106, 6003, 9109, 10000, 6111}:
            return " — check CLOUDFLARE_API_TOKEN (it needs Zone:Read and DNS:Edit on this zone)"
    return ""


class CloudflareProvider:
    """Everything zonesync asks of Cloudflare. Thread-safe: zones may be planned and applied concurrently."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str | None = None,
        max_retries: int = MAX_RETRIES,
        before_request: Callable[[], None] | None = None,
        limiter: RateLimiter | None = None,
        verbose: bool = False,
    ) -> None:
        """`limiter` is asked before every request (SDK retries included) and told every answer's headers,
        which carry the token's remaining budget."""
        hooks: dict[str, list[Callable[..., Any]]] = {"request": [], "response": []}
        if before_request is not None:
            hooks["request"].append(lambda request: before_request())
        if limiter is not None:
            hooks["request"].append(lambda request: limiter.acquire())
            hooks["response"].append(lambda response: limiter.observe(response.headers))
        if verbose:
            hooks["request"].append(_stamp)
            hooks["response"].append(_log_response)
        http_client = cloudflare.DefaultHttpxClient(event_hooks=hooks)
        self._client = cloudflare.Cloudflare(
            api_token=token, base_url=base_url, max_retries=max_retries, http_client=http_client
        )

    def close(self) -> None:
        self._client.close()

    def workers(self) -> WorkersProvider:
        """Workers calls (`mail.mta_sts.host: worker`) on the same client: auth, retries, limiter, logging."""
        from zonesync.providers.cloudflare_workers import WorkersProvider

        return WorkersProvider(self._client)

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """GET through the SDK client (auth, base URL, retries, `Retry-After`, API errors), JSON as is."""
        response = self._client.get(path, options={"params": params}, cast_to=httpx.Response)
        body = response.json()
        return body if isinstance(body, dict) else {}

    # -- zones -----------------------------------------------------------------------------------------

    def find_zones(self, names: Sequence[str]) -> dict[str, ZoneInfo]:
        """Zone ids, looked up once per run in min(zones wanted, pages of the account's zone list) requests.

        One zone: one filtered `GET /zones?name=`. More: the first page of the zone list, whose
        `result_info.total_count` says how many pages the account has; the zones it did not hold are then
        fetched the cheaper way, the remaining pages or one filtered lookup each (`lookup_by_pages`).
        Without knowing the account's size beforehand, that first page is the one request that can be
        wasted: when fewer zones are wanted than the account has pages and none is on page 1."""
        wanted = sorted(set(names))
        found: dict[str, ZoneInfo] = {}
        try:
            if len(wanted) == 1:
                self._collect(found, wanted, [self._zones_page(1, wanted[0])])
                return found
            first = self._zones_page(1)
            self._collect(found, wanted, [first])
            missing = [n for n in wanted if n not in found]
            pages = _total_pages(first.get("result_info"), ZONES_PER_PAGE)
            if missing and pages > 1:
                if lookup_by_pages(len(missing), pages - 1):
                    more = _map(self._zones_page, range(2, pages + 1))
                else:
                    more = _map(lambda name: self._zones_page(1, name), missing)
                self._collect(found, wanted, more)
        except cloudflare.APIError as exc:
            raise ApiError(
                f"looking up zones {', '.join(wanted)}: {describe_api_error(exc)}{_auth_hint(exc)}"
            ) from None
        return found

    def _zones_page(self, page: int, name: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"per_page": ZONES_PER_PAGE, "page": page}
        if name is not None:
            params["name"] = name
        return self._get("/zones", params)

    @staticmethod
    def _collect(found: dict[str, ZoneInfo], wanted: Sequence[str], bodies: Sequence[dict[str, Any]]) -> None:
        keep = set(wanted)
        for body in bodies:
            for z in body.get("result") or ():
                if z["name"] in keep:
                    found[z["name"]] = _zone_info(z)

    # -- records ---------------------------------------------------------------------------------------

    def list_records(self, zone: ZoneInfo, per_page: int = MAX_PER_PAGE) -> LiveZone:
        """The whole zone in ceil(records / per_page) requests (one, for any zone Cloudflare hosts today)."""
        records: list[Record] = []
        skipped: list[SkippedRecord] = []
        page, total_pages = 1, 1
        try:
            while page <= total_pages:
                # Streamed, as the SDK's `with_streaming_response` does, and parsed as it arrives: a
                # 100,000-record listing is 27 MB of JSON that is never whole in memory.
                response = self._client.get(
                    f"/zones/{zone.id}/dns_records",
                    options={"params": {"per_page": per_page, "page": page}, "headers": STREAM_HEADERS},
                    cast_to=httpx.Response,
                )
                try:
                    info = _read_listing(response, zone.name, records, skipped)
                finally:
                    response.close()
                total_pages = int(info.get("total_pages") or 1)
                page += 1
        except cloudflare.APIError as exc:
            raise ApiError(
                f"{zone.name}: reading records: {describe_api_error(exc)}{_auth_hint(exc)}"
            ) from None
        return LiveZone(zone, tuple(records), tuple(skipped))

    def apply(self, zone: ZoneInfo, changes: Sequence[Change], batch_limit: int | None = None) -> ApplyReport:
        """Apply changes through /dns_records/batch in Cloudflare's own order (deletes, puts, posts), chunked
        to the per-batch limit. Each batch is atomic at Cloudflare; on a failure the report says exactly
        which changes landed (earlier batches) and which did not."""
        limit = batch_limit or zone.batch_limit
        ordered = sorted(changes, key=lambda c: ACTION_ORDER[c.action])
        report = ApplyReport(zone.name)
        chunks = [ordered[i : i + limit] for i in range(0, len(ordered), limit)]
        for index, chunk in enumerate(chunks):
            deletes = [{"id": c.before.id} for c in chunk if c.action == "delete" and c.before]
            puts = [
                {"id": c.before.id, **to_api(c.after)}
                for c in chunk
                if c.action == "update" and c.before and c.after
            ]
            posts = [to_api(c.after) for c in chunk if c.action == "create" and c.after]
            try:
                body = {"deletes": deletes, "puts": puts, "posts": posts}
                self._client.post(
                    f"/zones/{zone.id}/dns_records/batch",
                    body={k: v for k, v in body.items() if v},
                    cast_to=httpx.Response,
                )
            except cloudflare.APIError as exc:
                report.error = (
                    f"batch {index + 1} of {len(chunks)} failed: {describe_api_error(exc)}{_auth_hint(exc)}"
                )
                report.not_applied = [c for rest in chunks[index:] for c in rest]
                return report
            report.batches += 1
            report.applied.extend(chunk)
        return report


def lookup_by_pages(missing: int, pages_left: int) -> bool:
    """After the zone list's first page: read its other pages (True) or look the missing zones up one by
    one (False), whichever takes fewer requests; pages on a tie (they also settle zones that do not exist)."""
    return pages_left <= missing


def _total_pages(info: Any, per_page: int) -> int:
    """Pages of a listing from its `result_info` (`total_pages`, else `total_count` / `per_page`)."""
    if not isinstance(info, dict):
        return 1
    pages = info.get("total_pages")
    if isinstance(pages, int) and pages >= 1:
        return pages
    total = info.get("total_count")
    return max(1, math.ceil(total / per_page)) if isinstance(total, int) and total > 0 else 1


def _map(func: Callable[[T], R], items: Sequence[T] | range) -> list[R]:
    """`func` over `items` with up to LOOKUP_WORKERS requests in flight (the run's limiter still paces
    them), results in order."""
    if len(items) <= 1:
        return [func(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(LOOKUP_WORKERS, len(items))) as pool:
        return list(pool.map(func, items))


def _read_listing(
    response: httpx.Response, zone: str, records: list[Record], skipped: list[SkippedRecord]
) -> dict[str, Any]:
    """Records from a listing body; returns its `result_info`.

    A body whose Content-Length is at most STREAM_ABOVE is parsed in one call (the json module is three
    times faster than a streaming parser). A larger one, or one of unknown length, is parsed as its chunks
    arrive, by ijson's C parser (two parsers read
    the same chunks: one builds each `result` item, the other `result_info`), so a 100,000-record
    listing, 27 MB of JSON, is never whole in memory.
    """

    def add(item: dict[str, Any]) -> None:
        rec = from_api(item, zone)
        if isinstance(rec, Skipped):
            skipped.append(SkippedRecord(rec.name, rec.type, rec.content, rec.reason))
        else:
            records.append(rec)

    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) <= STREAM_ABOVE:
        try:
            body = json.loads(b"".join(response.iter_bytes()))
        except ValueError as exc:
            raise ApiError(f"{zone}: the record listing is not valid JSON: {exc}") from None
        for item in body.get("result") or ():
            add(item)
        return body.get("result_info") or {}

    items: list[dict[str, Any]] = ijson.sendable_list()
    infos: list[dict[str, Any]] = ijson.sendable_list()
    parsers = (ijson.items_coro(items, "result.item", use_float=True), ijson.items_coro(infos, "result_info"))
    try:
        for chunk in response.iter_bytes():
            for parser in parsers:
                parser.send(chunk)
            for item in items:
                add(item)
            del items[:]
        for parser in parsers:
            parser.close()
    except ijson.JSONError as exc:
        raise ApiError(f"{zone}: the record listing is not valid JSON: {exc}") from None
    for item in items:
        add(item)
    return infos[0] if infos else {}


def _zone_info(z: dict[str, Any]) -> ZoneInfo:
    plan = z.get("plan")
    legacy = plan.get("legacy_id") if isinstance(plan, dict) else None
    account = z.get("account")
    account_id = account.get("id") if isinstance(account, dict) else None
    return ZoneInfo(id=z["id"], name=z["name"], plan=str(legacy or "free"), account_id=str(account_id or ""))


def _stamp(request: httpx.Request) -> None:
    request.extensions["zonesync_start"] = time.monotonic()


def _log_response(response: httpx.Response) -> None:
    start = response.request.extensions.get("zonesync_start")
    elapsed = f" {math.ceil((time.monotonic() - start) * 1000)}ms" if start else ""
    # Only method, path and status: headers (and so the token) are never logged.
    log.info(
        "%s %s -> %s%s", response.request.method, response.request.url.path, response.status_code, elapsed
    )
