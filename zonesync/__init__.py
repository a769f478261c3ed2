"""zonesync: DNS-as-code for Cloudflare, built for people who run their own mail server.

The packages, in the order a record travels (docs/architecture.md gives the layers and what each may
import): `zonefile` reads zone files into typed records, `mail` expands the mail block, `plan` builds the
desired zone, diffs it and saves plans, `cloudflare` speaks to the API, `verify` checks what the world
sees, `run` orchestrates a plan or an apply (`reports` reads the receivers' reports), `render` shows
results and `cli` is the command line. `model` and `errors` are the values and errors they share, `base`
the helpers every layer may use; `emulator` stands apart, a local Cloudflare API.
"""

__version__ = "0.1.0"
