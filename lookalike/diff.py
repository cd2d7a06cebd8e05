"""What changed between two scans: new, gone, changed and escalated lookalikes. PURE.

Takes two ``ScanResult``s and what the store knows besides (triage marks, names that flap, the
current scan's absent names) and returns ``Changes``. No I/O and no clock: "expires soon" is judged
against the current scan's start time, so the same two scans always give the same answer.

Three answers, never two: a name that is *unknown* now (a timeout, a SERVFAIL) is never gone, and a
fact that one of the two scans could not establish (an RDAP timeout, a DNS question listed in
``DnsFacts.problems``, a probe that was not run) is never reported as added or removed.

Every ``Change.what`` line is a sentence for a person. Lines fall in three groups the functions
below tell apart by their opening words: mail-route facts ("MX added: ...", "mail route ..."),
which the orchestrator re-checks once before alerting; notes ("level ...", "was unknown ...",
"first scan of ...", "triaged ..."), which are not facts; and every other fact.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final
from urllib.parse import urlsplit

from lookalike.model import (
    Change,
    ChangeKind,
    Changes,
    DnsFacts,
    Existence,
    Finding,
    Level,
    MailRoute,
    Registration,
    ScanInfo,
    ScanResult,
    SmtpFacts,
    Status,
    TriageMark,
    Verdict,
    VisualFacts,
    WebFacts,
)
from lookalike.text import clean

EXPIRY_WARNING: Final = timedelta(days=30)
"""A registration ending within this long of the scan is worth a line ("expires soon")."""

NOTABLE_EPP: Final = (
    "pendingDelete",
    "redemptionPeriod",
    "pendingTransfer",
    "clientHold",
    "serverHold",
    "clientTransferProhibited",
)
"""EPP statuses whose arrival or departure a defender cares about (a name about to drop, a name
suspended, a name moving to another registrar)."""

MAX_TEXT: Final = 100
"""Hostile text (SPF records, registrar names) is cut to this many characters in a line."""

FLAP_WINDOW: Final = 4
"""Observations of a name looked back on to tell a flapping name (exists, absent, exists ...) from a
real change (``flapping``; ``lookalike.changes`` reads that many scans back from the store)."""

MAIL_ROUTE_PREFIXES: Final = ("MX added:", "MX removed:", "mail route ")
NOTE_PREFIXES: Final = ("level ", "was unknown", "first scan of ", "triaged ", "not scanned", "seen in ")

_NO_MAIL_SERVER: Final = (MailRoute.NONE, MailRoute.NULL_MX, MailRoute.DANGLING_MX)


class _Unknowable:
    """A probe result one scan could not establish (not run, or it failed)."""


_UNKNOWABLE: Final = _Unknowable()


# --- public ---------------------------------------------------------------------------------------


def compare(
    previous: ScanResult | None,
    current: ScanResult,
    *,
    triage: Mapping[str, TriageMark] | None = None,
    flapping: Collection[str] = (),
    absent: Collection[tuple[str, str]] | None = None,
) -> Changes:
    """The changes from ``previous`` (None: there is none, everything existing is new) to ``current``.

    ``absent``: the (domain, protected) pairs the current scan found absent (``Store.absent``).
    When given, a name that existed before is *gone* only if it is listed there; otherwise a name
    missing from the current findings counts as absent, unless the current scan was interrupted or
    did not cover its protected domain. ``triage``: marks by domain; a triaged name is never new,
    and is changed or escalated only when a fact differs (a level moved by new scoring rules alone
    is not enough); it is still reported gone. ``flapping``: names whose changes are left out.
    Left-out names are listed in ``Changes.suppressed``.
    """
    if previous is None:
        return compare_stream(None, (), current, triage=triage, flapping=flapping, absent=absent)
    return compare_stream(
        previous.info,
        _index(previous.findings).values(),  # the last one wins if a scan holds a name twice
        current,
        triage=triage,
        flapping=flapping,
        absent=absent,
    )


def compare_stream(
    previous: ScanInfo | None,
    before: Iterable[Finding],
    current: ScanResult,
    *,
    triage: Mapping[str, TriageMark] | None = None,
    flapping: Collection[str] = (),
    absent: Collection[tuple[str, str]] | None = None,
) -> Changes:
    """``compare`` with the previous scan given as its description and its findings ``before``,
    each name at most once, read once as they come (``Store.findings``): a large previous scan is
    never held whole next to the current one."""
    marks = triage or {}
    flaps = set(flapping)
    pending = _index(current.findings)
    before_scope = _scope(previous) if previous is not None else None
    after_scope = _scope(current.info)
    now = current.info.started
    then = previous.started if previous is not None else now
    absent_now = set(absent) if absent is not None else None

    kinds: dict[ChangeKind, list[Change]] = {kind: [] for kind in ChangeKind}
    suppressed: set[str] = set()

    def judge(protected: str, domain: str, old: Finding | None, new: Finding | None) -> None:
        now_ex: Existence | None
        if new is not None:
            now_ex = new.evidence.existence
        elif absent_now is not None:
            now_ex = Existence.ABSENT if (domain, protected) in absent_now else None
        elif not current.info.interrupted and (after_scope is None or protected in after_scope):
            now_ex = Existence.ABSENT
        else:
            now_ex = None  # not looked at this time: nothing to say
        change = _change(
            old,
            new,
            now_ex,
            domain=domain,
            protected=protected,
            first_scan=previous is not None and before_scope is not None and protected not in before_scope,
            now=now,
            then=then,
        )
        if domain in flaps:
            suppressed.add(domain)
            return
        mark = marks.get(domain)
        if mark is not None:
            reportable = change is not None and (
                change.kind is ChangeKind.GONE
                or (change.kind is not ChangeKind.NEW and any(_is_fact(w) for w in change.what))
            )
            if not reportable:
                if new is not None or old is not None:
                    suppressed.add(domain)
                return
            assert change is not None
            change = dataclasses.replace(change, what=(*change.what, _triage_note(mark)))
        if change is not None:
            kinds[change.kind].append(change)

    for old in before:
        key = (old.candidate.protected, old.candidate.domain)
        judge(*key, old, pending.pop(key, None))
    for (protected, domain), new in pending.items():
        judge(protected, domain, None, new)

    return Changes(
        previous_id=previous.id if previous is not None else None,
        current_id=current.info.id,
        new=_sorted(kinds[ChangeKind.NEW]),
        gone=_sorted(kinds[ChangeKind.GONE]),
        changed=_sorted(kinds[ChangeKind.CHANGED]),
        escalated=_sorted(kinds[ChangeKind.ESCALATED]),
        suppressed=tuple(sorted(suppressed)),
    )


def flapping(
    history: Mapping[str, Sequence[Existence]], *, window: int = FLAP_WINDOW, flips: int = 2
) -> set[str]:
    """Names that went between exists and absent at least ``flips`` times in their last ``window``
    observations (oldest first, the current scan included). Unknown observations are skipped: a
    timeout is not a flip. A name registered once (absent, exists) flips once and is not flapping."""
    out: set[str] = set()
    for name, seq in history.items():
        recent = [e for e in list(seq)[-window:] if e is not Existence.UNKNOWN]
        turns = sum(1 for a, b in itertools.pairwise(recent) if a is not b)
        if turns >= flips:
            out.add(name)
    return out


def recheck_needed(changes: Changes) -> list[str]:
    """The names whose change must be confirmed by resolving them once more before anyone is
    alerted: every new and gone name, and every name whose mail route changed."""
    names = {c.domain for c in changes.new + changes.gone}
    names |= {c.domain for c in changes.changed + changes.escalated if any(map(_is_mail_route, c.what))}
    return sorted(names)


def drop_unconfirmed(changes: Changes, confirmed: Collection[str]) -> Changes:
    """``changes`` without what the re-check did not confirm: new and gone names not in
    ``confirmed`` go, and so do the mail-route lines of changed names not in it (the change goes
    with them when no other fact is left). Whatever goes is listed as suppressed."""
    ok = set(confirmed)
    suppressed = set(changes.suppressed)

    def keep_all(items: Iterable[Change]) -> tuple[Change, ...]:
        kept = []
        for change in items:
            if change.domain in ok:
                kept.append(change)
            else:
                suppressed.add(change.domain)
        return tuple(kept)

    def keep_facts(items: Iterable[Change]) -> tuple[Change, ...]:
        kept = []
        for change in items:
            if change.domain in ok or not any(map(_is_mail_route, change.what)):
                kept.append(change)
                continue
            what = tuple(w for w in change.what if not _is_mail_route(w))
            if any(_is_fact(w) for w in what):
                kept.append(dataclasses.replace(change, what=what))
            else:
                suppressed.add(change.domain)
        return tuple(kept)

    return dataclasses.replace(
        changes,
        new=keep_all(changes.new),
        gone=keep_all(changes.gone),
        changed=keep_facts(changes.changed),
        escalated=keep_facts(changes.escalated),
        suppressed=tuple(sorted(suppressed)),
    )


def is_fact(line: str) -> bool:
    """True when a ``Change.what`` line states a changed fact (not a note such as the level)."""
    return _is_fact(line)


# --- one name -------------------------------------------------------------------------------------


def _change(
    old: Finding | None,
    new: Finding | None,
    now_ex: Existence | None,
    *,
    domain: str,
    protected: str,
    first_scan: bool,
    now: datetime,
    then: datetime,
) -> Change | None:
    old_ex = old.evidence.existence if old is not None else None
    before = old.score.level if old is not None else None
    if now_ex is Existence.EXISTS:
        assert new is not None
        after = new.score.level
        if old_ex is not Existence.EXISTS:
            notes: list[str] = []
            if old_ex is Existence.UNKNOWN:
                notes.append("was unknown in the previous scan")
            elif first_scan:
                notes.append(f"first scan of {protected}")
            what = (*notes, *_summary(new))
            return Change(domain, protected, ChangeKind.NEW, what, before=None, after=after)
        assert old is not None
        lines = _differences(old, new, now=now, then=then)
        if before is not None and after.rank < before.rank:
            return Change(
                domain, protected, ChangeKind.ESCALATED, (*lines, f"level {before} -> {after}"), before, after
            )
        if before is not None and after is not before:
            lines.append(f"level {before} -> {after}")
        if lines:
            return Change(domain, protected, ChangeKind.CHANGED, tuple(lines), before, after)
        return None
    if now_ex is Existence.ABSENT and old_ex is Existence.EXISTS:
        return Change(domain, protected, ChangeKind.GONE, ("no longer in the DNS (NXDOMAIN)",), before, None)
    return None


def _differences(old: Finding, new: Finding, *, now: datetime, then: datetime) -> list[str]:
    lines: list[str] = []
    lines += _dns_differences(old.evidence.dns.value, new.evidence.dns.value)
    old_reg, new_reg = old.evidence.registration, new.evidence.registration
    if old_reg.ok and new_reg.ok:
        assert old_reg.value is not None
        assert new_reg.value is not None
        lines += _registration_differences(old_reg.value, new_reg.value, now=now, then=then)
    lines += _smtp_differences(_smtp_state(old), _smtp_state(new), new)
    lines += _web_differences(_web_state(old), _web_state(new), protected=new.candidate.protected)
    lines += _page_differences(_page(old), _page(new), protected=new.candidate.protected)
    return lines


def _page(finding: Finding) -> VisualFacts | None:
    """The verdict on its page when one was reached (a render that saw nothing to judge is unknowable)."""
    facts = finding.evidence.visual.value
    return facts if facts is not None and facts.verdict is not Verdict.UNKNOWN else None


def _page_differences(old: VisualFacts | None, new: VisualFacts | None, *, protected: str) -> list[str]:
    if old is None or new is None or old.verdict is new.verdict:
        return []
    if new.verdict is Verdict.CLONE:
        return [f"page now a copy of {protected}'s (it was {old.verdict.value})"]
    if old.verdict is Verdict.CLONE:
        return [f"page no longer a copy of {protected}'s (now {new.verdict.value})"]
    return []


def _failed(facts: DnsFacts, question: str) -> bool:
    return any(p.split(":", 1)[0].strip().upper() == question for p in facts.problems)


def _route(facts: DnsFacts) -> MailRoute:
    """The mail route as compared: MX records none of whose hosts has an address read as
    ``dangling-mx`` whatever the scan called them, so a scan stored before that route existed does not
    make the first scan after it a change."""
    if facts.mail_route is MailRoute.MX and facts.mx and not any(mx.addresses for mx in facts.mx):
        return MailRoute.DANGLING_MX
    return facts.mail_route


def _dns_differences(old: DnsFacts | None, new: DnsFacts | None) -> list[str]:
    if old is None or new is None:
        return []
    if old.existence is not Existence.EXISTS or new.existence is not Existence.EXISTS:
        return []

    def comparable(*questions: str) -> bool:
        return not any(_failed(facts, q) for facts in (old, new) for q in questions)

    lines: list[str] = []
    if comparable("MX"):
        old_mx = {mx.host.lower() for mx in old.mx}
        new_mx = {mx.host.lower() for mx in new.mx}
        lines += [f"MX added: {_mx_name(h)}" for h in sorted(new_mx - old_mx)]
        lines += [f"MX removed: {_mx_name(h)}" for h in sorted(old_mx - new_mx)]
    old_route, new_route = _route(old), _route(new)
    if old_route is not new_route and MailRoute.UNKNOWN not in (old_route, new_route) and comparable("MX"):
        lines.append(f"mail route {old_route} -> {new_route}")
    if comparable("NS"):
        old_ns = sorted({h.lower() for h in old.ns})
        new_ns = sorted({h.lower() for h in new.ns})
        if old_ns != new_ns:
            lines.append(f"name servers changed: {_hosts(old_ns)} -> {_hosts(new_ns)}")
    if comparable("A", "AAAA"):
        old_addr = (*old.a, *old.aaaa)
        new_addr = (*new.a, *new.aaaa)
        if new_addr and not old_addr:
            lines.append(f"now resolves to an address: {_hosts(new_addr)}")
        elif old_addr and not new_addr:
            lines.append("no longer resolves to an address")
    if comparable("TXT", "SPF"):
        lines += _record_lines("SPF", old.spf, new.spf)
    if comparable("DMARC", "_DMARC"):
        lines += _record_lines("DMARC", old.dmarc, new.dmarc)
    return lines


def _record_lines(kind: str, old: str | None, new: str | None) -> list[str]:
    if old == new:
        return []
    if old is None:
        return [f"{kind} added: {_short(new or '')}"]
    if new is None:
        return [f"{kind} removed"]
    return [f"{kind} changed: {_short(old)} -> {_short(new)}"]


def _registration_differences(
    old: Registration, new: Registration, *, now: datetime, then: datetime
) -> list[str]:
    lines: list[str] = []
    if old.registrar and new.registrar and _norm(old.registrar) != _norm(new.registrar):
        lines.append(f"registrar changed: {_short(old.registrar)} -> {_short(new.registrar)}")
    if old.created and new.created and _utc(old.created) != _utc(new.created):
        lines.append(f"re-registered: created {_day(old.created)} -> {_day(new.created)}")
    old_who = _registrant(old)
    new_who = _registrant(new)
    if old_who and new_who and _norm(old_who) != _norm(new_who):
        lines.append(f"registrant changed: {_short(old_who)} -> {_short(new_who)}")
    old_status = {s for s in old.status if s in NOTABLE_EPP}
    new_status = {s for s in new.status if s in NOTABLE_EPP}
    lines += [f"registry status added: {s}" for s in sorted(new_status - old_status)]
    lines += [f"registry status removed: {s}" for s in sorted(old_status - new_status)]
    if (
        new.expires is not None
        and _soon(new.expires, now)
        and not (old.expires is not None and _soon(old.expires, then))
    ):
        lines.append(f"registration expires soon: {_day(new.expires)}")
    return lines


def _smtp_state(finding: Finding) -> SmtpFacts | _Unknowable | None:
    """The mail host that decides; None when there is provably none; unknowable otherwise."""
    outcome = finding.evidence.smtp
    if outcome.status is Status.OK:
        return finding.evidence.primary_smtp
    dns = finding.evidence.dns.value
    if outcome.status is Status.SKIPPED and dns is not None and dns.mail_route in _NO_MAIL_SERVER:
        return None
    return _UNKNOWABLE


def _smtp_differences(
    old: SmtpFacts | _Unknowable | None, new: SmtpFacts | _Unknowable | None, finding: Finding
) -> list[str]:
    if isinstance(old, _Unknowable) or isinstance(new, _Unknowable):
        return []
    lines: list[str] = []
    old_up = old is not None and bool(old.banner)
    new_up = new is not None and bool(new.banner)
    if new_up and not old_up:
        assert new is not None
        lines.append(f"mail server now answering: {_short(new.host)} ({new.address})")
    elif old_up and not new_up:
        lines.append("mail server stopped answering")
    old_any = old.accepts_any_recipient if old is not None else False
    new_any = new.accepts_any_recipient if new is not None else False
    if new_any is True and old_any is not True:
        lines.append(f"catch-all started: accepts mail for any address at {finding.candidate.domain}")
    elif old_any is True and new_any is False:
        lines.append("catch-all stopped: refuses unknown recipients")
    return lines


def _web_state(finding: Finding) -> WebFacts | _Unknowable | None:
    outcome = finding.evidence.web
    if outcome.status is Status.OK:
        return finding.evidence.primary_web
    dns = finding.evidence.dns.value
    if outcome.status is Status.SKIPPED and dns is not None and not (dns.a or dns.aaaa or dns.cname):
        return None
    return _UNKNOWABLE


def _web_differences(
    old: WebFacts | _Unknowable | None, new: WebFacts | _Unknowable | None, *, protected: str
) -> list[str]:
    if isinstance(old, _Unknowable) or isinstance(new, _Unknowable):
        return []
    old_up = old is not None and old.status is not None
    new_up = new is not None and new.status is not None
    lines: list[str] = []
    if new_up and not old_up:
        assert new is not None
        lines.append(f"website appeared: HTTP {new.status} at {_short(new.final_url or new.url)}")
    elif old_up and not new_up:
        lines.append("website stopped answering")
    if not new_up:
        return lines
    assert new is not None
    was = old if old_up and old is not None else WebFacts(url="")
    for flag, on, off in (
        ("login_form", "login form appeared", "login form removed"),
        ("parked", "now parked", "no longer parked"),
        ("redirects_to_protected", f"now redirects to {protected}", f"stopped redirecting to {protected}"),
    ):
        old_flag, new_flag = bool(getattr(was, flag)), bool(getattr(new, flag))
        if new_flag and not old_flag:
            lines.append(on)
        elif old_flag and not new_flag:
            lines.append(off)
    if old_up:
        old_host, new_host = _host(was.final_url), _host(new.final_url)
        if old_host and new_host and old_host != new_host:
            lines.append(f"web redirect target changed: {_short(old_host)} -> {_short(new_host)}")
    return lines


def _summary(finding: Finding) -> list[str]:
    """What a new lookalike is, in a few lines: where a feed showed it, where its mail goes and what
    it serves."""
    lines: list[str] = _sighting(finding)
    dns = finding.evidence.dns.value
    if dns is not None:
        if dns.mail_route is MailRoute.MX:
            lines.append(f"MX: {_hosts([_mx_name(mx.host) for mx in dns.mx])}")
        elif dns.mail_route is MailRoute.IMPLICIT:
            lines.append("mail route implicit: no MX, mail goes to its address")
        elif dns.mail_route is MailRoute.NULL_MX:
            lines.append("null MX: refuses mail")
        elif dns.mail_route is MailRoute.DANGLING_MX:
            lines.append(
                f"MX without address: {_hosts([_mx_name(mx.host) for mx in dns.mx])} (mail bounces today)"
            )
        if dns.wildcard:
            lines.append("exists through a wildcard")
    reg = finding.evidence.registration
    if reg.ok and reg.value is not None:
        if reg.value.registrar:
            lines.append(f"registrar: {_short(reg.value.registrar)}")
        if reg.value.created:
            lines.append(f"created: {_day(reg.value.created)}")
    if finding.evidence.catch_all:
        lines.append("catch-all: accepts mail for any address")
    web = _web_state(finding)
    if isinstance(web, WebFacts) and web.status is not None:
        if web.login_form:
            lines.append("login form")
        if web.parked:
            lines.append("parked")
        if web.redirects_to_protected:
            lines.append(f"redirects to {finding.candidate.protected}")
    page = _page(finding)
    if page is not None and page.verdict is Verdict.CLONE:
        lines.append(f"page: a copy of {finding.candidate.protected}'s")
    return lines


# --- small helpers --------------------------------------------------------------------------------


def _index(findings: Iterable[Finding]) -> dict[tuple[str, str], Finding]:
    """Findings by (protected, domain); the last one wins if a scan holds a name twice."""
    return {(f.candidate.protected, f.candidate.domain): f for f in findings}


def _sighting(finding: Finding) -> list[str]:
    """``seen in ct:argon2026h2: a certificate for login.paypa1.com, entry 123, issued by ...``."""
    seen = finding.candidate.sighting
    if seen is None:
        return []
    what = seen.name or finding.candidate.domain
    cert = seen.certificate
    if cert is not None:
        kind = "a precertificate" if cert.precert else "a certificate"
        issuer = _short(cert.issuer)
        return [f"seen in {seen.source}: {kind} for {_short(what)} (entry {cert.index}), issued by {issuer}"]
    if seen.delegated:
        return [f"seen in {seen.source}: {_short(what)} delegated"]
    return [f"seen in {seen.source}: {_short(what)}"]


def _scope(info: ScanInfo) -> set[str] | None:
    """The protected domains a scan covered; None when its description does not say."""
    return {p.domain for p in info.protected} or None


def _sorted(changes: list[Change]) -> tuple[Change, ...]:
    def key(c: Change) -> tuple[int, str, str]:
        level = c.after or c.before
        return (level.rank if level is not None else len(Level), c.protected, c.domain)

    return tuple(sorted(changes, key=key))


def _is_mail_route(line: str) -> bool:
    return line.startswith(MAIL_ROUTE_PREFIXES)


def _is_fact(line: str) -> bool:
    return not line.startswith(NOTE_PREFIXES)


def _triage_note(mark: TriageMark) -> str:
    who = f" by {mark.who}" if mark.who else ""
    when = f" on {_day(mark.when)}" if mark.when is not None else ""
    return f"triaged {mark.state}{who}{when}"


def _mx_name(host: str) -> str:
    return host or "null MX (0 .)"


def _hosts(hosts: Sequence[str]) -> str:
    return ", ".join(_short(h) for h in hosts) if hosts else "none"


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _registrant(reg: Registration) -> str | None:
    contact = reg.registrant
    if contact is None:
        return None
    return contact.organization or contact.name


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _short(text: str) -> str:
    """Hostile text kept as one bounded line (``text.clean``)."""
    return clean(text, MAX_TEXT)


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _day(when: datetime) -> str:
    return _utc(when).strftime("%Y-%m-%d")


def _soon(expires: datetime, at: datetime) -> bool:
    return _utc(at) <= _utc(expires) <= _utc(at) + EXPIRY_WARNING
