"""The run: reading zone files, the provider (`provider.Provider`, the shape the run asks of it), planning,
applying and the outcome of each zone (`session` strings them together). The command layer parses
options, calls this and renders; progress and notices reach it through plain callables. A module only
some runs need is imported inside the step that needs it, so a command loads only what it uses.

Orchestration: may import everything below it (model, zonefile, mail, plan, cloudflare); never render or
cli."""
