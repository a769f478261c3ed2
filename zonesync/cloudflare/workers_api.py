"""Cloudflare Workers through the official SDK: read and write the script and custom domain that serve a zone's
MTA-STS policy (`mail.mta_sts.host: worker`). The model and diff are `zonesync.plan.worker` (pure).

Calls (facts W1–W9): `workers.scripts.list` (tags, etag), `workers.scripts.content.get` (the modules as
multipart, the main one named by `cf-entrypoint`), `workers.scripts.update` with the module as a `files` part
and the metadata part (SDK 5.x: without `files` it would silently send JSON), `workers.scripts.delete`,
`workers.domains.list` filtered by hostname, `workers.domains.update` (with `override_existing_origin` when it
moves the domain from another script, W11), `workers.domains.delete` (which also
removes Cloudflare's own DNS record). The account is the zone's (`account.id` of the zone object).
"""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Sequence
from typing import Any

import cloudflare

from zonesync.cloudflare import schema
from zonesync.errors import ApiError
from zonesync.mail.mta_sts_worker import COMPATIBILITY_DATE, MAIN_MODULE, TAG, Domain, LiveWorkers, Script
from zonesync.plan.model import WorkerChange
from zonesync.plan.worker import order

PERMISSION = "Account › Workers Scripts › Edit"
"""The API token permission scripts and custom domains need (facts W9)."""


def describe(exc: Exception, what: str) -> str:
    """One line for a failed Workers call, naming the permission when Cloudflare answers 403 10000."""
    from zonesync.cloudflare.answers import describe_api_error

    line = f"{what}: {describe_api_error(exc)}"
    if isinstance(exc, cloudflare.APIStatusError) and exc.status_code == 403:
        body = exc.body if isinstance(exc.body, dict) else {}
        codes = {e.get("code") for e in body.get("errors") or [] if isinstance(e, dict)}
        if 10000 in codes:
            line += (
                f" — the API token lacks Workers permission: add {PERMISSION} to it "
                "(mail.mta_sts.host: worker deploys a Worker)"
            )
    return line


def _listing(response: Any, kind: str) -> list[dict[str, Any]]:
    """A Workers listing (an SDK `with_raw_response` answer) read as the JSON it is and checked like
    zonesync's own listings."""
    from zonesync.cloudflare.answers import read_answer

    try:
        body = read_answer(response.http_response)
    except schema.AnswerError as exc:
        raise schema.AnswerError(f"the {kind} list: {exc}") from None
    schema.check_envelope(body)
    return schema.check_worker_items(schema.result_of(body, "a list"), kind)


class WorkersProvider:
    """The Workers calls zonesync makes, on the run's SDK client (same auth, retries, rate limiting, logging)."""

    def __init__(self, client: cloudflare.Cloudflare) -> None:
        self._client = client

    def read(self, account_id: str, hostname: str, names: Sequence[str], zone: str) -> LiveWorkers:
        """The custom domain at `hostname` and the scripts named (plus the one that domain serves); both
        listings are checked before anything of them is used (`cloudflare_schema.check_worker_items`)."""
        from zonesync.plan.worker import scripts_to_read

        workers = self._client.workers
        try:
            found = [
                d
                for d in _listing(
                    workers.domains.with_raw_response.list(account_id=account_id, hostname=hostname),
                    "custom domain",
                )
                if d["hostname"] == hostname
            ]
            if len(found) > 1:
                raise schema.AnswerError(f"{len(found)} custom domains for {hostname}, which can have one")
            domain = Domain(found[0]["hostname"], found[0]["service"], found[0]["id"]) if found else None
            wanted = set(names) | set(scripts_to_read(None, domain))
            listed = {
                s["id"]: s
                for s in _listing(workers.scripts.with_raw_response.list(account_id=account_id), "script")
                if s["id"] in wanted
            }
            scripts = tuple(
                Script(name, self._content(account_id, name), s.get("etag"), tuple(s.get("tags") or ()))
                for name, s in sorted(listed.items())
            )
        except cloudflare.APIError as exc:
            raise ApiError(describe(exc, f"{zone}: reading Workers")) from None
        except schema.AnswerError as exc:
            raise ApiError(f"{zone}: reading Workers: bad answer: {exc}") from None
        return LiveWorkers(hostname, domain, scripts)

    def _content(self, account_id: str, name: str) -> str:
        """The main module's text: `content/v2` answers multipart, the entry point named by `cf-entrypoint`."""
        response = self._client.workers.scripts.content.get(name, account_id=account_id)
        body = response.read()
        ctype = response.headers.get("content-type", "")
        entry = response.headers.get("cf-entrypoint")
        if not ctype.lower().startswith("multipart/"):
            return body.decode("utf-8", "replace")
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + ctype.encode("latin-1") + b"\r\n\r\n" + body
        )
        parts = list(message.iter_parts())
        for part in parts:
            if (
                entry is None
                or part.get_filename() == entry
                or part.get_param("name", header="content-disposition") == entry
            ):
                payload = part.get_payload(decode=True) or b""
                return payload.decode("utf-8", "replace")
        return ""

    def apply(
        self, account_id: str, zone: str, zone_id: str, changes: Sequence[WorkerChange]
    ) -> list[WorkerChange]:
        """Apply in `zonesync.plan.worker.order`; returns the changes that landed, raises ApiError at the first
        failure (its message says which changes landed)."""
        done: list[WorkerChange] = []
        for change in order(changes):
            try:
                self._one(account_id, zone, zone_id, change)
            except cloudflare.APIError as exc:
                what = f"{zone}: {change.action} Worker {change.kind} {change.name}"
                landed = f" ({len(done)} of {len(changes)} Worker changes applied before it)" if done else ""
                raise ApiError(describe(exc, what) + landed) from None
            done.append(change)
        return done

    def _one(self, account_id: str, zone: str, zone_id: str, change: WorkerChange) -> None:
        workers = self._client.workers
        if change.kind == "script":
            if change.action == "delete":
                assert isinstance(change.before, Script)
                workers.scripts.delete(change.before.name, account_id=account_id)
                return
            assert isinstance(change.after, Script)
            workers.scripts.update(
                change.after.name,
                account_id=account_id,
                metadata={
                    "main_module": MAIN_MODULE,
                    "compatibility_date": COMPATIBILITY_DATE,
                    "tags": [TAG],
                },
                files=[(MAIN_MODULE, change.after.content.encode("utf-8"), "application/javascript+module")],
            )
            return
        if change.action == "delete":
            assert isinstance(change.before, Domain) and change.before.id
            workers.domains.delete(change.before.id, account_id=account_id)
            return
        assert isinstance(change.after, Domain)
        workers.domains.update(
            account_id=account_id,
            hostname=change.after.hostname,
            service=change.after.service,
            zone_id=zone_id,
            # moving the domain from another script: Cloudflare refuses it (409 100116) without this flag
            # (facts W11); the SDK 5.x does not type the field, so it goes in the JSON body as is
            extra_body={"override_existing_origin": True} if change.action == "update" else None,
        )
