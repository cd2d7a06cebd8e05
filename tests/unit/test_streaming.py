"""The documents are written as streams: no report, scan JSON or export is ever one string in memory.

The bound is checked with ``tracemalloc`` on scans whose findings carry answers as large as a server
may send (a registry's raw text at its cap, a long reason): a few hundred findings make documents
of several megabytes, while writing one must cost a few findings' worth. Building any of them
whole makes the peak at least the document's size, which fails here with the figures. Not timed.
"""

from __future__ import annotations

import asyncio
import json
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from lookalike import diff, export, report
from lookalike.errors import LookalikeError
from lookalike.model import Change, ChangeKind, Changes, Finding, ScanResult, Score, Triage, TriageMark
from lookalike.outputs import write_atomic
from lookalike.registrytext import MAX_RAW
from lookalike.report import build_view, script_data, script_items, script_json
from lookalike.scan import run_sync
from lookalike.text import escape_json
from tests import factories as fx

FINDINGS = 100
REASON = 40_000
"""Characters of the long reason every finding carries (CSV, JSON Lines and CEF carry it whole)."""


def heavy_finding() -> Finding:
    """A finding whose registry answered with raw text at the cap and whose score has a long reason."""
    base = fx.sample_findings()[0]
    reg = base.evidence.registration.value
    assert reg is not None
    raw = ("Registrant Street: " + "W" * 60 + "\n") * (MAX_RAW // 80)
    score = Score(base.score.level, base.score.points, ("R" * REASON, *base.score.reasons), base.score.owner)
    registration = replace(base.evidence.registration, value=replace(reg, raw=raw))
    return replace(base, evidence=replace(base.evidence, registration=registration), score=score)


@pytest.fixture(scope="module")
def heavy() -> ScanResult:
    finding = heavy_finding()
    return fx.scan_result([finding] * FINDINGS)  # one object many times: the findings cost nothing


def traced(pieces: Callable[[ScanResult], Iterable[str]], result: ScanResult) -> tuple[int, int]:
    """(characters made, peak bytes allocated) while ``pieces(result)`` is consumed and thrown away."""
    for _ in pieces(replace(result, findings=result.findings[:1])):  # warm the caches (templates,
        pass  # regular expressions) outside the measure
    tracemalloc.start()
    try:
        size = sum(len(piece) for piece in pieces(result))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return size, peak


STREAMS: dict[str, Callable[[ScanResult], Iterable[str]]] = {
    "report": lambda result: report.stream(result, changes=Changes(1, 2), generated_at=fx.NOW),
    "scan JSON": lambda result: export.json_chunks(result, changes=Changes(1, 2)),
    "CSV": lambda result: export.csv_chunks(result.findings),
    "JSON Lines": export.jsonl_chunks,
    "CEF": export.cef_chunks,
}


@pytest.mark.parametrize("name", list(STREAMS))
def test_documents_are_made_a_finding_at_a_time(name: str, heavy: ScanResult) -> None:
    size, peak = traced(STREAMS[name], heavy)
    assert size > 3_000_000, f"the {name} of {FINDINGS} heavy findings is only {size:,} characters"
    # Streamed, the peak is a few findings' worth; built whole it is at least the document itself.
    assert peak < size / 4, f"the {name} was built whole: peak {peak:,} bytes for {size:,} characters"


def test_write_atomic_writes_pieces_as_they_come_and_reads_them_once(tmp_path: Path) -> None:
    taken: list[str] = []

    def pieces() -> Iterator[str]:
        for piece in ("<html>", "é" * 70_000, "</html>"):
            taken.append(piece)
            yield piece

    path = write_atomic(tmp_path / "out" / "r.html", pieces())
    assert path.read_text("utf-8") == "<html>" + "é" * 70_000 + "</html>"
    assert len(taken) == 3
    assert write_atomic(tmp_path / "plain.txt", "text").read_text("utf-8") == "text"


def test_a_failure_while_the_pieces_are_made_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text("the old report", "utf-8")

    def failing() -> Iterator[str]:
        yield "half a report"
        raise LookalikeError("the store went away")

    with pytest.raises(LookalikeError, match="store went away"):
        write_atomic(path, failing())
    assert path.read_text("utf-8") == "the old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_csv_reads_the_findings_once_and_writes_each_as_it_comes() -> None:
    drawn: list[int] = []
    findings = fx.sample_findings()

    def once() -> Iterator[Finding]:
        if drawn:
            raise AssertionError("the findings were read twice")
        for i, finding in enumerate(findings):
            drawn.append(i)
            yield finding

    stream = export.csv_chunks(once())
    first = next(stream)
    assert first.startswith("domain,unicode,") and len(drawn) == 1
    rest = list(stream)
    assert len(drawn) == len(findings)
    assert first + "".join(rest) == export.to_csv(findings)


def test_scan_json_pieces_are_the_document_json_writes() -> None:
    hostile = [fx.hostile_finding(p, domain=f"kestre1systems{i}.com") for i, p in enumerate(fx.HOSTILE)]
    for findings, changes in (
        (fx.sample_findings(), fx.sample_changes()),
        (hostile, None),
        ([], Changes(None, None)),
        (fx.sample_findings()[:1], Changes(1, 2)),
    ):
        result = fx.scan_result(findings)
        whole = json.dumps(export.scan_document(result, changes=changes), indent=2, ensure_ascii=False)
        assert export.dumps(result, changes=changes) == escape_json(whole) + "\n"


def test_script_data_pieces_are_the_script_data_and_safe_in_a_script_block() -> None:
    findings = [fx.hostile_finding(p, domain=f"kestre1systems{i}.com") for i, p in enumerate(fx.HOSTILE)]
    view = build_view(fx.scan_result([*findings, *fx.sample_findings()]))
    pieces = list(script_json(script_items(view)))
    assert len(pieces) > 2 * len(view.rows)  # a row at a time
    assert not any(ch in piece for piece in pieces for ch in "<>&\u2028\u2029")
    assert json.loads("".join(pieces)) == json.loads(json.dumps(script_data(view)))


def test_rows_are_made_each_time_they_are_read() -> None:
    view = build_view(fx.scan_result(fx.sample_findings()))
    first, second = list(view.rows), list(view.rows)
    assert first == second and first[0] is not second[0]  # made again, not kept
    assert len(view.rows) == len(fx.sample_findings())
    unknown = [row for row in view.rows if row.unknowns]
    assert len(view.unknown_rows) == len(unknown) == view.counts["unknown"]
    assert [r.finding for r in view.unknown_rows] == [r.finding for r in unknown]


def test_changes_are_listed_up_to_a_bound_and_counted_beyond_it() -> None:
    findings = fx.sample_findings()
    many = tuple(Change(f"kestrel{i:04d}.com", fx.PROTECTED, ChangeKind.NEW) for i in range(250))
    html = report.render(fx.scan_result(findings), changes=Changes(1, 2, new=many), generated_at=fx.NOW)
    shown = report.view.CHANGES_SHOWN
    assert "kestrel0000.com" in html and f"kestrel{shown - 1:04d}.com" in html
    assert f"kestrel{shown:04d}.com" not in html
    assert f"and {250 - shown} more: the findings table’s Change filter shows them all" in html
    assert '<span class="count">250</span>' in html


def test_a_previous_scan_is_compared_as_it_is_read() -> None:
    previous = fx.scan_result([*fx.sample_findings()[:6], *fx.many_findings(40, seed=3)])
    current = fx.scan_result([*fx.sample_findings()[2:], *fx.many_findings(40, seed=4)])
    drawn: list[Finding] = []

    def once() -> Iterator[Finding]:
        if drawn:
            raise AssertionError("the previous scan was read twice")
        for finding in previous.findings:
            drawn.append(finding)
            yield finding

    marks = {"kestrelsytems.com": TriageMark("kestrelsytems.com", Triage.WATCH, when=fx.NOW)}
    for absent in (None, {("kestrel00001.ml", "kestrel.ml")}):
        drawn.clear()
        streamed = diff.compare_stream(previous.info, once(), current, triage=marks, absent=absent)
        assert streamed == diff.compare(previous, current, triage=marks, absent=absent)
        assert streamed.new and streamed.changed and streamed.escalated
        assert len(drawn) == len(previous.findings)
    assert diff.compare(None, current) == diff.compare_stream(None, (), current)


class Unprintable:
    """A result whose text form must never be made (as a scan's would be, at great cost)."""

    def __repr__(self) -> str:
        raise AssertionError("the result was formatted as text")


def test_run_sync_never_formats_the_result() -> None:
    async def work() -> Unprintable:
        await asyncio.sleep(0)
        return Unprintable()

    assert isinstance(run_sync(work()), Unprintable)
