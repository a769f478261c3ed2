"""The DMARC rollout: `mail.dmarc.policy` steps from none to quarantine to reject (RFC 9989 §5.5, "Domain
Owner Actions": start at p=none with reports, step up once the reports show every legitimate source
authenticating). Pure: given the served record's tags and, when available, what the receivers' aggregate
reports say, the next step and what to check before taking it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

STEPS = ("none", "quarantine", "reject")

CHECKLIST = (
    "every server that sends mail as {zone} is allowed by SPF and signs with a DKIM key of {zone}",
    "aggregate reports (rua=) have arrived for at least a few weeks and show that mail passing DMARC",
    "mail sent for you by others (newsletters, ticketing, invoices) is signed with your domain",
)


@dataclass(frozen=True)
class Aligned:
    """What the aggregate reports say about one domain: messages, and how many passed DMARC."""

    messages: int
    passed: int

    @property
    def share(self) -> float:
        return self.passed / self.messages if self.messages else 0.0


def next_policy(policy: str) -> str | None:
    """The step after `policy` (None after reject, or for a value that is not a policy)."""
    if policy not in STEPS or policy == STEPS[-1]:
        return None
    return STEPS[STEPS.index(policy) + 1]


def advice(zone: str, tags: Mapping[str, str], aligned: Aligned | None) -> str | None:
    """One line: where the rollout stands and what to check before the next step; None at p=reject (the
    end), or when the record has no valid policy (its own check says so)."""
    policy = tags.get("p", "none")
    testing = tags.get("t") == "y"
    if policy not in STEPS:
        return None
    if testing:
        head = f"p={policy} with t=y: receivers do not apply the policy yet; next: remove `testing: true`"
    else:
        step = next_policy(policy)
        if step is None:
            return None
        head = f"rollout at p={policy}; next: `policy: {step}`"
    if aligned is None:
        checks = "; ".join(f"({i}) {c.format(zone=zone)}" for i, c in enumerate(CHECKLIST, 1))
        return f"{head}. No reports were given (--reports), so check before stepping up: {checks}"
    if not aligned.messages:
        return f"{head}. The reports given cover no mail from {zone}: wait for reports before stepping up"
    share = f"{aligned.share * 100:.1f}% of {aligned.messages:,} messages"
    if aligned.passed == aligned.messages:
        return f"{head}. Reports show {share} aligned (DMARC pass): ready to step up"
    return (
        f"{head}. Reports show {share} aligned (DMARC pass): before stepping up, make sure the failing "
        f"sources (`zonesync reports` lists them) are not yours, or fix them"
    )
