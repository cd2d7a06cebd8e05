"""parse_whois and the shared text rules, as pure functions on the recorded answers."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookalike.model import Contact, Registration
from lookalike.registrydates import parse_date
from lookalike.registrytext import (
    FIELDS,
    clean_value,
    decode,
    merge_registrations,
    normalise_nameserver,
    normalise_status,
    phrases,
)
from lookalike.whoisparse import (
    iana_referral,
    parse_whois,
    referral,
    says_no_match,
    says_rate_limited,
)

WHOIS = Path(__file__).resolve().parent.parent / "data" / "registry" / "whois"
JST = timezone(timedelta(hours=9))


def recording(name: str) -> str:
    return decode((WHOIS / name).read_bytes())


def parsed(name: str) -> Registration:
    result = parse_whois(recording(name), "whois.test:43")
    assert result is not None
    return result


def test_verisign_thin_answer() -> None:
    reg = parsed("verisign-thin.txt")
    assert reg.source == "whois"
    assert reg.server == "whois.test:43"
    assert reg.registrar == "Harrier Domains, Inc."
    assert reg.registrar_iana_id == "4242"
    assert reg.created == datetime(1997, 9, 15, 4, 0, tzinfo=UTC)
    assert reg.expires == datetime(2028, 9, 14, 4, 0, tzinfo=UTC)
    assert reg.updated == datetime(2024, 8, 14, 7, 1, 34, tzinfo=UTC)
    assert reg.status == ("clientDeleteProhibited", "clientTransferProhibited", "clientUpdateProhibited")
    assert reg.nameservers == ("ns1.kestrelsystems.com", "ns2.kestrelsystems.com")
    assert reg.registrant is None
    assert reg.abuse == Contact(email="abuse@harrier-domains.example", phone="+1.5555550142")
    assert "\r" not in reg.raw
    assert "Domain Name: KESTRELSYSTEMS.COM" in reg.raw
    assert referral(recording("verisign-thin.txt")) == "whois.harrier-domains.example"


def test_registrar_thick_answer_keeps_what_is_not_redacted() -> None:
    reg = parsed("registrar-thick.txt")
    assert reg.expires == datetime(2028, 9, 13, 4, 0, tzinfo=UTC)
    assert reg.status == ("clientUpdateProhibited", "clientTransferProhibited", "clientDeleteProhibited")
    # Name, street, e-mail ("Select Request Email Form at ...") are redacted; organisation, country not.
    assert reg.registrant == Contact(organization="Kestrel Systems Ltd", country="GB")
    assert reg.abuse == Contact(email="abuse@harrier-domains.example", phone="+1.5555550142")


def test_nominet_sections() -> None:
    reg = parsed("nominet.txt")
    assert reg.registrar == "Harrier Domains Ltd"  # without "[Tag = HARRIER]"
    assert reg.created == datetime(2004, 8, 26, tzinfo=UTC)
    assert reg.expires == datetime(2026, 8, 26, tzinfo=UTC)
    assert reg.updated == datetime(2025, 7, 25, tzinfo=UTC)
    assert reg.status == ("registeredUntilExpiryDate",)
    assert reg.nameservers == ("ns1.kestrelsystems.co.uk", "ns2.kestrelsystems.co.uk")


def test_denic_answer_has_no_holder_but_is_registered() -> None:
    reg = parsed("denic.txt")
    assert reg.registrar is None
    assert reg.registrant is None
    assert reg.status == ("connect",)
    assert reg.nameservers == ("ns1.kestrel-systeme.de", "ns2.kestrel-systeme.de")
    assert reg.updated == datetime(2024, 5, 14, 9, 12, 44, tzinfo=timezone(timedelta(hours=2)))
    assert reg.updated is not None
    assert reg.updated.utcoffset() == timedelta(hours=2)


def test_jprs_answer_in_japanese() -> None:
    reg = parsed("jprs.txt")
    assert reg.registrant == Contact(organization="Kestrel Systems K.K.")
    assert reg.created == datetime(2008, 4, 1, tzinfo=UTC)
    assert reg.expires == datetime(2026, 4, 30, tzinfo=UTC)
    assert reg.updated == datetime(2025, 5, 1, 1, 5, 7, tzinfo=JST)
    assert reg.status == ("ok",)  # JPRS "Active"
    assert reg.nameservers == ("ns1.kestrelsystems.jp", "ns2.kestrelsystems.jp")
    assert "ケストレルシステムズ株式会社" in reg.raw


def test_latin1_answer_decodes_and_skips_handles() -> None:
    data = (WHOIS / "nicat-latin1.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    reg = parsed("nicat-latin1.txt")
    assert reg.registrar == "Harrier Domains GmbH"  # without "( https://... )"
    # "registrant: KSG12345678-NICAT" is a handle: the organisation comes from the contact block.
    assert reg.registrant == Contact(
        organization="Kestrel Systeme Österreich GmbH",
        email="hostmaster@kestrel-systeme.at",
        country="Austria",
    )
    assert reg.nameservers == ("ns1.kestrel-systeme.at", "ns2.kestrel-systeme.at")
    assert reg.updated == datetime(2025, 3, 1, 14, 22, 5, tzinfo=UTC)
    assert "Kärntner Straße" in reg.raw


@pytest.mark.parametrize(
    "name",
    [
        "verisign-nomatch.txt",
        "nominet-nomatch.txt",
        "denic-free.txt",
        "jprs-nomatch.txt",
        "nicat-nomatch.txt",
        "noentries.txt",
    ],
)
def test_no_match_answers_are_none(name: str) -> None:
    text = recording(name)
    assert says_no_match(text)
    assert parse_whois(text, "whois.test:43") is None


def test_rate_limit_answer_is_not_a_registration() -> None:
    text = recording("ratelimit.txt")
    assert says_rate_limited(text)
    assert not says_no_match(text)
    with pytest.raises(ValueError, match="refused: 'WHOIS LIMIT EXCEEDED"):
        parse_whois(text, "whois.test:43")


def test_unknown_text_raises() -> None:
    with pytest.raises(ValueError):
        parse_whois("Error: syntax.\r\n", "whois.test:43")
    with pytest.raises(ValueError):
        parse_whois("", "whois.test:43")


def test_facts_win_over_a_no_match_phrase_in_a_disclaimer() -> None:
    text = (
        "Domain Name: kestrel.example\nRegistrar: Harrier Domains, Inc.\n"
        "Creation Date: 2020-01-02T03:04:05Z\n\n"
        "% If a record is not found, the name may be available.\n"
    )
    reg = parse_whois(text, "x")
    assert reg is not None
    assert reg.registrar == "Harrier Domains, Inc."


def test_hostile_answer_is_defused() -> None:
    reg = parsed("hostile.txt")
    fields = [reg.registrar or "", (reg.registrant.organization or "") if reg.registrant else ""]
    for value in fields:
        assert not re.search(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", value)
    # Markup stays text: escaping is the renderer's job; here it is only kept and capped.
    assert reg.registrant is not None
    assert reg.registrant.organization is not None
    assert reg.registrant.organization.startswith("<script>")
    assert reg.nameservers == ("ns1.osprey-parking.example", "ns2.osprey-parking.example")
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", reg.raw)
    assert "\n" in reg.raw  # the answer's lines are kept (text.clean with lines)
    assert reg.status == ("clientTransferProhibited", "addPeriod")
    # A web URL is not a WHOIS server to follow.
    assert referral(recording("hostile.txt")) is None


def test_iana_referral() -> None:
    assert iana_referral(recording("iana-de.txt")) == "whois.denic.de"
    assert iana_referral(recording("iana-none.txt")) is None
    assert iana_referral("refer: 127.0.0.1:4343\n") == "127.0.0.1:4343"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Registrar WHOIS Server: whois.example.net\n", "whois.example.net"),
        ("Registrar WHOIS Server: WHOIS.Example.NET.\n", "whois.example.net"),
        ("ReferralServer: whois://whois.example.net:4343\n", "whois.example.net:4343"),
        ("ReferralServer: rwhois://rwhois.example.net:4321\n", None),
        ("Registrar WHOIS Server: https://www.example.net/whois\n", None),
        ("Registrar WHOIS Server: \n", None),
        ("Registrar WHOIS Server: not a host!\n", None),
        ("Whois Server: 127.0.0.1:4343\n", "127.0.0.1:4343"),
    ],
)
def test_referral(text: str, expected: str | None) -> None:
    assert referral(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "clientTransferProhibited https://icann.org/epp#clientTransferProhibited",
            "clientTransferProhibited",
        ),
        (
            "clientUpdateProhibited (https://www.icann.org/epp#clientUpdateProhibited)",
            "clientUpdateProhibited",
        ),
        ("client transfer prohibited", "clientTransferProhibited"),
        ("server hold", "serverHold"),
        ("pending delete", "pendingDelete"),
        ("redemption period", "redemptionPeriod"),
        ("add period", "addPeriod"),
        ("active", "ok"),
        ("ACTIVE", "ok"),
        ("ok", "ok"),
        ("associated", "linked"),
        ("inactive", "inactive"),
        ("connect", "connect"),
        ("Registered until expiry date.", "registeredUntilExpiryDate"),
        ("  ", None),
    ],
)
def test_normalise_status(text: str, expected: str | None) -> None:
    assert normalise_status(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-08-14T07:01:34Z", datetime(2024, 8, 14, 7, 1, 34, tzinfo=UTC)),
        ("2024-08-14T07:01:34.123Z", datetime(2024, 8, 14, 7, 1, 34, 123000, tzinfo=UTC)),
        ("2024-08-14T07:01:34+0000", datetime(2024, 8, 14, 7, 1, 34, tzinfo=UTC)),
        ("2024-08-14T09:01:34+02:00", datetime(2024, 8, 14, 7, 1, 34, tzinfo=UTC)),
        ("2024-08-14 07:01:34", datetime(2024, 8, 14, 7, 1, 34, tzinfo=UTC)),
        ("2024-08-14", datetime(2024, 8, 14, tzinfo=UTC)),
        ("14-Aug-2024", datetime(2024, 8, 14, tzinfo=UTC)),
        ("14-aug-2024 07:01:34", datetime(2024, 8, 14, 7, 1, 34, tzinfo=UTC)),
        ("24-Jul-2009 13:20:03 UTC", datetime(2009, 7, 24, 13, 20, 3, tzinfo=UTC)),
        ("2001/02/03", datetime(2001, 2, 3, tzinfo=UTC)),
        ("2025/05/01 01:05:07 (JST)", datetime(2025, 4, 30, 16, 5, 7, tzinfo=UTC)),
        ("2011/06/01 01:05:01 (+0900)", datetime(2011, 5, 31, 16, 5, 1, tzinfo=UTC)),
        ("20250301 14:22:05", datetime(2025, 3, 1, 14, 22, 5, tzinfo=UTC)),
        ("20110908", datetime(2011, 9, 8, tzinfo=UTC)),
        ("08.09.2011", datetime(2011, 9, 8, tzinfo=UTC)),
        ("19-04-2021 13:56:51 GMT+1", datetime(2021, 4, 19, 12, 56, 51, tzinfo=UTC)),
        ("2020. 01. 12.", datetime(2020, 1, 12, tzinfo=UTC)),
        ("January 01 2000", datetime(2000, 1, 1, tzinfo=UTC)),
        ("Tue Jun 21 23:59:59 GMT 2011", datetime(2011, 6, 21, 23, 59, 59, tzinfo=UTC)),  # python-whois
        ("07 january 2020 at 23:38:30.772", datetime(2020, 1, 7, 23, 38, 30, 772000, tzinfo=UTC)),
        ("", None),
        ("n/a", None),
        ("not a date", None),
        ("0000-00-00", None),
        ("1900-01-01", None),
    ],
)
def test_parse_date(text: str, expected: datetime | None) -> None:
    result = parse_date(text)
    assert result == expected
    assert result is None or result.tzinfo is not None


@pytest.fixture
def tokyo_time() -> Iterator[None]:
    """Run with the process in Tokyo time, so local-time mistakes show."""
    mp = pytest.MonkeyPatch()
    mp.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        yield
    finally:
        mp.undo()
        time.tzset()


@pytest.mark.usefixtures("tokyo_time")
def test_parse_date_does_not_depend_on_the_local_zone() -> None:
    assert parse_date("Tue Jun 21 23:59:59 GMT 2011") == datetime(2011, 6, 21, 23, 59, 59, tzinfo=UTC)
    assert parse_date("2001/02/03") == datetime(2001, 2, 3, tzinfo=UTC)
    assert parse_date("2025/05/01 01:05:07 (JST)") == datetime(2025, 4, 30, 16, 5, 7, tzinfo=UTC)


_WHEN = st.datetimes(
    min_value=datetime(1986, 1, 1), max_value=datetime(2150, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))


@given(
    _WHEN,
    st.sampled_from(
        [
            "%Y-%m-%dT%H:%M:%SZ",
            "%Y-%m-%d %H:%M:%S",
            "%d-%b-%Y %H:%M:%S",
            "%Y/%m/%d %H:%M:%S",
            "%Y%m%d %H:%M:%S",
            "%d.%m.%Y %H:%M:%S",
        ]
    ),
)
def test_parse_date_round_trips(when: datetime, fmt: str) -> None:
    assert parse_date(when.strftime(fmt)) == when


@given(_WHEN, st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: m - m % 15))
def test_parse_date_keeps_offsets(when: datetime, minutes: int) -> None:
    zone = timezone(timedelta(minutes=minutes))
    local = when.astimezone(zone)
    assert parse_date(local.isoformat()) == when
    assert parse_date(local.strftime("%Y-%m-%dT%H:%M:%S%z")) == when


@settings(deadline=None)  # the first odd text loads python-whois' parser
@given(st.text(max_size=60))
def test_parse_date_never_raises(text: str) -> None:
    result = parse_date(text)
    assert result is None or result.tzinfo is not None


@given(st.text(max_size=400))
def test_parse_whois_raises_only_value_error(text: str) -> None:
    try:
        result = parse_whois(text, "x")
    except ValueError:
        return
    if result is not None:
        for value in (result.registrar, result.registrar_iana_id, *result.status, *result.nameservers):
            assert value is None or not re.search(r"[\x00-\x1f\x7f-\x9f]", value)


@given(
    st.lists(
        st.sampled_from(
            [
                "Domain Name",
                "Registrar",
                "Creation Date",
                "Name Server",
                "Status",
                "Registrant Organization",
                "refer",
                "[Registrant]",
                "   ",
                "%",
                "Expiry date",
            ]
        ),
        max_size=12,
    ),
    st.lists(st.text(max_size=30), max_size=12),
)
def test_parse_whois_on_key_value_soup(keys: list[str], values: list[str]) -> None:
    text = "\n".join(f"{k}: {v}" for k, v in zip(keys, values, strict=False))
    with contextlib.suppress(ValueError):
        parse_whois(text, "x")


def test_values_are_kept_through_the_one_text_policy() -> None:
    assert clean_value("a\x1b[31mb\u202ec  d\n") == "a [31mbc d"  # text.clean: ESC a space, bidi gone
    assert clean_value("x" * 300, 10) == "x" * 9 + "…"
    assert clean_value("REDACTED FOR PRIVACY") is None
    assert clean_value("Data Protected, Not Disclosed") is None
    assert clean_value("  ") is None
    assert clean_value(42) is None
    assert clean_value("Kestrel Systems Ltd") == "Kestrel Systems Ltd"


def test_normalise_nameserver() -> None:
    assert normalise_nameserver("NS1.Example.COM.") == "ns1.example.com"
    assert normalise_nameserver("ns1.example.com 192.0.2.1") == "ns1.example.com"
    assert normalise_nameserver("localhost") is None
    assert normalise_nameserver("<b>ns</b>.example") is None


def test_merge_prefers_registry_facts_and_registrar_contacts() -> None:
    registry = Registration(
        "whois", "registry:43", registrar="R", created=datetime(2000, 1, 1, tzinfo=UTC),
        expires=datetime(2030, 1, 1, tzinfo=UTC), status=("ok",), nameservers=("ns1.a.example",),
        abuse=Contact(email="abuse@registry.example"), raw="registry text",
    )  # fmt: skip
    registrar = Registration(
        "whois", "registrar:43", registrar="R Inc", expires=datetime(2029, 1, 1, tzinfo=UTC),
        registrant=Contact(organization="Kestrel"), abuse=Contact(email="abuse@registrar.example"),
        raw="registrar text",
    )  # fmt: skip
    merged = merge_registrations(registry, registrar)
    assert merged.server == "registry:43"
    assert merged.registrar == "R"
    assert merged.expires == datetime(2030, 1, 1, tzinfo=UTC)
    assert merged.registrant == Contact(organization="Kestrel")
    assert merged.abuse == Contact(email="abuse@registrar.example")
    assert "registry text" in merged.raw
    assert "--- registrar:43 ---\nregistrar text" in merged.raw


def test_phrase_file_is_complete() -> None:
    loaded = phrases()
    assert set(loaded.fields) == set(FIELDS)
    assert all(loaded.fields[name] for name in FIELDS)
    for phrase in (*loaded.no_match, *loaded.rate_limited, *loaded.redacted):
        assert phrase
        assert phrase == phrase.lower().strip()


def test_decode_prefers_utf8() -> None:
    assert decode("Straße".encode()) == "Straße"
    assert decode("Straße".encode("latin-1")) == "Straße"
    assert decode(b"\xff\xfe\x00") == "\xff\xfe\x00"
