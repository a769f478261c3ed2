"""zonesync/plan/worker.py: the Worker's diff, fingerprint and apply order (pure)."""

from __future__ import annotations

from zonesync.mail.mta_sts_worker import TAG, DesiredWorker, Domain, LiveWorkers, Script
from zonesync.model import Record
from zonesync.plan.model import Change, WorkerChange
from zonesync.plan.worker import diff, fingerprint, holding_the_name, order, scripts_to_read, split_dns

HOST = "mta-sts.example.com"
WANT = DesiredWorker(Script("mta-sts-example-com", "v2"), HOST)


def live(domain: Domain | None = None, *scripts: Script) -> LiveWorkers:
    return LiveWorkers(HOST, domain, scripts)


def ours(name: str = "mta-sts-example-com", content: str = "v1") -> Script:
    return Script(name, content, etag="e-" + content, tags=(TAG,))


def kinds(changes) -> list[tuple[str, str, str]]:
    return [(c.action, c.kind, c.name) for c in changes]


def test_nothing_live_creates_script_then_domain():
    assert kinds(diff(WANT, live())) == [
        ("create", "script", "mta-sts-example-com"),
        ("create", "domain", HOST),
    ]


def test_in_sync_is_no_change():
    domain = Domain(HOST, "mta-sts-example-com", "d1")
    assert diff(WANT, live(domain, ours(content="v2"))) == ()


def test_changed_content_or_missing_tag_is_an_update():
    domain = Domain(HOST, "mta-sts-example-com", "d1")
    [change] = diff(WANT, live(domain, ours(content="v1")))
    assert (change.action, change.kind) == ("update", "script") and change.after == WANT.script
    untagged = Script("mta-sts-example-com", "v2", tags=())
    assert kinds(diff(WANT, live(domain, untagged))) == [("update", "script", "mta-sts-example-com")]


def test_renamed_script_repoints_the_domain_and_deletes_the_old_one():
    domain = Domain(HOST, "old-name", "d1")
    changes = diff(WANT, live(domain, ours("old-name")))
    assert kinds(changes) == [
        ("create", "script", "mta-sts-example-com"),
        ("update", "domain", HOST),
        ("delete", "script", "old-name"),
    ]
    assert changes[1].after == Domain(HOST, "mta-sts-example-com") and changes[1].after.id == "d1"


def test_someone_elses_script_is_repointed_not_deleted():
    domain = Domain(HOST, "hand-made", "d1")
    assert kinds(diff(WANT, live(domain, Script("hand-made", "x")))) == [
        ("create", "script", "mta-sts-example-com"),
        ("update", "domain", HOST),
    ]


def test_setting_removed_deletes_only_what_zonesync_made():
    domain = Domain(HOST, "mta-sts-example-com", "d1")
    assert kinds(diff(None, live(domain, ours()))) == [
        ("delete", "domain", HOST),
        ("delete", "script", "mta-sts-example-com"),
    ]
    assert diff(None, live(domain, Script("mta-sts-example-com", "x"))) == ()  # not tagged: not ours
    assert diff(None, live()) == ()


def test_scripts_to_read():
    assert scripts_to_read(WANT, None) == ("mta-sts-example-com",)
    assert scripts_to_read(WANT, Domain(HOST, "old", "d")) == ("mta-sts-example-com", "old")
    assert scripts_to_read(None, None) == ()


def test_fingerprint_sees_every_edit():
    domain = Domain(HOST, "mta-sts-example-com", "d1")
    base = fingerprint(live(domain, ours()))
    assert fingerprint(live(domain, ours())) == base
    assert fingerprint(live(domain, ours(content="edited"))) != base
    assert fingerprint(live(domain, Script("mta-sts-example-com", "v1", etag="other", tags=(TAG,)))) != base
    assert fingerprint(live(Domain(HOST, "mta-sts-example-com", "d2"), ours())) != base
    assert fingerprint(live(None, ours())) != base


def test_order_deploys_script_first_and_removes_domain_first():
    s, d = ours(), Domain(HOST, "mta-sts-example-com", "d1")
    deploy = [WorkerChange("create", "domain", after=d), WorkerChange("create", "script", after=s)]
    assert [c.kind for c in order(deploy)] == ["script", "domain"]
    remove = [WorkerChange("delete", "script", before=s), WorkerChange("delete", "domain", before=d)]
    assert [c.kind for c in order(remove)] == ["domain", "script"]


def rec(name: str, rtype: str, value: str) -> Record:
    return Record(name, rtype, value)


def test_split_dns_when_attaching():
    a_at_host = Change("delete", before=rec(HOST, "A", "192.0.2.1"))
    txt = Change("create", after=rec("_mta-sts.example.com", "TXT", "v=STSv1; id=1"))
    other = Change("create", after=rec("www.example.com", "A", "192.0.2.2"))
    attach = [WorkerChange("create", "domain", after=Domain(HOST, "s"))]
    first, rest = split_dns([txt, a_at_host, other], attach, HOST, "_mta-sts.example.com")
    assert first == (a_at_host,) and rest == (txt, other)


def test_split_dns_when_detaching():
    txt = Change("delete", before=rec("_mta-sts.example.com", "TXT", "v=STSv1; id=1"))
    new_a = Change("create", after=rec(HOST, "A", "192.0.2.1"))
    detach = [WorkerChange("delete", "domain", before=Domain(HOST, "s", "d1"))]
    first, rest = split_dns([txt, new_a], detach, HOST, "_mta-sts.example.com")
    assert first == (txt,) and rest == (new_a,)
    update = [WorkerChange("update", "script", before=ours(), after=ours(content="v2"))]
    assert split_dns([txt, new_a], update, HOST, "_mta-sts.example.com") == ((), (txt, new_a))


def test_holding_the_name():
    unmanaged = [(HOST, "A", "192.0.2.1"), (HOST, "TXT", "x"), ("www.example.com", "A", "192.0.2.2")]
    assert holding_the_name(HOST, unmanaged) == [(HOST, "A", "192.0.2.1")]
