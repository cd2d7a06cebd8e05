"""The registry corpus: real WHOIS answers and the values they hold, read from ``tests/data/registry/corpus``.

Two public WHOIS libraries keep recorded answers from real registries next to the values their parsers
must read from them (``PROVENANCE.md`` says where from, at which commit, under which licence). This
module turns their expectations into one shape, ``Case``, so ``tests/unit/test_whois_corpus.py`` and
``bench/registry.py`` judge lookalike's parser the same way:

    likexian/noterror/<tld>_<domain>       registered; expected values in the ``.json`` beside it
    likexian/notfound/<tld>_<domain>       answers for names nobody registered: must be ABSENT
    richardpenman/whois/<domain>           registered; expected values in ../expected/<domain>

``corrections.toml`` overrides an expected value where the reference is wrong or ambiguous (a list of
dates gathered from every contact block; a value the answer holds but the reference missed), each with
its reason, so every departure from the references is written down. It also marks the not-found answers
for reserved names (``outcome = "reserved"``), which must be an unknown, not ABSENT.

How a value is judged (``same``): a registrar by its name (case, punctuation and a trailing ``[Tag =
...]`` or ``( url )`` ignored); a date by the instant, within the 14 hours that separate time zones, or
by the same calendar day (a registry that gives only a day); status and name servers as sets (EPP
``ok`` and RDAP/registry ``active`` are one status, RFC 8056). Expected dates are read here by a small
strict reader of their own, never by the parser under test.

Must not: import the parser under test, or change a recording.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent / "data" / "registry" / "corpus"

FIELDS = ("registrar", "created", "expires", "updated", "status", "nameservers")
"""The fields issue 14's target counts."""

Value = str | datetime | frozenset[str] | None


@dataclass(frozen=True, slots=True)
class Case:
    """One recorded answer and what it must be read as."""

    id: str
    """``collection/file``: ``likexian/noterror/ac_google.ac``."""
    domain: str
    """The name that was asked, ASCII, lower case."""
    path: Path
    registered: bool
    """False for answers to names nobody holds (they must come out ABSENT)."""
    expected: Mapping[str, Value] = field(default_factory=dict)
    """Field -> expected value; a field missing here is not judged."""
    corrected: Mapping[str, str] = field(default_factory=dict)
    """Field -> why this project departs from the reference's value."""
    reserved: bool = False
    """A name nobody holds and nobody can register: an unknown (ERROR) with that reason, not ABSENT."""

    @property
    def tld(self) -> str:
        return self.domain.rsplit(".", 1)[-1]

    @property
    def text(self) -> str:
        data = self.path.read_bytes()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("latin-1")


# ---------------------------------------------------------------------------------------------------
# Expected dates: a strict reader of the references' spellings, independent of lookalike's


_FORMATS = (
    "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d-%b-%Y", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y", "%Y.%m.%d %H:%M:%S",
    "%Y%m%d", "%d-%m-%Y", "%m/%d/%Y", "%d %b %Y", "%d %B %Y",
)  # fmt: skip


def expected_date(text: str) -> datetime | None:
    """A reference's date string as an aware datetime (UTC when it names no zone); None if unreadable."""
    value = text.strip()
    value = re.sub(r"\s*(?:\(yyyy-mm-dd\)|#\s*\d+)$", "", value, flags=re.IGNORECASE)
    value = re.sub(r"\s*\((?:gmt|utc)\+0:00\)$", "+00:00", value, flags=re.IGNORECASE)
    value = re.sub(r"\s*\(jst\)$", "+09:00", value, flags=re.IGNORECASE)
    value = value.replace("-T", "T").replace("/", "-") if re.match(r"^\d{4}[-/]", value) else value
    value = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value)
    value = re.sub(r"\.(\d+)Z$", r".\1+00:00", value)
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        when = None
    if when is None:
        for fmt in _FORMATS:
            try:
                when = datetime.strptime(value, fmt)
                break
            except ValueError:
                continue
    if when is None:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------------------
# Comparing values


def registrar_key(text: str) -> str:
    text = re.sub(r"\s*(?:\[[^\]]*\]|\(\s*https?://[^)]*\))\s*$", "", text)
    return re.sub(r"[\W_]+", "", text.casefold())


_STATUS_EQUIVALENT = {"active": "ok"}


def status_key(text: str) -> str:
    text = re.split(r"\s*(?:\(|https?://|\[)", text.strip(), maxsplit=1)[0]
    key = re.sub(r"[\W_]+", "", text.casefold())
    return _STATUS_EQUIVALENT.get(key, key)


def nameserver_key(text: str) -> str:
    return text.strip().split(" ")[0].rstrip(".").lower()


def same(name: str, expected: Value, got: Value) -> bool:
    """True when ``got`` is the value expected for field ``name`` (rules in the module docstring)."""
    if expected is None or got is None:
        return expected is None and got is None
    if isinstance(expected, datetime):
        if not isinstance(got, datetime):
            return False
        day = expected.astimezone(UTC).date() == got.astimezone(UTC).date() or expected.date() == got.date()
        return day or abs(expected - got) <= timedelta(hours=14)
    if isinstance(expected, frozenset):
        return isinstance(got, frozenset) and expected == got
    if name == "registrar":
        return isinstance(got, str) and registrar_key(expected) == registrar_key(got)
    return expected == got


def observed(name: str, value: object) -> Value:
    """A parsed field brought to the comparable shape (sets of keys for lists)."""
    if value is None or (isinstance(value, tuple | list) and not value):
        return None
    if name == "status":
        assert isinstance(value, tuple | list)
        return frozenset(status_key(str(v)) for v in value)
    if name == "nameservers":
        assert isinstance(value, tuple | list)
        return frozenset(nameserver_key(str(v)) for v in value)
    if isinstance(value, datetime | str):
        return value
    raise TypeError(f"{name}: unexpected {type(value).__name__}")


# ---------------------------------------------------------------------------------------------------
# Loading


_LIKEXIAN_DATES = (("created", "created_date"), ("expires", "expiration_date"), ("updated", "updated_date"))
_PENMAN_DATES = (("created", "creation_date"), ("expires", "expiration_date"), ("updated", "updated_date"))


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _likexian(path: Path) -> Case:
    tld, _, domain = path.name.partition("_")
    doc = json.loads(path.with_name(path.name + ".json").read_text("utf-8"))
    dom, registrar = doc.get("domain", {}), doc.get("registrar", {})
    expected: dict[str, Value] = {"registrar": registrar.get("name") or None}
    for name, key in _LIKEXIAN_DATES:
        raw = dom.get(f"{key}_in_time") or dom.get(key)
        expected[name] = _date_or_raw(raw)
    expected["status"] = frozenset(status_key(s) for s in dom.get("status") or ()) or None
    expected["nameservers"] = frozenset(nameserver_key(s) for s in dom.get("name_servers") or ()) or None
    return Case(f"likexian/noterror/{path.name}", _domain(domain, tld), path, True, expected)


def _penman(path: Path) -> Case:
    doc = json.loads(path.parent.parent.joinpath("expected", path.name).read_text("utf-8"))
    expected: dict[str, Value] = {"registrar": doc.get("registrar") or None}
    for name, key in _PENMAN_DATES:
        values = _listed(doc.get(key))
        # A list is every date the reference found in the answer, contacts' included: which one is the
        # domain's must be said in corrections.toml.
        expected[name] = _date_or_raw(values[0]) if len(values) == 1 else (None if not values else "?")
    statuses = _listed(doc.get("status"))
    expected["status"] = frozenset(status_key(s) for s in statuses) or None
    if "name_servers" in doc:
        expected["nameservers"] = frozenset(nameserver_key(s) for s in _listed(doc["name_servers"])) or None
    return Case(f"richardpenman/whois/{path.name}", path.name.lower(), path, True, expected)


def _notfound(path: Path) -> Case:
    tld, _, domain = path.name.partition("_")
    return Case(f"likexian/notfound/{path.name}", _domain(domain, tld), path, False)


def _domain(name: str, tld: str) -> str:
    # likexian names the root's own answers "<tld>_<tld>" (cn_cn, com_com): the TLD was asked.
    return name.lower()


def _date_or_raw(raw: object) -> Value:
    if raw is None or raw == "":
        return None
    when = expected_date(str(raw))
    return when if when is not None else f"?{raw}"


def _value(name: str, raw: object) -> Value:
    """A correction's value in the comparable shape."""
    if raw is None or raw in ("", []):
        return None
    if name in ("created", "expires", "updated"):
        when = expected_date(str(raw))
        if when is None:
            raise ValueError(f"corrections.toml: {raw!r} is not a date")
        return when
    if name == "status":
        return frozenset(status_key(s) for s in _listed(raw))
    if name == "nameservers":
        return frozenset(nameserver_key(s) for s in _listed(raw))
    return str(raw)


@cache
def corrections() -> Mapping[str, Mapping[str, Any]]:
    data = tomllib.loads((CORPUS / "corrections.toml").read_text("utf-8"))
    return {key: dict(value) for key, value in data.items()}


def _corrected(case: Case) -> Case:
    fixes = corrections().get(case.id)
    if not fixes:
        return case
    why = str(fixes.get("why", ""))
    expected = dict(case.expected)
    changed = {}
    for name, raw in fixes.items():
        if name in ("why", "domain", "outcome"):
            continue
        if name not in FIELDS:
            raise ValueError(f"corrections.toml [{case.id!r}]: unknown field {name!r}")
        expected[name] = _value(name, raw)
        changed[name] = why
    domain = str(fixes.get("domain", case.domain))
    reserved = fixes.get("outcome") == "reserved"
    if reserved:
        changed["outcome"] = why
    return Case(case.id, domain, case.path, case.registered, expected, changed, reserved)


def cases() -> Iterator[Case]:
    """Every case of the corpus, in a stable order."""
    for path in sorted((CORPUS / "likexian" / "noterror").iterdir()):
        if not path.name.endswith(".json"):
            yield _corrected(_likexian(path))
    for path in sorted((CORPUS / "likexian" / "notfound").iterdir()):
        yield _corrected(_notfound(path))
    for path in sorted((CORPUS / "richardpenman" / "whois").iterdir()):
        yield _corrected(_penman(path))


def unreadable(case: Case) -> list[str]:
    """Expected values this module could not bring to a comparable shape (they need a correction)."""
    return [name for name, value in case.expected.items() if isinstance(value, str) and value.startswith("?")]
