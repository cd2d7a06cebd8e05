"""Builders for model objects in tests: candidates, evidence, findings and whole scan results.

Every builder takes keyword arguments with sensible defaults, so a test states only what matters
to it: ``evidence(mail=MailRoute.MX, catch_all=True, registrar="Evil Inc")``. Nothing here does I/O.

``HOSTILE`` holds strings an attacker would plant in WHOIS fields, page titles, SMTP banners and TXT
records; ``hostile_finding()`` puts them everywhere a report shows outside text.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from lookalike import scoring
from lookalike.model import (
    Candidate,
    Certificate,
    Change,
    ChangeKind,
    Changes,
    Contact,
    DnsFacts,
    Evidence,
    Existence,
    FaviconMatch,
    Finding,
    Level,
    MailRoute,
    MxHost,
    Outcome,
    ProtectedSummary,
    Reference,
    Registration,
    ScanInfo,
    ScanResult,
    Score,
    Sighting,
    SmtpFacts,
    Status,
    Technique,
    TlsFacts,
    Verdict,
    VisualFacts,
    WebFacts,
    skipped,
)
from lookalike.names import to_unicode

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
"""The fixed "now" every test scores with."""

PROTECTED = "kestrelsystems.com"
PROTECTED_NS = ("ns1.kestrelsystems.com", "ns2.kestrelsystems.com")
PROTECTED_MX = ("mx1.kestrelsystems.com",)

PWN = "window.__pwned=1"
HOSTILE = (
    f"<script>{PWN}</script>",
    f'"><img src=x onerror="{PWN}">',
    f"</script><script>{PWN}</script>",
    "{{ 7*7 }}{% raw %}",
    f"<svg onload={PWN}>",
    "<img src=x onerror=alert(document.domain)><script>alert(1)</script>",
    f"javascript:{PWN}",
    '=HYPERLINK("http://evil.example/","x")',
    "\u202eexe.txt",
)
"""Payloads that must come out of every renderer as inert text."""


def candidate(
    domain: str = "kestrelsytems.com",
    *,
    protected: str = PROTECTED,
    techniques: Sequence[Technique] = (Technique.TRANSPOSITION,),
    plausibility: float = 0.6,
    unicode: str | None = None,
    apex: str | None = None,
    registrable: bool = True,
    note: str = "",
) -> Candidate:
    return Candidate(
        domain=domain,
        unicode=unicode if unicode is not None else to_unicode(domain),
        protected=protected,
        techniques=tuple(techniques),
        plausibility=plausibility,
        apex=apex if apex is not None else domain,
        registrable=registrable,
        note=note,
    )


def mx_records(*hosts: str) -> tuple[MxHost, ...]:
    """MX records with preferences 10, 20, ...; ``""`` makes a null MX."""
    return tuple(
        MxHost(10 * (i + 1) if h else 0, h, ("192.0.2.25",) if h else ()) for i, h in enumerate(hosts)
    )


def dns_facts(
    *,
    existence: Existence = Existence.EXISTS,
    mail: MailRoute = MailRoute.NONE,
    mx: Sequence[str] = (),
    ns: Sequence[str] = ("ns1.parkingdns.example", "ns2.parkingdns.example"),
    a: Sequence[str] = ("192.0.2.10",),
    aaaa: Sequence[str] = (),
    spf: str | None = None,
    dmarc: str | None = None,
    wildcard: bool = False,
    name_collision: bool = False,
    problems: Sequence[str] = (),
    cname: Sequence[str] = (),
    soa: str = "",
) -> DnsFacts:
    if mail is MailRoute.MX and not mx:
        mx = ("mx.parkingdns.example",)
    if mail is MailRoute.NULL_MX:
        mx = ("",)
    return DnsFacts(
        existence=existence,
        ns=tuple(ns),
        soa=soa,
        a=tuple(a),
        aaaa=tuple(aaaa),
        cname=tuple(cname),
        mx=mx_records(*mx),
        mail_route=mail,
        spf=spf,
        dmarc=dmarc,
        wildcard=wildcard,
        name_collision=name_collision,
        problems=tuple(problems),
    )


def registration(
    *,
    registrar: str | None = "Cheap Names LLC",
    organization: str | None = "REDACTED FOR PRIVACY",
    created_days_ago: int | None = 400,
    status: Sequence[str] = ("clientTransferProhibited",),
    nameservers: Sequence[str] = (),
    source: str = "rdap",
    raw: str = "",
    registrant_name: str | None = None,
    abuse_email: str | None = "abuse@cheapnames.example",
    now: datetime = NOW,
) -> Registration:
    created = now - timedelta(days=created_days_ago) if created_days_ago is not None else None
    return Registration(
        source=source,
        server="http://127.0.0.1:8080/rdap/" if source == "rdap" else "127.0.0.1:4343",
        registrar=registrar,
        registrar_iana_id="9999",
        created=created,
        expires=created + timedelta(days=730) if created else None,
        updated=created + timedelta(days=30) if created else None,
        status=tuple(status),
        nameservers=tuple(nameservers),
        registrant=Contact(name=registrant_name, organization=organization, country="IS"),
        abuse=Contact(email=abuse_email),
        raw=raw or f"Domain Name: EXAMPLE\nRegistrar: {registrar}\nRegistrant Organization: {organization}\n",
    )


def smtp_facts(
    host: str = "mx.parkingdns.example",
    *,
    accepts: bool | None = True,
    code: int | None = None,
    banner: str = "220 mx.parkingdns.example ESMTP ready",
    starttls: bool = True,
) -> SmtpFacts:
    if code is None:
        code = 250 if accepts is True else 550 if accepts is False else 451
    return SmtpFacts(
        host=host,
        address="192.0.2.25",
        port=25,
        banner=banner,
        starttls=starttls,
        size_limit=10_240_000,
        accepts_any_recipient=accepts,
        code=code,
        transcript=(
            f"<- {banner}",
            "-> EHLO probe.invalid",
            "<- 250-STARTTLS",
            "-> MAIL FROM:<>",
            "<- 250 ok",
            "-> RCPT TO:<x7k2q9@example>",
            f"<- {code} ...",
            "-> QUIT",
        ),
    )


def web_facts(
    url: str = "https://kestrelsytems.com/",
    *,
    status: int | None = 200,
    title: str = "Welcome",
    parked: bool = False,
    login_form: bool = False,
    redirects_to_protected: bool = False,
    redirects: Sequence[str] = (),
    final_url: str | None = None,
    tls: bool = True,
) -> WebFacts:
    return WebFacts(
        url=url,
        final_url=final_url if final_url is not None else url,
        status=status,
        redirects=tuple(redirects),
        title=title,
        server="nginx",
        body_bytes=5120,
        parked=parked,
        login_form=login_form,
        redirects_to_protected=redirects_to_protected,
        tls=TlsFacts(
            subject="CN=kestrelsytems.com",
            issuer="CN=Example CA",
            not_before=NOW - timedelta(days=10),
            not_after=NOW + timedelta(days=80),
            names=("kestrelsytems.com",),
        )
        if tls
        else None,
    )


def evidence(
    *,
    existence: Existence = Existence.EXISTS,
    dns_status: Status | None = None,
    dns_detail: str = "",
    mail: MailRoute = MailRoute.NONE,
    mx: Sequence[str] = (),
    ns: Sequence[str] = ("ns1.parkingdns.example", "ns2.parkingdns.example"),
    spf: str | None = None,
    dmarc: str | None = None,
    wildcard: bool = False,
    name_collision: bool = False,
    catch_all: bool | None = None,
    deferred: bool = False,
    smtp: Sequence[SmtpFacts] | None = None,
    smtp_status: Status | None = None,
    registrar: str | None = "Cheap Names LLC",
    organization: str | None = "REDACTED FOR PRIVACY",
    created_days_ago: int | None = 400,
    reg_status: Sequence[str] = ("clientTransferProhibited",),
    registry: Status | None = None,
    web: Sequence[WebFacts] | None = None,
    login_form: bool = False,
    parked: bool = False,
    redirects_to_protected: bool = False,
    title: str = "Welcome",
    visual: Outcome[VisualFacts] | None = None,
) -> Evidence:
    """Evidence for one candidate. ``catch_all`` True/False adds an SMTP probe whose random recipient
    was accepted/rejected (None: no probe); ``deferred`` one that got a 4xx; ``registry`` sets a
    non-OK registration status."""
    if existence is Existence.ABSENT:
        return Evidence(dns=Outcome(dns_status or Status.ABSENT, None, dns_detail or "NXDOMAIN"))
    if existence is Existence.UNKNOWN:
        # As the scan records it: an unanswered status, with facts that say only "unknown".
        dns_outcome: Outcome[DnsFacts] = Outcome(
            dns_status or Status.TIMEOUT, DnsFacts(existence=Existence.UNKNOWN), dns_detail or "timeout"
        )
    else:
        dns_outcome = Outcome(
            dns_status or Status.OK,
            dns_facts(
                mail=mail,
                mx=mx,
                ns=ns,
                spf=spf,
                dmarc=dmarc,
                wildcard=wildcard,
                name_collision=name_collision,
            ),
            dns_detail,
        )
    if registry is not None:
        reg: Outcome[Registration] = Outcome(registry, None, f"registry: {registry.value}")
    elif existence is Existence.EXISTS:
        reg = Outcome(
            Status.OK,
            registration(
                registrar=registrar,
                organization=organization,
                created_days_ago=created_days_ago,
                status=reg_status,
                nameservers=ns,
            ),
        )
    else:
        reg = skipped()
    probed = catch_all is not None or deferred
    if smtp is None and probed and mail in (MailRoute.MX, MailRoute.IMPLICIT):
        host = (mx[0] if mx else "mx.parkingdns.example") if mail is MailRoute.MX else "kestrelsytems.com"
        smtp = (smtp_facts(host, accepts=None if deferred else catch_all),)
    smtp_outcome: Outcome[tuple[SmtpFacts, ...]] = (
        Outcome(smtp_status or Status.OK, tuple(smtp)) if smtp is not None else skipped("no mail route")
    )
    if web is None and existence is Existence.EXISTS:
        web = (
            web_facts(
                title=title,
                parked=parked,
                login_form=login_form,
                redirects_to_protected=redirects_to_protected,
            ),
        )
    web_outcome: Outcome[tuple[WebFacts, ...]] = Outcome(Status.OK, tuple(web)) if web else skipped()
    return Evidence(
        dns=dns_outcome, registration=reg, smtp=smtp_outcome, web=web_outcome, visual=visual or skipped()
    )


SCREENSHOT = "5" * 64
"""A screenshot's SHA-256 for tests that need a name, not a picture."""
REFERENCE_SHOT = "7" * 64


def visual_facts(
    verdict: Verdict = Verdict.CLONE,
    *,
    reason: str = "looks like kestrelsystems.com (pHash distance 2); our name on the page",
    favicon: FaviconMatch = FaviconMatch.EXACT,
    screenshot: str = SCREENSHOT,
    reference: str = REFERENCE_SHOT,
    status: Status = Status.OK,
) -> Outcome[VisualFacts]:
    """The visual outcome of one rendered page (``Evidence.visual``)."""
    facts = VisualFacts(
        verdict=verdict,
        reason=reason,
        phash_distance=2 if verdict is not Verdict.UNKNOWN else None,
        dhash_distance=5 if verdict is not Verdict.UNKNOWN else None,
        favicon_match=favicon,
        favicon_mmh3=-1234567 if favicon is not FaviconMatch.MISSING else None,
        favicon_sha256="ab" * 32 if favicon is not FaviconMatch.MISSING else "",
        text_similarity=0.8 if verdict is not Verdict.UNKNOWN else None,
        brand=verdict in (Verdict.CLONE, Verdict.SIMILAR),
        password=verdict is Verdict.CLONE,
        screenshot=screenshot,
        reference=reference,
    )
    return Outcome(status, facts, "" if status is Status.OK else f"render: {status.value}")


def reference(
    domain: str = PROTECTED,
    *,
    ns: Sequence[str] = PROTECTED_NS,
    mx: Sequence[str] = PROTECTED_MX,
    registrar: str = "MarkMonitor Inc.",
    organization: str = "Kestrel Systems Ltd",
    owned: Sequence[str] = (),
    resolved: bool = True,
) -> Reference:
    dns: Outcome[DnsFacts] = (
        Outcome(
            Status.OK,
            dns_facts(
                mail=MailRoute.MX,
                mx=mx,
                ns=ns,
                spf="v=spf1 mx -all",
                dmarc="v=DMARC1; p=reject",
            ),
        )
        if resolved
        else Outcome(Status.TIMEOUT, None, "timeout")
    )
    reg = Outcome(
        Status.OK,
        registration(registrar=registrar, organization=organization, created_days_ago=9000, nameservers=ns),
    )
    return Reference(domain=domain, dns=dns, registration=reg, owned=tuple(owned))


def finding(
    cand: Candidate | None = None,
    ev: Evidence | None = None,
    ref: Reference | None = None,
    *,
    score: Score | None = None,
    now: datetime = NOW,
) -> Finding:
    """A finding scored by ``scoring.score`` (against ``reference()`` unless given) unless ``score`` is."""
    cand = cand or candidate()
    ev = ev or evidence()
    if score is None:
        score = scoring.score(cand, ev, ref if ref is not None else reference(cand.protected), now=now)
    return Finding(cand, ev, score)


def scan_info(
    *,
    scan_id: int | None = 7,
    protected: Iterable[ProtectedSummary] = (),
    started: datetime = NOW,
    settings: Sequence[tuple[str, str]] = (("techniques", "all"), ("probes", "dns,registry,smtp,web")),
) -> ScanInfo:
    return ScanInfo(
        id=scan_id,
        started=started,
        finished=started + timedelta(seconds=42.5),
        version="0.1.0",
        settings=tuple(settings),
        resolvers=("127.0.0.1:5353",),
        timings=(("generate", 0.4), ("triage", 12.25), ("detail", 20.5), ("probes", 9.35)),
        protected=tuple(protected),
    )


def scan_result(findings: Sequence[Finding], *, references: Sequence[Reference] | None = None) -> ScanResult:
    """A scan of the findings' protected domains, with a summary per protected domain."""
    domains = sorted({f.candidate.protected for f in findings}) or [PROTECTED]
    summaries = []
    for domain in domains:
        mine = [f for f in findings if f.candidate.protected == domain]
        exists = sum(1 for f in mine if f.evidence.existence is Existence.EXISTS)
        unknown = sum(1 for f in mine if f.evidence.existence is Existence.UNKNOWN)
        summaries.append(
            ProtectedSummary(
                domain, generated=len(mine) * 10 + 5, exists=exists, absent=len(mine) * 9 + 5, unknown=unknown
            )
        )
    refs = tuple(references) if references is not None else tuple(reference(d) for d in domains)
    return ScanResult(info=scan_info(protected=summaries), references=refs, findings=tuple(findings))


def sample_findings() -> list[Finding]:
    """A small, varied set: one of each situation a report must show."""
    idn = "xn--" + "k\u0435strelsystems".encode("punycode").decode("ascii") + ".com"  # Cyrillic е
    return [
        finding(
            candidate("kestrelsytems.com", plausibility=0.9),
            evidence(
                mail=MailRoute.MX,
                catch_all=True,
                created_days_ago=12,
                login_form=True,
                spf="v=spf1 ip4:192.0.2.0/24 +all",
            ),
        ),
        finding(
            candidate("kestrelsystem.com", techniques=(Technique.OMISSION,), plausibility=0.7),
            evidence(mail=MailRoute.MX, catch_all=False, parked=True, title="kestrelsystem.com is for sale"),
        ),
        finding(
            candidate(idn, techniques=(Technique.IDN_HOMOGLYPH,), plausibility=0.5),
            evidence(mail=MailRoute.IMPLICIT, created_days_ago=60),
        ),
        finding(
            candidate("kestrelsystems.co", techniques=(Technique.TLD_SWAP,), plausibility=0.8),
            evidence(
                mail=MailRoute.MX,
                mx=PROTECTED_MX,
                ns=PROTECTED_NS,
                redirects_to_protected=True,
                spf="v=spf1 -all",
                dmarc="v=DMARC1; p=reject",
            ),
        ),
        finding(
            candidate("kestrelsystems.cm", techniques=(Technique.TLD_TYPO,), plausibility=0.6),
            evidence(existence=Existence.UNKNOWN),
        ),
        finding(
            candidate("kestrel-systems.com", techniques=(Technique.HYPHENATION,), plausibility=0.4),
            evidence(mail=MailRoute.NULL_MX, registry=Status.TIMEOUT),
        ),
        finding(
            candidate("kestrelsystems.ws", techniques=(Technique.TLD_SWAP,), plausibility=0.3),
            evidence(mail=MailRoute.MX, wildcard=True),
        ),
        finding(
            replace(
                candidate("mail-kestrelsystems.com", techniques=(Technique.KEYWORD,), plausibility=0.35),
                sighting=CT_SIGHTING,
            ),
            evidence(mail=MailRoute.NONE, web=(), created_days_ago=3000),
        ),
    ]


CT_SIGHTING = Sighting(
    source="ct:argon2026h2",
    seen_at=NOW - timedelta(minutes=3),
    name="login.mail-kestrelsystems.com",
    certificate=Certificate(
        issuer="C=US, O=Let's Encrypt, CN=R11",
        not_before=NOW - timedelta(minutes=5),
        sans=("mail-kestrelsystems.com", "login.mail-kestrelsystems.com"),
        log="argon2026h2",
        index=1_234_567,
        not_after=NOW + timedelta(days=90),
        serial="04:a1:b2",
        precert=True,
    ),
)
"""Where a feed saw one of the sample findings: a precertificate in a CT log."""


def hostile_finding(payload: str = HOSTILE[0], *, domain: str = "kestre1systems.com") -> Finding:
    """A finding with ``payload`` in every field that comes from the outside world."""
    reg = replace(
        registration(registrar=payload, organization=payload, registrant_name=payload, raw=payload * 3),
        abuse=Contact(email=payload, name=payload),
        status=(payload,),
    )
    dns = replace(
        dns_facts(
            mail=MailRoute.MX,
            mx=("mx.evil.example",),
            spf=f"v=spf1 {payload} +all",
            dmarc=f"v=DMARC1; p={payload}",
        ),
        problems=(payload,),
    )
    smtp = replace(smtp_facts("mx.evil.example", banner=payload), transcript=(payload, f"<- 250 {payload}"))
    web = replace(
        web_facts(
            title=payload,
            login_form=True,
            redirects=(f"https://evil.example/{payload}",),
            final_url=f"https://evil.example/{payload}",
        ),
        server=payload,
        tls=TlsFacts(subject=payload, issuer=payload, names=(payload,)),
    )
    ev = Evidence(
        dns=Outcome(Status.OK, dns, payload),
        registration=Outcome(Status.OK, reg),
        smtp=Outcome(Status.OK, (smtp,)),
        web=Outcome(Status.OK, (web,)),
    )
    # Even the Unicode form: a label that is not valid IDNA still decodes, to anything, for display.
    cand = candidate(
        domain, techniques=(Technique.HOMOGLYPH,), plausibility=0.9, note=payload, unicode=payload + domain
    )
    # A certificate's fields are the issuer's to write, and a list's source names a file.
    cert = Certificate(
        issuer=payload, not_before=None, sans=(payload, domain), log=payload, index=1, serial=payload
    )
    cand = replace(cand, sighting=Sighting(source=f"list:{payload}", name=payload, certificate=cert))
    return finding(cand, ev)


def many_findings(
    n: int, *, seed: int = 1, protected: Sequence[str] = (PROTECTED, "kestrel.ml")
) -> list[Finding]:
    """``n`` varied findings for size and speed tests, deterministic for a seed."""
    rng = random.Random(seed)
    routes = (MailRoute.MX, MailRoute.MX, MailRoute.IMPLICIT, MailRoute.NONE, MailRoute.NULL_MX)
    out = []
    techniques = list(Technique)
    for i in range(n):
        prot = protected[i % len(protected)]
        brand, tld = prot.split(".", 1)
        domain = f"{brand}{i:05d}.{tld}"
        roll = rng.random()
        existence = Existence.UNKNOWN if roll < 0.03 else Existence.EXISTS
        route = rng.choice(routes)
        ev = evidence(
            existence=existence,
            mail=route,
            catch_all=rng.choice((True, False, None))
            if route in (MailRoute.MX, MailRoute.IMPLICIT)
            else None,
            created_days_ago=rng.randrange(1, 6000),
            parked=rng.random() < 0.3,
            login_form=rng.random() < 0.1,
            title=f"Page {i} — {rng.choice(('Login', 'For sale', 'Welcome', 'Index of /'))}",
            registrar=rng.choice(("Cheap Names LLC", "Registrar Two", "MarkMonitor Inc.")),
        )
        cand = candidate(
            domain,
            protected=prot,
            techniques=sorted(rng.sample(techniques, rng.randint(1, 2)), key=techniques.index),
            plausibility=round(rng.random(), 2),
        )
        out.append(finding(cand, ev))
    return out


def sample_changes() -> Changes:
    """What changed since scan 6, in terms of ``sample_findings``: one new, one escalated, one gone."""
    return Changes(
        previous_id=6,
        current_id=7,
        new=(
            Change(
                "kestrelsytems.com",
                PROTECTED,
                ChangeKind.NEW,
                ("MX added: mx.parkingdns.example",),
                None,
                Level.CRITICAL,
            ),
        ),
        escalated=(
            Change(
                "kestrelsystem.com",
                PROTECTED,
                ChangeKind.ESCALATED,
                ("catch-all started",),
                Level.MEDIUM,
                Level.HIGH,
            ),
        ),
        gone=(Change("kestrel-sys.com", PROTECTED, ChangeKind.GONE, ("NXDOMAIN now",)),),
    )
