"""``lookalike update-data``: refresh IANA's RDAP bootstrap and TLD list, and the CT log list.

Thin: maps options onto ``lookalike.rdap.update_data`` and ``lookalike.feeds.loglist.update_log_list``
and prints what was written. The servers' names
are resolved with lookalike's own DNS client (``--resolver``, else resolv.conf's nameservers), never
the system resolver.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from lookalike.bounds import seconds
from lookalike.cli.app import app, checked, fail, out, resolvers
from lookalike.datafiles import CT_LOG_LIST_URL, IANA_RDAP_URL, IANA_TLDS_URL, user_data_dir
from lookalike.errors import LookalikeError
from lookalike.text import shown

if TYPE_CHECKING:
    from lookalike.registry import ServerAddresses


@app.command("update-data")
def update_data_command(
    *,
    rdap_url: Annotated[
        str, typer.Option("--rdap-url", metavar="URL", help="Where to fetch the RDAP bootstrap (RFC 9224).")
    ] = IANA_RDAP_URL,
    tlds_url: Annotated[
        str, typer.Option("--tlds-url", metavar="URL", help="Where to fetch the list of TLDs.")
    ] = IANA_TLDS_URL,
    ct_log_list_url: Annotated[
        str,
        typer.Option(
            "--ct-log-list-url",
            metavar="URL",
            help="Where to fetch the CT log list (its signature: the same URL ending .sig); '' skips it.",
        ),
    ] = CT_LOG_LIST_URL,
    dest: Annotated[
        Path | None,
        typer.Option(
            "--dest",
            metavar="DIR",
            help="Where to write them. Default: $LOOKALIKE_DATA_DIR, else ~/.local/share/lookalike/data.",
            show_default=False,
        ),
    ] = None,
    resolver: Annotated[
        list[str] | None,
        typer.Option(
            "--resolver",
            metavar="ADDR[:PORT]",
            help="A DNS resolver to find the servers with (repeatable). Default: resolv.conf's.",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", metavar="SECONDS", help="Per download.", callback=checked("--timeout", seconds())
        ),
    ] = 60.0,
) -> None:
    """Refresh the RDAP bootstrap and the TLD list from IANA, and the CT log list (or the URLs given).

    Each is checked before anything is written (the log list's signature with Google's key), then
    installed atomically; lookalike prefers them.
    """
    import asyncio

    from lookalike.registry import ServerAddresses

    target = dest if dest is not None else user_data_dir()
    try:
        resolve = ServerAddresses(resolvers(resolver or ()), timeout=min(timeout, 10.0))
        lines = asyncio.run(
            _update(rdap_url, tlds_url, ct_log_list_url, dest=target, resolve=resolve, timeout=timeout)
        )
    except LookalikeError as exc:
        fail(str(exc))
    for line in lines:
        out.print(shown(line), markup=False)


async def _update(
    rdap_url: str, tlds_url: str, log_list_url: str, *, dest: Path, resolve: ServerAddresses, timeout: float
) -> list[str]:
    import httpx

    from lookalike.endpoints import Endpoints
    from lookalike.rdap import update_data

    async with httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,  # no proxy from the environment: we say where traffic goes
        headers={"User-Agent": Endpoints().user_agent},
    ) as client:
        lines = await update_data(
            rdap_url=rdap_url, tlds_url=tlds_url, dest=dest, client=client, resolve=resolve, timeout=timeout
        )
        if log_list_url:
            from lookalike.feeds.loglist import update_log_list  # only this command needs it

            lines.append(
                await update_log_list(
                    url=log_list_url, dest=dest, client=client, resolve=resolve, timeout=timeout
                )
            )
        return lines
