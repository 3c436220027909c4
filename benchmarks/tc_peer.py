"""The peer of ``warden bench enforce``: the same kernel change a shell script makes, three
``tc`` processes per run (argument vectors, no shell) on the peer's own veth, and the
read-back of ``tc -j class show`` (text or JSON, by iproute2 version)."""

from __future__ import annotations

import json
import re
import time

from benchmarks.bench_netns import PEER_DEV, PEER_LINK, in_ns, tool
from core.errors import EnforcementError

_TC_UNITS = {"bit": 1, "kbit": 10**3, "mbit": 10**6, "gbit": 10**9, "tbit": 10**12}


def _tc_rate_bps(text: str) -> int | None:
    """``2Mbit`` (tc's text output, SI multipliers) as bit/s."""
    found = re.fullmatch(r"([0-9.]+)([a-zA-Z]*bit)", text)
    if not found or found.group(2).lower() not in _TC_UNITS:
        return None
    return round(float(found.group(1)) * _TC_UNITS[found.group(2).lower()])


def class_rate_bps(output: str, classid: str) -> int | None:
    """The rate of ``classid`` in ``tc -j class show`` output. iproute2 6.1 prints htb
    classes as text even with ``-j``; newer ones print JSON (rates in bytes/s)."""
    if output.lstrip().startswith("["):
        for entry in json.loads(output):
            if entry.get("handle") == classid:
                rate = entry.get("rate", (entry.get("options") or {}).get("rate"))
                return int(rate) * 8 if isinstance(rate, int) else _tc_rate_bps(str(rate))
        return None
    for line in output.splitlines():
        words = line.split()
        if words[:3] == ["class", "htb", classid] and "rate" in words:
            return _tc_rate_bps(words[words.index("rate") + 1])
    return None


class SubprocessPath:
    """``tc`` spawned per step on ``lan1`` (root HTB made here, untimed)."""

    def __init__(self, gw: str) -> None:
        self.gw = gw
        self.ip, self.tc = tool("ip"), tool("tc")
        self.dev = ("dev", PEER_LINK)
        done = in_ns(
            self.ip, gw, self.tc, "qdisc", "replace", *self.dev, "root", "handle", "1:", "htb"
        )
        if done.returncode != 0:
            raise EnforcementError(f"tc qdisc replace on {PEER_LINK} failed: {done.stderr.strip()}")

    def step(self, rate_mbit: int) -> tuple[float, str | None]:
        """Milliseconds, and why the run failed (None when the rate was read back)."""
        rate = f"{rate_mbit}mbit"
        t0 = time.perf_counter()
        steps = [
            in_ns(self.ip, self.gw, self.tc, "class", "replace", *self.dev, "parent", "1:",
                   "classid", "1:10", "htb", "rate", rate, "ceil", rate),
            in_ns(self.ip, self.gw, self.tc, "filter", "replace", *self.dev, "parent", "1:",
                   "protocol", "ip", "prio", "10", "handle", "800::800", "u32",
                   "match", "ip", "dst", f"{PEER_DEV}/32", "flowid", "1:10"),
            in_ns(self.ip, self.gw, self.tc, "-j", "class", "show", *self.dev),
        ]  # fmt: skip
        read_back = class_rate_bps(steps[-1].stdout, "1:10")
        t1 = time.perf_counter()
        refused = "; ".join(s.stderr.strip() for s in steps if s.returncode != 0)
        held = not refused and read_back == rate_mbit * 10**6
        return (t1 - t0) * 1000, None if held else f"{rate} not read back ({refused or read_back})"

    def filters(self) -> int:
        """u32 keys on ``lan1`` (1 when every run replaced the same filter)."""
        return in_ns(self.ip, self.gw, self.tc, "filter", "show", *self.dev).stdout.count("flowid")
