"""parse_rdap, the bootstrap and the small RDAP helpers, as pure functions on the recorded documents."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lookalike.errors import LookalikeError
from lookalike.model import Contact, Registration
from lookalike.rdap import Bootstrap, parse_rdap, parse_tlds, registrar_link, retry_after

RDAP = Path(__file__).resolve().parent.parent / "data" / "registry" / "rdap"
SHIPPED_TLDS = (
    Path(__file__).resolve().parent.parent.parent / "lookalike" / "data" / "tlds-alpha-by-domain.txt"
)


def document(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RDAP / name).read_text("utf-8"))
    return data


def parsed(name: str) -> Registration:
    return parse_rdap(document(name), "http://rdap.test/")


def test_thin_registry_answer() -> None:
    reg = parsed("registry/kestrelsystems.com.json")
    assert reg.source == "rdap"
    assert reg.server == "http://rdap.test/"
    assert reg.registrar == "Harrier Domains, Inc."
    assert reg.registrar_iana_id == "4242"
    assert reg.created == datetime(1997, 9, 15, 4, 0, tzinfo=UTC)
    assert reg.expires == datetime(2028, 9, 14, 4, 0, tzinfo=UTC)
    assert reg.updated == datetime(2024, 8, 14, 7, 1, 34, tzinfo=UTC)
    assert reg.status == ("clientDeleteProhibited", "clientTransferProhibited", "clientUpdateProhibited")
    assert reg.nameservers == ("ns1.kestrelsystems.com", "ns2.kestrelsystems.com")
    assert reg.registrant is None
    # The abuse contact sits inside the registrar entity, as the ICANN gTLD profile puts it.
    assert reg.abuse == Contact(email="abuse@harrier-domains.example", phone="+1.5555550142")
    assert '"ldhName": "KESTRELSYSTEMS.COM"' in reg.raw


def test_registrar_answer_with_rfc9537_redactions() -> None:
    reg = parsed("registrar/kestrelsystems.com.json")
    # fn is an emptyValue redaction, e-mail and phone are removed: what is left is organisation and country.
    assert reg.registrant == Contact(organization="Kestrel Systems Ltd", country="GB")
    assert reg.expires == datetime(2028, 9, 13, 4, 0, tzinfo=UTC)
    assert reg.abuse == Contact(email="abuse@harrier-domains.example", phone="+1.5555550142")


def test_new_lookalike() -> None:
    reg = parsed("registry/kestrelsytems.com.json")
    assert reg.registrar == "Osprey Names LLC"
    assert reg.registrar_iana_id == "4343"
    assert reg.created == datetime(2025, 10, 28, 16, 41, 9, tzinfo=UTC)
    assert reg.status == ("clientTransferProhibited", "addPeriod")
    assert reg.nameservers == ("ns1.osprey-parking.example", "ns2.osprey-parking.example")


def test_held_name_on_its_way_out() -> None:
    reg = parsed("registry/kestrel-systems.org.json")
    assert reg.status == ("serverHold", "redemptionPeriod", "pendingDelete", "clientTransferProhibited")
    assert reg.nameservers == ()
    # Re-registered in 2024: the later of registration and reregistration is when the holder got it.
    assert reg.created == datetime(2024, 10, 2, 8, 30, tzinfo=UTC)
    # "REDACTED FOR PRIVACY" placeholders are dropped; the privacy service's name is a fact and stays.
    assert reg.registrant == Contact(organization="Shielded Registrant Services ehf", country="IS")


def test_cctld_answer() -> None:
    reg = parsed("registry/kestrelsystemes.fr.json")
    assert reg.registrar == "HARRIER DOMAINES SAS"
    assert reg.registrar_iana_id is None
    assert reg.status == ("ok",)
    assert reg.created == datetime(2012, 3, 6, 10, 31, 57, 612345, tzinfo=UTC)
    assert reg.updated == datetime(2025, 2, 18, 8, 3, 11, tzinfo=timezone(timedelta(hours=1)))
    assert reg.nameservers == ("ns1.kestrelsystemes.fr", "ns2.kestrelsystemes.fr")
    assert reg.registrant == Contact(
        name="Kestrel Systèmes SAS", organization="Kestrel Systèmes SAS", country="France"
    )
    # A top-level abuse entity; mailto: dropped; the voice number, not the fax.
    assert reg.abuse == Contact(
        name="Harrier Domaines abuse desk", email="abuse-fr@harrier-domains.example", phone="+33.155550101"
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("errors/not-a-domain.json", "objectClassName is 'entity'"),
        ("errors/not-found.json", "error response"),
    ],
)
def test_not_a_domain_object(name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parsed(name)


@pytest.mark.parametrize("data", [[], "domain", 3, None, {}, {"objectClassName": 7}])
def test_not_an_object(data: Any) -> None:
    with pytest.raises(ValueError):
        parse_rdap(data, "x")


def test_registrar_link() -> None:
    text = (RDAP / "registry" / "kestrelsystems.com.json").read_text("utf-8")
    doc = json.loads(text.replace("{{base_url}}", "https://rdap.registry.example/"))
    assert registrar_link(doc) == "https://rdap.registry.example/registrar/domain/KESTRELSYSTEMS.COM"
    assert registrar_link(document("registry/kestrelsytems.com.json")) is None
    assert (
        registrar_link({"links": [{"rel": "related", "type": "text/html", "href": "https://x/domain/a"}]})
        is None
    )
    assert (
        registrar_link({"links": [{"rel": "related", "type": "application/rdap+json", "href": "ftp://x"}]})
        is None
    )
    assert registrar_link({"links": "nonsense"}) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=30,
)
rdap_keys = st.sampled_from(
    ["entities", "events", "status", "nameservers", "links", "vcardArray", "roles", "publicIds",
     "eventAction", "eventDate", "ldhName", "objectClassName"]
)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(rdap_keys | st.text(max_size=8), json_values, max_size=8))
def test_parse_rdap_raises_only_value_error(data: dict[str, Any]) -> None:
    try:
        result = parse_rdap(data, "x")
    except ValueError:
        return
    for when in (result.created, result.expires, result.updated):
        assert when is None or when.tzinfo is not None


@settings(deadline=None)  # the first odd date loads python-whois' parser
@given(
    st.lists(
        st.fixed_dictionaries(
            {"eventAction": st.sampled_from(["registration", "expiration", "last changed", "transfer"]),
             "eventDate": st.text(max_size=30) | st.datetimes().map(lambda d: d.isoformat())}
        ),
        max_size=5,
    ),
    st.lists(st.text(max_size=30), max_size=5),
)  # fmt: skip
def test_domain_objects_always_parse(events: list[dict[str, str]], statuses: list[str]) -> None:
    result = parse_rdap({"objectClassName": "domain", "events": events, "status": statuses}, "x")
    for when in (result.created, result.expires, result.updated):
        assert when is None or when.tzinfo is not None


any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
separators = st.text(alphabet="-_ .,;:/|", max_size=4)
vcard = st.lists(
    st.tuples(
        st.sampled_from(["fn", "org", "email", "tel", "adr", "version"]) | st.text(max_size=5),
        st.dictionaries(st.sampled_from(["type", "cc"]), any_json, max_size=2) | any_json,
        st.text(max_size=5),
        any_json,
    ).map(list),
    max_size=6,
)
entity = st.fixed_dictionaries(
    {"roles": st.lists(st.sampled_from(["registrar", "registrant", "abuse", "technical"]) | any_json)},
    optional={
        "vcardArray": st.tuples(st.just("vcard"), vcard).map(list) | any_json,
        "handle": any_json,
        "publicIds": any_json,
        "entities": st.lists(any_json, max_size=3),
    },
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_json)
def test_any_json_raises_only_value_error(data: Any) -> None:
    """Whatever JSON a server sends, the reader gives a registration or a ValueError (issue 14)."""
    try:
        parse_rdap(data, "x")
    except ValueError:
        return


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(separators | st.text(max_size=12), max_size=5),
    st.lists(entity, max_size=4),
    st.lists(st.fixed_dictionaries({"ldhName": any_json}) | any_json, max_size=3),
    st.lists(st.fixed_dictionaries({"eventAction": any_json, "eventDate": any_json}), max_size=4),
)
def test_domain_objects_with_hostile_parts_parse(
    statuses: list[str], entities: list[dict[str, Any]], nameservers: list[Any], events: list[Any]
) -> None:
    """Statuses made of separators ("-", RDAP's ["-"]), entities with broken jCards, odd name servers
    and events: always a registration, never an exception."""
    data = {
        "objectClassName": "domain", "status": statuses, "entities": entities,
        "nameservers": nameservers, "events": events,
    }  # fmt: skip
    result = parse_rdap(data, "x")
    assert all(s.strip("-_ .,;:/|") for s in result.status)


def test_cz_style_events_and_a_registrar_known_by_its_handle() -> None:
    data = {
        "objectClassName": "domain",
        "ldhName": "kestrel.cz",
        "status": ["-", "active"],
        "events": [
            {"eventAction": "registration", "eventDate": "2001-02-03T04:05:06Z"},
            {"eventAction": "last update", "eventDate": "2024-05-06T07:08:09+02:00"},
            {"eventAction": "last update of RDAP database", "eventDate": "2025-01-01T00:00:00Z"},
        ],
        "entities": [{"objectClassName": "entity", "handle": "REG-HARRIER", "roles": ["registrar"]}],
    }
    result = parse_rdap(data, "x")
    assert result.registrar == "REG-HARRIER"
    assert result.updated == datetime(2024, 5, 6, 5, 8, 9, tzinfo=UTC)
    assert result.status == ("ok",)


def test_shipped_bootstrap() -> None:
    bootstrap = Bootstrap.load()
    assert bootstrap.publication
    assert len(bootstrap.services) > 500
    assert bootstrap.urls("kestrelsystems.com") == ("https://rdap.verisign.com/com/v1/",)
    assert bootstrap.urls("KESTRELSYSTEMS.COM.") == bootstrap.urls("kestrelsystems.com")
    assert bootstrap.urls("kestrel-systeme.de") == ()  # .de has no RDAP: WHOIS it is
    assert all(url.endswith("/") for urls in bootstrap.services.values() for url in urls)


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "dns.json"
    path.write_text(json.dumps(data), "utf-8")
    return path


def test_longest_suffix_wins_and_https_first(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "version": "1.0",
            "publication": "2025-01-01T00:00:00Z",
            "services": [
                [["uk"], ["http://rdap.uk.example/", "https://rdap.uk.example/"]],
                [["co.uk"], ["https://rdap.co-uk.example/v1"]],
            ],
        },
    )
    bootstrap = Bootstrap.load(path)
    assert bootstrap.urls("kestrel.uk") == ("https://rdap.uk.example/", "http://rdap.uk.example/")
    assert bootstrap.urls("kestrel.co.uk") == ("https://rdap.co-uk.example/v1/",)
    assert bootstrap.urls("kestrel.com") == ()
    assert bootstrap.publication == "2025-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"services": []}, "lists no RDAP services"),
        ({"version": "1.0"}, "no 'services' list"),
        ([1, 2], "no 'services' list"),
        ({"services": [["com"]]}, "not a pair of lists"),
        ({"services": [[["com"], "https://x/"]]}, "not a pair of lists"),
        ({"services": [[["not a tld!"], ["https://x/"]]]}, "not a TLD"),
        ({"services": [[[7], ["https://x/"]]]}, "not a string"),
        ({"services": [[["com"], ["ftp://x/"]]]}, "lists no RDAP services"),
    ],
)
def test_bad_bootstrap(tmp_path: Path, data: Any, message: str) -> None:
    with pytest.raises(LookalikeError, match=message):
        Bootstrap.load(write(tmp_path, data))


def test_unreadable_bootstrap(tmp_path: Path) -> None:
    with pytest.raises(LookalikeError, match="cannot read"):
        Bootstrap.load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{", "utf-8")
    with pytest.raises(LookalikeError, match="not valid JSON"):
        Bootstrap.load(tmp_path / "bad.json")


def test_retry_after() -> None:
    now = datetime(2025, 11, 7, 9, 0, 0, tzinfo=UTC)
    assert retry_after("120") == 120.0
    assert retry_after(" 0 ") == 0.0
    assert retry_after("Fri, 07 Nov 2025 09:00:30 GMT", now) == 30.0
    assert retry_after("Fri, 07 Nov 2025 08:00:00 GMT", now) == 0.0
    assert retry_after("soon") is None
    assert retry_after("-5") is None
    assert retry_after(None) is None


def test_parse_tlds() -> None:
    shipped = SHIPPED_TLDS.read_bytes()
    tlds = parse_tlds(shipped, "shipped")
    assert {"com", "de", "xn--p1ai"} <= tlds
    with pytest.raises(LookalikeError, match="lists only 3 TLDs"):
        parse_tlds(b"# Version 1\nCOM\nNET\nORG\n", "small")
    with pytest.raises(LookalikeError, match="line 2"):
        parse_tlds(b"# Version 1\n<html>\n" + shipped, "html")
    with pytest.raises(LookalikeError, match="not ASCII"):
        parse_tlds("é".encode() + shipped, "binary")
