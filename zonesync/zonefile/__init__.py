"""Zone files: `zones/<zone>.yaml` read with line numbers into typed, canonical records.

Holds the YAML reader, the v1 loader, record values (rdata), Cloudflare's name rules and where zone files
are. Pure logic: imports only `zonesync.model`, `zonesync.errors` and libraries (never plan, mail,
cloudflare, run, verify, render or cli)."""
