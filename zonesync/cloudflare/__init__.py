"""Cloudflare, spoken to through the official SDK: zones, record listings, batches, Workers, the
accounts file, API tokens and the client-side rate limit.

The I/O edge: imports the model, `zonesync.zonefile` and `zonesync.plan`; never run, verify, render or cli."""
