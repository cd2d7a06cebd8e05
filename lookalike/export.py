"""The scan as documents other programs read: scan JSON, CSV, and JSON Lines and CEF for a SIEM.

Pure: builds strings and plain data; writing files is the caller's business. Each document comes
as a stream of pieces, one finding at a time (``json_chunks``, ``csv_chunks``, ``jsonl_chunks``,
``cef_chunks``; ``chunks(result, fmt)`` picks one by name from ``FORMATS``), so a scan of any size
is written without its document ever being one string in memory (``outputs.write_atomic`` takes
the pieces). ``dumps``, ``to_csv``, ``to_jsonl``, ``to_cef`` and ``export`` join them, for callers
that want the text.

Every value that came from the outside world (a page title, a registrar name, a TXT record) is
escaped for the format it lands in: JSON by the encoder, CSV cells so no spreadsheet evaluates them
as a formula, CEF per ArcSight's rules (pipes escaped in the header; backslashes, equals signs
and line breaks in extension values).

Scan JSON (``schema_version`` 1) is the stable interface for scripts and cron jobs; its fields are
documented in the README ("Scan JSON") and only ever gain keys within a schema version. Each finding
is one flat object, so ``jq '.findings[] | select(.mail_route == "mx") | .domain'`` just works.
``load_document`` reads it back losslessly, which is how ``lookalike report FILE.json`` re-renders.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lookalike import codec
from lookalike.errors import LookalikeError
from lookalike.model import (
    GENERATED,
    Candidate,
    Certificate,
    Changes,
    DnsFacts,
    Evidence,
    Existence,
    Finding,
    Level,
    MailRoute,
    MxHost,
    Outcome,
    PlanItem,
    Reference,
    Registration,
    ScanInfo,
    ScanResult,
    Score,
    Sighting,
    SmtpFacts,
    Status,
    Technique,
    VisualFacts,
    WebFacts,
)
from lookalike.text import csv_cell, escape_json

SCHEMA_VERSION = 1

REGISTRATION_FIELDS = (
    "source", "server", "registrar", "registrar_iana_id", "created", "expires", "updated",
    "status", "nameservers", "registrant", "abuse", "raw",
)  # fmt: skip
SMTP_FIELDS = (
    "host", "address", "port", "banner", "starttls", "size_limit", "accepts_any_recipient", "code",
    "verdict", "enhanced_code", "reason",
)  # fmt: skip
WEB_FIELDS = (
    "url", "final_url", "status", "redirects", "title", "server", "body_bytes", "parked",
    "login_form", "redirects_to_protected", "tls", "visible_text", "script_redirect",
)  # fmt: skip
VISUAL_FIELDS = (
    "verdict", "reason", "phash_distance", "dhash_distance", "favicon_match", "favicon_mmh3",
    "favicon_sha256", "text_similarity", "brand", "password",
)  # fmt: skip

Screenshots = Callable[[str], str | None]
"""How a document names a screenshot, by its SHA-256: a path relative to the document, or the PNG as a
``data:`` URI (``--inline-images``); None when it has none (``screenshots.Pictures.link``)."""


def _outcome_object(outcome: Outcome[Any], value: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """``{"outcome": ..., "detail": ..., field: value ...}`` with every field present (null if unknown)."""
    body = codec.encode(value) if value is not None else {}
    out: dict[str, Any] = {"outcome": outcome.status.value, "detail": outcome.detail}
    for name in fields:
        out[name] = body.get(name)
    return out


def visual_record(outcome: Outcome[VisualFacts], screenshots: Screenshots | None = None) -> dict[str, Any]:
    """``visual{...}``: the verdict on the rendered page, and where its screenshot is. Without
    ``screenshots``, a screenshot is named by its file name alone (``<sha256>.png``)."""
    facts = outcome.value
    out = _outcome_object(outcome, facts, VISUAL_FIELDS)

    def name(sha: str) -> str | None:
        if not sha:
            return None
        return screenshots(sha) if screenshots is not None else f"{sha}.png"

    out["screenshot"] = name(facts.screenshot) if facts else None
    out["reference_screenshot"] = name(facts.reference) if facts else None
    out["screenshot_sha256"] = (facts.screenshot or None) if facts else None
    out["reference_sha256"] = (facts.reference or None) if facts else None
    return out


def finding_record(finding: Finding, screenshots: Screenshots | None = None) -> dict[str, Any]:
    """One finding as the flat object of the scan JSON (``screenshots``: see ``visual_record``)."""
    cand, ev, score = finding.candidate, finding.evidence, finding.score
    dns = ev.dns.value or DnsFacts(existence=ev.existence)
    smtp = ev.primary_smtp
    web = ev.primary_web
    smtp_obj = _outcome_object(ev.smtp, smtp, SMTP_FIELDS)
    smtp_obj["hosts"] = codec.encode(ev.smtp.value or ())
    web_obj = _outcome_object(ev.web, web, WEB_FIELDS)
    web_obj["probes"] = codec.encode(ev.web.value or ())
    return {
        "domain": cand.domain,
        "unicode": cand.unicode,
        "protected": cand.protected,
        "techniques": [t.value for t in cand.techniques],
        "plausibility": round(cand.plausibility, 4),
        "apex": cand.apex,
        "registrable": cand.registrable,
        "idn_note": cand.note,
        "status": ev.existence.value,
        "dns_outcome": ev.dns.status.value,
        "detail": ev.dns.detail,
        "wildcard": dns.wildcard,
        "name_collision": dns.name_collision,
        "mail_route": dns.mail_route.value,
        "mx": [mx.host for mx in dns.mx if mx.host],  # a null MX names no host: []
        "mx_records": codec.encode(dns.mx),
        "a": list(dns.a),
        "aaaa": list(dns.aaaa),
        "ns": list(dns.ns),
        "soa": dns.soa,
        "cname": list(dns.cname),
        "spf": dns.spf,
        "dmarc": dns.dmarc,
        "dns_problems": list(dns.problems),
        "registration": _outcome_object(ev.registration, ev.registration.value, REGISTRATION_FIELDS),
        "smtp": smtp_obj,
        "web": web_obj,
        "visual": visual_record(ev.visual, screenshots),
        "level": score.level.value,
        "points": score.points,
        "reasons": list(score.reasons),
        "owner": score.owner.value,
        "owner_reasons": list(score.owner_reasons),
        **sighting_record(cand),
    }


def sighting_record(cand: Candidate) -> dict[str, Any]:
    """Where the name came from: ``source`` (``generate``, ``ct:<log>``, ``zone:<tld>``,
    ``list:<file>``), ``seen_at``, the name as the feed showed it (``seen_as``), whether a zone file
    delegates it (``delegated``) and the ``certificate`` a CT log showed it in (null otherwise)."""
    sighting = cand.sighting
    return {
        "source": cand.source,
        "seen_at": codec.encode(sighting.seen_at) if sighting is not None else None,
        "seen_as": sighting.name if sighting is not None else None,
        "delegated": sighting.delegated if sighting is not None else False,
        "certificate": codec.encode(sighting.certificate) if sighting is not None else None,
    }


def _load_sighting(rec: Mapping[str, Any]) -> Sighting | None:
    source = rec.get("source") or GENERATED
    if source == GENERATED:
        return None
    certificate = rec.get("certificate")
    seen_at = rec.get("seen_at")
    return Sighting(
        source=str(source),
        seen_at=codec.decode(datetime, seen_at) if seen_at else None,
        name=str(rec.get("seen_as") or ""),
        certificate=codec.decode(Certificate, certificate) if certificate else None,
        delegated=bool(rec.get("delegated", False)),
    )


def _load_outcome(obj: Mapping[str, Any] | None, tp: Any, *, many_key: str | None = None) -> Outcome[Any]:
    if not obj:
        return Outcome(Status.SKIPPED)
    status = Status(obj.get("outcome", "skipped"))
    detail = str(obj.get("detail") or "")
    if many_key is not None:
        items = obj.get(many_key) or []
        return Outcome(status, codec.decode(tuple[tp, ...], items) if items else None, detail)
    if status is Status.OK:
        return Outcome(status, codec.decode(tp, {k: v for k, v in obj.items() if v is not None}), detail)
    return Outcome(status, None, detail)


def _load_visual(obj: Mapping[str, Any] | None) -> Outcome[VisualFacts]:
    """The inverse of ``visual_record`` (the facts are there whenever a verdict is)."""
    if not obj or obj.get("verdict") is None:
        return _load_outcome(obj, VisualFacts)
    fields = {k: obj[k] for k in VISUAL_FIELDS if obj.get(k) is not None}
    fields["screenshot"] = obj.get("screenshot_sha256") or ""
    fields["reference"] = obj.get("reference_sha256") or ""
    facts: VisualFacts = codec.decode(VisualFacts, fields)
    return Outcome(Status(obj.get("outcome", "ok")), facts, str(obj.get("detail") or ""))


def screenshot_links(data: Mapping[str, Any]) -> dict[str, str]:
    """SHA-256 -> how a scan JSON document names each screenshot (a relative path or a ``data:``
    URI), for re-rendering it with its pictures. Damaged entries are left out."""
    links: dict[str, str] = {}
    for rec in data.get("findings") or ():
        visual = rec.get("visual") if isinstance(rec, Mapping) else None
        if not isinstance(visual, Mapping):
            continue
        for sha_key, link_key in (
            ("screenshot_sha256", "screenshot"),
            ("reference_sha256", "reference_screenshot"),
        ):
            sha, link = visual.get(sha_key), visual.get(link_key)
            if isinstance(sha, str) and isinstance(link, str) and sha not in links:
                links[sha] = link
    return links


def load_record(rec: Mapping[str, Any]) -> Finding:
    """The inverse of ``finding_record``."""
    cand = Candidate(
        domain=rec["domain"],
        unicode=rec.get("unicode", rec["domain"]),
        protected=rec["protected"],
        techniques=tuple(Technique(t) for t in rec.get("techniques", ())),
        plausibility=float(rec.get("plausibility", 0.0)),
        apex=rec.get("apex", ""),
        registrable=bool(rec.get("registrable", True)),
        note=rec.get("idn_note", ""),
        sighting=_load_sighting(rec),
    )
    facts = DnsFacts(
        existence=Existence(rec["status"]),
        ns=tuple(rec.get("ns", ())),
        soa=rec.get("soa") or "",
        a=tuple(rec.get("a", ())),
        aaaa=tuple(rec.get("aaaa", ())),
        cname=tuple(rec.get("cname", ())),
        mx=codec.decode(tuple[MxHost, ...], rec.get("mx_records", [])),
        mail_route=MailRoute(rec.get("mail_route", "unknown")),
        spf=rec.get("spf"),
        dmarc=rec.get("dmarc"),
        wildcard=bool(rec.get("wildcard", False)),
        name_collision=bool(rec.get("name_collision", False)),
        problems=tuple(rec.get("dns_problems", ())),
    )
    dns_status = Status(rec.get("dns_outcome", "ok"))
    has_facts = dns_status is not Status.ABSENT or facts.existence is not Existence.ABSENT
    evidence = Evidence(
        dns=Outcome(dns_status, facts if has_facts else None, rec.get("detail", "")),
        registration=_load_outcome(rec.get("registration"), Registration),
        smtp=_load_outcome(rec.get("smtp"), SmtpFacts, many_key="hosts"),
        web=_load_outcome(rec.get("web"), WebFacts, many_key="probes"),
        visual=_load_visual(rec.get("visual")),
    )
    score: Score = codec.decode(
        Score,
        {k: rec[k] for k in ("level", "points", "reasons", "owner", "owner_reasons") if k in rec},
    )
    return Finding(cand, evidence, score)


def scan_document(
    result: ScanResult, *, changes: Changes | None = None, screenshots: Screenshots | None = None
) -> dict[str, Any]:
    """The whole scan as the scan JSON document: the registration plan the scan made (``plan``, from
    ``ScanInfo.plan``; kept out of ``scan``) and the changes since the previous scan when there are
    some (``changes``, null otherwise). ``screenshots``: see ``visual_record``."""
    info = codec.encode(result.info)
    info.pop("plan", None)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": "lookalike",
        "scan": info,
        "references": codec.encode(result.references),
        "findings": [finding_record(f, screenshots) for f in result.findings],
        "plan": codec.encode(result.info.plan),
        "changes": codec.encode(changes) if changes is not None else None,
    }


def load_changes(data: Mapping[str, Any]) -> Changes | None:
    """The changes a scan JSON document carries (None for documents without them). Raises
    ``ValueError`` when they are damaged."""
    try:
        raw = data.get("changes")
        return codec.decode(Changes, raw) if raw else None
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"the scan JSON document's changes are damaged: {exc}") from exc


def load_document(data: Mapping[str, Any]) -> ScanResult:
    """Read a scan JSON document back, with its plan. Raises ``ValueError`` when it is not one."""
    if not isinstance(data, Mapping) or data.get("tool") != "lookalike" or "findings" not in data:
        raise ValueError("not a lookalike scan JSON document")
    version = data.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise ValueError(f"scan JSON schema_version {version!r} is newer than this lookalike reads")
    try:
        info: ScanInfo = codec.decode(ScanInfo, data["scan"])
        plan: tuple[PlanItem, ...] = codec.decode(tuple[PlanItem, ...], data.get("plan") or [])
        return ScanResult(
            info=dataclasses.replace(info, plan=plan),
            references=codec.decode(tuple[Reference, ...], data.get("references", [])),
            findings=tuple(load_record(r) for r in data["findings"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"the scan JSON document is damaged: {exc}") from exc


def json_chunks(
    result: ScanResult, *, changes: Changes | None = None, screenshots: Screenshots | None = None
) -> Iterator[str]:
    """The scan JSON document as pieces of text, one finding (and one change) at a time: the same
    text as ``json.dumps(scan_document(...), indent=2)``, without the document or its text ever
    being whole in memory. ``screenshots``: see ``visual_record``."""
    info = codec.encode(result.info)
    info.pop("plan", None)
    document = _Members(
        [
            ("schema_version", SCHEMA_VERSION),
            ("tool", "lookalike"),
            ("scan", info),
            ("references", codec.encode(result.references)),
            ("findings", _Items(finding_record(f, screenshots) for f in result.findings)),
            ("plan", codec.encode(result.info.plan)),
            ("changes", _changes_members(changes) if changes is not None else None),
        ]
    )
    yield from _layout(document, 0)
    yield "\n"


@dataclass(frozen=True, slots=True)
class _Items:
    """A JSON array written an item at a time (each item encoded as it is reached)."""

    items: Iterable[object]


@dataclass(frozen=True, slots=True)
class _Members:
    """A JSON object written a member at a time."""

    pairs: Iterable[tuple[str, object]]


def _changes_members(changes: Changes) -> _Members:
    """``codec.encode(changes)``, its lists of changes encoded a change at a time."""
    pairs: list[tuple[str, object]] = []
    for spec in dataclasses.fields(changes):
        value = getattr(changes, spec.name)
        pairs.append((spec.name, _Items(map(codec.encode, value)) if isinstance(value, tuple) else value))
    return _Members(pairs)


def _layout(value: object, depth: int) -> Iterator[str]:
    """``value`` as ``json.dumps(value, indent=2)`` writes it ``depth`` levels deep in a document
    (the first line not indented), in pieces: ``_Items`` and ``_Members`` a part at a time. A JSON
    string never holds a raw line break, so every line break of a piece is the layout's."""
    if isinstance(value, _Items):
        yield from _bracketed("[]", ((None, item) for item in value.items), depth)
    elif isinstance(value, _Members):
        yield from _bracketed("{}", value.pairs, depth)
    else:
        text = escape_json(json.dumps(codec.encode(value), indent=2, ensure_ascii=False))
        yield text.replace("\n", "\n" + "  " * depth) if depth else text


def _bracketed(brackets: str, parts: Iterable[tuple[str | None, object]], depth: int) -> Iterator[str]:
    """An array (keys None) or an object, a part at a time, ``depth`` levels deep."""
    pad = "\n" + "  " * (depth + 1)
    yield brackets[0]
    empty = True
    for key, part in parts:
        yield ("" if empty else ",") + pad + ("" if key is None else json.dumps(key) + ": ")
        yield from _layout(part, depth + 1)
        empty = False
    yield brackets[1] if empty else "\n" + "  " * depth + brackets[1]


def dumps(
    result: ScanResult, *, changes: Changes | None = None, screenshots: Screenshots | None = None
) -> str:
    """The scan JSON document as text (``json_chunks`` joined)."""
    return "".join(json_chunks(result, changes=changes, screenshots=screenshots))


# --- CSV -----------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "domain", "unicode", "protected", "techniques", "plausibility", "status", "level", "points",
    "owner", "mail_route", "mx", "a", "aaaa", "ns", "spf", "dmarc", "wildcard", "registrar",
    "created", "expires", "accepts_any_recipient", "web_title", "parked", "login_form", "reasons",
    "source", "seen_at", "visual",
)  # fmt: skip


def csv_row(finding: Finding) -> list[str]:
    rec = finding_record(finding)
    reg = rec["registration"]
    values: dict[str, object] = {
        **rec,
        "techniques": ";".join(rec["techniques"]),
        "mx": ";".join(rec["mx"]),
        "a": ";".join(rec["a"]),
        "aaaa": ";".join(rec["aaaa"]),
        "ns": ";".join(rec["ns"]),
        "registrar": reg["registrar"],
        "created": reg["created"],
        "expires": reg["expires"],
        "accepts_any_recipient": rec["smtp"]["accepts_any_recipient"],
        "web_title": rec["web"]["title"],
        "parked": rec["web"]["parked"],
        "login_form": rec["web"]["login_form"],
        "reasons": "; ".join(rec["reasons"]),
        "visual": rec["visual"]["verdict"],
    }
    return [csv_cell(values.get(col)) for col in CSV_COLUMNS]


def csv_chunks(findings: Iterable[Finding]) -> Iterator[str]:
    """Findings as CSV with a header row, one line (record) at a time; every cell formula-safe."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for finding in findings:
        writer.writerow(csv_row(finding))
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    yield buf.getvalue()


def to_csv(findings: Iterable[Finding]) -> str:
    """Findings as CSV with a header row (``csv_chunks`` joined)."""
    return "".join(csv_chunks(findings))


def jsonl_chunks(result: ScanResult) -> Iterator[str]:
    """One JSON object per line per finding, each carrying the scan's id and time: what SIEMs ingest."""
    for finding in result.findings:
        rec = finding_record(finding)
        reg = rec.pop("registration")
        rec["registrar"] = reg["registrar"]
        rec["created"] = reg["created"]
        rec["event"] = "lookalike.finding"
        rec["scan_id"] = result.info.id
        rec["scan_started"] = result.info.started.isoformat()
        for key in ("smtp", "web"):
            obj = rec.pop(key)
            obj.pop("hosts", None)
            obj.pop("probes", None)
            rec[key] = obj
        rec["visual"].pop("reference_screenshot", None)
        yield escape_json(json.dumps(rec, ensure_ascii=False, sort_keys=True)) + "\n"


def to_jsonl(result: ScanResult) -> str:
    """The JSON Lines export as text (``jsonl_chunks`` joined)."""
    return "".join(jsonl_chunks(result))


# --- CEF (ArcSight Common Event Format) ---------------------------------------------------------

CEF_SEVERITY: Mapping[Level, int] = {
    Level.CRITICAL: 10,
    Level.HIGH: 8,
    Level.MEDIUM: 5,
    Level.LOW: 3,
    Level.INFO: 1,
}
"""CEF severity (0-10) for each level."""


def cef_header(text: object) -> str:
    """A CEF header field: ``\\`` and ``|`` escaped; line breaks (not allowed there) become spaces."""
    value = "" if text is None else str(text)
    value = value.replace("\\", "\\\\").replace("|", "\\|")
    return value.replace("\r\n", " ").replace("\r", " ").replace("\n", " ")


def cef_value(text: object) -> str:
    """A CEF extension value: ``\\``, ``=`` and line breaks escaped, so nothing in it starts a key."""
    value = "" if text is None else str(text)
    return (
        value.replace("\\", "\\\\")
        .replace("=", "\\=")
        .replace("\r\n", "\\n")
        .replace("\r", "\\r")
        .replace("\n", "\\n")
    )


def _epoch_ms(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def _cef_name(finding: Finding) -> str:
    evidence = finding.evidence
    dns = evidence.dns.value
    if evidence.existence is Existence.UNKNOWN:
        return "Lookalike domain could not be checked"
    if dns is not None and dns.wildcard:
        return "Lookalike domain exists through a wildcard"
    if evidence.catch_all:
        return "Lookalike domain accepts mail for any recipient"
    if evidence.receives_mail:
        return "Lookalike domain can receive mail"
    return "Lookalike domain exists"


CEF_VISUAL = "lookalikeLookalikeVisualVerdict"
"""The CEF extension key for the visual verdict (a vendor key: VendorProductExplanatoryName)."""


def cef_line(finding: Finding, info: ScanInfo, version: str) -> str:
    """One finding as one CEF:0 line (without a syslog prefix)."""
    rec = finding_record(finding)
    reg = rec["registration"]
    level = finding.score.level
    ext: list[tuple[str, object]] = [
        ("rt", _epoch_ms(info.started)),
        ("cat", level.value),
        ("dhost", rec["domain"]),
    ]
    if rec["a"]:
        ext.append(("dst", rec["a"][0]))
    ext += [("outcome", rec["status"]), ("msg", "; ".join(rec["reasons"]))]

    def custom(key: str, label: str, value: object) -> None:
        # A custom field goes out with its label, and not at all when it is empty.
        if value is not None and value != "":
            ext.extend(((key + "Label", label), (key, value)))

    reg_value = finding.evidence.registration.value
    accepts = rec["smtp"]["accepts_any_recipient"]
    custom("cs1", "protected", rec["protected"])
    custom("cs2", "mailRoute", rec["mail_route"])
    custom("cs3", "owner", rec["owner"])
    custom("cs4", "registrar", reg["registrar"])
    custom("cs5", "techniques", ",".join(rec["techniques"]))
    custom("cs6", "mx", ",".join(rec["mx"]))
    custom("cn1", "points", rec["points"])
    custom("cn2", "scanId", info.id)
    custom(
        "deviceCustomDate1",
        "registered",
        _epoch_ms(reg_value.created) if reg_value and reg_value.created else None,
    )
    custom("flexString1", "unicode", rec["unicode"] if rec["unicode"] != rec["domain"] else None)
    custom("flexString2", "acceptsAnyRecipient", None if accepts is None else str(bool(accepts)).lower())
    if rec["visual"]["verdict"] is not None:
        # No dictionary key says "how alike a page is": a vendor key, named as the CEF guide asks.
        ext.append((CEF_VISUAL, rec["visual"]["verdict"]))
    if rec["web"]["final_url"] or rec["web"]["url"]:
        ext.append(("request", rec["web"]["final_url"] or rec["web"]["url"]))
    header = "|".join(
        cef_header(v)
        for v in (
            "lookalike",
            "lookalike",
            version,
            f"finding-{level.value}",
            _cef_name(finding),
            CEF_SEVERITY[level],
        )
    )
    return f"CEF:0|{header}|" + " ".join(f"{key}={cef_value(value)}" for key, value in ext)


def cef_chunks(result: ScanResult) -> Iterator[str]:
    """Every finding as a CEF line, for ArcSight and the many SIEMs that read CEF."""
    from lookalike import __version__

    version = result.info.version or __version__
    for finding in result.findings:
        yield cef_line(finding, result.info, version) + "\n"


def to_cef(result: ScanResult) -> str:
    """The CEF export as text (``cef_chunks`` joined)."""
    return "".join(cef_chunks(result))


FORMATS: tuple[str, ...] = ("json", "csv", "jsonl", "cef")
"""The names ``export`` takes."""
EXTENSIONS: Mapping[str, str] = {"json": "json", "csv": "csv", "jsonl": "jsonl", "cef": "cef", "html": "html"}
"""File name extension per format (``html`` is the report, rendered by ``lookalike.report``)."""


def chunks(result: ScanResult, fmt: str, *, changes: Changes | None = None) -> Iterator[str]:
    """The scan in format ``fmt`` (one of ``FORMATS``) as pieces of text, one finding at a time
    (``changes`` go into the scan JSON only). Raises ``LookalikeError`` for an unknown name, at once."""
    name = fmt.strip().lower()
    if name == "json":
        return json_chunks(result, changes=changes)
    if name == "csv":
        return csv_chunks(result.findings)
    if name == "jsonl":
        return jsonl_chunks(result)
    if name == "cef":
        return cef_chunks(result)
    raise LookalikeError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")


def export(result: ScanResult, fmt: str) -> str:
    """The scan in format ``fmt`` (one of ``FORMATS``) as text. Raises ``LookalikeError`` for an
    unknown name."""
    return "".join(chunks(result, fmt))
