"""Cloudflare through the official SDK: find zones, read a zone in one listing, apply a plan in batches.

Transport and read retries are the SDK's (`cloudflare.Cloudflare(max_retries=...)`); the API is selected
by the SDK's own base URL (`CLOUDFLARE_BASE_URL`), so the bundled emulator needs no special case. What the
SDK does not do is done here: every answer is checked against the API's schema before it is used
(`cloudflare_schema`), each response has an overall deadline, `Retry-After` is honoured up to Cloudflare's
5-minute window, and a batch write is never retried blind: when its answer does not say whether it
landed, the zone is read back and the live state decides (`batch_outcome`).

Requests go through the SDK client's generic methods with `cast_to=httpx.Response` (its raw-response
interface: same auth, base URL, retries and error classes) and the JSON is read as is, without the SDK's
pydantic models or its typed `zones` and `dns.records` resource modules (docs/performance.md says what
they would cost).
"""

from __future__ import annotations

import email.utils
import logging
import math
import re
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

import cloudflare
import httpx

from zonesync.base.plural import counted
from zonesync.cloudflare import schema, tls_context
from zonesync.cloudflare.answers import _auth_hint, _describe_bad, describe_api_error, read_answer
from zonesync.cloudflare.jsonstream import Streamed
from zonesync.cloudflare.ratelimit import RateLimiter
from zonesync.errors import ApiError
from zonesync.model import Record, ZoneInfo
from zonesync.plan.model import ApplyReport, LiveZone
from zonesync.plan.zone_lock import LockRecord, LockSession, is_lock_name, lock_name

if TYPE_CHECKING:
    from cloudflare._types import RequestOptions  # the SDK's type of `options` (typing only)

    from zonesync.cloudflare.dnssec import DnssecProvider
    from zonesync.cloudflare.workers_api import WorkersProvider
    from zonesync.plan.model import Change, SkippedRecord

log = logging.getLogger("zonesync.api")

MAX_PER_PAGE = 5_000_000
"""dns_records `per_page` maximum in Cloudflare's OpenAPI schema (record_list_params.py)."""
STREAM_HEADERS = {"X-Stainless-Raw-Response": "stream"}
"""What the SDK's `.with_streaming_response` sends: the SDK then returns the response unread, and zonesync
parses it as it arrives (`answers.read_answer`), so a large listing's JSON is never whole in memory."""
ZONES_PER_PAGE = 50
"""zones `per_page` maximum."""
LOOKUP_WORKERS = 8
"""Zone-list pages or filtered zone lookups in flight at once (as many as zones planned at once)."""
T = TypeVar("T")
R = TypeVar("R")
MAX_RETRIES = 4
"""SDK retries of reads after a 5xx or a connection error (exponential back-off)."""
RESPONSE_DEADLINE = 120.0
"""Seconds one response may take in all, however steadily its bytes trickle in (the SDK's timeout of 60 s
applies to each read, so a body sent a byte a second would never end)."""
MAX_RETRY_AFTER = 300.0
"""Cloudflare blocks a client over its rate limit for 5 minutes (fundamentals/api/reference/limits): a
`Retry-After` up to that is waited out, a longer one stops the run. The SDK waits only up to 60 s."""
RATE_LIMIT_WAITS = 5
"""429 answers waited out per request before giving up."""
BATCH_RESENDS = MAX_RETRIES
"""Times a batch is sent again after the zone, read back, showed that it did not land (as many as the SDK
retries a read)."""


class RateLimitedError(ApiError):
    """Cloudflare asked to wait longer than its 5-minute window (or kept refusing)."""


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds from `Retry-After` (seconds or an HTTP date, RFC 9110 §10.2.3), or None."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class _DeadlineStream(httpx.SyncByteStream):
    def __init__(self, stream: httpx.SyncByteStream, deadline: float, seconds: float) -> None:
        self._stream, self._deadline, self._seconds = stream, deadline, seconds

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._stream:
            if time.monotonic() > self._deadline:
                raise httpx.ReadTimeout(f"the answer took longer than {self._seconds:g} s in all")
            yield chunk

    def close(self) -> None:
        self._stream.close()


class DeadlineTransport(httpx.BaseTransport):
    """httpx's transport with an overall deadline per response, from sending the request to the last
    byte of the body (httpx's own timeouts bound each read, not the whole)."""

    def __init__(self, seconds: float, inner: httpx.BaseTransport | None = None) -> None:
        self.seconds = seconds
        self.inner = inner or httpx.HTTPTransport(
            verify=tls_context.take(), limits=cloudflare.DEFAULT_CONNECTION_LIMITS
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        deadline = time.monotonic() + self.seconds
        response = self.inner.handle_request(request)
        assert isinstance(response.stream, httpx.SyncByteStream)
        response.stream = _DeadlineStream(response.stream, deadline, self.seconds)
        return response

    def close(self) -> None:
        self.inner.close()


OWN_ROUTES = re.compile(r"/zones(?:/[^/]+/dns_records(?:/batch)?)?$")
"""The requests `CloudflareProvider._send` makes (zone list, record listing, batch): it waits out their
429s itself. Other calls on the same client (the Workers provider's) keep the SDK's retries."""


def _no_sdk_retry_on_429(response: httpx.Response) -> None:
    """429s of zonesync's own requests are waited out by the provider (up to 5 minutes), not by the SDK
    (which waits up to 60 s, then gives up)."""
    if response.status_code == 429 and OWN_ROUTES.search(response.request.url.path):
        response.headers["x-should-retry"] = "false"


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
        deadline: float = RESPONSE_DEADLINE,
        timeout: float | None = None,
        notify: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        account_id: str | None = None,
        token_env: str = "CLOUDFLARE_API_TOKEN",
    ) -> None:
        """`limiter` is asked before every request (SDK retries included) and told every answer's headers,
        which carry the token's remaining budget. `account_id` (from the accounts file): zones are looked up
        in this account only. `deadline` bounds each response as a whole; `notify` hears about rate-limit
        waits; `sleep` waits (both replaceable in tests). `token_env` names the variable the token came
        from, for messages."""
        self.account_id = account_id
        self.token_env = token_env
        hooks: dict[str, list[Callable[..., Any]]] = {"request": [], "response": [_no_sdk_retry_on_429]}
        if before_request is not None:
            hooks["request"].append(lambda request: before_request())
        if limiter is not None:
            hooks["request"].append(lambda request: limiter.acquire())
            hooks["response"].append(lambda response: limiter.observe(response.headers))
        if verbose:
            hooks["request"].append(_stamp)
            hooks["response"].append(_log_response)
        http_client = cloudflare.DefaultHttpxClient(event_hooks=hooks, transport=DeadlineTransport(deadline))
        options: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
        self._client = cloudflare.Cloudflare(
            api_token=token, base_url=base_url, max_retries=max_retries, http_client=http_client, **options
        )
        self._notify = notify or log.warning
        self._sleep = sleep

    def close(self) -> None:
        self._client.close()

    def workers(self, zone: str = "") -> WorkersProvider:
        """Workers calls (`mail.mta_sts.host: worker`) for `zone`, on the same client: auth, retries, limiter,
        logging."""
        from zonesync.cloudflare.workers_api import WorkersProvider

        return WorkersProvider(self._client)

    def dnssec(self, zone: str) -> DnssecProvider:
        """DNSSEC calls for `zone` (`dnssec:` in a zone file) on the same client: auth, retries, limiter,
        logging (one account: `zone` only says which, for the router's sake)."""
        from zonesync.cloudflare.dnssec import DnssecProvider

        return DnssecProvider(self._client)

    # -- requests --------------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        max_retries: int | None = None,
    ) -> httpx.Response:
        """One request through the SDK, its answer unread; a 429 is waited out as `Retry-After` asks, up
        to Cloudflare's 5-minute window (a 429 means the request was not processed: sending it again is
        safe, even for a write)."""
        opts: RequestOptions = {"headers": STREAM_HEADERS}
        if params is not None:
            opts["params"] = params
        if max_retries is not None:
            opts["max_retries"] = max_retries
        for attempt in range(RATE_LIMIT_WAITS + 1):
            try:
                if method == "GET":
                    return self._client.get(path, options=opts, cast_to=httpx.Response)
                return self._client.post(path, body=body, options=opts, cast_to=httpx.Response)
            except cloudflare.RateLimitError as exc:
                wait = retry_after(exc.response.headers)
                if wait is None:
                    wait = min(60.0, 2.0**attempt)
                if wait > MAX_RETRY_AFTER:
                    raise RateLimitedError(
                        f"rate limited: Cloudflare asks to wait {math.ceil(wait)} s, more than its 5-minute "
                        "window; stopped"
                    ) from None
                if attempt == RATE_LIMIT_WAITS:
                    break
                self._notify(f"rate limited: waiting {math.ceil(wait)} s")
                self._sleep(wait)
        raise RateLimitedError(f"rate limited: still refused after waiting {RATE_LIMIT_WAITS} times; stopped")

    def _get_list(self, path: str, params: dict[str, Any], what: str) -> tuple[list[Any], schema.ResultInfo]:
        """A one-page listing, checked: envelope, `result` list, `result_info` agreeing with the page."""
        body = read_answer(self._send("GET", path, params=params))
        schema.check_envelope(body)
        result = schema.result_of(body, "a list")
        info = schema.result_info(body)
        schema.Listing(what).page(params.get("page", 1), info, len(result))
        return result, info

    # -- zones -----------------------------------------------------------------------------------------

    def find_zones(self, names: Sequence[str]) -> dict[str, ZoneInfo]:
        """Zone ids, looked up once per run in min(zones wanted, pages of the account's zone list) requests.

        One zone: one filtered `GET /zones?name=`. More: the first page of the zone list, whose
        `result_info.total_count` says how many pages the account has; the zones it did not hold are then
        fetched the cheaper way, the remaining pages or one filtered lookup each (`lookup_by_pages`).
        Without knowing the account's size beforehand, that first page is the one request that can be
        wasted: when fewer zones are wanted than the account has pages and none is on page 1. Every page
        is checked, and a zone name found in two accounts is an error."""
        wanted = sorted(set(names))
        found: dict[str, ZoneInfo] = {}
        try:
            if len(wanted) == 1:
                self._collect(found, wanted, [self._zones_page(1, wanted[0])])
                return found
            first = self._zones_page(1)
            self._collect(found, wanted, [first])
            missing = [n for n in wanted if n not in found]
            info = first[1]
            pages = max(1, math.ceil(info.total_count / info.per_page))  # consistent with total_pages
            if missing and pages > 1:
                if lookup_by_pages(len(missing), pages - 1):
                    more = _map(self._zones_page, range(2, pages + 1))
                else:
                    more = _map(lambda name: self._zones_page(1, name), missing)
                self._collect(found, wanted, more)
        except cloudflare.APIError as exc:
            raise ApiError(
                f"looking up zones {', '.join(wanted)}: {describe_api_error(exc)}{_auth_hint(exc, self.token_env)}"
            ) from None
        except (schema.AnswerError, httpx.TransportError) as exc:
            raise ApiError(
                f"looking up zones {', '.join(wanted)}: bad answer: {_describe_bad(exc)}"
            ) from None
        return found

    def _zones_page(self, page: int, name: str | None = None) -> tuple[list[Any], schema.ResultInfo]:
        params: dict[str, Any] = {"per_page": ZONES_PER_PAGE, "page": page}
        if name is not None:
            params["name"] = name
        if self.account_id is not None:
            params["account.id"] = self.account_id
        return self._get_list("/zones", params, "zone list")

    @staticmethod
    def _collect(
        found: dict[str, ZoneInfo],
        wanted: Sequence[str],
        pages: Sequence[tuple[list[Any], schema.ResultInfo]],
    ) -> None:
        keep = set(wanted)
        for result, _ in pages:
            for index, z in enumerate(result):
                _add_zone(found, keep, schema.check_zone(z, index))

    # -- records ---------------------------------------------------------------------------------------

    def list_records(self, zone: ZoneInfo, per_page: int = MAX_PER_PAGE) -> LiveZone:
        """The whole zone in ceil(records / per_page) requests (one, for any zone Cloudflare hosts today),
        every page and record checked before any is used."""
        # Loaded here, not with the module: the zone lookup, which needs neither, goes out first.
        from zonesync.cloudflare.records import Skipped, from_api
        from zonesync.plan.model import SkippedRecord

        records: list[Record] = []
        skipped: list[SkippedRecord] = []
        locks: list[LockRecord] = []
        listing = schema.Listing("record listing")
        page = 1
        try:
            while True:
                items = 0

                def add(item: Any, page: int = page) -> None:
                    nonlocal items
                    schema.check_record(item, items, zone.name)
                    items += 1
                    listing.item_id(item["id"], page)
                    if item["type"] == "CNAME" and is_lock_name(item["name"], zone.name):
                        locks.append(LockRecord(item["id"], str(item.get("content") or "")))
                        return
                    rec = from_api(item, zone.name)
                    if isinstance(rec, Skipped):
                        skipped.append(SkippedRecord(rec.name, rec.type, rec.content, rec.reason))
                    else:
                        records.append(rec)

                response = self._send(
                    "GET", f"/zones/{zone.id}/dns_records", params={"per_page": per_page, "page": page}
                )
                body = read_answer(response, add)
                schema.check_envelope(body)
                if not isinstance(body.get("result"), Streamed):  # a list was streamed to `add`
                    schema.result_of(body, "a list")
                listing.page(page, schema.result_info(body), items)
                assert listing.first is not None
                # Past the last page only when that page was full: a listing that hid records behind a
                # low total_count shows them there (an empty page costs a request only in that case).
                if page > listing.pages or (page == listing.pages and items < listing.first.per_page):
                    break
                page += 1
            listing.done()
        except cloudflare.APIError as exc:
            raise ApiError(
                f"{zone.name}: reading records: {describe_api_error(exc)}{_auth_hint(exc, self.token_env)}"
            ) from None
        except (schema.AnswerError, httpx.TransportError) as exc:
            raise ApiError(f"{zone.name}: reading records: bad answer: {_describe_bad(exc)}") from None
        return LiveZone(zone, tuple(records), tuple(skipped), locks[0] if locks else None)

    def read_lock(self, zone: ZoneInfo) -> LockRecord | None:
        """The zone's lock record alone (one filtered GET), to watch a lock another run holds."""
        params = {"name": lock_name(zone.name), "type": "CNAME", "per_page": 5}
        try:
            result, _ = self._get_list(f"/zones/{zone.id}/dns_records", params, "lock record listing")
            for index, item in enumerate(result):
                schema.check_record(item, index, zone.name)
        except cloudflare.APIError as exc:
            raise ApiError(
                f"{zone.name}: reading the zone lock: {describe_api_error(exc)}{_auth_hint(exc, self.token_env)}"
            ) from None
        except (schema.AnswerError, httpx.TransportError) as exc:
            raise ApiError(f"{zone.name}: reading the zone lock: bad answer: {_describe_bad(exc)}") from None
        found = [i for i in result if i["type"] == "CNAME" and is_lock_name(i["name"], zone.name)]
        return LockRecord(found[0]["id"], str(found[0].get("content") or "")) if found else None

    def export(self, zone: ZoneInfo) -> str:
        """Cloudflare's own BIND export of the zone (`dns.records.export`), checked
        (`cloudflare_export`)."""
        from zonesync.cloudflare.export import read_export

        try:
            return read_export(self._client, zone.id, zone.name)
        except cloudflare.APIError as exc:
            raise ApiError(
                f"{zone.name}: exporting records: {describe_api_error(exc)}{_auth_hint(exc, self.token_env)}"
            ) from None
        except (schema.AnswerError, httpx.TransportError) as exc:
            raise ApiError(f"{zone.name}: exporting records: bad answer: {_describe_bad(exc)}") from None

    # -- writes ----------------------------------------------------------------------------------------

    def apply(
        self,
        zone: ZoneInfo,
        changes: Sequence[Change],
        batch_limit: int | None = None,
        lock: LockSession | None = None,
        release: bool = True,
        interrupted: Callable[[], bool] | None = None,
    ) -> ApplyReport:
        """Apply changes through /dns_records/batch in Cloudflare's own order (deletes, puts, posts), chunked
        to the per-batch limit. Each batch is atomic at Cloudflare; the report says exactly which changes
        are live (earlier batches, and a batch whose lost answer the zone read back showed landed) and
        which are not.

        With `lock`, every batch also carries the zone lock's operations (`zonesync.plan.zone_lock`): the first
        replaces the record this run read with its own, the last leaves it free (unless `release` is False:
        more follows), the others refresh it; a one-batch apply does both in its one batch. `batch_limit`
        then counts record changes, and the zone's own limit keeps room for the lock. A lock another run
        took, or an apply another run made since this run's read, fails the first batch whole:
        `lock.contended` then tells, and nothing is written.
        No changes but a lock: one batch of lock operations alone. `interrupted` is asked before each batch
        but the first: once it says True (SIGINT), no further batch is sent."""
        limit = batch_limit or zone.batch_limit
        if lock is not None:
            from zonesync.plan.zone_lock import LOCK_OPS

            limit = max(1, min(limit, zone.batch_limit - LOCK_OPS))
        from zonesync.plan.model import ACTION_ORDER

        ordered = sorted(changes, key=lambda c: ACTION_ORDER[c.action])
        report = ApplyReport(zone.name)
        chunks = [ordered[i : i + limit] for i in range(0, len(ordered), limit)]
        if not chunks and lock is not None:
            chunks = [[]]
        for index, chunk in enumerate(chunks):
            label = f"batch {index + 1} of {len(chunks)}"
            last = release and index == len(chunks) - 1
            if index > 0 and interrupted is not None and interrupted():
                report.error = f"interrupted (SIGINT) before {label}: stopped"
                report.not_applied.extend(c for rest in chunks[index:] for c in rest)
                return report
            if not self._apply_batch(zone, chunk, label, report, lock, last):
                report.not_applied.extend(c for rest in chunks[index + 1 :] for c in rest)
                return report
        return report

    def _apply_batch(
        self,
        zone: ZoneInfo,
        chunk: Sequence[Change],
        label: str,
        report: ApplyReport,
        lock: LockSession | None = None,
        last: bool = True,
    ) -> bool:
        """Send one batch, never blind twice; True when it landed (report updated either way)."""
        from zonesync.cloudflare.records import to_api

        deletes = [{"id": c.before.id} for c in chunk if c.action == "delete" and c.before]
        puts = [
            {"id": c.before.id, **to_api(c.after)}
            for c in chunk
            if c.action == "update" and c.before and c.after
        ]
        posts = [to_api(c.after) for c in chunk if c.action == "create" and c.after]
        ops: dict[str, list[dict[str, Any]]] = {
            "deletes": deletes,
            "patches": [],
            "puts": puts,
            "posts": posts,
        }
        if lock is not None:
            for kind, items in lock.ops(time.time(), last).items():
                ops[kind] = [*ops[kind], *items]  # the lock's post last: its record ends `result.posts`
        payload = {k: v for k, v in ops.items() if v}
        for attempt in range(BATCH_RESENDS + 1):
            delay = 0.5 * 2**attempt  # the SDK's back-off
            try:
                # No SDK retry: a batch whose answer was lost may have landed, and sent again it would fail
                # (81044, 81058) or apply twice; the zone read back decides instead.
                response = self._send(
                    "POST", f"/zones/{zone.id}/dns_records/batch", body=payload, max_retries=0
                )
                answer = read_answer(response)
                schema.check_batch_result(answer)
                if lock is not None:
                    lock.landed(_lock_from_answer(answer, lock))
            except RateLimitedError as exc:
                return self._stop(report, chunk, f"{label}: {exc}")  # a 429 is never processed
            except cloudflare.APIStatusError as exc:
                if exc.status_code < 500:
                    # Refused. But refused because another run already changed those records?
                    why = f"{describe_api_error(exc)}{_auth_hint(exc, self.token_env)}"
                    return bool(  # refused: settled one way or the other, never None
                        self._settle(
                            zone, chunk, label, report, why, refused=True, resent=attempt > 0, lock=lock
                        )
                    )
                why = describe_api_error(exc)
                delay = min(retry_after(exc.response.headers) or delay, 60.0)
            except (cloudflare.APIConnectionError, httpx.TransportError, schema.AnswerError) as exc:
                why = (
                    describe_api_error(exc)
                    if not isinstance(exc, schema.AnswerError)
                    else f"bad answer: {exc}"
                )
            else:
                report.batches += 1
                report.applied.extend(chunk)
                return True
            settled = self._settle(
                zone, chunk, label, report, why, refused=False, resent=attempt > 0, lock=lock
            )
            if settled is not None:
                return settled
            self._sleep(delay)  # it did not land: sending it again is safe
        return self._stop(report, chunk, f"{label} failed {BATCH_RESENDS + 1} times: {why}")

    def _settle(
        self,
        zone: ZoneInfo,
        chunk: Sequence[Change],
        label: str,
        report: ApplyReport,
        why: str,
        *,
        refused: bool,
        resent: bool,
        lock: LockSession | None = None,
    ) -> bool | None:
        """Read the zone back after a batch went wrong and record what is live. True: it landed; False:
        stop; None: it did not land and may be sent again. With a lock, its record decides too: a batch
        that did not land because another run took or broke the lock stops (`lock.contended`, or stale)."""
        try:
            live = self.list_records(zone)
        except ApiError as exc:
            report.error = (
                f"{label}: {why}; reading the zone back failed ({exc}): whether its {counted(len(chunk), 'change')} "
                "landed is unknown — run `zonesync plan` to see the live zone"
            )
            report.unknown.extend(chunk)
            return False
        from zonesync.cloudflare.batch_outcome import batch_state  # only when a batch went wrong

        state = batch_state(chunk, live.records)
        if lock is not None:
            if lock.shows_landed(live.lock) and state.all_landed and (not refused or resent):
                lock.landed(live.lock)
            elif not lock.still_ours(live.lock) and state.none_landed:
                return self._lock_lost(report, chunk, label, why, lock, live.lock)
        if state.all_landed and (not refused or resent):
            # The answer was lost (or our earlier attempt landed late), but the transaction committed.
            report.notes.append(f"{label}: {why}; the zone read back shows it landed")
            report.batches += 1
            report.applied.extend(chunk)
            return True
        if state.none_landed:
            if refused:
                return self._stop(report, chunk, f"{label} failed: {why}")
            return None
        # Some or all of it live although this run's batch did not land: someone else changed the zone.
        report.stale = True
        report.applied.extend(state.landed)
        report.not_applied.extend((*state.not_landed, *state.neither))
        report.error = (
            f"{label}: {why}; the zone changed since it was planned (another run or someone else): "
            f"{len(state.landed)} of its {counted(len(chunk), 'change')} are already live, "
            f"{len(state.not_landed) + len(state.neither)} are not; plan again"
        )
        return False

    def _lock_lost(
        self,
        report: ApplyReport,
        chunk: Sequence[Change],
        label: str,
        why: str,
        lock: LockSession,
        live: LockRecord | None,
    ) -> bool:
        """The batch did not land because the lock record is not what this run last saw."""
        if lock.held is None:  # before any write of this run: another run took the lock first
            lock.contended, lock.busy = True, live
            return self._stop(report, chunk, f"{label}: another run changed the zone lock first ({why})")
        report.stale = True
        holder = (live.holder if live else None) or "nobody"
        return self._stop(
            report,
            chunk,
            f"{label}: {why}; the zone lock was taken over (now held by {holder}) while this run applied "
            "(its hold expired?): stopped; plan again",
        )

    @staticmethod
    def _stop(report: ApplyReport, chunk: Sequence[Change], error: str) -> bool:
        report.error = error
        report.not_applied.extend(chunk)
        return False


def _lock_from_answer(answer: dict[str, Any], lock: LockSession) -> LockRecord | None:
    """The lock record a landed batch left: the held record with its new content after a patch, else the
    last of `result.posts` (the lock's post comes last)."""
    if lock.held is not None and lock.pending is not None:
        return LockRecord(lock.held, lock.pending)
    posts = answer["result"].get("posts") or []
    last = posts[-1] if posts else None
    if not isinstance(last, dict) or not isinstance(last.get("id"), str):
        raise schema.AnswerError("the batch answer does not hold the lock record it posted")
    return LockRecord(last["id"], str(last.get("content") or ""))


def lookup_by_pages(missing: int, pages_left: int) -> bool:
    """After the zone list's first page: read its other pages (True) or look the missing zones up one by
    one (False), whichever takes fewer requests; pages on a tie (they also settle zones that do not exist)."""
    return pages_left <= missing


def _map(func: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """`func` over `items` with up to LOOKUP_WORKERS requests in flight (the run's limiter still paces
    them), results in order."""
    if len(items) <= 1:
        return [func(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(LOOKUP_WORKERS, len(items))) as pool:
        return list(pool.map(func, items))


def _add_zone(found: dict[str, ZoneInfo], wanted: set[str], z: dict[str, Any]) -> None:
    """A checked zone object into `found` if it is wanted; the same name twice is an error."""
    if z["name"] not in wanted:
        return
    info = _zone_info(z)
    seen = found.get(info.name)
    if seen is not None:
        if seen.id == info.id:
            raise schema.AnswerError(f"zone {info.name} (id {info.id}) appears twice in the zone list")
        raise ApiError(
            f"zone {info.name} exists in two accounts ({seen.account_id or 'unknown'} and "
            f"{info.account_id or 'unknown'}; zone ids {seen.id}, {info.id}): zonesync cannot tell which one "
            "is meant; name its account in zonesync.yaml (accounts: - id: ..., zones: [...])"
        )
    found[info.name] = info


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
