"""Risk scoring: from the facts about one lookalike to a level, points and the reasons for them.

Pure: no I/O beyond reading two of the package's data files once, no clock (``now`` is passed in),
no network. Facts (``Evidence``) stay apart from judgement (``Score``), so stored history can be
re-scored when these rules improve.

The model is one table, ``WEIGHTS``: every signal adds (or removes) a fixed number of points, and
every point comes with a sentence saying why. The total (never below 0) maps onto a level through
``LEVELS``. Mail capability weighs most, because mail sent to a typo of your domain is collected by
whoever holds it, without anyone clicking anything. Then who holds the name, how new it is, what
its website does, whether it is set up to send convincing mail, and how likely the slip is.

Three states short-circuit the table:

* absent from the DNS: ``info``, 0 points (the registration plan deals with those);
* exists only through a wildcard: ``info``, 0 points (no registration of its own);
* the DNS did not answer: the ``dns-unknown`` weight plus what else is known, never "safe".

``ownership`` decides whether a lookalike is probably the organisation's own, from the comparison
with the protected domain (``Reference``); the README explains each rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from functools import cache
from importlib import resources
from types import MappingProxyType

from lookalike.model import (
    Candidate,
    DnsFacts,
    Evidence,
    Existence,
    FaviconMatch,
    Level,
    MailRoute,
    Owner,
    Reference,
    Registration,
    Score,
    SmtpFacts,
    SmtpVerdict,
    Verdict,
    WebFacts,
)
from lookalike.names import apex_of
from lookalike.text import clean

__all__ = [
    "LEVELS",
    "WEIGHTS",
    "dmarc_policy",
    "is_privacy_placeholder",
    "level_for",
    "ownership",
    "redirects_home",
    "score",
    "spf_all",
]

WEIGHTS: Mapping[str, int] = MappingProxyType(
    {
        # mail capability: what happens to mail sent to a typo of our domain
        "catch-all": 50,  # a mail server took a random recipient: every typo is collected
        "mx": 30,  # MX records that are not a null MX
        "mail-bounces": 15,  # MX records, but mail bounces today: no MX host has an address, or relay denied
        "implicit-mx": 10,  # no MX but an address: senders deliver to the address (RFC 5321 §5.1)
        "smtp-answers": 10,  # a mail server answered our probe (and is not a catch-all)
        "null-mx": -10,  # "MX 0 ." (RFC 7505): the name refuses mail
        "mail-unknown": 5,  # the MX question went unanswered
        # who holds it
        "third-party": 20,
        "ours": -40,
        # how new the registration is (days since created, at scan time)
        "new-30d": 15,
        "new-90d": 10,
        "new-365d": 5,
        "established": -10,  # held for years: more often a business of its own than a fresh trap
        # the website
        "login-form": 20,
        "live-site": 5,  # answers with content of its own (not parked, not a redirect to us)
        "parked": 3,
        "redirects-to-us": -10,  # not for a third party: whoever holds a name decides where it points
        "passes-for-us": 10,  # a third party's name that takes mail, while its website sends visitors to us
        # what its page looks like next to ours (--screenshot; an unknown verdict adds nothing)
        "clone": 30,  # a copy of the protected site's page: the same form, and it looks or reads like ours
        "similar-page": 5,  # something of ours on a page of its own: our name, wording or assets
        "our-favicon": 10,  # our favicon (the same file or the same picture) on a page that is no clone
        # could it send convincing mail
        "spf-authorises": 10,  # an SPF record that lets some server send as it
        "spf-permissive": 5,  # ... and that server is anyone (+all, ?all)
        "no-spf": 2,  # nothing stops forged mail claiming to be from it
        "weak-dmarc": 3,  # no DMARC, or p=none: receivers will not reject failed mail
        "locked": -5,  # SPF -all and DMARC p=reject: it cannot send
        # the name itself
        "plausibility": 15,  # at plausibility 1.0; scaled linearly
        # what we could not find out
        "dns-unknown": 20,
        "registry-unknown": 5,
        # registry status and odd answers
        "on-hold": -15,  # serverHold/clientHold: the registry does not publish it
        "pending-delete": -10,  # pendingDelete/redemptionPeriod: on its way out
        "name-collision": -30,  # 127.0.53.53: ICANN's controlled interruption, not a real site
    }
)
"""Every weight of the scoring model, by signal name. docs/report.md shows the same table."""

LEVELS: tuple[tuple[int, Level], ...] = (
    (80, Level.CRITICAL),
    (55, Level.HIGH),
    (40, Level.MEDIUM),
    (15, Level.LOW),
    (0, Level.INFO),
)
"""Minimum points for each level, most severe first."""

NEW_DAYS: tuple[tuple[int, str], ...] = ((30, "new-30d"), (90, "new-90d"), (365, "new-365d"))
"""Registration age brackets: created fewer than N days before the scan -> weight name."""
ESTABLISHED_DAYS = 3 * 365
"""Registered at least this long before the scan -> ``established``."""

_HOLD = frozenset({"serverhold", "clienthold"})
_LEAVING = frozenset({"pendingdelete", "redemptionperiod", "pendingrestore"})
_SPF_SENDERS = re.compile(r"^[+?~]?(a|mx|ptr|ip4|ip6|include|exists)([:/].*)?$|^redirect=", re.IGNORECASE)
_SPF_ALL = re.compile(r"^([+?~-]?)all$", re.IGNORECASE)
_WORDS = re.compile(r"[^0-9a-z]+")


def level_for(points: int) -> Level:
    """The level a number of points reaches."""
    for minimum, level in LEVELS:
        if points >= minimum:
            return level
    return Level.INFO


# --- the data files -------------------------------------------------------------------------------


def _data_lines(name: str) -> Iterator[str]:
    text = resources.files("lookalike").joinpath("data", name).read_text("utf-8")
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            yield line


def _words(text: str) -> str:
    """Lower case, every run of non-alphanumerics one space: the form placeholders are compared in."""
    return _WORDS.sub(" ", text.casefold()).strip()


@cache
def _placeholders() -> tuple[str, ...]:
    return tuple(_words(line) for line in _data_lines("privacy-placeholders.txt"))


@cache
def _shared_hosts() -> tuple[tuple[str, ...], tuple[str, ...]]:
    ns: list[str] = []
    mx: list[str] = []
    for line in _data_lines("shared-hosts.txt"):
        kind, _, pattern = line.partition(" ")
        (ns if kind == "ns" else mx).append(pattern.strip().lower())
    return tuple(ns), tuple(mx)


def is_privacy_placeholder(organisation: str | None) -> bool:
    """True when a registrant organisation is empty or a privacy/redaction service's wording."""
    if not organisation or not organisation.strip():
        return True
    padded = f" {_words(organisation)} "
    if padded.strip() == "":
        return True
    return any(f" {phrase} " in padded for phrase in _placeholders())


def _shared_ns_provider(provider: str) -> bool:
    return any(fnmatchcase(provider, pattern) for pattern in _shared_hosts()[0])


def _shared_mx_host(host: str) -> bool:
    return any(fnmatchcase(host, pattern) for pattern in _shared_hosts()[1])


# --- SPF and DMARC, as far as scoring needs them --------------------------------------------------


def spf_all(spf: str) -> str | None:
    """The qualifier of the record's ``all`` mechanism (``+``, ``-``, ``~``, ``?``), None without one."""
    for term in spf.split()[1:]:
        if m := _SPF_ALL.match(term):
            return m.group(1) or "+"
    return None


def _spf_authorises(spf: str) -> bool:
    """True when the record lets at least one server send (any mechanism but ``-all``)."""
    terms = spf.split()[1:]
    return any(_SPF_SENDERS.match(t) for t in terms) or spf_all(spf) in ("+", "?")


def dmarc_policy(dmarc: str | None) -> str | None:
    """The ``p=`` tag of a DMARC record, lower case; None when there is no record or no tag."""
    if not dmarc:
        return None
    for part in dmarc.split(";"):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "p":
            return value.strip().lower() or None
    return None


# --- ownership -----------------------------------------------------------------------------------


def _host(name: str) -> str:
    return name.strip().rstrip(".").lower()


def _hosts(names: Iterable[str]) -> set[str]:
    return {h for h in (_host(n) for n in names) if h}


def _ns_of(dns: DnsFacts | None, registration: Registration | None) -> set[str]:
    names = set(dns.ns) if dns else set()
    if registration:
        names |= set(registration.nameservers)
    return _hosts(names)


def _mx_of(dns: DnsFacts | None) -> set[str]:
    return _hosts(mx.host for mx in dns.mx) if dns else set()


def _under(domain: str, parent: str) -> bool:
    return domain == parent or domain.endswith("." + parent)


def _short(text: str, limit: int = 80) -> str:
    return clean(text, limit)


def _listing(items: Iterable[str], limit: int = 3) -> str:
    ordered = sorted(items)
    shown = ", ".join(ordered[:limit])
    return shown + (f" and {len(ordered) - limit} more" if len(ordered) > limit else "")


def _web(evidence: Evidence) -> tuple[WebFacts, ...]:
    # Facts are facts whatever the outcome's status: a probe that timed out on its second host
    # still saw what the first one said.
    return evidence.web.value or ()


def redirects_home(candidate: Candidate, evidence: Evidence) -> bool:
    """Its website sends visitors to the protected domain (an HTTP redirect, a meta refresh or a
    literal script redirect). A name is never its own protected domain: ``lookup`` without
    ``--protected`` compares a name with itself, and a site redirecting to its own path is no sign."""
    if _host(candidate.protected) in ("", _host(candidate.domain)):
        return False
    return any(w.redirects_to_protected for w in _web(evidence))


def _links(
    candidate: Candidate, evidence: Evidence, reference: Reference | None
) -> tuple[list[str], list[str]]:
    """What links the lookalike to the protected domain: (deciding, hints).

    Deciding links cost the holder control of the name, so nobody makes them alone: the name is
    listed as owned; every one of its name servers is the protected domain's (or sits inside it) and
    they answer for it, so the protected domain's DNS serves its zone; every one of its MX hosts is the
    protected domain's (or sits inside it) and none said it does not serve the name; the same
    registrar and registrant organisation. Hints are what any holder can do alone (point a website
    home, buy DNS from the same provider, name someone else's servers next to its own): they are said,
    and never decide."""
    protected = reference.domain if reference else candidate.protected
    deciding: list[str] = []
    hints: list[str] = []
    owned = [_host(d) for d in reference.owned] if reference else []
    for name in (candidate.domain, candidate.apex):
        match = next((o for o in owned if o and name and _under(_host(name), o)), None)
        if match:
            deciding.append(f"listed as owned in the configuration ({match})")
            break

    dns = evidence.dns.value
    reg = evidence.registration.value if evidence.registration.ok else None
    ref_dns = reference.dns.value if reference else None
    ref_reg = reference.registration.value if reference and reference.registration.ok else None
    refusing = {_host(h.host) for h in evidence.smtp.value or () if h.verdict is SmtpVerdict.NOT_SERVED}
    for link in (
        _ns_link(
            protected,
            _ns_of(dns, reg),
            delegated=_hosts(reg.nameservers) if reg else set(),
            ref_ns=_ns_of(ref_dns, ref_reg),
            answers=evidence.exists_on_its_own,
        ),
        _mx_link(protected, _mx_of(dns), ref_mx=_mx_of(ref_dns), refusing=refusing),
    ):
        if link is not None:
            (deciding if link[1] else hints).append(link[0])

    if reg and ref_reg and reg.registrar and ref_reg.registrar:
        org = reg.registrant.organization if reg.registrant else None
        ref_org = ref_reg.registrant.organization if ref_reg.registrant else None
        if (
            _words(reg.registrar) == _words(ref_reg.registrar)
            and org
            and ref_org
            and not is_privacy_placeholder(org)
            and _words(org) == _words(ref_org)
        ):
            deciding.append(
                f"same registrar ({_short(reg.registrar)}) and registrant organisation "
                f"({_short(org)}) as {protected}"
            )

    if redirects_home(candidate, evidence):
        hints.append(
            f"its website redirects to {protected}, but whoever holds a name decides where its website "
            "points: a hint, never proof"
        )
    return deciding, hints


_Link = tuple[str, bool]
"""A sentence about one link to the protected domain, and whether it decides (else it is a hint)."""


def _ns_link(
    protected: str, cand_ns: set[str], *, delegated: set[str], ref_ns: set[str], answers: bool
) -> _Link | None:
    """Name servers: decisive only when all of them are the protected domain's own (the same host
    names, mass-market hosts excepted, or inside the protected domain), the registry delegates the
    name to them (``delegated``: its name servers as the registry lists them), and they answer for
    it. ``cand_ns`` holds both sides, the DNS's NS answer and the registry's delegation: a zone can
    name any name servers in its own NS records, so those alone never decide."""
    same = {ns for ns in cand_ns & ref_ns if not _shared_ns_provider(apex_of(ns))}
    inside = {ns for ns in cand_ns if _under(ns, protected)}
    ours = same | inside
    if ours and ours == cand_ns:
        if not answers:
            return (
                f"its name servers are {protected}'s ({_listing(ours)}), but they do not answer for it",
                False,
            )
        if not delegated:
            return (
                f"its zone names {protected}'s name servers ({_listing(ours)}), but the registry's "
                "delegation was not seen, and a zone can name any name servers in its own NS records",
                False,
            )
        if same:
            return (
                f"uses the same name servers as {protected} ({_listing(same)}), and they serve its zone",
                True,
            )
        return f"its name servers are inside {protected} ({_listing(inside)}), and they serve its zone", True
    if ours:
        return (
            f"some of its name servers are {protected}'s ({_listing(ours)}) but not all "
            f"({_listing(cand_ns - ours)}): the others may be the ones serving its zone",
            False,
        )
    if mass := cand_ns & ref_ns:
        return (
            f"it shares name servers with {protected} at a mass-market DNS host ({_listing(mass)}), as "
            "thousands of unrelated domains do",
            False,
        )
    providers = {apex_of(ns) for ns in cand_ns} & {apex_of(ns) for ns in ref_ns}
    if private := {p for p in providers if not _shared_ns_provider(p)}:
        return (
            f"its name servers are at {_listing(private)}, the same DNS provider as {protected} (not a "
            "mass-market host), but anyone can be that provider's customer",
            False,
        )
    return None


def _mx_link(protected: str, cand_mx: set[str], *, ref_mx: set[str], refusing: set[str]) -> _Link | None:
    """MX hosts: decisive only when all of them are the protected domain's own (the same hosts, shared
    mail services excepted, or inside the protected domain) and none of them said it does not serve
    the name (``refusing``): anyone can point MX records at another's mail servers, which then refuse
    to relay."""
    same = {h for h in cand_mx & ref_mx if not _shared_mx_host(h)}
    inside = {h for h in cand_mx if _under(h, protected)}
    ours = same | inside
    if not ours:
        return None
    if ours != cand_mx:
        return (
            f"some of its MX hosts are {protected}'s ({_listing(ours)}) but not all "
            f"({_listing(cand_mx - ours)}): mail may go to the others",
            False,
        )
    if refused := refusing & ours:
        return (
            f"its MX hosts are {protected}'s ({_listing(ours)}), but {_listing(refused)} said it does not "
            "serve the name (relay denied): its holder pointed them there",
            False,
        )
    if same:
        return f"its mail goes to the same MX hosts as {protected} ({_listing(same)})", True
    return f"its MX hosts are inside {protected} ({_listing(inside)})", True


def ownership(
    candidate: Candidate, evidence: Evidence, reference: Reference | None
) -> tuple[Owner, tuple[str, ...]]:
    """Who probably holds the lookalike, and the sentences that say why.

    Probably ours when a link its holder could not make alone holds (``_links``; the README and
    docs/report.md explain each): it is (under) a domain the configuration lists as owned; all its
    name servers are the protected domain's (mass-market hosts excepted) or inside it, and they serve
    its zone; all its MX hosts are the protected domain's (shared mail services excepted) or inside
    it, and none refused the name; it has the same registrar and the same registrant organisation (a
    privacy service's placeholder does not count). The first reason is the link that decided; hints
    follow. A redirect to the protected site, the same DNS provider, or servers shared only in part
    are hints: said, never enough, so a third party's catch-all that redirects home stays a third
    party's. Third party when it exists and no deciding link holds. Unknown when there is nothing to
    compare: no protected domain, the DNS did not answer, the name is absent, it exists only through
    a wildcard, or the protected domain itself could not be resolved.
    """
    protected = reference.domain if reference else candidate.protected
    deciding, hints = _links(candidate, evidence, reference)
    if deciding:
        return Owner.OURS, tuple(deciding + hints)
    existence = evidence.existence
    dns = evidence.dns.value
    if existence is Existence.UNKNOWN:
        return Owner.UNKNOWN, ("the DNS did not answer, so there is nothing to compare",)
    if existence is Existence.ABSENT:
        if evidence.registration.ok:
            return Owner.THIRD_PARTY, (
                f"the registry knows it but it is not in the DNS; nothing links it to {protected}",
            )
        return Owner.UNKNOWN, ("it does not exist, so nobody holds it",)
    if dns is not None and dns.wildcard:
        return Owner.UNKNOWN, ("it exists only through a wildcard, so it has no holder of its own",)
    if reference is None:
        return Owner.UNKNOWN, ("no protected domain was given, so there is nothing to compare it with",)
    if reference.dns.value is None:
        return Owner.UNKNOWN, (f"{protected} itself could not be resolved, so there is nothing to compare",)
    reason = (
        f"registered, and nothing links it to {protected} that its holder could not do alone: "
        "different name servers, mail hosts"
    )
    if evidence.registration.ok:
        reason += " and registrant"
    elif evidence.registration.status.unknown:
        reason += " (the registry did not answer, so the registrant was not compared)"
    return Owner.THIRD_PARTY, (reason, *hints)


# --- the score -----------------------------------------------------------------------------------


class _Tally:
    """Points with the sentence that added each."""

    def __init__(self) -> None:
        self.points = 0
        self.reasons: list[str] = []

    def add(self, weight: str, text: str, points: int | None = None) -> None:
        value = WEIGHTS[weight] if points is None else points
        if value == 0:
            return
        self.points += value
        self.reasons.append(f"{text} ({value:+d})")


def _days_since(created: datetime, now: datetime) -> int:
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return max(0, (now - created).days)


def _mail(tally: _Tally, dns: DnsFacts, evidence: Evidence) -> None:
    route = dns.mail_route
    hosts = [mx.host for mx in dns.mx if mx.host]
    if route is MailRoute.DANGLING_MX:
        tally.add(
            "mail-bounces",
            f"has MX records ({_listing(hosts)}), but none of their hosts has an address: mail bounces "
            "today, and its holder can change that any minute",
        )
    elif route in (MailRoute.MX, MailRoute.IMPLICIT):
        where = "MX" if route is MailRoute.MX else "its address (no MX, so mail goes to the A record)"
        if evidence.catch_all:
            tally.add("catch-all", f"{where} accepts any recipient: mail sent to a typo would be collected")
            return
        first = evidence.primary_smtp  # the host whose answer decided, else the first that talked
        if evidence.mail_bounces and first is not None:
            said = " ".join(str(part) for part in (first.code, first.enhanced_code) if part)
            records = (
                f"has MX records ({_listing(hosts)})" if route is MailRoute.MX else "no MX, but an address"
            )
            tally.add(
                "mail-bounces",
                f"{records}, but its mail server {_short(first.host, 60)} does not serve it (relay denied, "
                f"{said}): mail bounces today, and its holder can change that any minute",
            )
            return
        if route is MailRoute.MX:
            tally.add("mx", f"has MX records ({_listing(hosts)}): it can receive mail")
        else:
            tally.add(
                "implicit-mx",
                "no MX, but an address record: senders would deliver mail to it (RFC 5321 §5.1)",
            )
        if first is not None and (first.banner or first.code is not None):
            tally.add(
                "smtp-answers", f"a mail server answers at {_short(first.host, 60)} and {_smtp_how(first)}"
            )
    elif route is MailRoute.NULL_MX:
        tally.add("null-mx", "null MX (RFC 7505): it declares that it accepts no mail")
    elif route is MailRoute.UNKNOWN:
        tally.add("mail-unknown", "mail route unknown: the MX question was not answered")


def _smtp_how(facts: SmtpFacts) -> str:
    """What one mail host's answer says, in words: from its reading (``SmtpVerdict``) when it has one."""
    said = " ".join(str(part) for part in (facts.code, facts.enhanced_code) if part)
    verdict = facts.verdict
    if facts.accepts_any_recipient is False:
        return "rejects unknown recipients, but takes mail for real addresses"
    if verdict is SmtpVerdict.NOT_SERVED:
        return f"does not serve this name (relay denied, {said}): mail sent to it bounces today"
    if verdict is SmtpVerdict.REFUSED:
        return f"refused our probe for a reason other than the address ({said}): a catch-all is not ruled out"
    if verdict is SmtpVerdict.HELO_REFUSED:
        return "refused our HELO name, so the recipient test went unanswered: a catch-all is not ruled out"
    if facts.code is not None and 400 <= facts.code < 500:
        return f"deferred the test recipient ({said}), so a catch-all is not ruled out"
    return "did not finish the recipient test"


def _sending(tally: _Tally, dns: DnsFacts) -> None:
    spf = dns.spf
    policy = dmarc_policy(dns.dmarc)
    if spf is not None and spf_all(spf) == "-" and not _spf_authorises(spf) and policy == "reject":
        tally.add("locked", "SPF -all and DMARC p=reject: it cannot send mail as itself")
        return
    if spf is None:
        tally.add("no-spf", "no SPF record: nothing stops mail forged in its name")
    elif _spf_authorises(spf):
        tally.add("spf-authorises", "its SPF record authorises servers to send: its mail would pass SPF")
        qualifier = spf_all(spf)
        if qualifier in ("+", "?"):
            tally.add("spf-permissive", f"SPF ends in {qualifier}all: any server may send as it")
    if policy not in ("quarantine", "reject"):
        what = "no DMARC policy" if policy is None else f"DMARC p={_short(policy, 20)}"
        tally.add("weak-dmarc", f"{what}: receivers will not reject mail that fails authentication")


def _web_signals(tally: _Tally, candidate: Candidate, evidence: Evidence, owner: Owner) -> None:
    probes = _web(evidence)
    if not probes:
        return
    if any(p.login_form for p in probes):
        tally.add("login-form", "its website shows a login form")
    if redirects_home(candidate, evidence):
        # A redirect home is no reassurance from a third party: it is how a typosquatter that
        # collects mail passes for the organisation's own when someone looks.
        if owner is not Owner.THIRD_PARTY:
            tally.add("redirects-to-us", "its website redirects to the protected domain")
        elif evidence.receives_mail:
            tally.add(
                "passes-for-us",
                f"its website sends visitors to {candidate.protected} while its mail goes to a third "
                "party: it passes for the organisation's own",
            )
    elif any(p.parked for p in probes):
        tally.add("parked", "a parked page: monetised by its holder, and it can be switched on any day")
    elif any(
        p.status is not None and 200 <= p.status < 300 and not p.parked and p.has_content for p in probes
    ):
        tally.add("live-site", "a live website with content of its own")


def _page_signals(tally: _Tally, evidence: Evidence, protected: str) -> None:
    """What the rendered page shows next to the protected site's (``Evidence.visual``)."""
    facts = evidence.visual.value
    if facts is None or any(p.redirects_to_protected for p in _web(evidence)):
        return  # not looked at, or it is our own site after a redirect
    why = _short(facts.reason, 160)
    if facts.verdict is Verdict.CLONE:
        tally.add("clone", f"its page is a copy of {protected}'s: {why}")
    elif facts.verdict is Verdict.SIMILAR:
        tally.add("similar-page", f"its page carries something of {protected}'s: {why}")
    if facts.verdict is not Verdict.CLONE and facts.favicon_match in (
        FaviconMatch.EXACT,
        FaviconMatch.SIMILAR,
    ):
        how = "the same file" if facts.favicon_match is FaviconMatch.EXACT else "the same picture"
        tally.add("our-favicon", f"its page shows {protected}'s favicon ({how})")


def _registration(tally: _Tally, evidence: Evidence, now: datetime) -> None:
    outcome = evidence.registration
    if outcome.status.unknown:
        tally.add("registry-unknown", "the registry did not answer: its holder and age are unknown")
        return
    reg = outcome.value if outcome.ok else None
    if reg is None:
        return
    if reg.created is not None:
        days = _days_since(reg.created, now)
        for limit, weight in NEW_DAYS:
            if days < limit:
                tally.add(weight, f"registered {days} day{'s' if days != 1 else ''} ago")
                break
        else:
            if days >= ESTABLISHED_DAYS:
                tally.add("established", f"registered {days // 365} years ago: long established")
    statuses = {s.casefold() for s in reg.status}
    if statuses & _HOLD:
        tally.add("on-hold", "on hold at the registry: it is not published in the DNS for now")
    if statuses & _LEAVING:
        tally.add("pending-delete", "pending deletion at the registry")


def score(candidate: Candidate, evidence: Evidence, reference: Reference | None, *, now: datetime) -> Score:
    """The level, points and reasons for one lookalike. See ``WEIGHTS`` and the module docstring."""
    owner, owner_reasons = ownership(candidate, evidence, reference)
    existence = evidence.existence
    dns = evidence.dns.value
    if existence is Existence.ABSENT:
        reasons = ("not in the DNS (NXDOMAIN): nothing to act on today",)
        return Score(Level.INFO, 0, reasons, owner, owner_reasons)
    if dns is not None and dns.wildcard and existence is Existence.EXISTS:
        return Score(
            Level.INFO,
            0,
            ("exists only because its zone answers every name (wildcard): no registration of its own",),
            owner,
            owner_reasons,
        )

    tally = _Tally()
    if existence is Existence.UNKNOWN:
        why = evidence.dns.detail or evidence.dns.status.value
        tally.add("dns-unknown", f"the DNS did not answer ({_short(why, 60)}): existence unknown, not safe")
    if dns is not None and existence is Existence.EXISTS:
        _mail(tally, dns, evidence)
    if owner is Owner.THIRD_PARTY:
        tally.add("third-party", f"held by a third party: nothing links it to {candidate.protected}")
    elif owner is Owner.OURS:
        tally.add("ours", "probably ours: " + owner_reasons[0])
    _registration(tally, evidence, now)
    _web_signals(tally, candidate, evidence, owner)
    if owner is not Owner.OURS:
        _page_signals(tally, evidence, candidate.protected)
    if dns is not None and existence is Existence.EXISTS:
        _sending(tally, dns)
        if dns.name_collision:
            tally.add("name-collision", "answers with ICANN's name-collision address 127.0.53.53")
    plausibility = min(1.0, max(0.0, candidate.plausibility))
    tally.add(
        "plausibility",
        f"plausible slip (plausibility {plausibility:.2f})",
        round(WEIGHTS["plausibility"] * plausibility),
    )
    points = max(0, tally.points)
    return Score(level_for(points), points, tuple(tally.reasons), owner, owner_reasons)
