"""Every exit code zonesync returns, in one place (documented in docs/zone-file.md, the README and `--help`)."""

OK = 0
"""Success; with `plan --exit-code`: no changes."""
ERROR = 1
"""Bad input, rejected token, API failure."""
CHANGES = 2
"""`plan --exit-code` found changes."""
STALE = 3
"""A saved plan was refused: the live zone changed since, or the plan file was altered."""
UNSAFE = 4
"""Refused as unsafe: too many deletes/updates for the safety threshold (see `--force`)."""
VERIFY_FAILED = 5
"""`verify`: a check failed (with `--strict`, also a warning)."""
REPORTS_FAILED = 5
"""`reports`: a domain's DMARC or TLS failures are above the threshold (`--threshold`)."""

HELP = """\b
Exit codes:
  0  success (with plan --exit-code: no changes)
  1  error: bad input, rejected token, API failure
  2  plan --exit-code: there are changes
  3  a saved plan was refused as stale or altered
  4  refused as unsafe (change threshold; see --force)
  5  verify: a check failed (with --strict, also a warning);
     reports: failures above the threshold"""
