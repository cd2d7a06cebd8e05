"""The vocabulary: enums and frozen, slotted dataclasses shared by every layer.

Nothing here does I/O or imports another lookalike module but ``choices`` (``Triage``, which the
command line offers before it loads this module). Facts (``Evidence``) and judgement
(``Score``) stay apart, so stored history can be re-scored when the rules improve.

The judgements every layer shares are written once, here, as properties of the facts they judge:
``Evidence.receives_mail``, ``Evidence.catch_all``, ``Evidence.primary_smtp``/``primary_web`` (the
probe that decides), ``Evidence.live_page`` (a page to render and look at) and
``Finding.ours``/``Finding.settled`` (whose it is, with the analyst's mark and the configuration).
Scoring, the summary, the report, alerts, the plan, the audit, the blocklist, the diff and the
exports ask these and never decide again on their own.

How a network answer becomes a status (every I/O module maps onto exactly these)::

    Status
    ├── OK        answered; ``Outcome.value`` holds the facts
    ├── ABSENT    an authoritative no: NXDOMAIN, RDAP 404, WHOIS "no match"
    ├── TIMEOUT   nobody answered in time (after bounded retries)          ┐
    ├── REFUSED   SERVFAIL/REFUSED, connection refused, HTTP 429/5xx       ├ all three mean *unknown*:
    ├── ERROR     a malformed reply or a bug, recorded with its reason     ┘ never absent, never exists
    └── SKIPPED   not attempted: disabled, not registered, private address

    Existence (what the scan JSON calls ``status``)
    ├── EXISTS    the name is delegated or has records
    ├── ABSENT    NXDOMAIN from the resolver
    └── UNKNOWN   anything else: TIMEOUT, REFUSED or ERROR above
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from lookalike.choices import Triage as Triage  # noqa: PLC0414  (every layer names it from here)

T = TypeVar("T")


class Technique(StrEnum):
    """How a candidate was made from the protected name. The value is the stable, public name."""

    # label edits
    OMISSION = "omission"
    INSERTION = "insertion"
    REPLACEMENT = "replacement"
    TRANSPOSITION = "transposition"
    REPETITION = "repetition"
    ADDITION = "addition"
    BITFLIP = "bitflip"
    VOWEL_SWAP = "vowel-swap"
    HYPHENATION = "hyphenation"
    HYPHEN_REMOVAL = "hyphen-removal"
    DOUBLE_SLIP = "double-slip"
    # suffix and dot slips
    TLD_SWAP = "tld-swap"
    TLD_TYPO = "tld-typo"
    WRONG_SLD = "wrong-sld"
    DOT_MOVED = "dot-moved"
    DOT_DROPPED = "dot-dropped"
    DOT_INSERTED = "dot-inserted"
    DOT_HYPHEN = "dot-hyphen"
    TLD_FUSION = "tld-fusion"
    TLD_APPEND = "tld-append"
    # glyphs
    HOMOGLYPH = "homoglyph"
    IDN_HOMOGLYPH = "idn-homoglyph"
    WHOLE_SCRIPT = "whole-script"
    DIACRITIC = "diacritic"
    # words
    PLURAL = "plural"
    SOUNDALIKE = "soundalike"
    KEYWORD = "keyword"
    WORD_SWAP = "word-swap"
    # added later; kept at the end so the order of the others does not change
    COUNTRY_CODE = "country-code"
    COMBINING_MARK = "combining-mark"


class Status(StrEnum):
    """How one network question ended. See the module docstring for the tree."""

    OK = "ok"
    ABSENT = "absent"
    TIMEOUT = "timeout"
    REFUSED = "refused"
    SKIPPED = "skipped"
    ERROR = "error"

    @property
    def unknown(self) -> bool:
        """True when nobody gave an authoritative answer either way."""
        return self in (Status.TIMEOUT, Status.REFUSED, Status.ERROR)


class Existence(StrEnum):
    """Whether a name exists in the DNS: three answers, never two."""

    EXISTS = "exists"
    ABSENT = "absent"
    UNKNOWN = "unknown"


class MailRoute(StrEnum):
    """Where mail addressed to the name would go (RFC 5321 §5.1, RFC 7505)."""

    MX = "mx"  # explicit MX records
    DANGLING_MX = "dangling-mx"  # MX records, but no MX host has an address: mail bounces today
    IMPLICIT = "implicit"  # no MX, but A/AAAA: mail goes to the address
    NULL_MX = "null-mx"  # a single "MX 0 ." : the domain accepts no mail
    NONE = "none"  # no MX and no address
    UNKNOWN = "unknown"  # the resolver did not say


class Level(StrEnum):
    """Risk level, most severe first."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for critical up to 4 for info: smaller is worse."""
        return list(Level).index(self)


class Owner(StrEnum):
    """Who probably holds a lookalike, from the comparison with the protected domain."""

    OURS = "ours"
    THIRD_PARTY = "third-party"
    UNKNOWN = "unknown"


class Holding(StrEnum):
    """Why a lookalike counts as the organisation's own (``Finding.ours``), strongest first."""

    TRIAGED = "triaged owned"  # an analyst marked it owned
    LISTED = "listed as owned"  # the configuration lists it, or a name it sits under
    SCORED = "matches the protected domain"  # scoring judged it ours (``Score.owner``)


GENERATED = "generate"
"""The source of a candidate ``generate`` made (``Candidate.source``)."""


@dataclass(frozen=True, slots=True)
class Certificate:
    """The certificate a Certificate Transparency log showed a name in (what ``Entry`` carries, as
    evidence). Everything here was read from the logged TBSCertificate: hostile text."""

    issuer: str
    """The issuer's distinguished name (``C=US, O=Let's Encrypt, CN=R11``)."""
    not_before: datetime | None
    sans: tuple[str, ...]
    """The certificate's DNS names (subjectAltName, else the subject CN), at most ``MAX_SANS``."""
    log: str
    """The log's short name (``argon2026h2``)."""
    index: int
    """The entry's index in that log."""
    not_after: datetime | None = None
    serial: str = ""
    precert: bool = False


MAX_SANS = 100
"""Names of one certificate kept as evidence (a certificate may hold thousands)."""


@dataclass(frozen=True, slots=True)
class Sighting:
    """Where a feed showed a name: the candidate's source and what the feed said about it."""

    source: str
    """``ct:<log>``, ``zone:<tld>`` or ``list:<file>``."""
    seen_at: datetime | None = None
    """When: the log's timestamp for the entry, the zone file's time, when the list was read."""
    name: str = ""
    """The name as the feed showed it (``login.paypa1.com``); the candidate is the lookalike in it."""
    certificate: Certificate | None = None
    delegated: bool = False
    """The feed is the zone file of the name's parent and delegates it: the name exists without a DNS
    question (the scan skips triage for it and records the zone as the existence evidence)."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """One lookalike name of one protected domain."""

    domain: str
    """ASCII form (punycode for IDN), lower case, no trailing dot."""
    unicode: str
    """Unicode form for display; equals ``domain`` when the name is pure ASCII."""
    protected: str
    """The protected domain (ASCII) this candidate imitates."""
    techniques: tuple[Technique, ...]
    """Every technique that produced this name, in ``Technique`` order."""
    plausibility: float
    """0..1: how likely a person or a keyboard makes this slip (README: plausibility model)."""
    apex: str = ""
    """The registrable domain (public suffix + one label) that holds this name; ``domain`` itself
    unless the candidate sits below a registered name (``army.mil.ml`` -> ``mil.ml``)."""
    registrable: bool = True
    """False when an IDN candidate cannot be registered (IDNA2008, mixed script, TLD policy)."""
    note: str = ""
    """Why an IDN candidate is or is not registrable; empty for ASCII names."""
    sighting: Sighting | None = None
    """Where a feed showed the name (CT, a zone file, a list); None for what ``generate`` made."""

    @property
    def source(self) -> str:
        """``generate``, or the feed that showed the name (``ct:<log>``, ``zone:<tld>``, ``list:<file>``)."""
        return self.sighting.source if self.sighting is not None else GENERATED


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """The result of one network question: a status, the facts when there are some, and why."""

    status: Status
    value: T | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status is Status.OK and self.value is not None


@dataclass(frozen=True, slots=True)
class MxHost:
    """One MX record with its target's addresses."""

    preference: int
    host: str
    """Target host name (ASCII, no trailing dot); ``""`` for a null MX (RFC 7505)."""
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DnsFacts:
    """What the DNS says about one name. A field the resolver could not answer is listed in
    ``problems`` and left empty, never guessed."""

    existence: Existence
    ns: tuple[str, ...] = ()
    soa: str = ""
    """The SOA MNAME of the zone holding the name, when seen."""
    a: tuple[str, ...] = ()
    aaaa: tuple[str, ...] = ()
    cname: tuple[str, ...] = ()
    """The CNAME chain from the name, in order."""
    mx: tuple[MxHost, ...] = ()
    """MX records sorted by preference, then host."""
    mail_route: MailRoute = MailRoute.UNKNOWN
    spf: str | None = None
    """The ``v=spf1`` TXT record, verbatim; None when there is none."""
    dmarc: str | None = None
    """The ``_dmarc`` TXT record starting ``v=DMARC1``, verbatim; None when there is none."""
    wildcard: bool = False
    """The name exists only because its zone (or its TLD) answers every name."""
    name_collision: bool = False
    """The answer was ICANN's name-collision address 127.0.53.53."""
    problems: tuple[str, ...] = ()
    """Per-question failures, e.g. ``"MX: timeout"``."""


@dataclass(frozen=True, slots=True)
class Contact:
    """A registration contact, as far as it is not redacted."""

    name: str | None = None
    organization: str | None = None
    email: str | None = None
    phone: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Registration:
    """What a registry (RDAP or WHOIS) says about one registered name."""

    source: str
    """``"rdap"`` or ``"whois"``."""
    server: str = ""
    """The URL or host:port that answered."""
    registrar: str | None = None
    registrar_iana_id: str | None = None
    created: datetime | None = None
    expires: datetime | None = None
    updated: datetime | None = None
    status: tuple[str, ...] = ()
    """EPP status values in camelCase (``clientHold``, ``pendingDelete`` ...)."""
    nameservers: tuple[str, ...] = ()
    registrant: Contact | None = None
    abuse: Contact | None = None
    raw: str = ""
    """The response as received (capped), for a human to read."""


class SmtpVerdict(StrEnum):
    """How one mail host's replies were read (docs/probes.md: reading the replies).

    Only ``catch-all`` and ``rejects-unknown`` answer the question "does it take mail for any
    address?"; every other reading leaves ``SmtpFacts.accepts_any_recipient`` None (unknown).
    """

    CATCH_ALL = "catch-all"  # RCPT 2xx for a made-up recipient: mail to any address is collected
    REJECTS_UNKNOWN = "rejects-unknown"  # RCPT 5.1.x (or a bare 5xx): only real addresses get mail
    NOT_SERVED = "not-served"  # relay denied (554 5.7.1, 454 4.7.1), 5.1.2, 5.1.10: not this host's name
    REFUSED = "refused"  # a 5xx about something other than the address: policy (5.7.x), a blocklist ...
    HELO_REFUSED = "helo-refused"  # our HELO name was refused, at EHLO or at RCPT (smtpd_delay_reject)
    DEFERRED = "deferred"  # 4xx: a temporary failure (greylisting, a busy back end)
    UNFINISHED = "unfinished"  # the dialogue ended before an answer: a stall, a drop, a 421


@dataclass(frozen=True, slots=True)
class SmtpFacts:
    """What one mail host said to us. No message is ever sent."""

    host: str
    address: str
    port: int
    banner: str = ""
    starttls: bool = False
    size_limit: int | None = None
    accepts_any_recipient: bool | None = None
    """True: a random local part got 2xx; False: 5xx; None: 4xx, or the dialogue ended early."""
    code: int | None = None
    """The reply code to ``RCPT TO``."""
    transcript: tuple[str, ...] = ()
    """What was said, both ways, trimmed."""
    verdict: SmtpVerdict | None = None
    """How the deciding reply was read; None when nothing was read (and in scans made before it)."""
    enhanced_code: str | None = None
    """The RFC 3463 enhanced status code of the deciding reply (``"5.1.1"``); None for a bare reply."""
    reason: str = ""
    """The reading in words, quoting the deciding reply: what a report says about this host."""


@dataclass(frozen=True, slots=True)
class TlsFacts:
    """The certificate a web server presented."""

    subject: str = ""
    issuer: str = ""
    not_before: datetime | None = None
    not_after: datetime | None = None
    names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WebFacts:
    """What a lookalike's web server serves."""

    url: str
    final_url: str = ""
    status: int | None = None
    redirects: tuple[str, ...] = ()
    title: str = ""
    server: str = ""
    body_bytes: int = 0
    parked: bool = False
    login_form: bool = False
    redirects_to_protected: bool = False
    tls: TlsFacts | None = None
    visible_text: int | None = None
    """Characters of text a visitor would see on the last page fetched (outside tags, scripts,
    styles and ``noscript``), counted up to 10,000; None when not measured (scans made before it)."""
    script_redirect: str = ""
    """Where a literal ``location = "..."`` or ``location.replace("...")`` in the page's inline script
    sends the visitor (an absolute URL), read without running the script; empty when there is none."""

    @property
    def has_content(self) -> bool:
        """True when the page shows something of its own: a title or visible text (a page made only
        of script shows neither). Unmeasured pages (older scans) count as having content."""
        return bool(self.title) or self.visible_text is None or self.visible_text > 0


class Verdict(StrEnum):
    """How a lookalike's rendered page compares with the protected site's (``lookalike.visual``)."""

    CLONE = "clone"  # our page: the same kind of form, and it looks like ours or says what ours says
    SIMILAR = "similar"  # something of ours on it (name, favicon, wording, assets), not a clone
    DIFFERENT = "different"  # a page of its own (parked pages included)
    UNKNOWN = "unknown"  # nothing to judge: no picture, a blank or error page, cloaking, unfinished


class FaviconMatch(StrEnum):
    """How a lookalike's favicon compares with the protected site's."""

    EXACT = "exact"  # the same bytes (SHA-256)
    SIMILAR = "similar"  # the same picture in another file (perceptual hash)
    DIFFERENT = "different"
    MISSING = "missing"  # one of the two has none, or it could not be read


@dataclass(frozen=True, slots=True)
class VisualFacts:
    """The verdict on a lookalike's page, with the distances and the reason. JSON ``visual{...}``.

    Holds no picture: the screenshots are named by their SHA-256 (the file names next to a report)."""

    verdict: Verdict
    reason: str = ""
    phash_distance: int | None = None
    """Bits (of 64) between the screenshots' perceptual hashes; None without two screenshots."""
    dhash_distance: int | None = None
    favicon_match: FaviconMatch = FaviconMatch.MISSING
    favicon_mmh3: int | None = None
    """Shodan's ``http.favicon.hash`` of the lookalike's favicon."""
    favicon_sha256: str = ""
    text_similarity: float | None = None
    """Distinctive words in common (Jaccard, 0..1), generic sign-in words left out."""
    brand: bool = False
    """The protected site's name or title words appear on the page."""
    password: bool = False
    """The page shows a password field."""
    screenshot: str = ""
    """SHA-256 of the lookalike's screenshot (its file name); empty without one."""
    reference: str = ""
    """SHA-256 of the protected site's screenshot it was compared with."""


_RECEIVING = (MailRoute.MX, MailRoute.IMPLICIT)


def skipped(detail: str = "") -> Outcome[T]:
    """An outcome for a question that was not asked."""
    return Outcome(Status.SKIPPED, None, detail)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Every fact gathered about one candidate. Judgement lives in ``Score``."""

    dns: Outcome[DnsFacts]
    registration: Outcome[Registration] = field(default_factory=skipped)
    smtp: Outcome[tuple[SmtpFacts, ...]] = field(default_factory=skipped)
    web: Outcome[tuple[WebFacts, ...]] = field(default_factory=skipped)
    visual: Outcome[VisualFacts] = field(default_factory=skipped)
    """The rendered page against the protected site's (``--screenshot``): the render's status, and
    the verdict whenever a render was tried (``unknown`` with the reason when it gave no picture)."""

    @property
    def existence(self) -> Existence:
        """exists / absent / unknown, from the DNS outcome alone."""
        if self.dns.value is not None:
            return self.dns.value.existence
        if self.dns.status is Status.ABSENT:
            return Existence.ABSENT
        return Existence.UNKNOWN

    # --- judgements: each written once, here --------------------------------------------------

    @property
    def exists_on_its_own(self) -> bool:
        """The name exists with records of its own: not only through its zone's or its TLD's
        wildcard, and not ICANN's name-collision answer (127.0.53.53 is a warning, not a host)."""
        facts = self.dns.value
        return (
            facts is not None
            and facts.existence is Existence.EXISTS
            and not facts.wildcard
            and not facts.name_collision
        )

    @property
    def receives_mail(self) -> bool:
        """Mail sent to the name is delivered somewhere: it exists on its own and has MX records that
        are not a null MX or, without MX, an address (implicit MX, RFC 5321 section 5.1), and its
        mail hosts do not refuse it (``mail_bounces``)."""
        facts = self.dns.value
        return (
            self.exists_on_its_own
            and facts is not None
            and facts.mail_route in _RECEIVING
            and not self._refused_by_its_hosts
        )

    @property
    def mail_bounces(self) -> bool:
        """It has a mail route, but mail sent there bounces today: its MX hosts have no address
        (``MailRoute.DANGLING_MX``), or every mail host that answered said it does not serve the name
        (a relay denial, ``SmtpVerdict.NOT_SERVED``). Its holder can change either any minute."""
        facts = self.dns.value
        if not self.exists_on_its_own or facts is None:
            return False
        if facts.mail_route is MailRoute.DANGLING_MX:
            return True
        return facts.mail_route in _RECEIVING and self._refused_by_its_hosts

    @property
    def _refused_by_its_hosts(self) -> bool:
        """Every mail host that gave an answer said it does not serve the name, and one did."""
        answered = [
            h for h in self.smtp.value or () if h.verdict is not None or h.accepts_any_recipient is not None
        ]
        return bool(answered) and all(h.verdict is SmtpVerdict.NOT_SERVED for h in answered)

    @property
    def mail_unknown(self) -> bool:
        """It exists on its own but the MX question went unanswered: it may receive mail."""
        facts = self.dns.value
        return self.exists_on_its_own and facts is not None and facts.mail_route is MailRoute.UNKNOWN

    @property
    def catch_all(self) -> bool:
        """A mail server of the name accepted a made-up recipient and the name receives mail: whatever
        is sent to any address there is collected. Any host's 2xx counts (the probe stops at the
        first definitive answer, so at most one host has one)."""
        return self.receives_mail and any(h.accepts_any_recipient is True for h in self.smtp.value or ())

    @property
    def primary_smtp(self) -> SmtpFacts | None:
        """The mail host that decides: the first whose answer decided (RCPT 2xx or 5.1.x), else the
        most preferred one that talked, else the first one tried."""
        hosts = self.smtp.value or ()
        decided = next((h for h in hosts if h.accepts_any_recipient is not None), None)
        talked = next((h for h in hosts if h.banner or h.code is not None), None)
        return decided or talked or (hosts[0] if hosts else None)

    @property
    def primary_web(self) -> WebFacts | None:
        """The web probe that decides: the first that got an HTTP status (https is tried first)."""
        probes = self.web.value or ()
        return next((p for p in probes if p.status is not None), probes[0] if probes else None)

    @property
    def live_page(self) -> WebFacts | None:
        """The web probe that got an answer (any HTTP status), when one did: a page to look at. Only
        names that exist on their own have one (a wildcard's page is its zone's)."""
        web = self.primary_web
        return web if self.exists_on_its_own and web is not None and web.status is not None else None


@dataclass(frozen=True, slots=True)
class Score:
    """The judgement on one candidate: a level, points and the reasons that added them up."""

    level: Level
    points: int
    reasons: tuple[str, ...] = ()
    owner: Owner = Owner.UNKNOWN
    owner_reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Reference:
    """The protected domain itself, resolved and looked up like any candidate."""

    domain: str
    dns: Outcome[DnsFacts]
    registration: Outcome[Registration] = field(default_factory=skipped)
    owned: tuple[str, ...] = ()
    """Domains the organisation says it holds (config ``owned``)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """A candidate with its evidence and its score."""

    candidate: Candidate
    evidence: Evidence
    score: Score

    def ours(self, mark: TriageMark | None = None, owned: Collection[str] = ()) -> Holding | None:
        """Why the organisation holds this lookalike, or None when it does not as far as anyone knows.

        An analyst's mark decides first: ``owned`` makes it ours, any other mark (benign, malicious,
        watch) makes it not ours, whatever the scan guessed. Then the configuration: the name, or a
        name it sits under, is listed in ``owned``. Then scoring's comparison with the protected
        domain (``Score.owner``)."""
        if mark is not None:
            return Holding.TRIAGED if mark.state is Triage.OWNED else None
        if owned:
            names = {self.candidate.domain, self.candidate.apex} - {""}
            listed = {o.strip().rstrip(".").lower() for o in owned} - {""}
            if any(n == o or n.endswith("." + o) for n in names for o in listed):
                return Holding.LISTED
        return Holding.SCORED if self.score.owner is Owner.OURS else None

    def settled(self, mark: TriageMark | None = None, owned: Collection[str] = ()) -> bool:
        """Nothing to act on: it is ours (``ours``), or an analyst triaged it benign. Alerts'
        ``--fail-on`` levels and the blocklist leave settled lookalikes out."""
        return (mark is not None and mark.state is Triage.BENIGN) or self.ours(mark, owned) is not None

    @property
    def worst_first(self) -> tuple[int, int, float, str]:
        """The sort key of every list of findings (the scan's, the stored scan's, the report's): worst
        first by level, then points, then plausibility, then name."""
        return (
            self.score.level.rank,
            -self.score.points,
            -self.candidate.plausibility,
            self.candidate.domain,
        )


@dataclass(frozen=True, slots=True)
class TriageMark:
    """An analyst's decision about one lookalike."""

    domain: str
    state: Triage
    note: str = ""
    who: str = ""
    when: datetime | None = None


@dataclass(frozen=True, slots=True)
class ProtectedSummary:
    """Counts for one protected domain in one scan."""

    domain: str
    generated: int = 0
    exists: int = 0
    absent: int = 0
    unknown: int = 0


@dataclass(frozen=True, slots=True)
class ScanInfo:
    """What a scan was asked to do, how it went, and the plan it made."""

    id: int | None
    """The store's scan id; None when the scan was not stored."""
    started: datetime
    finished: datetime | None = None
    version: str = ""
    settings: tuple[tuple[str, str], ...] = ()
    """The settings that shaped the scan, as (name, value) pairs for display."""
    resolvers: tuple[str, ...] = ()
    timings: tuple[tuple[str, float], ...] = ()
    """Seconds per stage: (stage, seconds)."""
    protected: tuple[ProtectedSummary, ...] = ()
    interrupted: bool = False
    """True when the scan stopped early (Ctrl-C, a fatal error); the findings are what was done."""
    key: str = ""
    """What makes two scans "the same scan": the protected names and the settings that shape the
    candidates. ``--resume`` and the changes since the previous scan match on it; empty for scans
    stored before it was kept (they are compared with the previous complete scan, whatever it was)."""
    plan: tuple[PlanItem, ...] = ()
    """The defensive-registration plan the scan made, with the registry's answers as they were then:
    kept with the scan, so its report shows the same plan however often it is re-rendered."""

    @property
    def of_feeds(self) -> bool:
        """A scan of names feeds showed (``lookalike watch``, ``scan --candidates``), not of what
        ``generate`` made: it looks at a few names, and each is compared with its own last
        observation instead of with a previous scan of the same key."""
        return self.key.startswith(FEED_KEY)


FEED_KEY = "feed|"
"""How the key of a scan of feed matches starts (``ScanInfo.of_feeds``)."""


@dataclass(frozen=True, slots=True)
class ScanResult:
    """A whole scan: its description, the references, and a finding per existing or unknown name."""

    info: ScanInfo
    references: tuple[Reference, ...] = ()
    findings: tuple[Finding, ...] = ()


class ChangeKind(StrEnum):
    """How a lookalike differs between two scans."""

    NEW = "new"  # exists now, did not before (or was not scanned)
    GONE = "gone"  # existed before, absent now
    CHANGED = "changed"  # exists in both, some facts differ
    ESCALATED = "escalated"  # its level rose


@dataclass(frozen=True, slots=True)
class Change:
    """One lookalike's change between two scans."""

    domain: str
    protected: str
    kind: ChangeKind
    what: tuple[str, ...] = ()
    """Human-readable differences: ``"MX added: mx1.kestrel.ml"``, ``"catch-all started"``."""
    before: Level | None = None
    after: Level | None = None


@dataclass(frozen=True, slots=True)
class Changes:
    """Everything that changed between two scans, split by kind."""

    previous_id: int | None
    current_id: int | None
    new: tuple[Change, ...] = ()
    gone: tuple[Change, ...] = ()
    changed: tuple[Change, ...] = ()
    escalated: tuple[Change, ...] = ()
    suppressed: tuple[str, ...] = ()
    """Names left out on purpose: flapping, or triaged and unchanged."""

    @property
    def all(self) -> tuple[Change, ...]:
        return self.new + self.escalated + self.changed + self.gone

    def __bool__(self) -> bool:
        return bool(self.new or self.gone or self.changed or self.escalated)


class Availability(StrEnum):
    """Whether a candidate can be registered, as far as we can tell."""

    AVAILABLE = "available"  # the registry says so (RDAP 404, WHOIS no match)
    PROBABLY = "probably-available"  # absent from the DNS; the registry was not asked or cannot say
    REGISTERED = "registered"  # the registry knows it (even if it is not in the DNS: held names)
    RESTRICTED = "restricted"  # the TLD is not open to us (restricted, or needs a local presence)
    UNKNOWN = "unknown"  # the registry did not answer


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One lookalike worth registering defensively."""

    rank: int
    domain: str
    unicode: str
    protected: str
    techniques: tuple[Technique, ...]
    plausibility: float
    priority: float
    """0..1: plausibility weighted by what the name could do (a mail typo first)."""
    availability: Availability
    tld_policy: str = "open"
    """``open``, or why the TLD is not: ``restricted: US government only``, ``local presence: ...``."""
    registrable: bool = True
    reason: str = ""


@dataclass(frozen=True, slots=True)
class HygieneFix:
    """One record an owned lookalike is missing, with the exact record to publish."""

    check: str
    """``null-mx``, ``spf``, ``dmarc`` or ``web``."""
    problem: str
    record: str
    """What to publish, e.g. ``kestrelsytems.com. IN MX 0 .``."""


@dataclass(frozen=True, slots=True)
class HygieneAudit:
    """Whether one lookalike the organisation holds refuses mail and cannot send it."""

    domain: str
    protected: str
    why_ours: str
    fixes: tuple[HygieneFix, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.fixes


@dataclass(frozen=True, slots=True)
class BlockEntry:
    """One destination our own mail gateway should refuse to send to."""

    domain: str
    """A domain, or a whole TLD written with a leading dot (``.ml``)."""
    protected: str
    reason: str
    whole_tld: bool = False
