"""What only the PostgreSQL back end has: a server that can go away, schemas it shares with others,
an optional driver, URLs with passwords. Everything else is the same tests as SQLite's
(``db_location`` runs them on both)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lookalike import config
from lookalike.cli import app
from lookalike.demo.postgres import PostgresCluster
from lookalike.errors import LookalikeError
from lookalike.model import Level, Triage
from lookalike.store import Store, label
from tests.fixtures.store import finding, scan

runner = CliRunner()


def test_a_url_is_shown_without_its_password() -> None:
    assert label("postgresql://alice:s3cret@db.example:5432/history?sslmode=require") == (
        "postgresql://alice@db.example:5432/history?sslmode=require"
    )
    assert (
        label("postgres://db.example/h?password=s3cret&user=bob")
        == "postgres://db.example/h?password=%2A%2A%2A&user=bob"
    )
    assert label(Path("/var/lib/lookalike/lookalike.db")) == "/var/lib/lookalike/lookalike.db"


def test_the_config_takes_a_url_as_it_is(tmp_path: Path) -> None:
    toml = tmp_path / "lookalike.toml"
    toml.write_text(
        '[scan]\ndb = "postgresql://lookalike@127.0.0.1:5432/history"\n\n[[domains]]\nname = "kestrel.mil"\n'
    )
    assert config.load(toml).db == "postgresql://lookalike@127.0.0.1:5432/history"
    toml.write_text('[scan]\ndb = "history.db"\n\n[[domains]]\nname = "kestrel.mil"\n')
    assert config.load(toml).db == tmp_path / "history.db"


def test_without_psycopg_it_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(LookalikeError, match=r"needs psycopg 3: pip install 'lookalike\[postgres\]'"):
        Store.open("postgresql://lookalike@127.0.0.1:1/none")
    result = runner.invoke(app, ["history", "--db", "postgresql://lookalike@127.0.0.1:1/none"])
    assert result.exit_code == 2
    assert "pip install 'lookalike[postgres]'" in result.output


def test_an_unreachable_server_is_one_line(postgres_cluster: PostgresCluster) -> None:
    dead = f"postgresql://lookalike:pw@127.0.0.1:{postgres_cluster.port}/no_such_database"
    with pytest.raises(
        LookalikeError, match=r"cannot connect to postgresql://lookalike@127\.0\.0\.1"
    ) as caught:
        Store.open(dead)
    assert "pw" not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_read_commands_never_create_the_schema(postgres_url: str) -> None:
    for command in (["history"], ["diff"], ["triage"], ["prune", "--keep", "3"], ["history", "--check"]):
        result = runner.invoke(app, [*command, "--db", postgres_url])
        assert result.exit_code == 2, command
        assert "no lookalike database at" in result.output
    with pytest.raises(LookalikeError, match="no lookalike database"):
        Store.open(postgres_url, create=False)


def test_a_schema_holding_someone_elses_tables_is_refused(postgres_cluster: PostgresCluster) -> None:
    url = postgres_cluster.create_schema()
    schema = url.rsplit("%3D", 1)[1]
    postgres_cluster.sql(f'CREATE TABLE "{schema}".scans (id int)')
    with pytest.raises(LookalikeError, match=r"holds tables named like lookalike's \(scans\)"):
        Store.open(url)


def test_a_lost_connection_is_one_line_and_the_scan_resumes(
    postgres_url: str, postgres_cluster: PostgresCluster
) -> None:
    with Store.open(postgres_url) as store:
        scan_id = store.begin_scan(scan([]).info, key="k")
        store.record(scan_id, finding("kestrel.ml"))
        postgres_cluster.sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name LIKE 'lookalike pid %'"
        )
        with pytest.raises(LookalikeError) as caught:
            store.record(scan_id, finding("kestrel.ga"))
        message = str(caught.value)
        assert message.startswith(f"lost the connection to {label(postgres_url)} (")
        assert "`--resume` finishes a scan" in message
        assert "\n" not in message
        with pytest.raises(LookalikeError, match=r"lost the connection|database"):
            store.triage()
    with Store.open(postgres_url) as store:
        assert store.unfinished_scan("k") == scan_id
        assert store.done(scan_id) == {("kestrel.ml", "kestrel.mil")}


def test_damage_is_named_the_same_way(postgres_url: str, postgres_cluster: PostgresCluster) -> None:
    with Store.open(postgres_url) as store:
        scan_id = store.begin_scan(scan([]).info, key="k")
        store.record(scan_id, finding("kestrel.ml", level=Level.HIGH))
        store.record(scan_id, finding("kestrel.ga"))
        store.finish_scan(scan_id, scan([]).info)
        store.set_triage("kestrel.ga", Triage.OWNED)
    schema = postgres_url.rsplit("%3D", 1)[1]
    postgres_cluster.sql(f"""UPDATE "{schema}".findings SET score = 'not json' WHERE domain = 'kestrel.ml'""")
    with Store.open(postgres_url) as store:
        assert [f.candidate.domain for f in store.load_scan(scan_id).findings] == ["kestrel.ga"]
        assert [str(d) for d in store.damage] == [
            "scan 1, finding 1 ('kestrel.ml'): score is not JSON (Expecting value at 0)"
        ]
    checked = runner.invoke(app, ["history", "--check", "--db", postgres_url])
    assert checked.exit_code == 2
    assert "damaged: scan 1, finding 1 ('kestrel.ml'): score is not JSON" in checked.stdout
