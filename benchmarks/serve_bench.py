"""``warden bench serve``: the serve process's memory while a simulated fleet reports and
browsers walk the web console (issue 19, "A bounded server").

What runs, all real processes on 127.0.0.1: a mosquitto on a free port; ``warden serve``
(SQLite, its own data directory, the ``devices`` simulated devices registered beforehand);
``warden simulate`` in another process publishing for those devices ``rate`` times faster
than real time; and in this process a browser-like client (httpx for the pages, the
socket.io client NiceGUI's own page script speaks for the live connection). It signs in
through the login page's form, holds ``live`` pages open (their socket connected, their
timers running on the server), and loads every page ``loads`` times the way a browser does:
GET the page, connect its socket (NiceGUI's implicit handshake), close it (the server deletes
the page's client after its reconnect timeout).

Figures: ``rss_start_mb`` (the serve process once it answers, the fleet started and the live
pages open), ``rss_end_mb`` (after the walk), ``rss_peak_mb``, and ``rss_growth_mb``: the median
RSS of the walk's last third minus that of its middle third (the first third is left to
warm-up: caches filling, the fleet's first hello of every device). ``samples_mb`` is the RSS
after each round, ``queue_depth_samples`` the ingest queue the server reported then: a queue
held full means the fleet outran ingest on this machine and the RSS holds that backlog (20 000
messages by default), so lower ``rate`` there. Memory only: timings are recorded
(``walk_s``) but nothing is judged on them.
A page the server could not build in time (NiceGUI answers 500 when a page's build passes its
``response_timeout``, 3 s, as it does on a saturated machine) is counted in ``page_errors``
and the walk goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

from benchmarks import web_client
from benchmarks.ingest_bench import mosquitto
from core.config import load_settings
from core.models import Actor, DeviceCreate, Role
from core.runtime import open_core
from core.services import devices as device_service
from core.services import runtime, users
from core.services.overview import daemon_state
from simulator import Fleet, FleetConfig

TARGET_RSS_MB = 200
READY_TIMEOUT_S = 120
ADMIN = "bench"
PAGES = ("/", "/devices", "/findings", "/intents", "/actions", "/rules", "/logs", "/admin")
"""Every page of the console; the walk adds one device's page."""
LIVE_PAGES = ("/", "/devices", "/findings", "/logs", "/actions")


def fleet_counts(devices: int) -> dict[str, int]:
    """``devices`` devices of four kinds (meters, sensors and cameras: telemetry, logs, hellos)."""
    shares = {"temperature": 0.4, "dc_meter": 0.2, "ac_meter": 0.2}
    counts = {kind: int(devices * share) for kind, share in shares.items()}
    counts["camera"] = devices - sum(counts.values())
    return {kind: n for kind, n in counts.items() if n}


def rss_mb(pid: int) -> float:
    """The resident set of ``pid`` in MB (``VmRSS`` of /proc; no library needed)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _walk(
    base: str,
    password: str,
    pid: int,
    queue_depth: Callable[[], int],
    *,
    pages: list[str],
    loads: int,
    live: int,
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        await web_client.sign_in(client, base, ADMIN, password)
        held: list[web_client.Page] = []
        try:
            for number in range(live):
                held.append(
                    await web_client.open_page(client, base, LIVE_PAGES[number % len(LIVE_PAGES)])
                )
            start = rss_mb(pid)
            samples: list[float] = []
            queued: list[int] = []
            reloaded = 0
            failed: list[str] = []
            started = time.perf_counter()
            for _ in range(loads):
                for path in pages:
                    try:
                        page = await web_client.open_page(client, base, path)
                    except httpx.HTTPStatusError as exc:
                        if exc.response.status_code < 500:
                            raise
                        failed.append(path)  # counted, not fatal: memory is what is measured
                        continue
                    await page.close()
                for number, held_page in enumerate(held):
                    if held_page.socket is None or not held_page.socket.connected:
                        # the server dropped it (a missed ping on a saturated machine): a
                        # browser reconnects or reloads; this reloads it
                        await held_page.close()
                        try:
                            held[number] = await web_client.open_page(client, base, held_page.path)
                        except httpx.HTTPStatusError as exc:
                            if exc.response.status_code < 500:
                                raise
                            continue  # not built in time: the next round tries again
                        reloaded += 1
                samples.append(round(rss_mb(pid), 1))
                queued.append(queue_depth())
            walk_s = time.perf_counter() - started
            connected = sum(1 for p in held if p.socket is not None and p.socket.connected)
        finally:
            for page in held:
                await page.close()
    return {
        "rss_start_mb": round(start, 1),
        "samples": samples,
        "queued": queued,
        "reloaded": reloaded,
        "walk_s": walk_s,
        "live": connected,
        "failed": failed,
    }


@contextlib.contextmanager
def _queue_depth(data_dir: Path) -> Iterator[Callable[[], int]]:
    """Reads the ingest queue depth the serve process reports in its heartbeat (a queue
    held full means the fleet outruns ingest there, and the RSS holds that backlog)."""
    core = open_core(load_settings(data_dir=data_dir), migrate=False)

    def read() -> int:
        with core.db.reader() as session:
            heartbeat = runtime.get_state(
                session=session, key=runtime.AGENT_KEY, now=core.clock.now()
            )
        return daemon_state(heartbeat).queue_depth

    try:
        yield read
    finally:
        core.close()


def _prepare(data_dir: Path, devices: int, password: str) -> list[str]:
    """A migrated data directory with the fleet's devices registered and the bench's admin;
    the device ids."""
    core = open_core(load_settings(data_dir=data_dir))
    try:
        fleet = Fleet(FleetConfig(brokers=["mqtt://127.0.0.1:1"], counts=fleet_counts(devices)))
        actor = Actor.system("bench")
        with core.db.writer() as session:
            for spec in fleet.specs:  # as an installer registers them (and the demo does)
                device_service.register_device(
                    session=session,
                    create=DeviceCreate(
                        id=spec.device_id,
                        name=spec.name,
                        type=spec.device_type,
                        location=spec.location,
                        firmware=spec.firmware,
                    ),
                    actor=actor,
                )
            users.add_user(
                session=session,
                name=ADMIN,
                password=password,
                role=Role.ADMIN,
                actor=actor,
                now=core.clock.now(),
            )
        return list(fleet.device_ids)
    finally:
        core.close()


@contextlib.contextmanager
def _process(argv: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


def _wait_http(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"warden serve exited: {log.read_text(errors='replace')[-800:]}")
        try:
            httpx.get(f"{base}/login", timeout=5)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("warden serve did not answer HTTP in time")


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDEN_")}
    env.update(WARDEN_DATA_DIR=str(data_dir), WARDEN_LOG_LEVEL="WARNING", **extra)
    return env


def run(
    workdir: Path, *, devices: int = 1000, loads: int = 200, live: int = 5, rate: float = 2.0
) -> dict[str, Any]:
    """The figures (see the module's docstring); raises RuntimeError when a process failed."""
    workdir.mkdir(parents=True, exist_ok=True)
    scratch = workdir / f"serve-{secrets.token_hex(4)}"
    scratch.mkdir()
    password = secrets.token_urlsafe(18)
    try:
        device_ids = _prepare(scratch / "data", devices, password)
        pages = [*PAGES, f"/devices/{device_ids[0]}"]
        with mosquitto(scratch) as broker:
            mqtt = f"mqtt://{broker.host}:{broker.port}"
            port = _free_port()
            base = f"http://127.0.0.1:{port}"
            env = _env(
                scratch / "data",
                WARDEN_MQTT_URL=mqtt,
                WARDEN_HTTP_HOST="127.0.0.1",
                WARDEN_HTTP_PORT=str(port),
                WARDEN_SYSLOG_HOST="127.0.0.1",
                WARDEN_SYSLOG_UDP_PORT="0",
                WARDEN_SYSLOG_TCP_PORT="0",
            )
            serve_log = scratch / "serve.log"
            counts = [f"--count={kind}={n}" for kind, n in fleet_counts(devices).items()]
            simulate = [sys.executable, "-m", "warden", "simulate", "--broker", mqtt, "--rate"]
            with _process([sys.executable, "-m", "warden", "serve"], env, serve_log) as serve:
                _wait_http(base, serve, serve_log)
                with _process([*simulate, str(rate), *counts], env, scratch / "sim.log") as sim:
                    try:
                        with _queue_depth(scratch / "data") as queue_depth:
                            walked = asyncio.run(
                                _walk(
                                    base,
                                    password,
                                    serve.pid,
                                    queue_depth,
                                    pages=pages,
                                    loads=loads,
                                    live=live,
                                )
                            )
                    except (httpx.HTTPError, web_client.SocketIOError) as exc:
                        raise RuntimeError(f"the walk failed: {exc}") from exc
                    if sim.poll() is not None:
                        raise RuntimeError(
                            "warden simulate exited: "
                            + (scratch / "sim.log").read_text(errors="replace")[-800:]
                        )
                if serve.poll() is not None:
                    raise RuntimeError(f"warden serve exited: {serve_log.read_text()[-800:]}")
                end = rss_mb(serve.pid)
    except RuntimeError as exc:  # its logs and database kept for a look
        raise RuntimeError(f"{exc}\n(the logs and the database are kept in {scratch})") from exc
    shutil.rmtree(scratch, ignore_errors=True)
    samples: list[float] = walked["samples"]
    third = max(1, len(samples) // 3)
    middle, last = samples[third : 2 * third] or samples, samples[-third:]
    return {
        "benchmark": "serve",
        "devices": devices,
        "loads": loads,
        "pages": pages,
        "live_pages": live,
        "live_pages_connected_at_end": walked["live"],
        "live_pages_reloaded": walked["reloaded"],
        "rate": rate,
        "page_loads": loads * len(pages),
        "page_errors": len(walked["failed"]),
        "page_errors_by_path": dict(Counter(walked["failed"])),
        "rss_start_mb": walked["rss_start_mb"],
        "rss_end_mb": round(end, 1),
        "rss_peak_mb": max([walked["rss_start_mb"], *samples, round(end, 1)]),
        "rss_growth_mb": round(statistics.median(last) - statistics.median(middle), 1),
        "samples_mb": samples,
        "queue_depth_samples": walked["queued"],
        "walk_s": round(walked["walk_s"], 1),
        "target_rss_mb": TARGET_RSS_MB,
        "method": (
            "warden serve (SQLite, mosquitto) with warden simulate in another process; one "
            "signed-in client loads every page `loads` times (GET, socket connect, close) while "
            "holding `live` pages open; RSS from /proc after each round; growth = median of the "
            "last third minus median of the middle third"
        ),
    }
