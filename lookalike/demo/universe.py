"""The bundled offline universe: every server a scan talks to, on loopback, with synthetic data.

``Universe`` starts a DNS server (zone files), an RDAP server and a WHOIS server (registrations
rendered from ``universe.toml`` with dates relative to today), an SMTP server and a web server
(HTTP and HTTPS) playing the mail and web hosts of the lookalikes, all on 127.0.0.0/8. It has two
states, ``previous`` (last week) and ``now``, so a demo or a test can scan, let the world change, and
scan again. ``settings()`` gives ``Settings`` whose every endpoint points at these servers.

``make demo`` runs ``run_demo``: two real scans through the same code path as ``lookalike scan``
(one of last week's state, one of today's), then the report. The servers are the same ones the
integration tests use. Nothing here may be pointed at a real network.
"""

from __future__ import annotations

import asyncio
import dataclasses
import tempfile
import tomllib
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import dns.zone

from lookalike.config import Protected, Settings
from lookalike.demo.background import in_background
from lookalike.demo.dns_server import DnsServer, load_faults, load_zone
from lookalike.demo.http_server import HttpServer, Site
from lookalike.demo.rdap_server import RdapResponse, RdapServer
from lookalike.demo.smtp_server import SmtpServer
from lookalike.demo.whois_server import WhoisServer
from lookalike.endpoints import Endpoints, Limits
from lookalike.names import parse
from lookalike.scan import ProgressCallback
from lookalike.schedule import JobOutcome, ScheduledScan

STATES = ("previous", "now")


def universe_dir() -> Path:
    """The directory holding zones/, previous/, faults.toml and universe.toml."""
    return Path(str(resources.files("lookalike.demo").joinpath("universe")))


@cache
def description() -> Mapping[str, Any]:
    """``universe.toml``, parsed."""
    return tomllib.loads((universe_dir() / "universe.toml").read_text("utf-8"))


def zones(state: str) -> list[dns.zone.Zone]:
    """The zones of a state: this week's files, with last week's laid over them for ``previous``."""
    files = {p.name: p for p in sorted((universe_dir() / "zones").glob("*.zone"))}
    if state == "previous":
        removed = (universe_dir() / "previous" / "REMOVED").read_text("utf-8").split()
        for name in removed:
            files.pop(name, None)
        files.update({p.name: p for p in (universe_dir() / "previous").glob("*.zone")})
    return [load_zone(path) for _, path in sorted(files.items())]


@dataclass(frozen=True, slots=True)
class _Reg:
    domain: str
    data: Mapping[str, Any]

    def exists_in(self, state: str) -> bool:
        if state == "previous":
            return not self.data.get("new_this_week", False)
        return not self.data.get("previous_only", False)

    def date(self, now: datetime, key: str) -> str | None:
        days = self.data.get(key)
        if days is None:
            return None
        sign = -1 if key == "created_days" else 1
        when = (now + timedelta(days=sign * int(days))).replace(microsecond=0)
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _registrations() -> list[_Reg]:
    return [_Reg(domain, data) for domain, data in description()["registrations"].items()]


def _nameservers(domain: str, state: str) -> list[str]:
    for zone in zones(state):
        if zone.origin is not None and zone.origin.to_text().rstrip(".") == domain:
            node = zone.get_rdataset(zone.origin, "NS")
            return sorted(r.target.to_text().rstrip(".") for r in node) if node else []
    return []


def _spaced(status: str) -> str:
    """RDAP spells EPP statuses as words: clientTransferProhibited -> client transfer prohibited."""
    return "".join(f" {c.lower()}" if c.isupper() else c for c in status).strip()


def rdap_document(reg: _Reg, now: datetime, state: str) -> dict[str, Any]:
    """An RFC 9083 domain object for one registration, redacted the way gTLD registries do."""
    data = reg.data
    registrar: dict[str, Any] = {
        "objectClassName": "entity",
        "handle": data.get("iana_id", "0"),
        "roles": ["registrar"],
        "publicIds": [{"type": "IANA Registrar ID", "identifier": data.get("iana_id", "0")}],
        "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", data["registrar"]]]],
        "entities": [
            {
                "objectClassName": "entity",
                "roles": ["abuse"],
                "vcardArray": [
                    "vcard",
                    [
                        ["version", {}, "text", "4.0"],
                        ["fn", {}, "text", "Abuse Contact"],
                        ["email", {}, "text", f"abuse@{_slug(data['registrar'])}.example"],
                        ["tel", {"type": "voice"}, "uri", "tel:+1.5555550100"],
                    ],
                ],
            }
        ],
    }
    if data.get("redacted"):
        org, country = "REDACTED FOR PRIVACY", data.get("country", "IS")
        remarks = [{"title": "REDACTED FOR PRIVACY", "type": "object redacted due to authorization"}]
    else:
        org, country, remarks = data.get("registrant", ""), data.get("country", ""), []
    registrant = {
        "objectClassName": "entity",
        "roles": ["registrant"],
        "vcardArray": [
            "vcard",
            [
                ["version", {}, "text", "4.0"],
                ["fn", {}, "text", ""],
                ["org", {}, "text", org],
                ["adr", {"cc": country}, "text", ["", "", "", "", "", "", country]],
            ],
        ],
        "remarks": remarks,
    }
    events = [
        {"eventAction": action, "eventDate": date}
        for action, date in (
            ("registration", reg.date(now, "created_days")),
            ("expiration", reg.date(now, "expires_days")),
            ("last changed", reg.date(now, "created_days")),
        )
        if date is not None
    ]
    return {
        "rdapConformance": [
            "rdap_level_0",
            "icann_rdap_response_profile_1",
            "icann_rdap_technical_implementation_guide_1",
        ],
        "objectClassName": "domain",
        "handle": f"{zlib.crc32(reg.domain.encode())}_DOMAIN_DEMO",
        "ldhName": reg.domain.upper(),
        "status": [_spaced(s) for s in data.get("status", [])],
        "events": events,
        "nameservers": [
            {"objectClassName": "nameserver", "ldhName": ns.upper()} for ns in _nameservers(reg.domain, state)
        ],
        "entities": [registrar, registrant],
        "notices": [
            {"title": "Synthetic", "description": ["lookalike's offline demo universe: invented data."]}
        ],
    }


def whois_text(reg: _Reg, now: datetime, state: str) -> str:
    """A registry's port-43 answer in the ICANN-style key: value format most ccTLDs also use."""
    data = reg.data
    lines = [
        f"Domain Name: {reg.domain.upper()}",
        f"Registrar: {data['registrar']}",
        f"Creation Date: {reg.date(now, 'created_days')}",
        f"Registry Expiry Date: {reg.date(now, 'expires_days')}",
        f"Updated Date: {reg.date(now, 'created_days')}",
    ]
    lines += [f"Domain Status: {s} https://icann.org/epp#{s}" for s in data.get("status", [])]
    lines += [
        f"Registrant Organization: {data.get('registrant', 'REDACTED FOR PRIVACY')}",
        f"Registrant Country: {data.get('country', '')}",
    ]
    lines += [f"Name Server: {ns.upper()}" for ns in _nameservers(reg.domain, state)]
    lines += [
        f"Registrar Abuse Contact Email: abuse@{_slug(data['registrar'])}.example",
        "Registrar Abuse Contact Phone: +1.5555550100",
        f">>> Last update of WHOIS database: {now.strftime('%Y-%m-%dT%H:%M:%SZ')} <<<",
        "",
        "SYNTHETIC: lookalike's offline demo universe; every name and holder here is invented.",
    ]
    return "\r\n".join(lines) + "\r\n"


def _slug(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())[:20] or "registrar"


def sites(state: str) -> dict[str, Site]:
    """What each web host serves in a state."""
    out: dict[str, Site] = {}
    for host, spec in description()["web"].items():
        kind = spec.get("previous", spec["kind"]) if state == "previous" else spec["kind"]
        if kind == "redirect":
            out[host] = Site.redirect(spec["target"])
        elif kind == "parked":
            out[host] = Site.parked()
        elif kind == "login":
            out[host] = Site.login(spec.get("title", "Sign in"))
        elif kind == "files":
            dirs = [spec["dir"]] if isinstance(spec["dir"], str) else spec["dir"]
            out[host] = Site.directory(*(universe_dir() / "web" / d for d in dirs))
        else:
            out[host] = Site.page(spec.get("title", "Welcome"))
    return out


def mail_hosts() -> dict[str, str]:
    """Address -> SMTP behaviour."""
    return dict(description()["smtp"])


def web_addresses() -> list[str]:
    """Every loopback address a web host of the universe lives on."""
    return sorted({*mail_hosts(), *(f"127.0.1.{n}" for n in range(1, 25))}, key=_address_key)


def _address_key(address: str) -> tuple[int, ...]:
    return tuple(int(part) for part in address.split("."))


class Universe:
    """All the universe's servers. An async context manager; enter it on the loop that will serve."""

    def __init__(
        self, state: str = "now", *, workdir: Path | None = None, now: datetime | None = None
    ) -> None:
        if state not in STATES:
            raise ValueError(f"state must be one of {STATES}")
        self.state = state
        self.now = now or datetime.now(UTC)
        self._tmp = tempfile.TemporaryDirectory(prefix="lookalike-universe-") if workdir is None else None
        self.workdir = workdir or Path(self._tmp.name if self._tmp else ".")
        self._stack = AsyncExitStack()
        self._loop: asyncio.AbstractEventLoop | None = None
        info = description()["registry"]
        self.rdap_tlds: tuple[str, ...] = tuple(info["rdap_tlds"])
        self.whois_tlds: tuple[str, ...] = tuple(info["whois_tlds"])
        self.dns: DnsServer
        self.rdap: RdapServer
        self.whois: WhoisServer
        self.smtp: SmtpServer
        self.web: HttpServer
        self.bootstrap: Path

    def _rdap_responses(self, state: str) -> dict[str, RdapResponse]:
        return {
            reg.domain: RdapResponse(body=rdap_document(reg, self.now, state))
            for reg in _registrations()
            if reg.exists_in(state) and reg.domain.rsplit(".", 1)[-1] in self.rdap_tlds
        }

    def _whois_responses(self, state: str) -> dict[str, str]:
        return {
            reg.domain: whois_text(reg, self.now, state)
            for reg in _registrations()
            if reg.exists_in(state) and reg.domain.rsplit(".", 1)[-1] in self.whois_tlds
        }

    async def __aenter__(self) -> Universe:
        self._loop = asyncio.get_running_loop()
        faults = load_faults(universe_dir() / "faults.toml")
        self.dns = await self._stack.enter_async_context(DnsServer(zones(self.state), faults))
        self.rdap = await self._stack.enter_async_context(RdapServer(self._rdap_responses(self.state)))
        self.whois = await self._stack.enter_async_context(
            WhoisServer(self._whois_responses(self.state), default="No match for domain.\r\n")
        )
        self.smtp = await self._stack.enter_async_context(SmtpServer(mail_hosts()))
        self.web = await self._stack.enter_async_context(
            HttpServer(sites(self.state), addresses=web_addresses())
        )
        self.bootstrap = self.rdap.bootstrap_file(self.rdap_tlds, self.workdir / "rdap-bootstrap.json")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()
        if self._tmp is not None:
            self._tmp.cleanup()

    def set_state(self, state: str) -> None:
        """Let the world move on (or back): swap zones, registrations and web sites. Thread-safe."""
        if state not in STATES:
            raise ValueError(f"state must be one of {STATES}")

        loop = self._loop
        if loop is None:
            raise RuntimeError("the universe is not running")
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._swap(state)
        else:
            asyncio.run_coroutine_threadsafe(self._swap_async(state), loop).result(timeout=30)

    def _swap(self, state: str) -> None:
        self.state = state
        self.dns.update(zones=zones(state))
        self.rdap.update(self._rdap_responses(state), replace=True)
        self.whois.update(self._whois_responses(state), replace=True)
        self.web.sites = dict(sites(state))

    async def _swap_async(self, state: str) -> None:
        self._swap(state)

    def endpoints(self) -> Endpoints:
        return Endpoints(
            resolvers=(self.dns.address,),
            rdap_bootstrap=self.bootstrap,
            whois_servers=dict.fromkeys(self.whois_tlds, self.whois.address),
            whois_iana=None,
            smtp_port=self.smtp.port,
            http_port=self.web.http_port,
            https_port=self.web.https_port,
        )

    def settings(self, **changes: Any) -> Settings:
        """Settings for a full scan of the universe: every probe on, loopback allowed, quick limits."""
        info = description()
        owned = tuple(info.get("owned", ()))
        protected = tuple(
            Protected(name=parse(d), owned=owned if parse(d).ascii == "kestrelsystems.com" else ())
            for d in info["protected"]
        )
        base = Settings(
            protected=protected,
            endpoints=self.endpoints(),
            # Loopback servers answer at once; the slow limits a real registry deserves would only make
            # the demo wait. A dropped answer still costs timeout x (retries + 1).
            limits=Limits(
                concurrency=64,
                timeout=1.0,
                retries=1,
                registry_per_server=4,
                registry_qps=200.0,
                registry_timeout=3.0,
                probe_concurrency=32,
                probe_timeout=3.0,
                screenshot_timeout=10.0,
            ),
            registry=True,
            smtp=True,
            http=True,
            allow_private=True,
            plan_top=15,
        )
        return dataclasses.replace(base, **changes)


@contextmanager
def running(state: str = "now") -> Iterator[Universe]:
    """The universe served from a background thread, for synchronous callers (the CLI, tests)."""
    with in_background(lambda: Universe(state)) as universe:
        yield universe


def run_demo(
    *,
    report: Path,
    json_path: Path | None,
    progress: ProgressCallback | None = None,
    status: Callable[[str], None] = lambda _m: None,
    screenshot: bool = True,
) -> JobOutcome:
    """Scan last week's universe, let it change, scan today's, and write the report of the second.

    With ``screenshot``, today's scan renders every live page in headless Chromium (the report shows
    them, next to Kestrel's own sign-in page); last week's needs no pictures, and so goes quicker."""
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="lookalike-demo-") as tmp, running("previous") as universe:
        db = Path(tmp) / "demo.db"
        status(
            f"demo universe on loopback: DNS {universe.dns.address}, RDAP {universe.rdap.base_url}, "
            f"WHOIS {universe.whois.address}, SMTP port {universe.smtp.port}"
        )
        status("scan 1 of 2: the universe as it was a week ago")
        ScheduledScan(
            universe.settings(db=db, report=Path(tmp) / "previous.html"),
            synthetic=True,
            now=lambda: now - timedelta(days=7),
        ).run(progress=progress)
        universe.set_state("now")
        status("scan 2 of 2: today, compared with last week")
        return ScheduledScan(
            universe.settings(db=db, report=report, json=json_path, screenshot=screenshot),
            synthetic=True,
            now=lambda: now,
        ).run(progress=progress)
