"""`zonesync verify`: checks that mail works as the world sees it (DNS on the wire, MTA-STS over HTTPS,
the MX over SMTP). Needs no API token.

Imports the model, zonefile, mail, plan (the desired records) and cloudflare (only to read a Worker
certificate's state when a token is given); never run, reports, render or cli (run's DKIM rotation asks
verify whether a key is served).
"""
