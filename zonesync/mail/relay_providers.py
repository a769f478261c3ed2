"""The outbound relays (smarthosts) `mail.relay:` knows: where each provider's DNS records and SMTP endpoint
come from, as its own documentation states them. Pure data; `relay` expands it.

Each provider's records are golden-tested in `tests/golden/relay/<provider>.json`, which quotes the page (URL
and date read) the records come from. An SPF include's lookup cost is recorded here with its source, so the
10-lookup limit (RFC 7208 §4.6.4) can be counted offline; `verify` walks the real tree.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SpfInclude:
    domain: str
    """`include:<domain>`."""
    cost: int
    """DNS lookups the term costs in total: the include itself plus every lookup inside it."""
    source: str
    """Where the cost comes from."""


@dataclass(frozen=True)
class Provider:
    name: str
    title: str
    dns_doc: str
    """The provider's page with the DNS records (quoted by the golden file)."""
    smtp_doc: str
    """The provider's page with the SMTP endpoint and ports."""
    smtp_host: str
    """The submission host; `{region}` is replaced by `mail.relay.region`."""
    port: int = 587
    """587: STARTTLS (RFC 3207); 465: implicit TLS (RFC 8314)."""
    regions: tuple[str, ...] = ()
    """Accepted `region:` values (empty: the provider has no regions)."""
    default_region: str | None = None
    spf: SpfInclude | None = None
    """The include receivers evaluate for the provider's envelope sender (where that is in the zone)."""
    return_path: str | None = None
    """The default return-path (envelope sender) label in the zone; None: the provider's own domain."""
    return_path_cname: str | None = None
    """The CNAME target of the return-path label (the provider serves its SPF and bounce MX there)."""
    dkim_cname: str | None = None
    """The DKIM CNAME target template ({token} / {selector}); None: a TXT key the provider gives."""
    required: tuple[str, ...] = ()
    """`mail.relay` keys the provider needs (what its dashboard gives you)."""


SES_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1", "eu-west-1", "eu-west-2",
    "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "ap-south-1", "ap-northeast-1",
    "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "il-central-1",
    "me-south-1", "me-central-1", "af-south-1", "us-gov-west-1", "us-gov-east-1",
)  # fmt: skip
"""Regions with an SES SMTP endpoint (AWS General Reference, "Amazon Simple Email Service endpoints")."""

PROVIDERS: dict[str, Provider] = {
    "ses": Provider(
        name="ses",
        title="Amazon SES",
        dns_doc="https://docs.aws.amazon.com/ses/latest/dg/mail-from.html",
        smtp_doc="https://docs.aws.amazon.com/ses/latest/dg/smtp-connect.html",
        smtp_host="email-smtp.{region}.amazonaws.com",
        regions=SES_REGIONS,
        spf=SpfInclude(
            "amazonses.com",
            1,
            "the include itself; AWS states no nested count "
            "(https://docs.aws.amazon.com/ses/latest/dg/send-email-authentication-spf.html): `verify` counts the live tree",
        ),
        return_path="bounce",
        dkim_cname="{token}.dkim.amazonses.com",
        required=("region", "dkim_tokens"),
    ),
    "mailgun": Provider(
        name="mailgun",
        title="Mailgun",
        dns_doc="https://documentation.mailgun.com/docs/mailgun/user-manual/domains/domains-verify.md",
        smtp_doc="https://documentation.mailgun.com/docs/mailgun/user-manual/smtp-protocol/smtp-relay.md",
        smtp_host="{region}",
        regions=("us", "eu"),
        default_region="us",
        spf=SpfInclude(
            "mailgun.org",
            1,
            'https://mxio.io/providers/mailgun (third-party: "uses 1 DNS lookup"; Mailgun\'s own page gives '
            "no count; `verify` counts the live tree)",
        ),
        return_path="mg",
        required=("dkim_selector", "dkim_key"),
    ),
    "postmark": Provider(
        name="postmark",
        title="Postmark",
        dns_doc="https://postmarkapp.com/blog/introducing-full-dmarc-support-with-custom",
        smtp_doc="https://postmarkapp.com/support/article/811-what-are-the-smtp-details-credentials-i-should-be-using",
        smtp_host="smtp.postmarkapp.com",
        return_path="pm-bounces",
        return_path_cname="pm.mtasv.net",
        required=("dkim_selector", "dkim_key"),
    ),
    "smtp2go": Provider(
        name="smtp2go",
        title="SMTP2GO",
        dns_doc="https://support.smtp2go.com/hc/en-gb/articles/28543815517209-SPF-DKIM-and-DMARC",
        smtp_doc="https://developers.smtp2go.com/docs/smtp-relay",
        smtp_host="mail.smtp2go.com",
        return_path_cname="return.smtp2go.net",
        dkim_cname="dkim.smtp2go.net",
        required=("return_path", "dkim_selector"),
    ),
    "brevo": Provider(
        name="brevo",
        title="Brevo",
        dns_doc="https://developers.brevo.com/docs/domain-authentication-and-verification",
        smtp_doc="https://developers.brevo.com/docs/smtp-integration",
        smtp_host="smtp-relay.brevo.com",
        required=("code", "dkim_key"),
    ),
    "custom": Provider(
        name="custom",
        title="a relay you name",
        dns_doc="",
        smtp_doc="",
        smtp_host="",
        required=("host",),
    ),
}
PROVIDER_NAMES = tuple(PROVIDERS)

MAILGUN_HOSTS = {"us": "smtp.mailgun.org", "eu": "smtp.eu.mailgun.org"}
"""Mailgun's SMTP host per region (its SMTP relay page; EU accounts use the EU host)."""


def smtp_host(provider: Provider, region: str | None) -> str:
    """The submission host for `provider` in `region`."""
    if provider.name == "mailgun":
        return MAILGUN_HOSTS[region or "us"]
    return provider.smtp_host.format(region=region or provider.default_region or "")
