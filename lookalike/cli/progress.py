"""The progress bar: rich on a terminal, nothing otherwise (cron, pipes, ``--quiet``)."""

from __future__ import annotations

import time
from types import TracebackType

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from lookalike.cli.app import err
from lookalike.scan import Progress as ScanState


class ScanProgress:
    """A context manager whose ``update`` the scan calls; redraws at most ten times a second."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled and err.is_terminal
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._last = 0.0

    def __enter__(self) -> ScanProgress:
        if self.enabled:
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[found]}"),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("starting", total=None, found="")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(kind, exc, tb)

    def update(self, state: ScanState) -> None:
        if self._bar is None or self._task is None:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and state.stage not in ("done", "plan"):
            return
        self._last = now
        found = f"exists {state.exists}  absent {state.absent}  unknown {state.unknown}"
        self._bar.update(
            self._task,
            description=state.stage,
            completed=state.triaged,
            total=max(state.generated, state.triaged) or None,
            found=found,
        )
