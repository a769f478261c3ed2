"""The certificate of a Workers custom domain, read through the official SDK with the run's API token.

Cloudflare issues a custom domain's certificate itself, and that takes minutes (facts W5, W12): until then a
TLS handshake for the hostname fails. The certificate is an advanced certificate pack whose id is the custom
domain's `cert_id` (cloudflare-docs#31644); `GET /zones/{zone_id}/ssl/certificate_packs/{id}` gives its
status (docs `ssl/reference/certificate-statuses`: initializing, pending_validation, pending_issuance,
pending_deployment, active, ...). Calls: `zones.list(name=)`, `workers.domains.list(hostname=)`,
`ssl.certificate_packs.get`.
"""

from __future__ import annotations

import cloudflare

STATUSES = frozenset(
    {
        "initializing",
        "pending_validation",
        "pending_issuance",
        "pending_deployment",
        "active",
        "expired",
        "initializing_timed_out",
        "validation_timed_out",
        "issuance_timed_out",
        "deployment_timed_out",
        "holding_deployment",
    }
)
"""The statuses reported as they are; anything else (not a status Cloudflare documents) reads as unknown."""


def custom_domain_certificate(token: str, zone: str, hostname: str, timeout: float) -> str | None:
    """The status of the certificate of the Workers custom domain at `hostname` in `zone` (the base URL
    from CLOUDFLARE_BASE_URL, as the SDK reads it), or None when it cannot be told: no such custom domain,
    an API error, an answer of another shape. Never raises for what the API answers."""
    client = cloudflare.Cloudflare(api_token=token, max_retries=1, timeout=timeout)
    try:
        found = [z for z in client.zones.list(name=zone, per_page=5).result if z.name == zone]
        if len(found) != 1 or found[0].account is None or not found[0].account.id:
            return None
        domains = client.workers.domains.list(account_id=found[0].account.id, hostname=hostname)
        domain = next((d for d in domains if d.hostname == hostname), None)
        if domain is None or not isinstance(domain.cert_id, str) or not isinstance(domain.zone_id, str):
            return None
        pack = client.ssl.certificate_packs.get(domain.cert_id, zone_id=domain.zone_id)
        status = getattr(pack, "status", None)
        return status if status in STATUSES else None
    except (cloudflare.APIError, AttributeError, TypeError, ValueError):
        return None
    finally:
        client.close()
