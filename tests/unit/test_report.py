"""The HTML report: hostile text stays inert, the CSP matches, nothing is fetched, every section shows."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from lookalike import report
from lookalike.model import (
    Availability,
    BlockEntry,
    Certificate,
    Change,
    ChangeKind,
    Changes,
    Finding,
    HygieneAudit,
    HygieneFix,
    Level,
    MailRoute,
    Outcome,
    Owner,
    PlanItem,
    Score,
    Sighting,
    SmtpVerdict,
    Status,
    Technique,
    Triage,
    TriageMark,
)
from lookalike.report import build_view, glyphs, json_for_script, render
from lookalike.report.view import display
from tests import factories as fx
from tests.fixtures.report import BigReport


class Document(HTMLParser):
    """Every start tag with its attributes, and the text of every script and style element."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self._open: tuple[str, dict[str, str | None]] | None = None
        self._text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag in ("script", "style"):
            self._open, self._text = (tag, attributes), []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None and tag == self._open[0]:
            text = "".join(self._text)
            if tag == "script":
                self.scripts.append((self._open[1], text))
            else:
                self.styles.append(text)
            self._open = None


def sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def rendered(findings: list[Finding], **kwargs: object) -> str:
    return render(fx.scan_result(findings), generated_at=fx.NOW, **kwargs)  # type: ignore[arg-type]


def hostile_report() -> str:
    findings = [fx.hostile_finding(p, domain=f"kestre1systems{i}.com") for i, p in enumerate(fx.HOSTILE)]
    payload = fx.HOSTILE[0]
    return rendered(
        findings,
        changes=Changes(1, 2, new=(Change("kestre1systems0.com", fx.PROTECTED, ChangeKind.NEW, (payload,)),)),
        triage={
            "kestre1systems1.com": TriageMark("kestre1systems1.com", Triage.WATCH, note=payload, who=payload)
        },
        plan=[
            PlanItem(
                1,
                "kestrelsystems.net",
                "kestrelsystems.net",
                fx.PROTECTED,
                (Technique.TLD_SWAP,),
                0.9,
                0.8,
                Availability.AVAILABLE,
                tld_policy=payload,
                reason=payload,
            )
        ],
        audit=[
            HygieneAudit("kestrelsystems.co", fx.PROTECTED, payload, (HygieneFix("spf", payload, payload),))
        ],
        blocklist=[
            BlockEntry("kestrelsytems.com", fx.PROTECTED, payload),
            BlockEntry(".ml", "army.mil", payload, whole_tld=True),
        ],
    )


# --- hostile text --------------------------------------------------------------------------------


def test_hostile_text_stays_text() -> None:
    html = hostile_report()
    doc = Document(html)
    tags = {tag for tag, _ in doc.tags}
    assert "img" not in tags
    assert "iframe" not in tags
    assert "object" not in tags
    assert "embed" not in tags
    for tag, attrs in doc.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "style" not in attrs, (tag, attrs)  # the CSP allows no style attributes
        for name in ("href", "src", "action", "formaction", "xlink:href"):
            value = attrs.get(name)
            assert value is None or value.startswith(("#", "data:")), (tag, attrs)
        if tag == "svg":
            assert attrs.get("class") == "chart"
    assert len(doc.scripts) == 2, [a for a, _ in doc.scripts]
    assert "window.__pwned" not in doc.scripts[1][1]
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html
    assert "{% raw %}" in html
    assert "⟨U+202E⟩exe.txt" in html  # bidi override made visible


@pytest.mark.parametrize("payload", fx.HOSTILE)
def test_each_payload_is_escaped_everywhere(payload: str) -> None:
    html = rendered([fx.hostile_finding(payload)])
    raw_markup = payload if "<" in payload or '"' in payload else None
    if raw_markup is not None:
        assert raw_markup not in html
    doc = Document(html)
    assert len(doc.scripts) == 2


def test_json_block_cannot_end_early() -> None:
    html = hostile_report()
    doc = Document(html)
    attrs, text = doc.scripts[0]
    assert attrs == {"type": "application/json", "id": "report-data"}
    assert "<" not in text
    assert ">" not in text
    assert "&" not in text
    data = json.loads(text)
    assert len(data["rows"]) == len(fx.HOSTILE)
    assert any("</script>" in str(row) for row in data["rows"])  # the payload survives as data


def test_json_for_script_escapes() -> None:
    text = json_for_script({"a": "</script><!-- & \u2028 \u2029"})
    assert not re.search(r"[<>&\u2028\u2029]", text)
    assert json.loads(text) == {"a": "</script><!-- & \u2028 \u2029"}


def test_clean_shows_controls_and_cuts() -> None:
    assert display("a\x00b\x1bc\u202ed\n\te") == "a⟨U+0000⟩b⟨U+001B⟩c⟨U+202E⟩d\n\te"
    assert display("x" * 50, 10) == "x" * 10 + "…"
    assert display(None) == ""
    assert display("y" * 5000, 2000).endswith("(cut at 2,000 characters)")


def test_confusables_are_highlighted_with_code_points() -> None:
    parts = glyphs("k\u0435strel\u200bsystems.com")
    assert parts[0].text == "k"
    assert not parts[0].code
    assert parts[1].text == "\u0435"
    assert parts[1].code == "U+0435 CYRILLIC SMALL LETTER IE"
    assert parts[3].text == "⟨U+200B⟩"
    assert parts[3].code.startswith("U+200B ZERO WIDTH SPACE")
    html = rendered(fx.sample_findings())
    assert '<mark class="cf" title="U+0435 CYRILLIC SMALL LETTER IE">\u0435</mark>' in html
    assert "xn--kstrelsystems-w3k.com" in html


# --- CSP and no outside requests ------------------------------------------------------------------


def test_csp_allows_exactly_the_inline_script_and_style() -> None:
    html = rendered(fx.sample_findings())
    doc = Document(html)
    metas = [a for t, a in doc.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert len(metas) == 1
    policy = metas[0]["content"] or ""
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["default-src"] == "'none'"
    assert directives["img-src"] == "data:"
    (style,) = doc.styles
    executable = [text for attrs, text in doc.scripts if attrs.get("type") != "application/json"]
    assert len(executable) == 1
    assert directives["style-src"] == f"'{sha256(style)}'"
    assert directives["script-src"] == f"'{sha256(executable[0])}'"
    # the policy comes before anything it governs
    assert html.index("Content-Security-Policy") < html.index("<style>") < html.index("<script")


def test_no_outside_resources() -> None:
    html = hostile_report()
    doc = Document(html)
    for tag, attrs in doc.tags:
        for name, value in attrs.items():
            if name in ("href", "src", "action", "poster", "data", "srcset", "background"):
                assert value is None or value.startswith(("#", "data:")), (tag, name, value)
        assert tag not in ("link",) or attrs.get("href") == "data:,", attrs
    (style,) = doc.styles
    assert "url(" not in style
    assert "@import" not in style
    assert "http" not in style
    assert "http" not in doc.scripts[1][1]
    assert "fetch(" not in doc.scripts[1][1]
    assert "XMLHttpRequest" not in doc.scripts[1][1]
    assert "innerHTML" not in doc.scripts[1][1]
    assert "eval(" not in doc.scripts[1][1]


# --- content -------------------------------------------------------------------------------------


def test_headline_counts_mail_capable_lookalikes_not_ours() -> None:
    view = build_view(fx.scan_result(fx.sample_findings()))
    assert view.headline == "3 lookalikes can receive your mail; 1 accepts any recipient"
    assert "probably yours" in view.subline
    html = rendered(fx.sample_findings())
    assert "3 lookalikes can receive your mail; 1 accepts any recipient" in html
    assert 'Showing <strong id="shown">8</strong> of <strong id="total">8</strong> findings' in html


def test_headline_when_nothing_receives_mail() -> None:
    view = build_view(fx.scan_result([]))
    assert view.headline == "No lookalike held by others can receive your mail"
    html = rendered([])
    assert "No lookalike exists or was left unchecked." in html


def test_synthetic_banner_only_when_asked() -> None:
    assert "Synthetic data: the offline demo universe" in rendered([], synthetic=True)
    assert "Synthetic data" not in rendered([])


def test_interrupted_scan_is_flagged() -> None:
    result = fx.scan_result(fx.sample_findings())
    result = replace(result, info=replace(result.info, interrupted=True))
    assert "Interrupted scan" in render(result)


def test_render_never_rescores() -> None:
    finding = fx.finding(
        fx.candidate(), fx.evidence(), score=Score(Level.LOW, 3, ("a rule from 2031 (+3)",), Owner.UNKNOWN)
    )
    html = rendered([finding])
    assert "a rule from 2031 (+3)" in html
    assert '<span class="badge low">low</span>' in html


def test_rows_are_ordered_by_level_then_points() -> None:
    view = build_view(fx.scan_result(fx.sample_findings()))
    keys = [(r.level.rank, -r.finding.score.points) for r in view.rows]
    assert keys == sorted(keys)
    assert [r.index for r in view.rows] == list(range(len(view.rows)))


def test_per_domain_summary() -> None:
    findings = [
        *fx.sample_findings(),
        fx.finding(fx.candidate("kestrel.ml", protected="kestrel.mil"), fx.evidence()),
    ]
    view = build_view(
        fx.scan_result(findings),
        changes=Changes(1, 2, new=(Change("kestrelsytems.com", fx.PROTECTED, ChangeKind.NEW),)),
    )
    by_domain = {s.domain: s for s in view.summaries}
    main = by_domain[fx.PROTECTED]
    assert (main.can_receive, main.catch_all, main.ours, main.new) == (3, 1, 1, 1)
    assert main.third_party == 5
    assert by_domain["kestrel.mil"].new == 0
    assert main.reference is not None


def test_changes_section_and_badges() -> None:
    changes = fx.sample_changes()
    html = rendered(fx.sample_findings(), changes=changes)
    assert "What changed since the previous scan" in html
    assert "Compared with scan #6" in html
    assert "MX added: mx.parkingdns.example" in html
    assert "catch-all started" in html
    assert '<span class="change new">new</span>' in html
    assert '<span class="change escalated">escalated</span>' in html
    assert "kestrel-sys.com" in html
    assert 'id="f-change"' in html


def test_no_changes_section_without_a_previous_scan() -> None:
    html = rendered(fx.sample_findings())
    assert "What changed" not in html
    assert 'id="f-change"' not in html


def test_unknowns_are_listed_apart() -> None:
    view = build_view(fx.scan_result(fx.sample_findings()))
    unknown = {r.finding.candidate.domain: r.unknowns for r in view.unknown_rows}
    assert unknown["kestrelsystems.cm"] == ("DNS: timeout (timeout)",)
    assert unknown["kestrel-systems.com"][0].startswith("registry: timeout")
    html = rendered(fx.sample_findings())
    assert "Unknowns: could not be checked" in html
    assert "Unknown is not safe" in html


def details_of(html: str) -> list[list[dict[str, object]]]:
    attrs, text = Document(html).scripts[0]
    assert attrs.get("type") == "application/json"
    details: list[list[dict[str, object]]] = json.loads(text)["details"]
    return details


def test_triage_and_detail_evidence() -> None:
    findings = fx.sample_findings()
    mark = TriageMark(
        "kestrelsytems.com", Triage.MALICIOUS, note="reported to the registrar", who="ana", when=fx.NOW
    )
    html = rendered(findings, triage={"kestrelsytems.com": mark})
    assert '<span class="triage malicious"' in html
    first = json.dumps(details_of(html)[0], ensure_ascii=False)
    assert "reported to the registrar" in first
    assert "2026-11-27 08:00 UTC" in first
    # raw evidence: DNS records, SPF text, registration fields and raw text, SMTP transcript, web chain, TLS
    for text in (
        "v=spf1 ip4:192.0.2.0/24 +all",
        "Domain Name: EXAMPLE",
        "RCPT TO:<x7k2q9@example>",
        "CN=Example CA",
        "abuse@cheapnames.example",
        "clientTransferProhibited",
        "10 mx.parkingdns.example",
        "Raw RDAP response",
    ):
        assert text in first, text
    titles = [card["t"] for card in details_of(html)[0]]
    assert titles[1:6] == ["Name", "DNS", "Registration", "SMTP", "Web"]


def test_detail_cards_have_one_entry_per_row() -> None:
    html = rendered(fx.sample_findings())
    details = details_of(html)
    assert len(details) == len(fx.sample_findings())
    idn = next(d for d in details if "xn--kstrelsystems-w3k.com" in json.dumps(d))
    assert '["\u0435", "U+0435 CYRILLIC SMALL LETTER IE"]' in json.dumps(idn, ensure_ascii=False)


def test_plan_audit_blocklist_sections() -> None:
    html = hostile_report()
    assert 'id="plan"' in html
    assert "Defensive registration plan" in html
    assert 'id="hygiene"' in html
    assert "1 to fix" in html
    assert 'id="blocklist"' in html
    assert "whole TLD" in html
    without = rendered(fx.sample_findings())
    assert 'id="plan"' not in without
    assert 'id="hygiene"' not in without
    assert 'id="blocklist"' not in without


def test_scan_details() -> None:
    html = rendered(fx.sample_findings())
    for text in ("127.0.0.1:5353", "dns,registry,smtp,web", "12.25 s", "42.5 s", "2026-11-27 08:00 UTC"):
        assert text in html, text


def test_raw_text_is_capped() -> None:
    finding = fx.sample_findings()[0]
    reg = finding.evidence.registration.value
    assert reg is not None
    big = replace(
        finding,
        evidence=replace(
            finding.evidence,
            registration=replace(
                finding.evidence.registration, value=replace(reg, raw="W" * (report.MAX_RAW + 5000))
            ),
        ),
    )
    raw = json.dumps(details_of(rendered([big]))[0][-1])
    assert "W" * report.MAX_RAW in raw
    assert "W" * (report.MAX_RAW + 1) not in raw
    assert f"cut at {report.MAX_RAW:,} characters" in raw


def test_ten_thousand_findings_render_quickly(big_report: BigReport) -> None:
    size = big_report.megabytes
    print(f"\n{big_report.findings:,} findings rendered in {big_report.seconds:.2f} s, {size:.1f} MB")
    assert big_report.seconds < 60  # measured, not asserted tightly
    html = big_report.path.read_text("utf-8")
    assert html.count('<tbody class="finding') == 10_000
    assert html.count(' beyond" data-i=') == 10_000 - report.PAGE_SIZE  # off screen until asked for


def test_the_smtp_reading_and_the_deciding_owner_link_are_shown() -> None:
    relay = replace(
        fx.smtp_facts("mx.kestrelsystms.example", accepts=None, code=554),
        verdict=SmtpVerdict.NOT_SERVED,
        enhanced_code="5.7.1",
        reason='does not serve kestrelsystms.com (554 5.7.1): "554 5.7.1 Relay access denied"',
    )
    bounced = fx.finding(
        fx.candidate("kestrelsystms.com"),
        replace(fx.evidence(mail=MailRoute.MX), smtp=Outcome(Status.OK, (relay,))),
    )
    dangling = fx.finding(fx.candidate("kestrelsystem.com"), fx.evidence(mail=MailRoute.DANGLING_MX))
    ours = fx.finding(
        fx.candidate("kestrelsystems.co"), fx.evidence(ns=fx.PROTECTED_NS, redirects_to_protected=True)
    )
    view = build_view(fx.scan_result([bounced, dangling, ours]))
    rows = {row.finding.candidate.domain: row for row in view.rows}
    assert rows["kestrelsystms.com"].smtp_label == "relay denied (554)"
    assert not rows["kestrelsystms.com"].can_receive  # mail bounces there today
    assert rows["kestrelsystem.com"].route is MailRoute.DANGLING_MX
    html = rendered([bounced, dangling, ours])
    assert "MX without address" in html
    cards = {json.dumps(d, ensure_ascii=False) for d in details_of(html)}
    smtp = next(c for c in cards if "kestrelsystms.com" in c)
    assert '["Reading", "not-served (5.7.1)"]' in smtp
    assert "Relay access denied" in smtp
    owned = next(c for c in cards if 'kestrelsystems.co"' in c)
    assert "decided by: uses the same name servers as kestrelsystems.com" in owned
    assert "its website redirects to kestrelsystems.com, but" in owned
    assert 'title="uses the same name servers as kestrelsystems.com' in html


def test_feed_findings_carry_their_source_and_certificate() -> None:
    cert = Certificate(
        issuer="C=US, O=Let's Encrypt, CN=R11",
        not_before=fx.NOW,
        sans=("login.kestre1systems.com",),
        log="argon2026h2",
        index=123456,
        precert=True,
    )
    seen = Sighting(
        source="ct:argon2026h2", seen_at=fx.NOW, name="login.kestre1systems.com", certificate=cert
    )
    feed = fx.hostile_finding("plain", domain="kestre1systems.com")
    feed = replace(feed, candidate=replace(feed.candidate, sighting=seen))
    generated = fx.sample_findings()[0]
    view = build_view(fx.scan_result([feed, generated]))
    assert view.sources == ("ct:argon2026h2", "generate")
    html = rendered([feed, generated])
    assert '<select id="f-source">' in html and '<option value="ct:argon2026h2">' in html
    assert '<span class="source">ct:argon2026h2</span>' in html
    data = json.loads(Document(html).scripts[0][1])
    column = data["columns"].index("source")
    assert sorted(row[column] for row in data["rows"]) == ["ct:argon2026h2", "generate"]
    cards = [c for details in data["details"] for c in details if c["t"] == "Seen in a feed"]
    (card,) = cards
    pairs = dict(card["i"][0][1])
    assert pairs["Log entry"] == "argon2026h2 #123,456 (precertificate)"
    assert pairs["Issuer"] == "C=US, O=Let's Encrypt, CN=R11"
    # A scan of generated names alone has no source filter.
    assert 'id="f-source"' not in rendered([generated])
