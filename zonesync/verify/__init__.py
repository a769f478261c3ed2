"""`zonesync verify`: checks that mail works as the world sees it (DNS on the wire, MTA-STS over HTTPS,
the MX over SMTP). Needs no API token."""
