"""The receivers' own reports: DMARC aggregate reports (RFC 9990, and RFC 7489 Appendix C) and SMTP TLS
reports (RFC 8460), read from files, directories and a Maildir, and summarised per domain.

One module per job: `unpack` (bounded reading and decompression), `messages` (report attachments in
mail), `dmarc` and `tlsrpt` (parsing into the frozen values of `model`), `collect` (walking the paths,
deduplicating), `zonefacts` (what the zone files say about senders), `causes` and `analysis` (pure:
what failed and why), `reverse` (optional, bounded reverse DNS).

Imports: verify (its resolver, for reverse names) and everything below it; never render or cli.
"""
