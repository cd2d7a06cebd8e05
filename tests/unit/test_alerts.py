"""The alert text and the webhook payload: what people and programs are told."""

from __future__ import annotations

import json

from lookalike.alerts import alert_payload, alert_subject, alert_text, build_message, slack_escape
from lookalike.model import Change, ChangeKind, Changes, Level
from tests.fixtures.store import PROTECTED, scan

SCAN = scan([], scan_id=12).info
REPORT = "/var/lib/lookalike/reports/lookalike-20260302-061500.html"
IDN = "xn--kstrel-bva.ml"  # késtrel.ml


def _changes() -> Changes:
    return Changes(
        previous_id=11,
        current_id=12,
        new=(
            Change("kestrel.ml", PROTECTED, ChangeKind.NEW, ("MX: mx1.kestrel.ml",), None, Level.HIGH),
            Change(IDN, PROTECTED, ChangeKind.NEW, (), None, Level.LOW),
        ),
        escalated=(
            Change(
                "kestre1.mil",
                PROTECTED,
                ChangeKind.ESCALATED,
                ("login form appeared", "level low -> critical"),
                Level.LOW,
                Level.CRITICAL,
            ),
        ),
        changed=(
            Change(
                "kestrel.ga",
                PROTECTED,
                ChangeKind.CHANGED,
                ("registrar changed: A -> <!channel> Evil & Co\x1b[2J",),
                Level.MEDIUM,
                Level.MEDIUM,
            ),
        ),
        gone=(Change("kestrel.tk", PROTECTED, ChangeKind.GONE, ("no longer in the DNS",), Level.LOW),),
        suppressed=("flappy.ml", "ours.ml"),
    )


def test_alert_text_lists_every_change_with_the_report() -> None:
    text = alert_text(_changes(), scan=SCAN, report=REPORT)
    lines = text.splitlines()
    assert lines[0] == (
        "lookalike: 2 new, 1 escalated, 1 changed, 1 gone since scan 11"
        " (scan 12, started 2026-03-02 06:15 UTC)."
    )
    assert lines[1] == f"Report: {REPORT}"
    assert "New" in lines
    assert "  kestrel.ml  (lookalike of kestrel.mil, high)" in lines
    assert "    - MX: mx1.kestrel.ml" in lines
    assert f"  {IDN} (késtrel.ml)  (lookalike of kestrel.mil, low)" in lines
    assert "  kestre1.mil  (lookalike of kestrel.mil, low -> critical)" in lines
    assert "    - registrar changed: A -> <!channel> Evil & Co⟨U+001B⟩[2J" in lines
    assert lines[-1] == "Left out (2: flapping, unconfirmed, or triaged and unchanged): flappy.ml, ours.ml"
    assert "\x1b" not in text
    assert [line for line in lines if line in ("New", "Escalated", "Changed", "Gone")] == [
        "New",
        "Escalated",
        "Changed",
        "Gone",
    ]


def test_nothing_changed_is_one_line() -> None:
    text = alert_text(Changes(previous_id=3, current_id=4), scan=SCAN, report=None)
    assert text == "lookalike: nothing changed since scan 3 (scan 12, started 2026-03-02 06:15 UTC).\n"


def test_an_interrupted_first_scan_says_so() -> None:
    info = scan([], scan_id=1, interrupted=True).info
    text = alert_text(Changes(previous_id=None, current_id=1), scan=info, report=None)
    assert "(first scan) (scan 1, started 2026-03-02 06:15 UTC; the scan was interrupted" in text


def test_payload_is_slack_compatible_json_with_every_change() -> None:
    payload = alert_payload(_changes(), scan=SCAN, report=REPORT)
    assert json.loads(json.dumps(payload)) == payload
    text = payload["text"]
    assert "\n" not in text
    assert text.startswith("lookalike: 2 new, 1 escalated, 1 changed, 1 gone since scan 11")
    assert f"New: kestrel.ml (high), {IDN} (késtrel.ml) (low)." in text
    assert "Escalated: kestre1.mil (low -&gt; critical)." in text
    assert text.endswith(f"Report: {REPORT}")
    assert "<" not in text, "hostile text cannot make a Slack link or mention"
    assert payload["scan"]["id"] == 12
    assert payload["scan"]["previous_id"] == 11
    assert payload["scan"]["started"] == "2026-03-02T06:15:00+00:00"
    assert payload["scan"]["protected"] == [PROTECTED]
    assert payload["report"] == REPORT
    assert payload["counts"] == {"new": 2, "escalated": 1, "changed": 1, "gone": 1, "suppressed": 2}
    assert [c["kind"] for c in payload["changes"]] == ["new", "new", "escalated", "changed", "gone"]
    first = payload["changes"][0]
    assert first == {
        "kind": "new",
        "domain": "kestrel.ml",
        "unicode": "kestrel.ml",
        "protected": PROTECTED,
        "before": None,
        "after": "high",
        "what": ["MX: mx1.kestrel.ml"],
    }
    assert payload["changes"][1]["unicode"] == "késtrel.ml"
    assert payload["changes"][3]["what"] == ["registrar changed: A -> <!channel> Evil & Co⟨U+001B⟩[2J"]
    assert payload["suppressed"] == ["flappy.ml", "ours.ml"]


def test_a_long_list_is_cut_in_the_summary_but_not_in_the_changes() -> None:
    many = tuple(Change(f"k{i:02}.ml", PROTECTED, ChangeKind.NEW, (), None, Level.LOW) for i in range(25))
    payload = alert_payload(Changes(1, 2, new=many), scan=SCAN, report=None)
    assert "k09.ml (low) and 15 more." in payload["text"]
    assert "k10.ml" not in payload["text"]
    assert len(payload["changes"]) == 25


def test_subject_and_message() -> None:
    subject = alert_subject(_changes(), scan=SCAN)
    assert subject == "lookalike: 2 new, 1 escalated, 1 changed, 1 gone (scan 12)"
    message = build_message(
        sender="lookalike@kestrel.mil",
        recipients=["soc@kestrel.mil"],
        subject="a\r\nBcc: x@evil",
        body="hi\n",
    )
    assert message["Subject"] == "a Bcc: x@evil"
    assert message["Bcc"] is None
    assert message["Message-ID"].endswith("@kestrel.mil>")
    assert message["Auto-Submitted"] == "auto-generated"


def test_slack_escape() -> None:
    assert slack_escape("<!here> & <http://x|y>") == "&lt;!here&gt; &amp; &lt;http://x|y&gt;"
