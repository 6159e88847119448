"""A progress bar for `membrana run` on a terminal: one tick per asset materialized, the current step
named. Off when stdout is not a terminal (cron, CI, pipes), so logs stay clean."""

import sys
from typing import Self

import dagster as dg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def progress_wanted() -> bool:
    return sys.__stdout__ is not None and sys.__stdout__.isatty()


class RunProgress:
    """Listens to a Dagster run's events (DagsterInstance.add_event_listener) and draws them on stderr."""

    def __init__(self, total_assets: int):
        # The run redirects sys.stdout/stderr into its log file: draw on the real terminal.
        self.progress = Progress(
            TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=Console(file=sys.__stderr__), transient=True, redirect_stdout=False, redirect_stderr=False,
        )
        self.task = self.progress.add_task("starting", total=total_assets)

    def __enter__(self) -> Self:
        self.progress.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.progress.stop()

    def on_event(self, entry) -> None:
        event = entry.dagster_event
        if event is None:
            return
        if event.event_type == dg.DagsterEventType.STEP_START:
            self.progress.update(self.task, description=event.step_key.replace("__", "."))
        elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            self.progress.update(self.task, advance=1, description=event.asset_key.to_user_string())
