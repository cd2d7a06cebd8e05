"""The hygiene audit: do the lookalikes the organisation holds refuse mail, send none, and
redirect home?

``audit`` lists, for every lookalike that is ours (``Finding.ours``: triaged owned, listed as owned,
or judged ours by scoring), what is missing, each gap with the exact zone-file record to publish
(UK NCSC and M3AAWG parked-domain advice). The record builders (``null_mx_record``,
``spf_record``, ``dmarc_record``, ``dkim_revocation_record``, ``parked_records``) are public.

Pure: no network, no clock, no printing; it must not decide whose a lookalike is (the model does)
nor render (``render``). Outside text it quotes goes through ``text.clean``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from types import MappingProxyType

from lookalike.model import (
    DnsFacts,
    Existence,
    Finding,
    Holding,
    HygieneAudit,
    HygieneFix,
    MailRoute,
    TriageMark,
    WebFacts,
)
from lookalike.names import is_hostname
from lookalike.plan.registration import status_note
from lookalike.text import clean

TTL = 3600
"""The TTL of every record the audit asks for: an hour, so a mistake is undone within one."""


def _fqdn(domain: str) -> str:
    return domain.rstrip(".") + "."


def null_mx_record(domain: str) -> str:
    return f"{_fqdn(domain)} {TTL} IN MX 0 ."


def spf_record(domain: str) -> str:
    return f'{_fqdn(domain)} {TTL} IN TXT "v=spf1 -all"'


_DMARC_POLICY = "v=DMARC1; p=reject; sp=reject; adkim=s; aspf=s"
_SAFE_URI = re.compile(r"^[A-Za-z0-9._%+!@:,=/-]{1,512}$")


def dmarc_record(domain: str, *, keep: Sequence[tuple[str, str]] = ()) -> str:
    """The DMARC record for a name that never sends; ``keep`` carries over report addresses (rua/ruf)."""
    extra = "".join(f"; {k}={v}" for k, v in keep)
    return f'_dmarc.{_fqdn(domain)} {TTL} IN TXT "{_DMARC_POLICY}{extra}"'


def dkim_revocation_record(domain: str) -> str:
    """A wildcard DKIM record with an empty key: every selector is revoked (RFC 6376 section 3.6.1).
    Advice, not a check: the scan cannot list DKIM selectors, so the audit never reports it missing."""
    return f'*._domainkey.{_fqdn(domain)} {TTL} IN TXT "v=DKIM1; p="'


def parked_records(domain: str) -> tuple[str, ...]:
    """The whole record set for a name that must neither receive nor send mail (NCSC, M3AAWG)."""
    return (null_mx_record(domain), spf_record(domain), dmarc_record(domain), dkim_revocation_record(domain))


_SPF_MECHANISMS = ("all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists")


def _spf_problem(spf: str) -> str | None:
    """Why an SPF record fails to say "this name sends no mail"; None when it says so."""
    terms = spf.split()[1:]
    authorising: list[str] = []
    all_qualifier: str | None = None
    for term in terms:
        qualifier = term[0] if term[:1] in ("+", "-", "~", "?") else "+"
        body = term.lstrip("+-~?")
        name = re.split(r"[:/=]", body, maxsplit=1)[0].lower()
        if "=" in body and name not in _SPF_MECHANISMS:
            if name == "redirect":
                authorising.append(term)  # another domain's policy decides (RFC 7208 section 6.1)
            continue
        if name == "all":
            all_qualifier = qualifier
            break  # terms after "all" are never evaluated (RFC 7208 section 5.1)
        if qualifier == "+":
            authorising.append(term)
    if authorising:
        listed = " ".join(clean(t, 60) for t in authorising[:4])
        return f"SPF authorises senders ({listed})"
    if all_qualifier is None:
        return "SPF has no -all: receivers are not told to reject forged mail"
    if all_qualifier != "-":
        word = {"+": "+all lets anyone send", "~": "~all only soft-fails", "?": "?all is neutral"}[
            all_qualifier
        ]
        return f"SPF ends in {word}: it must end in -all"
    return None


def _dmarc_tags(dmarc: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for part in dmarc.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep:
            tags.setdefault(key.strip().lower(), value.strip())
    return tags


def _dmarc_problem(dmarc: str) -> str | None:
    tags = _dmarc_tags(dmarc)
    if tags.get("v", "").upper() != "DMARC1":
        return "the _dmarc record does not start with v=DMARC1, so receivers ignore it"
    policy = tags.get("p", "").lower()
    if policy != "reject":
        return f"DMARC policy is p={clean(policy, 20) or '(none)'}: it must be p=reject"
    sub = tags.get("sp", "reject").lower()
    if sub != "reject":
        return f"DMARC sp={clean(sub, 20)} lets forged mail from its subdomains through: use sp=reject"
    pct = tags.get("pct", "100")
    if pct != "100":
        return f"DMARC pct={clean(pct, 10)} applies the policy to part of the mail only: remove pct"
    return None


def _kept_report_uris(dmarc: str | None) -> tuple[tuple[str, str], ...]:
    if not dmarc:
        return ()
    tags = _dmarc_tags(dmarc)
    return tuple((k, tags[k]) for k in ("rua", "ruf") if k in tags and _SAFE_URI.match(tags[k]))


def _unanswered(facts: DnsFacts, *prefixes: str) -> str | None:
    for problem in facts.problems:
        if problem.strip().lower().startswith(prefixes):
            return clean(problem, 120)
    return None


def _mail_fix(domain: str, facts: DnsFacts, finding: Finding) -> HygieneFix | None:
    route = facts.mail_route
    record = null_mx_record(domain)
    hosts = [mx.host for mx in facts.mx if mx.host]
    if route in (MailRoute.NULL_MX, MailRoute.NONE) and not (hosts and any(not mx.host for mx in facts.mx)):
        return None
    if route is MailRoute.UNKNOWN:
        why = _unanswered(facts, "mx") or "the resolver did not say"
        return HygieneFix(
            "null-mx", f"could not check where its mail goes ({why}): publish a null MX", record
        )
    catch_all = "; its mail server accepts any recipient" if finding.evidence.catch_all else ""
    if route is MailRoute.IMPLICIT:
        addresses = ", ".join([*facts.a, *facts.aaaa][:3])
        problem = (
            f"no MX, so mail is delivered to its address {addresses} (implicit MX, RFC 5321 section 5.1)"
            f"{catch_all}: publish a null MX (RFC 7505)"
        )
        return HygieneFix("null-mx", problem, record)
    if any(not mx.host for mx in facts.mx):
        problem = (
            f"a null MX next to other MX records ({', '.join(clean(h, 80) for h in hosts[:3])}) is invalid "
            "(RFC 7505 section 3): delete the others"
        )
        return HygieneFix("null-mx", problem, record)
    listed = ", ".join(clean(h, 80) for h in hosts[:3]) + (" ..." if len(hosts) > 3 else "")
    if finding.evidence.mail_bounces:
        problem = (
            f"its MX records name {listed}, where its mail bounces today (no address, or relaying "
            "denied), but whoever runs those hosts can start taking it: replace every MX record with a "
            "null MX (RFC 7505)"
        )
        return HygieneFix("null-mx", problem, record)
    problem = f"accepts mail at {listed}{catch_all}: replace every MX record with a null MX (RFC 7505)"
    return HygieneFix("null-mx", problem, record)


def _spf_fix(domain: str, facts: DnsFacts) -> HygieneFix | None:
    if facts.spf is None:
        unanswered = _unanswered(facts, "txt", "spf")
        if unanswered:
            return HygieneFix("spf", f"could not read its SPF record ({unanswered})", spf_record(domain))
        return HygieneFix(
            "spf", "no SPF record: receivers cannot tell that it never sends mail", spf_record(domain)
        )
    problem = _spf_problem(facts.spf)
    if problem is None:
        return None
    return HygieneFix("spf", f"{problem}; replace it", spf_record(domain))


def _dmarc_fix(domain: str, facts: DnsFacts) -> HygieneFix | None:
    record = dmarc_record(domain, keep=_kept_report_uris(facts.dmarc))
    if facts.dmarc is None:
        unanswered = _unanswered(facts, "dmarc", "_dmarc")
        if unanswered:
            return HygieneFix("dmarc", f"could not read its DMARC record ({unanswered})", record)
        return HygieneFix("dmarc", "no DMARC record: forged mail from it is not rejected", record)
    problem = _dmarc_problem(facts.dmarc)
    if problem is None:
        return None
    return HygieneFix("dmarc", f"{problem}; replace it", record)


def _web_fix(domain: str, protected: str, finding: Finding) -> HygieneFix | None:
    probes: tuple[WebFacts, ...] = finding.evidence.web.value or ()
    # 4xx/5xx and no answer count as "nothing served"; 2xx and redirects elsewhere do not.
    serving = [p for p in probes if p.status is not None and p.status < 400 and not p.redirects_to_protected]
    if not serving:
        return None
    first = serving[0]
    what = "a parking page" if first.parked else f"HTTP {first.status}"
    redirected = first.status is not None and 300 <= first.status < 400
    if redirected or (first.final_url and first.final_url != first.url):
        target = clean(first.final_url, 120) or "elsewhere"
        what = f"a redirect to {target}"
    title = f" ({clean(first.title, 60)!r})" if first.title else ""
    problem = f"{clean(first.url, 120)} serves {what}{title}: redirect it to the real site, or serve nothing"
    record = f"HTTP 301 from http://{domain}/ and https://{domain}/ (every path) to https://{protected}/"
    return HygieneFix("web", problem, record)


def _fixes(finding: Finding) -> tuple[HygieneFix, ...]:
    cand, ev = finding.candidate, finding.evidence
    facts = ev.dns.value
    if facts is None or facts.existence is not Existence.EXISTS:
        if ev.existence is Existence.ABSENT:
            return ()  # not delegated: nobody can use it for mail or the web
        why = status_note(ev.dns.status, ev.dns.detail)
        return (
            HygieneFix("dns", f"the DNS did not answer ({why}): nothing could be checked; scan it again", ""),
        )
    fixes = [
        _mail_fix(cand.domain, facts, finding),
        _spf_fix(cand.domain, facts),
        _dmarc_fix(cand.domain, facts),
        _web_fix(cand.domain, cand.protected, finding),
    ]
    return tuple(f for f in fixes if f is not None)


def _why_ours(finding: Finding, mark: TriageMark | None, owned: Collection[str]) -> str | None:
    """The sentence behind ``Finding.ours``; None when the lookalike is not ours."""
    held = finding.ours(mark, owned)
    if held is Holding.TRIAGED:
        assert mark is not None
        who = f" by {clean(mark.who, 40)}" if mark.who else ""
        when = f" on {mark.when.date().isoformat()}" if mark.when else ""
        note = f": {clean(mark.note, 100)}" if mark.note else ""
        return f"triaged owned{who}{when}{note}"
    if held is Holding.LISTED:
        return "listed as owned in the configuration"
    if held is Holding.SCORED:
        reasons = "; ".join(clean(r, 120) for r in finding.score.owner_reasons[:3])
        return f"matches the protected domain ({reasons})" if reasons else "matches the protected domain"
    return None


def audit(
    findings: Sequence[Finding],
    *,
    triage: Mapping[str, TriageMark] = MappingProxyType({}),
    owned: Collection[str] = (),
) -> list[HygieneAudit]:
    """One audit per lookalike the organisation holds (triaged ``owned``, listed in ``owned``, or judged
    ``Owner.OURS`` by scoring; any other triage state means "not ours"), sorted by protected domain then
    name. Each lists what is missing with the exact record to publish:

    * ``null-mx``  it must refuse mail: a null MX, or no mail route at all. An address without MX means
                   implicit MX (RFC 5321 section 5.1): mail is accepted there.
    * ``spf``      it must not send: ``v=spf1 -all`` (nothing authorised, hard fail).
    * ``dmarc``    ``p=reject`` (and no weaker ``sp``, no ``pct`` below 100).
    * ``web``      a redirect to the real site, or nothing served (only when the web was probed).
    * ``dns``      the DNS did not answer: nothing could be checked (no record to publish).
    """
    audits: dict[str, HygieneAudit] = {}
    for finding in findings:
        cand = finding.candidate
        if cand.domain in audits or not is_hostname(cand.domain):
            continue
        why = _why_ours(finding, triage.get(cand.domain), owned)
        if why is None:
            continue
        audits[cand.domain] = HygieneAudit(cand.domain, cand.protected, why, _fixes(finding))
    return sorted(audits.values(), key=lambda a: (a.protected, a.domain))
