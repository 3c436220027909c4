"""``warden bench logs``: syslog lines parsed, classified, stored and evaluated against the
shipped rule packs, over TCP and UDP, in one run.

Everything runs on 127.0.0.1 against a fresh database in a temporary directory (removed
afterwards), with the real ``LogWriter`` and ``SyslogCollector`` (free ports) in this
process and a ``RuleRunner`` built with the shipped packs, as ``warden agent`` builds them.
The lines come from a sender in another process (its own GIL): a mix of OpenWRT lines
(hostapd, dropbear, dnsmasq, netifd, kernel; ten templates with varying fields, RFC 3164,
50 lines per second of log time), made before its clock starts.

- ``tcp_lines_per_s`` (a): N lines with octet counting on one connection, as fast as the
  collector takes them; N / (first send to all stored, ``LogWriter.stored`` polled).
- ``udp`` (b): for each offered rate, ``rate * udp_seconds`` datagrams paced by the sender;
  after draining, ``lost`` = sent - stored. ``udp_lines_per_s`` is the highest offered rate
  with loss under 0.1 % (and ``udp_delivered_lines_per_s`` what was stored per second of
  sending there); ``udp_loss_pct`` the loss at the highest rate tried.
- ``rules_lines_per_s`` (c): ``RuleRunner.run()`` over every line stored by (a) and (b)
  (read back in batches, through the pattern engine, findings recorded); ``findings`` is
  how many it recorded.
- ``parse_limit_lines_per_s``: ``parse_syslog`` alone over the same lines, the limit of
  the parse-classify step (no sockets, no queue, no database).
- ``peak_rss_mb``: this process's peak resident memory during (a), (b) and (c).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
LOSS_OK_PCT = 0.1
LINES_PER_LOG_SECOND = 50
DEFAULT_RATES = (5_000, 10_000, 20_000, 40_000, 80_000)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# ------------------------------------------------------------------------- the workload

HOSTS = ("OpenWrt", "ap-1", "ap-2")
ATTACKERS = ("203.0.113.7", "198.51.100.23", "192.0.2.77", "203.0.113.150")
STATION_COUNT = 60
TEMPLATES = (
    # (weight, PRI, app, message); {…} fields are filled per line
    (5, 30, "hostapd", "{wlan}: STA {mac} IEEE 802.11: associated (aid {aid})"),
    (5, 30, "hostapd", "{wlan}: STA {mac} WPA: pairwise key handshake completed (RSN)"),
    (
        3,
        30,
        "hostapd",
        "{wlan}: STA {mac} IEEE 802.11: deauthenticated due to local deauth request",
    ),
    (1, 30, "hostapd", "{wlan}: AP-STA-POSSIBLE-PSK-MISMATCH {bad_mac}"),
    (2, 84, "dropbear[{pid}]", "Bad password attempt for 'root' from {attacker}:{port}"),
    (1, 84, "dropbear[{pid}]", "Login attempt for nonexistent user 'admin' from {attacker}:{port}"),
    (4, 30, "dnsmasq-dhcp[1834]", "DHCPACK(br-lan) 192.168.1.{ip} {mac} client-{station}"),
    (2, 30, "dnsmasq-dhcp[1834]", "DHCPREQUEST(br-lan) 192.168.1.{ip} {mac}"),
    (1, 29, "netifd", "Network device '{dev}' link is {updown}"),
    (3, 6, "kernel", "[{uptime}] br-lan: port {portno}({wlan}) entered forwarding state"),
)
_SCHEDULE = [i for i, (weight, *_rest) in enumerate(TEMPLATES) for _ in range(weight)]


def _stamp(n: int) -> str:
    """RFC 3164 time of line ``n`` (50 lines a second of log time, from 12 Feb)."""
    s = 31 * 86_400 + 11 * 86_400 + 8 * 3600 + n // LINES_PER_LOG_SECOND
    day = s // 86_400
    month, mday = (1, day - 30) if day >= 31 else (0, day + 1)
    return f"{MONTHS[month]} {mday:2d} {s // 3600 % 24:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def line(n: int) -> bytes:
    """Line ``n`` of the mix (deterministic)."""
    weight_index = _SCHEDULE[(n * 7) % len(_SCHEDULE)]
    _weight, pri, app, template = TEMPLATES[weight_index]
    station = (n * 13) % STATION_COUNT
    fields = {
        "wlan": f"wlan{n % 2}",
        "mac": f"3c:22:fb:12:{station // 256:02x}:{station % 256:02x}",
        "bad_mac": f"a4:5e:60:00:00:{n % 3:02x}",
        "aid": 1 + n % 30,
        "pid": 2000 + n % 400,
        "attacker": ATTACKERS[n % len(ATTACKERS)],
        "port": 40_000 + n % 20_000,
        "ip": 100 + station,
        "station": station,
        "dev": ("eth1", "lan1", "lan2")[n % 3],
        "updown": ("up", "down")[n // 7 % 2],
        "uptime": f"{100_000 + n / 1000:.6f}",
        "portno": 1 + n % 4,
    }
    host = HOSTS[n % len(HOSTS)] if app.startswith("hostapd") else HOSTS[0]
    tag = app.format(**fields)
    message = template.format(**fields)
    return f"<{pri}>{_stamp(n)} {host} {tag}: {message}".encode()


def lines(start: int, count: int) -> list[bytes]:
    return [line(n) for n in range(start, start + count)]


# ------------------------------------------------------------------------- the sender


def send(spec: dict[str, Any]) -> dict[str, Any]:
    """Run in the sender process. ``tcp``: every line octet-counted on one connection, as
    fast as the socket takes them. ``udp``: one datagram a line, paced at ``rate`` lines/s
    (ticks of at most 1 ms: whatever is due is sent, then a short sleep). Times are
    ``time.time()``."""
    payloads = lines(spec["start"], spec["count"])
    if spec["mode"] == "tcp":
        frames = [f"{len(p)} ".encode() + p for p in payloads]
        chunks = [b"".join(frames[i : i + 500]) for i in range(0, len(frames), 500)]
        sock = socket.create_connection((spec["host"], spec["port"]), timeout=60)
        first = time.time()
        for chunk in chunks:
            sock.sendall(chunk)
        last = time.time()
        sock.close()
        return {"first_send": first, "last_send": last, "sent": len(payloads)}
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    target = (spec["host"], spec["port"])
    rate = spec["rate"]
    sent = errors = 0
    total = len(payloads)
    first = time.time()
    t0 = time.perf_counter()
    while sent < total:
        due = min(total, int((time.perf_counter() - t0) * rate) + 1)
        while sent < due:
            try:
                sock.sendto(payloads[sent], target)
            except OSError:
                errors += 1  # ENOBUFS and the like: not delivered, counted as lost
            sent += 1
        if sent < total:
            time.sleep(0.0005)
    last = time.time()
    sock.close()
    return {"first_send": first, "last_send": last, "sent": sent, "send_errors": errors}


def _sender(spec: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """The sender in its own process: ``python -m benchmarks.logs_bench send SPEC``."""
    process = subprocess.run(
        [sys.executable, "-m", "benchmarks.logs_bench", "send", json.dumps(spec)],
        capture_output=True,
        timeout=timeout_s,
        check=False,
    )
    if process.returncode != 0:
        raise RuntimeError(f"the sender failed:\n{process.stderr.decode(errors='replace')}")
    return json.loads(process.stdout)


def _wait_stored(writer: Any, target: int, deadline: float) -> float | None:
    """Poll until the writer has stored ``target`` lines; the time.time() it saw it."""
    while time.monotonic() < deadline:
        if writer.stored >= target:
            return time.time()
        time.sleep(0.002)
    return None


def _drain(writer: Any, timeout_s: float = 30.0) -> None:
    """Until the writer is idle and its count still for 0.3 s (socket buffers emptied)."""
    deadline = time.monotonic() + timeout_s
    before = -1
    while time.monotonic() < deadline:
        now = writer.stored
        if now == before and writer.idle.is_set():
            return
        before = now
        time.sleep(0.3)


# ------------------------------------------------------------------------- the run


def parse_limit(count: int) -> dict[str, Any]:
    """``parse_syslog`` alone (parse and classify) over the mix."""
    from core.syslog import parse_syslog

    payloads = lines(0, count)
    received_ms = int(time.time() * 1000)
    started = time.perf_counter()
    for payload in payloads:
        parse_syslog(payload, received_ms=received_ms)
    elapsed = time.perf_counter() - started
    return {"parse_limit_lines_per_s": round(count / elapsed)}


def run(
    packs_dir: Path,
    *,
    lines_count: int = 100_000,
    udp_rates: tuple[int, ...] = DEFAULT_RATES,
    udp_seconds: float = 2.0,
    timeout_s: float = 120.0,
    workdir: Path | None = None,
) -> dict[str, Any]:
    """One run of all phases; returns the JSON object ``warden bench logs`` prints."""
    from benchmarks.ingest_bench import PeakRss
    from collectors.rule_runner import RuleRunner
    from collectors.syslog import SyslogCollector
    from core.config import load_settings
    from core.pipeline.log_writer import LogWriter
    from core.rules import load_packs
    from core.runtime import open_core

    if lines_count < 1 or not udp_rates or udp_seconds <= 0:
        raise ValueError("need at least 1 line, one UDP rate and a positive duration")
    rules = load_packs(packs_dir)
    tmp = Path(tempfile.mkdtemp(prefix="warden-bench-logs-", dir=workdir))
    try:
        data_dir = tmp / "data"
        settings = load_settings(
            data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'warden.db'}"
        )
        core = open_core(settings)
        writer = LogWriter(core.db)
        collector = SyslogCollector(writer, host=HOST, udp_port=0, tcp_port=0)
        runner = RuleRunner(core.db, rules, core.clock)
        rss = PeakRss()
        rss.reset()
        writer.start()
        collector.start()
        try:
            # (a) TCP, octet counting, as fast as possible
            tcp = _sender(
                {"mode": "tcp", "host": HOST, "port": collector.tcp_port, "start": 0}
                | {"count": lines_count},
                timeout_s,
            )
            done = _wait_stored(writer, lines_count, time.monotonic() + timeout_s)
            _drain(writer)
            tcp_stored = writer.stored
            tcp_elapsed = (done - tcp["first_send"]) if done else 0.0
            # (b) UDP at increasing offered rates
            table = []
            offset = lines_count
            for rate in udp_rates:
                count = max(1, round(rate * udp_seconds))
                before = writer.stored
                udp = _sender(
                    {"mode": "udp", "host": HOST, "port": collector.udp_port}
                    | {"start": offset, "count": count, "rate": rate},
                    timeout_s,
                )
                _drain(writer)
                stored = writer.stored - before
                offset += count
                send_s = udp["last_send"] - udp["first_send"]
                table.append(
                    {
                        "offered_lines_per_s": rate,
                        "sent": udp["sent"],
                        "sent_lines_per_s": round(udp["sent"] / send_s) if send_s > 0 else 0,
                        "stored": stored,
                        "lost": udp["sent"] - stored,
                        "loss_pct": round(100 * (udp["sent"] - stored) / udp["sent"], 3),
                        "delivered_lines_per_s": round(stored / send_s) if send_s > 0 else 0,
                    }
                )
            # (c) the rules over everything stored
            total_stored = writer.stored
            started = time.perf_counter()
            findings = runner.run()
            rules_s = time.perf_counter() - started
            peak_rss_mb = rss.mb()
        finally:
            collector.stop()
            writer.stop()
            core.db.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    parse = parse_limit(min(lines_count, 200_000))
    clean = [row for row in table if row["loss_pct"] < LOSS_OK_PCT]
    best = clean[-1] if clean else None
    first_loss = next((row for row in table if row["loss_pct"] >= LOSS_OK_PCT), None)
    tcp_rate = round(lines_count / tcp_elapsed) if tcp_elapsed > 0 else 0
    return {
        "benchmark": "logs",
        "lines": lines_count,
        "tcp_lines_per_s": tcp_rate,
        "tcp_lost": lines_count - tcp_stored,
        "tcp_completed": done is not None,
        "tcp_send_lines_per_s": round(
            lines_count / max(1e-9, tcp["last_send"] - tcp["first_send"])
        ),
        "udp_lines_per_s": best["offered_lines_per_s"] if best else 0,
        "udp_delivered_lines_per_s": best["delivered_lines_per_s"] if best else 0,
        "udp_loss_starts_at_lines_per_s": first_loss["offered_lines_per_s"] if first_loss else None,
        "udp_loss_pct": table[-1]["loss_pct"],
        "udp_seconds_per_rate": udp_seconds,
        "udp": table,
        "rules_lines_per_s": round(total_stored / rules_s) if rules_s > 0 else 0,
        "rules_lines": total_stored,
        "rules": len(rules),
        "findings": findings,
        **parse,
        "tcp_parse_ratio": round(tcp_rate / parse["parse_limit_lines_per_s"], 3),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "peak_rss_method": rss.method,
        "udp_rmem_default_bytes": _rmem_default(),
        "cpus": os.cpu_count(),
    }


def _rmem_default() -> int | None:
    try:
        return int(Path("/proc/sys/net/core/rmem_default").read_text())
    except (OSError, ValueError):
        return None


if __name__ == "__main__" and sys.argv[1:2] == ["send"]:
    print(json.dumps(send(json.loads(sys.argv[2]))))
