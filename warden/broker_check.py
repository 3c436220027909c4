"""What `warden doctor` can tell about a broker's settings: mosquitto drops QoS 1 messages
beyond ``max_queued_messages`` (default 1 000) for a client that is away or slow, and
without ``persistence`` a broker restart drops everything queued. Warden then sees only
sequence gaps. The settings of a broker on this machine are read from its configuration
file (``include_dir`` followed); a remote broker's cannot be read, and doctor says so."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

from core.config import BrokerAddress

ENOUGH_QUEUED = 100_000
"""At 1 000 messages/s, enough for a collector restart of over a minute."""
ADVICE = "set `persistence true` and `max_queued_messages 1000000` (docs/mqtt.md)"


def read_mosquitto_config(path: Path) -> dict[str, str]:
    """The global settings of a mosquitto configuration, later lines winning, with the
    ``*.conf`` files of each ``include_dir`` read in name order where it stands."""
    found: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(" ")
        value = value.split("#", 1)[0].strip()
        if key == "include_dir":
            for included in sorted(Path(value).glob("*.conf")):
                found.update(read_mosquitto_config(included))
        else:
            found[key] = value
    return found


def is_local(host: str) -> bool:
    """Whether ``host`` is this machine (a loopback address or this host's own name)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in {"localhost", socket.gethostname(), socket.getfqdn()}


def broker_limits(broker: BrokerAddress, config: Path) -> tuple[bool, str]:
    """(whether the broker keeps what Warden needs, in words)."""
    if not is_local(broker.host):
        return False, f"a remote broker's settings cannot be read from here: {ADVICE}"
    try:
        settings = read_mosquitto_config(config)
    except OSError as exc:
        return False, f"cannot read {config} ({exc.strerror or exc}): {ADVICE}"
    problems = []
    queued = settings.get("max_queued_messages", "1000")
    try:
        limit = int(queued)
    except ValueError:
        limit = 1000
    if 0 < limit < ENOUGH_QUEUED:
        default = " (the default)" if "max_queued_messages" not in settings else ""
        problems.append(f"max_queued_messages is {limit}{default}")
    if settings.get("persistence", "false").lower() != "true":
        problems.append("persistence is off")
    if problems:
        return False, (
            f"{'; '.join(problems)} in {config}: a restart of Warden or of the broker can "
            f"drop QoS 1 messages silently; {ADVICE}"
        )
    shown = "no limit" if limit == 0 else f"{limit}"
    return True, f"persistence on, max_queued_messages {shown} ({config})"
