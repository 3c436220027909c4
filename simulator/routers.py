"""OpenWRT boxes that send syslog as logd forwards it (RFC 3164 over UDP): a gateway
(dnsmasq, odhcpd, netifd, dropbear, the kernel's firewall4 log lines) and an access point
(hostapd). Their everyday trickle — clients joining and leaving, DHCP renewals, a stray
packet dropped at the WAN — never amounts to a finding; the incidents a scenario asks for
(``auth_storm``, ``link_flap``, ``oom``, ``ssh_bruteforce``, ``dhcp_naks``) do.

Lines come from ``simulator.router_lines`` (real wordings). Runs on the fleet's reactor.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from simulator.device import Environment
from simulator.presets import GATEWAY, DeviceSpec
from simulator.reactor import Timer
from simulator.router_lines import render
from simulator.summary import Counters, DeviceSummary

FACILITY = {"kernel": 0, "dropbear": 10}
"""RFC 5424 facilities (kern, authpriv); every other daemon logs as daemon (3)."""
SEVERITY = {"psk_mismatch": 5, "ssh_bad_password": 4, "oom_killed": 3, "oom_invoked": 4}
"""Severity of a template where it is not info (6)."""
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
LAN = "br-lan"
WAN = "wan"
STRANGER = "da:a1:19:5e:10:c4"
"""The client guessing the Wi-Fi passphrase (not one of the fleet's)."""
ROAMER = "f2:0c:15:5f:43:ae"
"""A phone back from another network, asking for its old address."""
ATTACKER = "203.0.113.45"
"""Where the SSH password guessing comes from (a documentation address)."""


def parse_syslog_url(text: str) -> tuple[str, int]:
    """``udp://host:port`` (or ``host:port``) → (host, port); ``ValueError`` otherwise."""
    parts = urlsplit(text if "://" in text else f"udp://{text}")
    if parts.scheme != "udp" or not parts.hostname:
        raise ValueError(f"syslog target {text!r} must be udp://host:port")
    try:
        port = parts.port or 514
    except ValueError as exc:
        raise ValueError(f"syslog target {text!r} has a bad port") from exc
    return parts.hostname, port


class SyslogSender:
    """One UDP socket for every router of a fleet."""

    def __init__(self, url: str) -> None:
        self.target = parse_syslog_url(url)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.setblocking(False)

    def send(self, datagram: bytes) -> bool:
        try:
            self._socket.sendto(datagram, self.target)
        except OSError:  # nobody listening yet, or the buffer is full: UDP drops it
            return False
        return True

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._socket.close()


@dataclass(frozen=True, slots=True)
class Client:
    """A device on the LAN as the routers see it (its DHCP name, MAC, address, radio)."""

    name: str
    mac: str
    ip: str
    radio: str


def lan_clients(specs: Sequence[DeviceSpec]) -> list[Client]:
    """The fleet's MQTT devices as Wi-Fi clients: stable MACs (an ESP32 vendor prefix) and
    addresses from 192.168.1.100 on, named by their device id (what DHCP teaches Warden)."""
    clients = []
    for n, spec in enumerate(s for s in specs if not s.is_router):
        digest = hashlib.sha256(spec.device_id.encode()).digest()
        mac = "a4:cf:12:" + ":".join(f"{b:02x}" for b in digest[:3])
        radio = "phy1-ap0" if n % 3 == 0 else "phy0-ap0"
        clients.append(Client(spec.device_id, mac, f"192.168.1.{100 + n}", radio))
    return clients


class Router:
    """One OpenWRT box: its trickle of everyday lines and the incidents it can stage."""

    def __init__(
        self, spec: DeviceSpec, env: Environment, sender: SyslogSender, clients: list[Client]
    ) -> None:
        self.spec = spec
        self.host = spec.name
        self.env = env
        self.sender = sender
        self.clients = clients
        self.gateway = spec.kind == GATEWAY
        # Simulated traffic, not secrets: a seeded PRNG is what makes runs repeat.
        self.rng = random.Random(f"{env.seed}:{spec.device_id}")  # noqa: S311
        self.counters = Counters()
        self.booted_at = 0.0
        self._pids: dict[str, int] = {}
        self._online: set[str] = set()
        self._timers: list[Timer] = []

    @property
    def device_id(self) -> str:
        return self.spec.device_id

    def start(self) -> None:
        self.booted_at = self.env.now() - self.rng.uniform(3600, 30 * 86400)
        for n, client in enumerate(self.clients):  # everyone joins within the first seconds
            self.later(0.5 + n * 0.7, lambda c=client: self._join(c))
        self.later(self.rng.uniform(2, 5), self._trickle)

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    def later(self, nominal_s: float, callback: Callable[[], None]) -> None:
        self._timers = [t for t in self._timers if not t.cancelled]
        self._timers.append(self.env.reactor.call_later(self.env.real(nominal_s), callback))

    def summary(self) -> DeviceSummary:
        return DeviceSummary(
            device_id=self.device_id,
            kind=self.spec.kind,
            protocol="syslog",
            boots=1,
            last_seq=None,
            fw_version=self.spec.firmware,
            counters=self.counters,
        )

    # ---------------------------------------------------------------- lines

    def emit(self, template: str, **values: object) -> None:
        app, message = render(template, up=self._uptime(), **values)
        facility = FACILITY.get(app, 3)
        pri = facility * 8 + SEVERITY.get(template, 6)
        tag = "kernel" if app == "kernel" else f"{app}[{self._pid(app)}]"
        stamp = time.gmtime(self.env.now())
        when = f"{MONTHS[stamp.tm_mon - 1]} {stamp.tm_mday:2d} {time.strftime('%H:%M:%S', stamp)}"
        if self.sender.send(f"<{pri}>{when} {self.host} {tag}: {message}".encode()):
            self.counters.count("syslog", 1)

    def _uptime(self) -> str:
        return f"[{self.env.now() - self.booted_at:12.6f}]"

    def _pid(self, app: str) -> int:
        return self._pids.setdefault(app, self.rng.randint(800, 9000))

    # ---------------------------------------------------------------- everyday

    def _trickle(self) -> None:
        self.later(self.rng.uniform(4, 9), self._trickle)
        if self.gateway:
            everyday = (self._renewal, self._renewal, self._stray_packet, self._dhcpv6, self._admin)
            self.rng.choice(everyday)()
        else:
            self._roam()

    def _join(self, client: Client) -> None:
        if self.gateway:
            self._renewal(client)
            return
        mac, radio = client.mac, client.radio
        self.emit("sta_authenticated", radio=radio, mac=mac)
        self.emit("sta_associated", radio=radio, mac=mac, aid=self.rng.randint(1, 30))
        self.emit("sta_connected", radio=radio, mac=mac)
        self.emit("sta_handshake", radio=radio, mac=mac)
        self.emit("sta_4way_done", radio=radio, mac=mac)
        self._online.add(mac)

    def _roam(self) -> None:
        """A client leaves for a while or comes back (never the same one twice in a row)."""
        client = self.rng.choice(self.clients) if self.clients else None
        if client is None:
            return
        if client.mac in self._online and len(self._online) > len(self.clients) // 2:
            self.emit("sta_disconnected", radio=client.radio, mac=client.mac)
            self.emit("sta_inactive", radio=client.radio, mac=client.mac)
            self._online.discard(client.mac)
            self.later(self.rng.uniform(60, 180), lambda: self._join(client))
        elif client.mac not in self._online:
            self._join(client)

    def _renewal(self, client: Client | None = None) -> None:
        client = client or (self.rng.choice(self.clients) if self.clients else None)
        if client is None:
            return
        self.emit("dhcp_request", iface=LAN, ip=client.ip, mac=client.mac)
        self.emit("dhcp_ack", iface=LAN, ip=client.ip, mac=client.mac, name=client.name)

    def _stray_packet(self) -> None:
        rng = self.rng
        self.emit(
            "fw_drop", iface="eth1", ip=f"198.51.100.{rng.randint(2, 250)}", dst="203.0.113.2",
            len=rng.choice((40, 44, 52, 60)), ttl=rng.randint(40, 250), id=rng.randint(1, 65535),
            sport=rng.randint(1024, 65535), port=rng.choice((23, 445, 3389, 8080, 22)),
            window=rng.choice((1024, 29200, 64240, 65535)),
        )  # fmt: skip

    def _dhcpv6(self) -> None:
        suffix = self.rng.randint(0x100, 0xFFF)
        duid = "00030001" + hashlib.sha256(str(suffix).encode()).hexdigest()[:12]
        self.emit("dhcpv6_ok", duid=duid, iface="lan", addr6=f"fd2b:43d7:e9a:b2::{suffix:x}/128")

    def _admin(self) -> None:
        port = self.rng.randint(40000, 60000)
        self.emit("ssh_child", ip="192.168.1.20", port=port)
        self.emit("ssh_password_ok", user="root", ip="192.168.1.20", port=port)

    # ---------------------------------------------------------------- incidents

    def auth_storm(self, attempts: int = 6, every_s: float = 4.0) -> None:
        """A stranger's phone keeps trying a wrong Wi-Fi passphrase."""
        for n in range(attempts):
            self.later(n * every_s, self._wrong_passphrase)

    def _wrong_passphrase(self) -> None:
        radio = "phy0-ap0"
        self.emit("sta_authenticated", radio=radio, mac=STRANGER)
        self.emit("sta_associated", radio=radio, mac=STRANGER, aid=self.rng.randint(1, 30))
        self.emit("psk_mismatch", radio=radio, mac=STRANGER)
        self.emit("sta_kicked", radio=radio, mac=STRANGER)

    def link_flap(self, cycles: int = 4, period_s: float = 6.0) -> None:
        """The WAN port's cable (or the modem behind it) drops and returns again and again."""
        for n in range(cycles):
            self.later(n * period_s, self._wan_down)
            self.later(n * period_s + period_s / 2, self._wan_up)

    def _wan_down(self) -> None:
        self.emit("phy_down", iface=WAN)
        self.emit("dev_down", iface=WAN)
        self.emit("iface_carrier_lost", iface=WAN)

    def _wan_up(self) -> None:
        self.emit("phy_up", iface=WAN)
        self.emit("dev_up", iface=WAN)
        self.emit("iface_carrier", iface=WAN)
        self.emit(
            "udhcpc_lease", iface=WAN, pid=self._pid("udhcpc"), ip="198.51.100.17", secs=86400
        )

    def oom(self, proc: str = "dnsmasq") -> None:
        """The kernel runs out of memory and kills a daemon."""
        pid, rng = self._pid(proc), self.rng
        self.emit("oom_invoked", proc=proc)
        self.emit(
            "oom_killed", pid=pid, proc=proc, vm=rng.randint(40000, 90000),
            rss=rng.randint(20000, 60000), file=rng.randint(0, 900), shmem=0, uid=453,
            pgtables=rng.randint(40, 120), adj=0,
        )  # fmt: skip
        self.emit("oom_reaped", pid=pid, proc=proc)

    def ssh_bruteforce(self, attempts: int = 6, every_s: float = 3.0) -> None:
        """Someone on the internet guesses root's password over SSH."""
        for n in range(attempts):
            self.later(n * every_s, self._bad_login)

    def _bad_login(self) -> None:
        port = self.rng.randint(30000, 65000)
        self.emit("ssh_child", ip=ATTACKER, port=port)
        self.emit("ssh_bad_password", user="root", ip=ATTACKER, port=port)
        self.emit("ssh_exit_before_auth", user="root", ip=ATTACKER, port=port, fails=1)

    def dhcp_naks(self, count: int = 5, every_s: float = 4.0) -> None:
        """A phone back from another network keeps asking for its old address."""
        for n in range(count):
            self.later(n * every_s, self._nak)

    def _nak(self) -> None:
        self.emit("dhcp_request", iface=LAN, ip="10.20.0.37", mac=ROAMER)
        self.emit("dhcp_nak_network", iface=LAN, ip="10.20.0.37", mac=ROAMER)
