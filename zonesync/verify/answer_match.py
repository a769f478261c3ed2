"""Is a DNS response an answer to its question? What a stub resolver keeps of it, and nothing else.

A response whose ID and question section match the query (`dns.message.Message.is_response`, checked where it
is received) may still carry records for other names: `evil.example. TXT` in answer to `_dmarc.v.test TXT?`.
The answer is the record set of the question's owner name, type and class, reached from the question through
the CNAME chain inside the answer section — dnspython's `Message.resolve_chaining` follows it, as its own stub
resolver (`dns.resolver.Answer`) does. A record set that chain does not reach (another owner, type or class)
is not part of any answer to this question, so the response is refused as a whole, naming what it held:
a server that mixes foreign records into its answers is not to be believed about the others either.
Tolerated beside the chain: a DNAME above a name of it (its synthesised CNAME is on the chain) and the RRSIGs
of the chain's names. Pure: dnspython only.
"""

from __future__ import annotations

from dataclasses import dataclass

import dns.exception
import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class Mismatch(Exception):
    """The response is not an answer to its question; the message says why, in one line."""


@dataclass(frozen=True)
class Matched:
    rrset: dns.rrset.RRset | None
    """The question's type and class at the end of the chain; None: not in this response."""
    canonical: dns.name.Name
    """Where the CNAME chain inside the response ends (the question's name when there is none)."""
    followed: bool
    """Whether a CNAME was followed: with no `rrset`, the chain goes on outside this response."""


def _text(rrset: dns.rrset.RRset) -> str:
    return f"{rrset.name.to_text()} {dns.rdataclass.to_text(rrset.rdclass)} {dns.rdatatype.to_text(rrset.rdtype)}"


def match(msg: dns.message.Message) -> Matched:
    """The answer of `msg` to its one question. Raises Mismatch: a record set off the chain, a chain too long,
    NXDOMAIN with an answer, or not a response to one question."""
    if not isinstance(msg, dns.message.QueryMessage):  # another opcode (UPDATE, NOTIFY): not an answer
        raise Mismatch("it is not a response to one question")
    try:
        chain = msg.resolve_chaining()
    except dns.message.ChainTooLong as exc:
        raise Mismatch("its CNAME chain is longer than a resolver follows") from exc
    except dns.message.AnswerForNXDOMAIN as exc:
        raise Mismatch("it says NXDOMAIN and gives an answer") from exc
    except (dns.message.NotQueryResponse, dns.exception.FormError) as exc:
        raise Mismatch("it is not a response to one question") from exc
    question = msg.question[0]
    on_chain = [question.name, *(rd.target for cname in chain.cnames for rd in cname)]
    kept = [chain.answer, *chain.cnames]
    for rrset in msg.answer:
        if any(rrset is k for k in kept):
            continue
        if rrset.rdclass == question.rdclass and (
            (rrset.rdtype == dns.rdatatype.DNAME and any(n.is_subdomain(rrset.name) for n in on_chain))
            or (rrset.rdtype == dns.rdatatype.RRSIG and rrset.name in on_chain)
        ):
            continue
        asked = f"{question.name.to_text()} {dns.rdataclass.to_text(question.rdclass)} "
        asked += dns.rdatatype.to_text(question.rdtype)
        raise Mismatch(f"it holds {_text(rrset)}, which is not part of an answer to {asked}")
    return Matched(chain.answer, chain.canonical_name, bool(chain.cnames))
