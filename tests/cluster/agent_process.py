"""One ingest writer in a process of its own (a separate agent, so the devices' locks are
taken by different processes): it takes phases of messages from ``inbox`` and reports each
phase committed and acknowledged on ``outbox``."""

from __future__ import annotations

from multiprocessing.queues import Queue
from typing import Any

from tests.cluster.agents import WAIT_S, Countdown, make_writer, submit
from tests.cluster.seq_script import Sent


def run(url: str, name: str, inbox: Queue[Any], outbox: Queue[Any]) -> None:
    writer = make_writer(url, name)
    writer.start()
    try:
        while (phase := inbox.get(timeout=WAIT_S)) is not None:
            sent = [Sent(*m) for m in phase]
            countdown = Countdown(len(sent))
            submit(writer, sent, countdown)
            outbox.put((name, countdown.wait()))
    finally:
        writer.stop()
