"""The outbound blocklist: the lookalikes our own mail gateway should refuse to send to.

``blocklist`` lists the lookalikes that exist on their own and may receive mail
(``Evidence.receives_mail``, ``mail_unknown`` or ``mail_bounces``) and are not settled
(``Finding.settled``: ours, or triaged benign), and whole TLDs where a TLD slip is the risk (``.ml``
for a ``.mil`` organisation, from the reviewed table in ``data/tld-policy.toml``).

Pure: no network, no clock, no printing; it must not decide what receives mail or whose a name is
(the model does) nor render (``render`` checks every entry is a host name before it reaches a map).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from types import MappingProxyType

from lookalike.errors import LookalikeError
from lookalike.model import BlockEntry, Finding, MailRoute, TriageMark
from lookalike.names import Name, apex_of, is_hostname, tlds
from lookalike.text import clean
from lookalike.tldpolicy import whole_tld_slips


def _edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


def _mail_reason(finding: Finding) -> str | None:
    evidence = finding.evidence
    facts = evidence.dns.value
    # Only names that exist on their own: a zone's or a TLD's wildcard (or ICANN's 127.0.53.53) is not
    # a registered lookalike, and listing every name a wildcard TLD answers would flood the map.
    if facts is None or not (evidence.receives_mail or evidence.mail_unknown or evidence.mail_bounces):
        return None
    if evidence.mail_bounces:
        why = "mail bounces today (MX hosts without address, or refusing it); its holder can fix that"
    elif facts.mail_route is MailRoute.MX:
        hosts = [clean(mx.host, 80) for mx in facts.mx if mx.host]
        why = f"receives mail (MX {', '.join(hosts[:2])}{' ...' if len(hosts) > 2 else ''})"
    elif facts.mail_route is MailRoute.IMPLICIT:
        why = "receives mail at its address (no MX: implicit MX)"
    else:
        why = "mail route unknown (the MX question went unanswered): blocked to be safe"
    if evidence.catch_all:
        why += "; accepts any recipient"
    return why


def blocklist(
    findings: Sequence[Finding],
    *,
    protected: Sequence[Name],
    triage: Mapping[str, TriageMark] = MappingProxyType({}),
    owned: Collection[str] = (),
    whole_tld: Collection[str] | bool = True,
) -> list[BlockEntry]:
    """Destinations our own mail gateway should refuse: whole TLDs first, then lookalikes, by name.

    A lookalike is listed when it exists and can receive mail: MX, implicit MX (an address, no MX), an
    unanswered MX question, or MX records whose mail bounces today (blocking a name that turns out to
    refuse mail costs nothing; missing one that collects it does). Null MX and no route at all are left
    out, as are names that are ours (triaged owned, in ``owned``, ``Owner.OURS``) or triaged benign;
    triaged malicious or watch stay.

    ``whole_tld``: True adds the reviewed whole-TLD blocks of ``data/tld-policy.toml`` for the
    protected domains' TLDs (``.ml`` for ``.mil``: the organisation's people mail other ``.mil``
    addresses all day and have no ordinary reason to mail Mali); False adds none; a collection names
    the TLDs to block whole, exactly. A protected domain's own TLD is never blocked.
    """
    own_tlds = {n.tld for n in protected}
    own_apexes = {n.apex for n in protected} | {n.ascii for n in protected}
    entries: dict[str, BlockEntry] = {}
    for tld, entry in _whole_tld_entries(protected, whole_tld, own_tlds).items():
        entries[tld] = entry
    for finding in sorted(findings, key=lambda f: (f.candidate.domain, f.candidate.protected)):
        cand = finding.candidate
        if cand.domain in entries or not is_hostname(cand.domain):
            continue
        if cand.domain in own_apexes or apex_of(cand.domain) in own_apexes:
            continue
        why = _mail_reason(finding)
        if why is None or finding.settled(triage.get(cand.domain), owned):
            continue
        techniques = ", ".join(t.value for t in cand.techniques) or "lookalike"
        entries[cand.domain] = BlockEntry(
            cand.domain, cand.protected, f"lookalike of {cand.protected} ({techniques}); {why}"
        )
    return sorted(entries.values(), key=lambda e: (not e.whole_tld, e.domain))


def _whole_tld_entries(
    protected: Sequence[Name], whole_tld: Collection[str] | bool, own_tlds: Collection[str]
) -> dict[str, BlockEntry]:
    out: dict[str, BlockEntry] = {}
    if whole_tld is False or not protected:
        return out
    if whole_tld is True:
        for slip in whole_tld_slips():
            if slip.typo_of not in own_tlds or slip.tld in own_tlds:
                continue
            related = next(n.ascii for n in protected if n.tld == slip.typo_of)
            out["." + slip.tld] = BlockEntry(
                "." + slip.tld, related, f"whole TLD: {slip.why}", whole_tld=True
            )
        return out
    known = tlds()
    for raw in whole_tld:
        tld = raw.strip().lower().strip(".")
        if tld not in known:
            raise LookalikeError(f"{raw!r} is not a top-level domain in the IANA root zone list")
        if tld in own_tlds:
            raise LookalikeError(f"refusing to block .{tld} whole: a protected domain is under it")
        nearest = min(protected, key=lambda n: (_edit_distance(n.tld, tld), n.ascii))
        distance = _edit_distance(nearest.tld, tld)
        how = f"one slip from .{nearest.tld}" if distance == 1 else f"{distance} edits from .{nearest.tld}"
        out["." + tld] = BlockEntry("." + tld, nearest.ascii, f"whole TLD, as asked: {how}", whole_tld=True)
    return out
