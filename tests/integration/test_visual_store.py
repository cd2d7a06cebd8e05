"""The visual verdict in the history database: a scan with ``--screenshot`` is stored and read back
whole, and re-scoring it from the store gives the same points. (Evidence stored before the field
existed loads as "not looked at": ``tests/unit/test_visual_evidence.py`` checks that at the codec,
through which the store reads every row.)"""

from __future__ import annotations

from lookalike.model import MailRoute, Status, Verdict, skipped
from lookalike.scoring import score
from lookalike.store import Store
from tests import factories as fx
from tests.fixtures.store import scan


def test_a_scan_with_verdicts_round_trips(store: Store) -> None:
    findings = [
        fx.finding(fx.candidate(f"kestrelsystem{i}.com"), fx.evidence(mail=MailRoute.MX, visual=visual))
        for i, visual in enumerate(
            [
                fx.visual_facts(Verdict.CLONE),
                fx.visual_facts(Verdict.UNKNOWN, status=Status.TIMEOUT, screenshot=""),
                fx.visual_facts(Verdict.SIMILAR, reason=fx.HOSTILE[0]),
                skipped("no web page answered"),
            ]
        )
    ]
    result = scan(findings)
    scan_id = store.begin_scan(result.info, key="visual")
    for finding in findings:
        store.record(scan_id, finding)
    store.finish_scan(scan_id, result.info)
    loaded = store.load_scan(scan_id).findings
    assert sorted(loaded, key=lambda f: f.candidate.domain) == findings
    for finding in loaded:
        again = score(finding.candidate, finding.evidence, fx.reference(), now=fx.NOW)
        assert again == finding.score
