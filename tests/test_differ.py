"""The differ: pure, deterministic, minimal; apply(plan(desired, live)) == desired."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st
from zone_model import apply_changes

from zonesync.model import IgnoreRule, Record
from zonesync.plan.differ import diff

Z = "example.com"


def rec(name: str, rtype: str, value: str, ttl: int = 300, rid: str | None = None, **kw) -> Record:
    return Record(
        name,
        rtype,
        value,
        ttl,
        kw.pop("proxied", False if rtype in ("A", "AAAA", "CNAME") else None),
        id=rid,
        **kw,
    )


def test_no_changes_when_equal() -> None:
    live = [rec("example.com", "A", "1.2.3.4", rid="1")]
    assert diff([rec("example.com", "A", "1.2.3.4")], live, Z).changes == ()


def test_changed_value_becomes_update_keeping_id() -> None:
    live = [rec("a.example.com", "A", "1.1.1.1", rid="id1"), rec("a.example.com", "A", "2.2.2.2", rid="id2")]
    desired = [rec("a.example.com", "A", "2.2.2.2"), rec("a.example.com", "A", "3.3.3.3")]
    (change,) = diff(desired, live, Z).changes
    assert change.action == "update"
    assert change.before is not None and change.before.id == "id1"
    assert change.after is not None and change.after.id == "id1" and change.after.value == "3.3.3.3"


def test_settings_change_is_update() -> None:
    live = [rec("a.example.com", "TXT", "hi", ttl=300, rid="x")]
    desired = [rec("a.example.com", "TXT", "hi", ttl=600, comment="new")]
    (change,) = diff(desired, live, Z).changes
    assert change.action == "update"
    assert [f for f, _, _ in change.changed_fields()] == ["ttl", "comment"]


def test_type_change_is_delete_and_create_in_batch_order() -> None:
    live = [rec("www.example.com", "A", "1.2.3.4", rid="a")]
    desired = [rec("www.example.com", "CNAME", "example.com.")]
    actions = [c.action for c in diff(desired, live, Z).changes]
    assert sorted(actions) == ["create", "delete"]


def test_ignore_rules_protect_live_records() -> None:
    live = [
        rec("_acme-challenge.example.com", "TXT", "token", rid="1"),
        rec("_acme-challenge.shop.example.com", "TXT", "token", rid="2"),
        rec("_acme-challenge.example.com", "A", "1.2.3.4", rid="3"),
    ]
    result = diff([], live, Z, [IgnoreRule("_acme-challenge*", ("TXT",))])
    assert [c.before.id for c in result.changes if c.before] == ["3"]
    assert {r.id for r in result.ignored} == {"1", "2"}


def test_apex_ignore_uses_at() -> None:
    live = [rec("example.com", "TXT", "google-site-verification=x", rid="1")]
    assert diff([], live, Z, [IgnoreRule("@", ("TXT",))]).changes == ()


def test_output_order_is_stable() -> None:
    live = [rec(f"h{i}.example.com", "A", f"10.0.0.{i}", rid=str(i)) for i in range(20)]
    desired = [rec(f"h{i}.example.com", "A", f"10.0.1.{i}") for i in range(0, 20, 2)]
    first = diff(desired, live, Z).changes
    second = diff(list(reversed(desired)), list(reversed(live)), Z).changes
    assert first == second
    assert [c.name for c in first] == sorted((c.name for c in first), key=lambda n: n.split(".")[::-1])


names = st.sampled_from([Z, f"a.{Z}", f"b.{Z}", f"c.d.{Z}"])
types_values = st.one_of(
    st.tuples(st.just("A"), st.sampled_from(["1.1.1.1", "2.2.2.2", "3.3.3.3"])),
    st.tuples(st.just("TXT"), st.sampled_from(["one", "two", "v=spf1 -all"])),
    st.tuples(st.just("MX"), st.sampled_from(["10 mx.example.com.", "20 mx2.example.com."])),
)
records = st.builds(
    lambda n, tv, ttl, comment: rec(n, tv[0], tv[1], ttl=ttl, comment=comment),
    names,
    types_values,
    st.sampled_from([1, 300, 3600]),
    st.sampled_from([None, "note"]),
)


def unique(recs: list[Record]) -> list[Record]:
    seen, out = set(), []
    for r in recs:
        if (r.name, r.type, r.value) not in seen:
            seen.add((r.name, r.type, r.value))
            out.append(r)
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(records, max_size=12), st.lists(records, max_size=12))
def test_apply_of_diff_reaches_desired(desired: list[Record], live: list[Record]) -> None:
    desired = unique(desired)
    live = [
        Record(r.name, r.type, r.value, r.ttl, r.proxied, r.comment, r.tags, id=f"id{i}")
        for i, r in enumerate(unique(live))
    ]
    result = diff(desired, live, Z)
    after = apply_changes(live, result.changes)
    assert Counter(after) == Counter(desired)
    # minimal: nothing changes for records already right, and no create+delete pair inside one (name, type)
    keys = Counter((c.name, c.type, c.action) for c in result.changes)
    for name, rtype, action in keys:
        if action == "create":
            assert (name, rtype, "delete") not in keys
    assert diff(desired, after, Z).changes == ()


def _reference_diff(desired: list[Record], live: list[Record]) -> list[tuple]:
    """Every (name, type) group through `_diff_group`, none through the one-record shortcut of `diff`."""
    from collections import defaultdict

    from zonesync.plan.differ import _diff_group

    groups: dict[tuple[str, str], tuple[list[Record], list[Record]]] = defaultdict(lambda: ([], []))
    for r in desired:
        groups[(r.name, r.type)][0].append(r)
    for r in live:
        groups[(r.name, r.type)][1].append(r)
    changes = [c for key in sorted(groups) for c in _diff_group(*groups[key])]
    changes.sort(key=lambda c: c.sort_key())
    return [_ids(c) for c in changes]


def _ids(change) -> tuple:
    return (change, change.before and change.before.id, change.after and change.after.id)


@settings(max_examples=300, deadline=None)
@given(st.lists(records, max_size=12), st.lists(records, max_size=12), st.booleans())
def test_single_record_shortcut_agrees_with_the_group_diff(
    desired: list[Record], live: list[Record], pending: bool
) -> None:
    """`diff` compares one desired and one live record with the same value directly (the commonest case),
    and walks the names in no particular order; the changes, ids and their order included, are those of the
    general group diff over the (name, type) groups in order. Live records may repeat a value (an answer
    Cloudflare should not give, but the differ still must be deterministic about)."""
    desired = [
        Record(r.name, r.type, r.value, r.ttl, r.proxied, r.comment, r.tags, pending=pending and i == 0)
        for i, r in enumerate(unique(desired))
    ]
    live = [
        Record(r.name, r.type, r.value, r.ttl, r.proxied, r.comment, r.tags, id=f"id{i}")
        for i, r in enumerate(live)
    ]
    assert [_ids(c) for c in diff(desired, live, Z).changes] == _reference_diff(desired, live)
