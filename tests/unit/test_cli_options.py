"""The options that become Settings are declared once (``cli.options.Options``): every one reaches its
setting, every command that takes its group shows it, and the names stay what the issues named."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
from typer.testing import CliRunner

import lookalike.cli  # noqa: F401  (registers every command)
from lookalike.cli.app import app
from lookalike.cli.options import ADVICE, LOOKUP, PLAN, SCAN, Group, Options, settings_options, specs
from lookalike.config import Settings
from lookalike.endpoints import HostPort

# What each command offered before the options object, and must keep (the issues' contract and more).
BEFORE = {
    "scan": "--file -f --config -c --resolver -r --technique -t --depth --keyboard --keywords --concurrency "
    "--fixed-window --adaptive-window --qps --timeout --retries --registry --no-registry --rdap-bootstrap "
    "--whois-server --whois-iana --smtp --no-smtp --http --no-http --allow-private --no-allow-private "
    "--smtp-port --helo --http-port --https-port --report --json --csv --db --no-store --resume --fail-on "
    "--plan-top --quiet -q",
    "lookup": "--protected -p --config -c --resolver -r --timeout --registry --no-registry --rdap-bootstrap "
    "--whois-server --whois-iana --smtp --no-smtp --http --no-http --allow-private --no-allow-private "
    "--smtp-port --helo --http-port --https-port --format",
    "plan": "--file -f --config -c --db --scan --from-json --top --format --output -o --no-registry "
    "--resolver -r --rdap-bootstrap --whois-server --whois-iana --presence --technique -t --depth --keywords",
    "blocklist": "--config -c --db --scan --from-json --format --output -o --whole-tld --no-whole-tld "
    "--block-tld --owned",
    "audit": "--config -c --db --scan --from-json --format --output -o --owned",
}
GROUPS = {"scan": SCAN, "lookup": LOOKUP, "plan": PLAN, "blocklist": ADVICE, "audit": ADVICE}


def flags(command: str) -> set[str]:
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "250", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    return set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", result.output))


@pytest.mark.parametrize("command", sorted(BEFORE))
def test_every_option_name_is_kept_and_every_group_option_shown(command: str) -> None:
    shown = flags(command)
    assert set(BEFORE[command].split()) <= shown
    for spec in specs():
        if spec.opt.group & GROUPS[command]:
            assert spec.flags, spec.name
            for flag in spec.flags:
                assert set(flag.split("/")) <= shown, (command, flag)


# A value for every option, and what the settings hold once it is applied.
SAMPLES: dict[str, tuple[Any, Any]] = {
    "resolver": (["127.0.0.1:5353"], lambda s: s.endpoints.resolvers == (HostPort("127.0.0.1", 5353),)),
    "technique": (["omission"], lambda s: {t.value for t in s.generate.techniques} == {"omission"}),
    "depth": (2, lambda s: s.generate.depth == 2),
    "keyboard": (["azerty"], lambda s: s.generate.keyboards == ("azerty",)),
    "keywords": (None, lambda s: s.generate.keywords == ("careers",)),  # set below: a file
    "concurrency": (7, lambda s: s.limits.concurrency == 7),
    "fixed_window": (True, lambda s: s.limits.fixed_window is True),
    "qps": (2.5, lambda s: s.limits.qps == 2.5),
    "timeout": (0.5, lambda s: s.limits.timeout == 0.5),
    "retries": (0, lambda s: s.limits.retries == 0),
    "registry": (False, lambda s: s.registry is False),
    "rdap_bootstrap": (Path("dns.json"), lambda s: s.endpoints.rdap_bootstrap == Path("dns.json")),
    "whois_server": (
        ["ml=127.0.0.1:4343"],
        lambda s: s.endpoints.whois_servers["ml"] == HostPort("127.0.0.1", 4343),
    ),
    "whois_iana": ("none", lambda s: s.endpoints.whois_iana is None),
    "smtp": (True, lambda s: s.smtp is True),
    "http": (True, lambda s: s.http is True),
    "allow_private": (True, lambda s: s.allow_private is True),
    "smtp_port": (2525, lambda s: s.endpoints.smtp_port == 2525),
    "helo": ("scanner.example.org", lambda s: s.endpoints.helo_name == "scanner.example.org"),
    "http_port": (8080, lambda s: s.endpoints.http_port == 8080),
    "https_port": (8443, lambda s: s.endpoints.https_port == 8443),
    "report": (Path("r.html"), lambda s: s.report == Path("r.html")),
    "json_path": (Path("r.json"), lambda s: s.json == Path("r.json")),
    "csv_path": (Path("r.csv"), lambda s: s.csv == Path("r.csv")),
    "db": (Path("h.db"), lambda s: s.db == Path("h.db")),
    "fail_on": (["new,high", "new"], lambda s: s.fail_on == ("new", "high")),
    "plan_top": (0, lambda s: s.plan_top == 0),
    "screenshot": (True, lambda s: s.screenshot is True),
    "inline_images": (True, lambda s: s.inline_images is True),
    "broker": ("redis://127.0.0.1:6379/0", lambda s: s.broker == "redis://127.0.0.1:6379/0"),
    "unit_size": (500, lambda s: s.unit_size == 500),
    "queue": ("lookalike-eu", lambda s: s.queue == "lookalike-eu"),
}


@pytest.mark.parametrize("spec", [s for s in specs() if s.opt.sets is not None], ids=lambda s: s.name)
def test_each_option_reaches_its_setting(spec: Any, tmp_path: Path) -> None:
    assert spec.name in SAMPLES, f"add a sample for --{spec.name}: every option must reach its setting"
    value, holds = SAMPLES[spec.name]
    if spec.name == "keywords":
        value = tmp_path / "keywords.txt"
        value.write_text("careers\n", encoding="utf-8")
    settings = Options(**{spec.name: value}).build(require_domains=False)
    assert holds(settings)
    untouched = Options().build(require_domains=False)
    assert untouched == Settings()  # nothing given: the defaults


def test_the_command_line_beats_the_file_and_keeps_what_it_does_not_name(tmp_path: Path) -> None:
    path = tmp_path / "lookalike.toml"
    path.write_text(
        '[limits]\ntimeout = 3.0\nqps = 9\n[endpoints]\nwhois_servers = { ml = "127.0.0.1:43" }\n'
        '[[domains]]\nname = "kestrel.mil"\n',
        encoding="utf-8",
    )
    settings = Options(config_path=path, timeout=0.5, whois_server=["cm=127.0.0.1:4343"]).build()
    assert (settings.limits.timeout, settings.limits.qps) == (0.5, 9.0)
    assert set(settings.endpoints.whois_servers) == {"ml", "cm"}  # added to the file's, not instead
    assert [p.name.ascii for p in settings.protected] == ["kestrel.mil"]


def test_a_command_receives_its_groups_as_one_object() -> None:
    seen: list[Options] = []
    demo = typer.Typer()

    @demo.command()
    @settings_options(Group.DNS, help={"timeout": "Seconds, reworded."})
    def probe(
        name: Annotated[str, typer.Argument()],
        *,
        options: Options,
        loud: Annotated[bool, typer.Option("--loud")] = False,
    ) -> None:
        assert name == "kestrel.mil" and loud
        seen.append(options)

    result = CliRunner().invoke(demo, ["kestrel.mil", "--timeout", "0.5", "-r", "127.0.0.1", "--loud"])
    assert result.exit_code == 0, result.output
    assert seen == [Options(timeout=0.5, resolver=["127.0.0.1"])]
    helped = CliRunner().invoke(demo, ["--help"], env={"COLUMNS": "200"}).output
    assert "Seconds, reworded." in helped and "--concurrency" in helped and "--smtp" not in helped


def test_settings_options_refuses_what_it_cannot_wire() -> None:
    with pytest.raises(ValueError, match="help for options the command does not take"):
        settings_options(Group.DNS, help={"smtp": "x"})

    def positional(options: Options) -> None: ...

    with pytest.raises(TypeError, match="keyword-only"):
        settings_options(Group.DNS)(positional)


def test_every_field_of_options_is_declared_with_option() -> None:
    assert [s.name for s in specs()] == [f.name for f in dataclasses.fields(Options)]
    groups = {s.opt.group for s in specs()}
    assert groups == set(Group)  # every group has options, every option a group
