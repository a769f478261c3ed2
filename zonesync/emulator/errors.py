"""Cloudflare API v4 error codes and the exception that carries them to the HTTP layer.

Codes and messages marked *observed* are quoted from real ``api.cloudflare.com`` answers (see
``/work/shared/cloudflare-api-facts.md``, row numbers in brackets). Codes marked *chosen* had no quoted
real answer; the emulator's choice is documented in :mod:`zonesync.emulator`.
"""

from __future__ import annotations

from typing import Any

# --- observed -------------------------------------------------------------------------------------
MISSING_AUTH = 9106  # [11] 400, body has only success + errors
MISSING_AUTH_MSG = "Missing X-Auth-Key, X-Auth-Email or Authorization headers"
BAD_HEADERS = 6003  # [12a] 400, wrapper of 6111
BAD_HEADERS_MSG = "Invalid request headers"
BAD_AUTH_FORMAT = 6111
BAD_AUTH_FORMAT_MSG = "Invalid format for Authorization header"
INVALID_TOKEN = 9109  # [12b] 403
INVALID_TOKEN_MSG = "Invalid access token"
UNKNOWN_AUTH_KEY = 9103  # legacy X-Auth-Key/X-Auth-Email with an unknown key
UNKNOWN_AUTH_KEY_MSG = "Unknown X-Auth-Key or X-Auth-Email"
RATE_LIMITED = 971  # [14] 429
RATE_LIMITED_MSG = "Please wait and consider throttling your request speed"
NO_ROUTE = 7003  # [10a] 404
NO_ROUTE_URI = 7000
DNS_VALIDATION = 1004  # wrapper: "DNS Validation Error" with the specific code in error_chain
DNS_VALIDATION_MSG = "DNS Validation Error"
IDENTICAL_RECORD = 81058  # [1]
IDENTICAL_RECORD_MSG = "An identical record already exists."
CNAME_CONFLICT = 81053  # [2a]
CNAME_CONFLICT_MSG = "An A, AAAA, or CNAME record with that host already exists."
CNAME_EXISTS = 81054  # [2c]
CNAME_EXISTS_MSG = (
    "A CNAME record with that host already exists. For more details, refer to "
    "<https://developers.cloudflare.com/dns/manage-dns-records/troubleshooting/records-with-same-name/>."
)
INVALID_A = 9005  # [3] top level, no wrapper
INVALID_A_MSG = "Content for A record must be a valid IPv4 address."
INVALID_AAAA = 9006  # [4]
INVALID_AAAA_MSG = "Content for AAAA record must be a valid IPv6 address."
REQUIRED_FIELD = 9100  # [5a] "priority is a required field." (reused for every required field)
BAD_PRIORITY = 9008  # [5a, older form]
BAD_PRIORITY_MSG = "Invalid priority, priority must be set and be between 0 and 65535"
MX_IS_IP = 9009  # [5b]
MX_IS_IP_MSG = (
    "Change the content of your MX record to be a hostname (and not an IP address). For more details, "
    "refer to <https://developers.cloudflare.com/dns/manage-dns-records/how-to/email-records/#add-mx-records>."
)
NOT_PROXIABLE = 9004  # [7]
NOT_PROXIABLE_MSG = "This kind of record cannot be proxied"
BAD_TTL = 9021  # [8]
BAD_TTL_MSG = "TTL must be between {low} and 86400 seconds, or 1 for Automatic."
RECORD_NOT_FOUND = 81044  # [9] 404
RECORD_NOT_FOUND_MSG = "Record does not exist."
INVALID_ZONE = 1001  # message quoted in terraform-provider-cloudflare#192 (for pagerules, HTTP 400)
INVALID_ZONE_MSG = "Invalid zone identifier"

# --- chosen (no quoted real answer; see the package docstring) -----------------------------------------
INVALID_CONTENT = 9007  # wrapped in 1004: "Content for <TYPE> record is invalid."
INVALID_TYPE = 9000  # wrapped in 1004
TXT_TOO_LONG = 9102  # wrapped in 1004 (facts #6b: refused, the real code unknown)
COMMENT_TOO_LONG = (
    9313  # wrapped in 1004 (code and message observed: docs/cloudflare-limits.md; wrapper inferred)
)
COMMENT_TOO_LONG_MSG = "DNS record comment exceeds the maximum length of {limit} characters."
BAD_COMMENT = 9314  # wrapped in 1004: a line break in a comment (documented refusal, code unknown)
BAD_COMMENT_MSG = "DNS record comment cannot contain newline or carriage return characters."
BAD_TAG = 9315  # wrapped in 1004: a tag name outside letters, digits, - and _ (documented, code unknown)
BAD_TAG_MSG = "DNS record tag {tag!r} is invalid."
NS_CONFLICT = 81056  # non-NS record where a delegation (NS) exists
NS_BESIDE_OTHERS = 81055  # NS record where other records exist
NS_CONFLICT_MSG = "NS records with that host already exist."
NS_BESIDE_OTHERS_MSG = (
    "A record with that host already exists. NS records cannot share a name with other records."
)
READ_ONLY = 81046  # edit/delete of a read-only or app-managed record
READ_ONLY_MSG = "This record is managed by Cloudflare or an app and is read-only."
BATCH_TOO_LARGE = 81070
BAD_BODY = 9207
BAD_BODY_MSG = "Request body is invalid."
BAD_PARAM = 1002
INTERNAL = 10001
INTERNAL_MSG = "Internal Server Error"
METHOD_NOT_ALLOWED = 10405


class ApiError(Exception):
    """An error answer: HTTP status plus one v4 ``errors[]`` entry (optionally with an ``error_chain``)."""

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        chain: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.chain = chain
        self.headers = headers or {}

    def error(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.chain:
            err["error_chain"] = self.chain
        return err

    def prefixed(self, where: str) -> ApiError:
        """The same error, its message naming the batch operation that failed (e.g. ``posts[3]``)."""
        return ApiError(self.status, self.code, f"{where}: {self.message}", self.chain, self.headers)


def validation(code: int, message: str) -> ApiError:
    """A ``400 1004 DNS Validation Error`` wrapping the specific cause in ``error_chain`` (facts #5, #7, #8)."""
    return ApiError(400, DNS_VALIDATION, DNS_VALIDATION_MSG, [{"code": code, "message": message}])


def required(field: str) -> ApiError:
    return validation(REQUIRED_FIELD, f"{field} is a required field.")


def invalid_content(rtype: str, detail: str | None = None) -> ApiError:
    msg = f"Content for {rtype} record is invalid."
    if detail:
        msg = f"{msg} {detail}"
    return validation(INVALID_CONTENT, msg)


# --- Workers (facts W4, W6, W9) --------------------------------------------------------------------------
AUTH_ERROR = 10000  # [13, W9] 403: the token lacks the permission (e.g. Account › Workers Scripts Edit)
AUTH_ERROR_MSG = "Authentication error"
WORKER_NAME = 10016  # [W4] invalid Worker name
WORKER_NAME_MSG = (
    "Invalid Worker name. Worker names may contain lowercase letters, digits, dashes and underscores, "
    "must not start or end with a dash, and are at most 63 characters long."
)
WORKER_VALIDATION = 10021  # [W4] SyntaxError, throwing top level, main module missing
WORKER_BODY = 10026  # [W4] request body not parseable
WORKER_BODY_MSG = "Could not parse request body: expected multipart/form-data with a metadata part."
WORKER_TOO_LARGE = 10027  # [W4] over the size limit
WORKER_NO_HANDLERS = 10068  # [W4]
WORKER_NO_HANDLERS_MSG = "No event handlers were registered. This script does nothing."
DOMAIN_CONFLICT = 100117  # [W6] 409
DOMAIN_IN_USE = 100116  # [W11] 409: the hostname is bound to another Worker
# chosen (no quoted answer): unknown script, unknown custom domain, hostname outside the account's zones
WORKER_NOT_FOUND = 10007
WORKER_NOT_FOUND_MSG = "This Worker does not exist on your account."
DOMAIN_NOT_FOUND = 100114
CERT_PACK_NOT_FOUND = 1404  # chosen: no real answer quoted
CERT_PACK_NOT_FOUND_MSG = "Certificate pack not found."
DOMAIN_NOT_FOUND_MSG = "Domain not found."
DOMAIN_NO_ZONE = 100118
