"""``lookalike plan``, ``blocklist`` and ``audit`` end to end: a scan JSON file or a history database
in, the documents out; registry confirmations from a loopback RDAP server started on port 0."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import lookalike.cli  # noqa: F401  (registers every command on the app)
from lookalike import export
from lookalike.cli.app import app
from lookalike.demo.background import in_background
from lookalike.demo.rdap_server import RdapResponse, RdapServer
from lookalike.demo.whois_server import WhoisServer
from lookalike.model import (
    Existence,
    Finding,
    Level,
    MailRoute,
    Owner,
    ProtectedSummary,
    ScanResult,
    Score,
    Technique,
    Triage,
)
from lookalike.names import parse
from lookalike.permute import GenerateOptions, generate
from lookalike.store import Store
from tests import factories as f

P = f.PROTECTED  # kestrelsystems.com
OURS = Score(Level.INFO, 0, (), Owner.OURS, ("same registrant organisation",))

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def findings() -> list[Finding]:
    """What the scan found: a catch-all typo, a parked name we hold, one we hold badly, an unknown."""
    return [
        f.finding(
            f.candidate("kestrelsytems.com", plausibility=0.8), f.evidence(mail=MailRoute.MX, catch_all=True)
        ),
        f.finding(
            f.candidate("kestrelsystems.co"),
            f.evidence(
                mail=MailRoute.NULL_MX,
                spf="v=spf1 -all",
                dmarc="v=DMARC1; p=reject",
                redirects_to_protected=True,
            ),
            score=OURS,
        ),
        f.finding(f.candidate("kestrelsystem.com"), f.evidence(mail=MailRoute.IMPLICIT)),  # owned (config)
        f.finding(f.candidate("kestrelsystens.com"), f.evidence(mail=MailRoute.MX)),  # triaged benign (db)
        f.finding(f.candidate("kestrelsystems.cm"), f.evidence(existence=Existence.UNKNOWN)),
    ]


TECHNIQUES = ("tld-typo", "omission", "transposition", "replacement", "keyword")
"""The scans in these tests used a few techniques only, to keep them fast; plan must be told so."""
T_ARGS = [arg for t in TECHNIQUES for arg in ("--technique", t)]


@pytest.fixture(scope="module")
def ranked() -> list[str]:
    """The candidates of the tests' scans, as the generator ranks them (generated once per module)."""
    options = GenerateOptions(techniques=frozenset(Technique(t) for t in TECHNIQUES))
    return list(dict.fromkeys(c.domain for c in generate(parse(P), options)))


@pytest.fixture(scope="module")
def generated(ranked: list[str]) -> list[str]:
    return sorted(ranked)


def scan_result(generated: list[str], *, complete: bool = True) -> ScanResult:
    found = findings()
    exists = sum(1 for x in found if x.evidence.existence is Existence.EXISTS)
    unknown = len(found) - exists
    total = len(generated) if complete else len(generated) + 1
    summary = ProtectedSummary(
        P, generated=total, exists=exists, unknown=unknown, absent=total - exists - unknown
    )
    base = f.scan_result(found, references=[f.reference(P, owned=("kestrelsystem.com",))])
    return ScanResult(
        info=f.scan_info(protected=[summary]), references=base.references, findings=base.findings
    )


@pytest.fixture
def scan_json(tmp_path: Path, generated: list[str]) -> Path:
    path = tmp_path / "scan.json"
    path.write_text(export.dumps(scan_result(generated)), encoding="utf-8")
    return path


@pytest.fixture
def db(tmp_path: Path, ranked: list[str]) -> Path:
    """A history database with one finished scan: the findings, 40 absent names, one triage mark."""
    path = tmp_path / "lookalike.db"
    found = {x.candidate.domain for x in findings()}
    absent = [d for d in ranked if d not in found][:40]
    with Store.open(path) as store:
        info = f.scan_info(protected=[ProtectedSummary(P, generated=45, exists=4, absent=40, unknown=1)])
        scan_id = store.begin_scan(info, key="test")
        for finding in findings():
            store.record(scan_id, finding)
        store.record_absent(scan_id, [(d, P) for d in absent])
        store.save_references(scan_id, [f.reference(P, owned=("kestrelsystem.com",))])
        store.finish_scan(scan_id, info)
        store.set_triage("kestrelsystens.com", Triage.BENIGN, who="alice")
    return path


# --- plan --------------------------------------------------------------------------------------


def test_plan_from_a_scan_json_without_the_registry(scan_json: Path, tmp_path: Path) -> None:
    code, out, err = run(
        "plan", "--from-json", str(scan_json), "--no-registry", "--top", "5", "--format", "json",
        "--db", str(tmp_path / "none.db"), *T_ARGS,
    )  # fmt: skip
    assert code == 0, err
    items = json.loads(out)
    domains = [i["domain"] for i in items]
    # Mail typos first: the TLD typos of .com lead; names that exist (or are unknown) are never planned.
    assert domains[0] == "kestrelsystems.om"  # .co exists and .cm is unknown: neither is planned
    found = {"kestrelsytems.com", "kestrelsystems.co", "kestrelsystems.cm", "kestrelsystem.com"}
    assert not found & set(domains)
    assert [i["rank"] for i in items] == list(range(1, len(items) + 1))
    recommended = [i for i in items if i["availability"] == "probably-available"]
    assert len(recommended) == 5
    assert items[0]["techniques"] == ["tld-typo"]
    assert "the registry was not asked" in items[0]["reason"]
    assert "not scanned" not in err  # the JSON's summary adds up: every other name was absent


def test_plan_leaves_out_what_the_scan_did_not_cover(tmp_path: Path, generated: list[str]) -> None:
    path = tmp_path / "scan.json"
    path.write_text(export.dumps(scan_result(generated, complete=False)), encoding="utf-8")
    code, out, err = run(
        "plan", "--from-json", str(path), "--no-registry", "--db", str(tmp_path / "x.db"), *T_ARGS
    )
    assert code == 0, err
    assert out.startswith("Defensive registration plan: nothing to register")
    left_out = len(generated) - len(findings())
    assert f"{left_out} generated names were not covered by {path} (not scanned): left out" in err


def test_plan_from_the_history_database(db: Path) -> None:
    """Every technique this time (the default): the names the scan did not record are not scanned."""
    code, out, err = run("plan", "--db", str(db), "--no-registry", "--top", "0", "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert 30 <= len(rows) <= 40  # the 40 recorded absent names, grouped by registrable domain
    assert {r["availability"] for r in rows} <= {"probably-available", "restricted"}
    assert "not covered by scan 1 in" in err


def _held_document(domain: str) -> dict[str, object]:
    """A registry's RDAP answer for a name held on serverHold (RFC 9083 domain object)."""
    registrar_card = ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", "Osprey Names LLC"]]]
    return {
        "objectClassName": "domain",
        "ldhName": domain,
        "status": ["server hold"],
        "entities": [{"objectClassName": "entity", "roles": ["registrar"], "vcardArray": registrar_card}],
        "events": [{"eventAction": "registration", "eventDate": "2026-11-01T00:00:00Z"}],
    }


def test_plan_confirms_the_top_with_the_registry(scan_json: Path, tmp_path: Path) -> None:
    """RDAP for the TLDs the bootstrap lists, WHOIS for .om; only the top of the plan is asked about."""
    base = ["plan", "--from-json", str(scan_json), "--db", str(tmp_path / "none.db"), "--top", "3", *T_ARGS]
    base += ["--format", "json"]
    code, out, err = run(*base, "--no-registry")
    assert code == 0, err
    draft = [i["domain"] for i in json.loads(out)]
    assert draft[0] == "kestrelsystems.om"
    held = draft[1]  # the second most urgent name turns out to be held by someone
    rdap_tlds = sorted({d.rsplit(".", 1)[1] for d in draft} - {"om"})

    cfg = tmp_path / "lookalike.toml"
    cfg.write_text("[limits]\nregistry_qps = 200.0\nregistry_per_server = 8\nregistry_timeout = 5.0\n")
    with (
        in_background(lambda: RdapServer({held: RdapResponse(body=_held_document(held))})) as rdap,
        in_background(lambda: WhoisServer({})) as whois,  # answers "No match for" to every query
    ):
        bootstrap = rdap.bootstrap_file(rdap_tlds, tmp_path / "dns.json")
        code, out, err = run(
            *base, "--config", str(cfg), "--rdap-bootstrap", str(bootstrap),
            "--whois-server", f"om={whois.address}", "--whois-iana", "none",
        )  # fmt: skip
        asked = [r.domain or "" for r in rdap.requests] + [q.query for q in whois.queries]
    assert code == 0, err
    assert "asking the registry about 8 names" in err
    assert sorted(asked) == sorted(set(asked))  # each name once
    assert len(asked) == 8  # the top 3 and a margin of 5: never the thousands of absent names
    assert "kestrelsystems.om" in [q.query for q in whois.queries]
    items = json.loads(out)
    by_name = {i["domain"]: i for i in items}
    assert by_name["kestrelsystems.om"]["availability"] == "available"  # WHOIS "No match"
    assert by_name[held]["availability"] == "registered"
    assert "held (Osprey Names LLC, serverHold)" in by_name[held]["reason"]
    available = [i for i in items if i["availability"] == "available"]
    assert len(available) == 3
    assert all(i["domain"] in asked for i in available)
    assert items[-1]["domain"] == held  # held: listed after what can be registered


def test_plan_domain_must_be_in_the_scan(scan_json: Path, tmp_path: Path) -> None:
    code, out, err = run("plan", "army.mil", "--from-json", str(scan_json), "--db", str(tmp_path / "x.db"))
    assert code == 2
    assert err.strip() == f"lookalike: error: army.mil was not part of {scan_json}; scan it first"
    assert out == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--top", "-1"], "--top must be 0 (everything) or a whole number from 1 to 1,000,000, not -1"),
        (["--scan", "3", "--from-json", "x.json"], "give either --from-json FILE or --scan ID, not both"),
        (["--from-json", "missing.json"], "cannot read missing.json"),
    ],
)
def test_plan_user_errors(args: list[str], message: str, tmp_path: Path) -> None:
    code, _, err = run("plan", "--db", str(tmp_path / "x.db"), *args)
    assert code == 2
    assert err.startswith(f"lookalike: error: {message}")
    assert len(err.strip().splitlines()) == 1


def test_no_database_is_one_clear_line(tmp_path: Path) -> None:
    for command in ("plan", "blocklist", "audit"):
        code, _, err = run(command, "--db", str(tmp_path / "nothing.db"))
        assert code == 2
        assert err.startswith("lookalike: error: no lookalike database at")
        assert not (tmp_path / "nothing.db").exists()


# --- blocklist ---------------------------------------------------------------------------------


def test_blocklist_from_the_database_honours_triage_and_owned(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "lookalike_access"
    code, out, err = run("blocklist", "--db", str(db), "--format", "postfix-access", "--output", str(target))
    assert code == 0, err
    assert out == ""
    assert f"wrote the blocklist (1 domain, 0 whole TLDs) to {target}" in err
    keys = [line.split("\t")[0] for line in target.read_text().splitlines() if not line.startswith("#")]
    # kestrelsystem.com is owned (config), kestrelsystems.co ours (scoring), kestrelsystens.com triaged
    # benign, kestrelsystems.cm unknown.
    assert keys == ["kestrelsytems.com", ".kestrelsytems.com"]


def test_blocklist_whole_tlds(scan_json: Path, tmp_path: Path) -> None:
    args = ["blocklist", "--from-json", str(scan_json), "--db", str(tmp_path / "x.db")]
    code, out, _ = run(*args)
    assert code == 0
    assert [line for line in out.splitlines() if not line.startswith("#")] == [
        "kestrelsystens.com",
        "kestrelsytems.com",
    ]
    code, out, _ = run(*args, "--block-tld", "cm", "--format", "json")
    assert code == 0
    assert [(e["domain"], e["whole_tld"]) for e in json.loads(out)] == [
        (".cm", True),
        ("kestrelsystens.com", False),
        ("kestrelsytems.com", False),
    ]
    code, _, err = run(*args, "--block-tld", "com")
    assert code == 2
    assert err.strip() == "lookalike: error: refusing to block .com whole: a protected domain is under it"


def test_blocklist_for_a_mil_organisation_blocks_ml(tmp_path: Path) -> None:
    army = [
        f.finding(f.candidate("army.ml", protected="army.mil"), f.evidence(mail=MailRoute.MX)),
        f.finding(f.candidate("armmy.mil", protected="army.mil"), f.evidence(mail=MailRoute.NULL_MX)),
    ]
    path = tmp_path / "army.json"
    path.write_text(export.dumps(f.scan_result(army)), encoding="utf-8")
    args = [
        "blocklist",
        "--from-json",
        str(path),
        "--db",
        str(tmp_path / "x.db"),
        "--format",
        "postfix-transport",
    ]
    code, out, _ = run(*args)
    assert code == 0
    lines = [line for line in out.splitlines() if not line.startswith("#")]
    assert lines[:2] == [
        "ml\terror:5.7.1 .ml looks like .mil: check the address (lookalike blocklist)",
        ".ml\terror:5.7.1 .ml looks like .mil: check the address (lookalike blocklist)",
    ]
    code, out, _ = run(*args, "--no-whole-tld")
    assert [line.split("\t")[0] for line in out.splitlines() if not line.startswith("#")] == [
        "army.ml",
        ".army.ml",
    ]


# --- audit -------------------------------------------------------------------------------------


def test_audit_zone_from_the_database(db: Path) -> None:
    code, out, err = run("audit", "--db", str(db), "--format", "zone")
    assert code == 0, err
    records = [line for line in out.splitlines() if line and not line.startswith(";")]
    assert "kestrelsystem.com. 3600 IN MX 0 ." in records  # owned via the config, accepts mail at its A
    assert 'kestrelsystem.com. 3600 IN TXT "v=spf1 -all"' in records
    assert "; kestrelsystems.co: lookalike of kestrelsystems.com; matches the protected domain" in out
    assert "kestrelsystems.co. 3600 IN MX 0 ." not in records  # already right


def test_audit_owned_option_and_json(scan_json: Path, tmp_path: Path) -> None:
    code, out, _ = run(
        "audit", "--from-json", str(scan_json), "--db", str(tmp_path / "x.db"),
        "--owned", "kestrelsytems.com", "--format", "json",
    )  # fmt: skip
    assert code == 0
    audits = {a["domain"]: a for a in json.loads(out)}
    assert set(audits) == {"kestrelsystem.com", "kestrelsystems.co", "kestrelsytems.com"}
    assert audits["kestrelsystems.co"]["ok"] is True
    assert [fix["check"] for fix in audits["kestrelsytems.com"]["fixes"]] == [
        "null-mx",
        "spf",
        "dmarc",
        "web",
    ]
