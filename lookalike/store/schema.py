"""The schema: one ordered list of migrations for every back end, and the code that applies them.

Migration ``i`` takes the schema from version ``i`` to ``i + 1``; the versions applied are recorded
in ``schema_version``. Append only: never edit a migration that has shipped. A statement names the
few types that differ between back ends as ``{words}`` of the engine's ``Dialect`` (see
``engine.py``); everything else is SQL both SQLite and PostgreSQL accept.

Must not: read or write scans (that is ``history.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from lookalike.errors import LookalikeError
from lookalike.store.engine import Dialect, Engine, Tx


@dataclass(frozen=True, slots=True)
class Migration:
    why: str
    statements: tuple[str, ...]


MIGRATIONS: Final = (
    Migration(
        "Scans, findings, interned names, absent chunks, references, triage.",
        (
            """CREATE TABLE scans (
        id          {autoid},
        key         TEXT NOT NULL,
        started     TEXT NOT NULL,
        finished    TEXT,
        complete    {int} NOT NULL DEFAULT 0,
        interrupted {int} NOT NULL DEFAULT 0,
        info        TEXT NOT NULL
    )""",
            "CREATE INDEX scans_key ON scans (key, id)",
            """CREATE TABLE refs (
        scan_id   {int} NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
        seq       {int} NOT NULL,
        domain    TEXT NOT NULL,
        reference TEXT NOT NULL,
        PRIMARY KEY (scan_id, seq)
    )""",
            """CREATE TABLE findings (
        id         {rowid},
        scan_id    {int} NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
        domain     TEXT NOT NULL,
        protected  TEXT NOT NULL,
        existence  TEXT NOT NULL CHECK (existence IN ('exists', 'absent', 'unknown')),
        level      TEXT NOT NULL,
        mail_route TEXT NOT NULL,
        candidate  TEXT NOT NULL,
        evidence   {blob} NOT NULL,
        score      TEXT NOT NULL,
        UNIQUE (scan_id, domain, protected)
    )""",
            "CREATE INDEX findings_domain ON findings (domain)",
            "CREATE INDEX findings_protected ON findings (protected)",
            "CREATE INDEX findings_existence ON findings (scan_id, existence)",
            "CREATE INDEX findings_level ON findings (scan_id, level)",
            "CREATE INDEX findings_mail_route ON findings (scan_id, mail_route)",
            "CREATE TABLE protected (id {rowid}, domain TEXT NOT NULL UNIQUE)",
            """CREATE TABLE names (
        domain    TEXT NOT NULL,
        protected {int} NOT NULL REFERENCES protected (id),
        id        {int} NOT NULL,
        PRIMARY KEY (domain, protected)
    ){without_rowid}""",
            """CREATE TABLE absent_chunks (
        scan_id  {int} NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
        seq      {int} NOT NULL,
        kind     TEXT NOT NULL CHECK (kind IN ('names', 'ids')),
        first_id {int},
        last_id  {int},
        count    {int} NOT NULL,
        data     {blob} NOT NULL,
        PRIMARY KEY (scan_id, seq)
    )""",
            "CREATE TABLE counters (name TEXT PRIMARY KEY, value {int} NOT NULL)",
            "INSERT INTO counters (name, value) VALUES ('name_id', 0)",
            """CREATE TABLE triage (
        id     {rowid},
        domain TEXT NOT NULL,
        state  TEXT,
        note   TEXT NOT NULL,
        who    TEXT NOT NULL,
        at     TEXT NOT NULL
    )""",
            "CREATE INDEX triage_domain ON triage (domain, id)",
        ),
    ),
    Migration(
        "The registration cache: RDAP/WHOIS answers are slow and rate-limited, and change rarely.",
        (
            """CREATE TABLE registrations (
            domain  TEXT PRIMARY KEY,
            fetched TEXT NOT NULL,
            status  TEXT NOT NULL,
            outcome TEXT NOT NULL
        )""",
        ),
    ),
    Migration(
        "A checksum per row (rows.crc): damage inside a value is found, not read as data.",
        tuple(
            f"ALTER TABLE {table} ADD COLUMN crc {{int}}"
            for table in ("scans", "refs", "findings", "absent_chunks", "triage", "registrations", "names")
        ),
    ),
    Migration(
        "Feeds (lookalike watch): each feed's position, and its matches waiting to be scanned, written"
        " in one transaction so a killed watcher loses and repeats nothing.",
        (
            """CREATE TABLE feed_positions (
        feed     TEXT PRIMARY KEY,
        name     TEXT NOT NULL,
        position TEXT NOT NULL,
        problem  TEXT NOT NULL,
        updated  TEXT NOT NULL,
        crc      {int}
    )""",
            """CREATE TABLE feed_hits (
        id        {rowid},
        feed      TEXT NOT NULL,
        domain    TEXT NOT NULL,
        protected TEXT NOT NULL,
        seen_at   TEXT NOT NULL,
        candidate TEXT NOT NULL,
        crc       {int}
    )""",
        ),
    ),
)

SCHEMA_VERSION: Final = len(MIGRATIONS)


def render(statement: str, dialect: Dialect) -> str:
    """A migration statement in the back end's words."""
    return statement.format_map(dialect.words)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def migrate(engine: Engine, tx: Tx) -> int:
    """Bring the schema to ``SCHEMA_VERSION`` inside ``tx`` (a write transaction) and return the
    version found. A schema newer than this lookalike's is refused, never touched."""
    if engine.dialect.migration_lock:
        tx.execute(engine.dialect.migration_lock)
    if "schema_version" in engine.tables(tx):
        version = int(tx.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0])
    else:
        tx.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)")
        for statement in engine.dialect.on_create:
            tx.execute(statement)
        version = 0
    if version > SCHEMA_VERSION:
        raise LookalikeError(
            f"{engine.label} was written by a newer lookalike (schema {version}; this one reads up to "
            f"{SCHEMA_VERSION}): upgrade lookalike"
        )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        # One statement at a time: a script would commit the migration's transaction half-way.
        for statement in MIGRATIONS[target - 1].statements:
            tx.execute(render(statement, engine.dialect))
        tx.execute("INSERT INTO schema_version (version, applied) VALUES (?, ?)", (target, _now()))
    return version
