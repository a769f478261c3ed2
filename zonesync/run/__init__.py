"""The run: reading zone files, the early reads, the parse process, the provider, planning, applying
and the outcome of each zone. The command layer parses options, calls this and renders.

Orchestration: may import everything below it (model, zonefile, mail, plan, cloudflare); never render or
cli."""
