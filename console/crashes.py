"""What happens when the console meets a bug: the traceback goes to a log file in the data
dir, the app ends with status 1, and ``warden console`` names the file. A worker thread
that fails on a bug (the Warden and database errors are caught inside every worker and
shown as notifications) counts as a crash too, instead of dying silently."""

from __future__ import annotations

import logging
import os
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from textual.worker import Worker, WorkerState

log = logging.getLogger(__name__)

LOG_FILE = "console.log"
"""The console's log in the data dir: warnings while it runs and the traceback of a crash."""


class Crashable(Protocol):
    @property
    def is_running(self) -> bool: ...

    def _handle_exception(self, error: Exception) -> None: ...


def write_crash(path: Path, error: BaseException) -> None:
    """Append ``error``'s traceback to ``path`` (created readable by its owner only)."""
    text = "".join(traceback.format_exception(error))
    stamp = datetime.now(UTC).astimezone().isoformat(timespec="seconds")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as out:
            out.write(f"{stamp} the console stopped on an internal error\n{text}\n")
    except OSError as exc:
        log.error("could not write the crash log %s: %s", path, exc)


def crash_if_failed(app: Crashable, event: Worker.StateChanged) -> None:
    """A worker that ended in an exception ends the app as an exception on the UI thread
    would (the workers run with ``exit_on_error=False`` so a late answer while the app
    closes is no crash)."""
    worker = event.worker
    if worker.exit_on_error:  # Textual ends the app itself
        return
    if event.state == WorkerState.ERROR and isinstance(worker.error, Exception) and app.is_running:
        app._handle_exception(worker.error)
