"""Settings check themselves where they are built: the config file, the command line and the library
refuse the same values with the same line, and every other number a command takes is bounded too.

Each case of issue 11 ("Bad settings pass or hang") is here, driven through the CLI in-process
(``lookalike.cli.main``) and, where the setting has a config key, through ``lookalike.toml`` and the
library (``Limits(...)``, ``Endpoints(...)``, ``Settings(...)``).
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lookalike import bounds, config
from lookalike.cli import main
from lookalike.config import Alerts, Settings
from lookalike.endpoints import Endpoints, HostPort, Limits
from lookalike.errors import LookalikeError
from lookalike.permute import GenerateOptions

INF, NAN = float("inf"), float("nan")
# A scan that fails at once if its settings pass: no resolver answers on the discard port.
SCAN = ("scan", "kestrel.mil", "--resolver", "127.0.0.1:9", "--no-store", "--no-registry", "--quiet")


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run ``lookalike ARGS`` in-process: the exit code and standard error."""
    with pytest.raises(SystemExit) as done:
        main(list(args))
    code = done.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("lookalike: error: "), err
    assert "Traceback" not in err
    return lines[0].removeprefix("lookalike: error: ")


def load(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "lookalike.toml"
    path.write_text(text, encoding="utf-8")
    return config.load(path)


# (table, key, value written in TOML, the value itself, the CLI flag or None, what the line says)
CASES: list[tuple[str, str, str, Any, str | None, str]] = [
    ("limits", "timeout", "inf", INF, "--timeout", "timeout must be a number of seconds above 0"),
    ("limits", "timeout", "nan", NAN, "--timeout", "not nan"),
    ("limits", "timeout", "-1.0", -1.0, "--timeout", "not -1"),
    ("limits", "timeout", "0", 0, "--timeout", "not 0"),
    ("limits", "timeout", "1e308", 1e308, "--timeout", "at most 3,600"),
    ("limits", "qps", "nan", NAN, "--qps", "qps must be 0 (no limit) or a rate per second"),
    ("limits", "qps", "inf", INF, "--qps", "not inf"),
    ("limits", "qps", "-1", -1, "--qps", "not -1"),
    ("limits", "concurrency", "0", 0, "--concurrency", "concurrency must be a whole number from 1"),
    ("limits", "concurrency", "100000000000000000000", 10**20, "--concurrency", "from 1 to 65,536"),
    ("limits", "retries", "-1", -1, "--retries", "retries must be a whole number from 0 to 10"),
    ("limits", "retries", "100000", 100000, "--retries", "not 100000"),
    ("limits", "registry_per_server", "0", 0, None, "registry_per_server must be"),
    ("limits", "registry_qps", "nan", NAN, None, "registry_qps must be 0 (no limit)"),
    ("limits", "registry_timeout", "0", 0, None, "registry_timeout must be a number of seconds"),
    ("limits", "registry_deadline", "-1", -1, None, "registry_deadline must be"),
    ("limits", "registry_scan_deadline", "inf", INF, None, "registry_scan_deadline must be"),
    ("limits", "probe_concurrency", "-3", -3, None, "probe_concurrency must be"),
    ("limits", "probe_timeout", "-5", -5, None, "probe_timeout must be a number of seconds"),
    ("endpoints", "smtp_port", "99999999", 99999999, "--smtp-port", "smtp_port must be a port number"),
    ("endpoints", "http_port", "0", 0, "--http-port", "http_port must be a port number from 1 to 65535"),
    ("endpoints", "https_port", "70000", 70000, "--https-port", "not 70000"),
    ("scan", "plan_top", "-1", -1, "--plan-top", "plan_top must be a whole number from 0"),
    ("scan", "depth", "3", 3, "--depth", "depth must be 1 or 2"),
]


def _library(table: str, key: str, value: Any) -> Callable[[], object]:
    if table == "limits":
        return lambda: Limits(**{key: value})
    if table == "endpoints":
        return lambda: Endpoints(**{key: value})
    if key == "depth":
        return lambda: Settings(generate=GenerateOptions(depth=value))
    return lambda: Settings(**{key: value})


def _ids(case: tuple[Any, ...]) -> str:
    return f"{case[0]}.{case[1]}={case[2]}"


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_the_file_the_command_line_and_the_library_refuse_alike(
    case: tuple[str, str, str, Any, str | None, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table, key, written, value, flag, fragment = case
    with pytest.raises(LookalikeError) as library:
        _library(table, key, value)()
    said = str(library.value)
    assert fragment in said
    assert "\n" not in said

    with pytest.raises(LookalikeError) as loaded:
        load(tmp_path, f"[{table}]\n{key} = {written}\n")
    assert str(loaded.value).endswith(said)  # the same line, with the file and table in front
    assert str(loaded.value).startswith(f"{tmp_path / 'lookalike.toml'} [{table}]: ")

    path = tmp_path / "lookalike.toml"
    code, err = cli(capsys, *SCAN, "--config", str(path))
    assert code == 2
    assert one_line(err) == str(loaded.value)
    if flag is not None:
        code, err = cli(capsys, *SCAN, flag, written)
        assert code == 2
        assert one_line(err) == said


@pytest.mark.parametrize(
    "args", [["--timeout", "inf"], ["--timeout", "nan"], ["--smtp-port", "0"], ["--helo", "a b\r\nQUIT"]]
)
def test_lookup_refuses_alike(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, err = cli(capsys, "lookup", "kestrel.mil", "--resolver", "127.0.0.1:9", "--no-registry", *args)
    assert code == 2
    said = one_line(err)
    assert "must be" in said or "is not a host name" in said


def test_every_numeric_field_has_a_bound_and_the_example_lists_every_limit() -> None:
    for cls in (Limits, Endpoints):
        for f in dataclasses.fields(cls):
            if f.type in ("int", "float", int, float):
                assert bounds.bound_of(cls, f.name) is not None, f"{cls.__name__}.{f.name} has no bound"
    assert bounds.bound_of(Settings, "plan_top") is not None
    example = tomllib.loads(config.EXAMPLE)
    assert set(example["limits"]) == {f.name for f in dataclasses.fields(Limits)}
    config.from_mapping(example)  # every value the example writes is within its bounds


NUMBERS = [f.name for f in dataclasses.fields(Limits) if bounds.bound_of(Limits, f.name) is not None]


@given(st.sampled_from(NUMBERS), st.floats() | st.integers())
def test_the_loader_and_the_library_agree_on_every_number(name: str, value: float) -> None:
    bound = bounds.bound_of(Limits, name)
    assert bound is not None
    try:
        Limits(**{name: value})  # type: ignore[arg-type]
        library = True
    except LookalikeError:
        library = False
    try:
        config.from_mapping({"limits": {name: value}})
        loader = True
    except LookalikeError:
        loader = False
    whole = bound.whole and not isinstance(value, int)  # the file refuses 2.0 where a count belongs
    assert library == bound.accepts(value)
    assert loader == (library and not whole)
    if library:
        assert math.isfinite(value)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: Endpoints(helo_name="x\r\nMAIL FROM:<a@b>"), "is not a host name or an address literal"),
        (lambda: Endpoints(user_agent="a\nb"), "user_agent must be one line of printable ASCII"),
        (lambda: Endpoints(resolvers=(HostPort("127.0.0.1", 0),)), "the port of resolvers 127.0.0.1"),
        (lambda: Endpoints(whois_iana=HostPort("whois.example", 65536)), "the port of whois_iana"),
        (lambda: Endpoints(smtp_port=True), "not True"),
        (lambda: Alerts(mail_relay=HostPort("relay.example", 0)), "the port of mail_relay"),
        (lambda: Alerts(webhook="file:///etc/passwd"), "webhook must be an http:// or https:// URL"),
        (lambda: Settings(fail_on=("sometimes",)), "--fail-on 'sometimes'"),
        (lambda: Settings(alert_min_level="loud"), "min_level 'loud'"),
        (lambda: Settings(smtp="yes"), "smtp must be true or false"),  # type: ignore[arg-type]
        (lambda: Limits(timeout="2"), "not '2'"),  # type: ignore[arg-type]
    ],
)
def test_the_library_refuses_what_the_file_would(make: Callable[[], object], fragment: str) -> None:
    with pytest.raises(LookalikeError, match=None) as info:
        make()
    assert fragment in str(info.value)


def test_helo_from_the_config_file_is_checked_where_it_is_read(tmp_path: Path) -> None:
    with pytest.raises(LookalikeError, match=r"\[endpoints\]: the HELO name .* is not a host name"):
        load(tmp_path, '[endpoints]\nhelo_name = "evil\\r\\nRCPT TO:<x@y>"\n')
    assert load(tmp_path, '[endpoints]\nhelo_name = "[192.0.2.1]"\n').endpoints.helo_name == "[192.0.2.1]"


# --- the config file's size and nesting ------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "[limits]\nx = " + "[" * 100_000 + "]" * 100_000 + "\n",
        "[limits]\nx = " + "{a=" * 100_000 + "1" + "}" * 100_000 + "\n",
        "[scan]\nresolvers = " + "[" * 12 + '"127.0.0.1"' + "]" * 12 + "\n",
        "a.b.c.d.e.f.g.h.i.j = 1\n",
    ],
    ids=["array-100000", "inline-table-100000", "array-12", "dotted-10"],
)
def test_deep_nesting_is_one_line(text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(LookalikeError, match="nests arrays or tables more than 8 deep"):
        load(tmp_path, text)
    code, err = cli(capsys, "scan", "--config", str(tmp_path / "lookalike.toml"), "--no-store")
    assert code == 2
    assert "nests arrays or tables" in one_line(err)


def test_a_large_config_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_text("# " + "x" * config.MAX_CONFIG + "\n", encoding="utf-8")
    with pytest.raises(LookalikeError, match=r"the config file .* is larger than 1,048,576 bytes"):
        config.load(path)
    with pytest.raises(LookalikeError, match="is larger than"):
        config.load(Path("/dev/zero"))


# --- the other numbers commands take ---------------------------------------------------------------

BIG = "1" + "0" * 30


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["plan", "--top", "-1"], "--top must be 0 (everything) or a whole number from 1"),
        (["history", "--limit", BIG], "--limit must be a whole number of at least 1"),
        (["history", "--limit", "0"], "--limit must be a whole number of at least 1, not 0"),
        (["report", "--scan", BIG], "--scan must be a whole number of at least 1"),
        (["blocklist", "--scan", "0"], "--scan must be"),
        (["diff", "--from", BIG], "--from must be"),
        (["diff", "--to", "-1"], "--to must be"),
        (["prune", "--keep", "0"], "--keep must be"),
        (["prune", "--older-than", "inf"], "--older-than must be a number of days from 0 to 36,500, not inf"),
        (["prune", "--older-than", "nan"], "not nan"),
        (["prune", "--older-than", "1e308"], "--older-than must be"),
        (["prune", "--older-than", "-1"], "--older-than must be"),
        (["update-data", "--timeout", "nan"], "--timeout must be a number of seconds"),
        (["update-data", "--timeout", "inf"], "--timeout must be"),
        (["update-data", "--timeout", "-1"], "--timeout must be"),
        (["generate", "kestrel.mil", "--limit", "-1"], "--limit must be at least 1"),
        (["generate", "kestrel.mil", "--depth", "3"], "--depth must be 1 or 2"),
        (["match", "/dev/null", "-d", "kestrel.mil", "--depth", "3"], "--depth must be 1 or 2"),
    ],
)
def test_every_number_a_command_takes_is_bounded(
    args: list[str], fragment: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = (
        ["--db", str(tmp_path / "none.db")]
        if args[0] in ("plan", "history", "report", "diff", "prune")
        else []
    )
    dest = (
        ["--dest", str(tmp_path / "data"), "--rdap-url", "http://127.0.0.1:9/"]
        if args[0] == "update-data"
        else []
    )
    code, err = cli(capsys, *args, *db, *dest)
    assert code == 2
    assert fragment in one_line(err)
    assert not (tmp_path / "none.db").exists()
