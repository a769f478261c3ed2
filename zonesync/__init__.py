"""zonesync: DNS-as-code for Cloudflare, built for people who run their own mail server."""

__version__ = "0.1.0"
