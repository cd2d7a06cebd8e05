"""A saved scan JSON is checked against its schema when it is loaded: a value of the wrong type is one
line naming the field and the finding, exit 2, never a traceback from deep in the report.

The property: take a real saved scan (what ``scan --json`` writes for a varied set of findings, with
its plan and changes), change one value's JSON type at a time, for every value in the document, and
load it. Each mutation either loads (the new value fits the type: null where a field is optional)
and then renders, or is refused with one line that names where. The bulk runs in-process through
the loading function; a sample runs through ``lookalike report``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lookalike import export, saved, schema
from lookalike.cli import main
from lookalike.cli.report import ReportFormat, render_as
from lookalike.errors import LookalikeError
from lookalike.model import Availability, PlanItem, Technique
from lookalike.saved import SavedScan
from tests import factories as fx

Path_ = tuple[str | int, ...]
KINDS: dict[str, Any] = {
    "number": 42,
    "string": "x",
    "object": {"k": 1},
    "list": [1],
    "null": None,
    "bool": True,
}


def document() -> dict[str, Any]:
    """A saved scan as ``scan --json`` writes it: varied findings, references, a plan, changes."""
    result = fx.scan_result(fx.sample_findings())
    item = PlanItem(
        1, "kestrel.il", "kestrel.il", "kestrel.mil", (Technique.TLD_TYPO,), 0.9, 0.9, Availability.AVAILABLE
    )
    result = replace(result, info=replace(result.info, plan=(item,)))
    loaded: dict[str, Any] = json.loads(export.dumps(result, changes=fx.sample_changes()))
    return loaded


def kind(value: object) -> str:
    kinds = {dict: "object", list: "list", str: "string", bool: "bool", type(None): "null"}
    return kinds.get(type(value), "number")


def nodes(value: object, path: Path_ = ()) -> Iterator[tuple[Path_, object]]:
    yield path, value
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from nodes(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from nodes(inner, (*path, index))


def shape(path: Path_) -> Path_:
    return tuple("[]" if isinstance(step, int) else step for step in path)


def covering(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with only the findings needed to hold every field any of its findings holds (a greedy
    cover): every field is still mutated, at a fraction of the cost."""
    fields = [{shape(p) for p, _ in nodes(f)} for f in doc["findings"]]
    wanted: set[Path_] = set().union(*fields)
    chosen: list[int] = []
    while wanted:
        best = max(range(len(fields)), key=lambda i: len(fields[i] & wanted))
        chosen.append(best)
        wanted -= fields[best]
    return {**doc, "findings": [doc["findings"][i] for i in sorted(chosen)]}


DOCUMENT = document()
SMALL = covering(DOCUMENT)
SMALL_TEXT = json.dumps(SMALL)


def mutated(path: Path_, value: object, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """``base`` (default: the covering document) with the value at ``path`` replaced."""
    doc: dict[str, Any] = json.loads(SMALL_TEXT) if base is None else copy.deepcopy(base)
    target: Any = doc
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return doc


MUTATIONS = [(p, k) for p, v in nodes(SMALL) if p for k in KINDS if k != kind(v)]


def test_every_key_of_a_finding_record_is_in_the_schema() -> None:
    for record in DOCUMENT["findings"]:
        assert set(record) <= set(schema.FINDING) | set(schema.OUTCOMES), set(record) - set(schema.FINDING)
    assert set(DOCUMENT) <= {"schema_version", "tool", "findings", *schema.SECTIONS}


def test_the_document_itself_loads() -> None:
    result, changes = saved.from_document(DOCUMENT, "scan.json")
    assert len(result.findings) == len(DOCUMENT["findings"]) and changes is not None


def test_each_type_mutation_loads_and_renders_or_is_one_line() -> None:
    assert {shape(p) for p, _ in MUTATIONS} >= {shape(p) for p, _ in nodes(DOCUMENT) if p}  # every field
    assert len(MUTATIONS) >= 1500  # every value, each replaced by a value of every other kind
    refused = rendered = 0
    for path, new in MUTATIONS:
        doc = mutated(path, KINDS[new])
        try:
            result, changes = saved.from_document(doc, "scan.json")
        except LookalikeError as exc:
            message = str(exc)
            assert message.startswith("scan.json: ") and "\n" not in message, message
            refused += 1
            continue
        "".join(render_as(SavedScan(result, "scan.json", "scan", changes), ReportFormat.HTML))
        export.dumps(result, changes=changes)
        rendered += 1
    assert refused > 10 * rendered  # nearly every mutation is a wrong type (null is often allowed)


@pytest.mark.parametrize(
    ("path", "value", "said"),
    [
        (
            ("findings", 0, "registration", "created"),
            42,
            "findings[0] (kestrelsytems.com): registration.created: expected a date (ISO 8601), got 42",
        ),
        (("findings", 1, "domain"), 42, "findings[1]: domain: expected a string, got 42"),
        (
            ("findings", 3, "ns"),
            {"a": 1},
            "findings[3] (kestrelsystems.co): ns: expected a list, got an object",
        ),
        (("findings", 0, "ns"), "ns1.example", "ns: expected a list, got 'ns1.example'"),
        (
            ("findings", 0, "level"),
            "loud",
            "level: expected one of critical, high, medium, low, info; got 'loud'",
        ),
        (
            ("findings", 0, "smtp", "hosts", 0, "port"),
            "25",
            "smtp.hosts[0].port: expected a whole number, got '25'",
        ),
        (("findings", 0, "points"), None, "points: expected a whole number, got null"),
        (("findings", 0, "web", "probes"), {}, "web.probes: expected a list, got an object"),
        (("findings", 0, "techniques", 0), "teleport", "techniques[0]: expected one of"),
        (("scan", "started"), "yesterday", "scan.started: expected a date (ISO 8601), got 'yesterday'"),
        (("changes", "new", 0, "what"), 7, "changes.new[0].what: expected a list, got 7"),
        (("plan", 0, "availability"), [], "plan[0].availability: expected one of"),
        (("findings",), {}, "findings: expected a list, got an object"),
        (("findings", 3), "x", "findings[3]: expected an object, got 'x'"),
    ],
)
def test_the_line_names_the_field_and_the_finding(path: Path_, value: object, said: str) -> None:
    with pytest.raises(LookalikeError) as info:
        saved.from_document(mutated(path, value, DOCUMENT), "scan.json")
    assert said in str(info.value)
    assert str(info.value).startswith("scan.json: ")


def test_a_sample_through_lookalike_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    step = max(1, len(MUTATIONS) // 25)
    for path, new in MUTATIONS[::step]:
        source = tmp_path / "scan.json"
        source.write_text(json.dumps(mutated(path, KINDS[new])), "utf-8")
        with pytest.raises(SystemExit) as done:
            main(["report", str(source), "--output", str(tmp_path / "report.html")])
        err = capsys.readouterr().err
        assert "Traceback" not in err
        if done.value.code == 0:
            continue
        assert done.value.code == 2, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"lookalike: error: {source}: "), err


def test_json_beyond_what_python_reads_is_one_line(tmp_path: Path) -> None:
    source = tmp_path / "big-number.json"
    source.write_text('{"tool": "lookalike", "findings": [], "schema_version": ' + "9" * 5000 + "}", "utf-8")
    with pytest.raises(LookalikeError, match="is not a lookalike scan JSON document"):
        saved.from_json(source)
