"""`warden serve --demo`: Warden on a fresh machine with nothing configured, showing every
capability within a minute: the simulator's ``demo`` fleet (power meters, smart devices
declaring their settings, legacy sensors, an OpenWRT gateway and access point sending syslog
to the agent) is registered as an installer would (names, places, types, firmware), its
scripted incidents raise findings, and two suggest-mode playbooks propose actions for them."""

from __future__ import annotations

import logging
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

import click

from core.config import Settings, load_settings
from core.errors import InvalidInput, NotFound
from core.models import Actor, DeviceCreate, Role
from core.passwords import check_policy
from core.runtime import Core
from core.services import devices, users
from core.services.playbooks import PLAYBOOKS
from simulator import PRESETS, Fleet, FleetConfig
from simulator.presets import ROUTER_KINDS
from warden.agent import Agent
from warden.api_server import serve_api
from warden.catalog import sync_catalog
from warden.embedded_broker import EmbeddedBroker
from warden.enforcement import open_gateway

log = logging.getLogger(__name__)

DEMO_DATA_DIR = Path("data/var/demo")
DEMO_PLAYBOOKS = ("security.ssh-bruteforce-block", "wifi.quarantine-station")
"""Shipped off (they act on addresses and stations); the demo turns them on in suggest mode,
so its staged SSH guessing and Wi-Fi passphrase storm each propose an action to approve."""
_ACTOR = Actor.system("demo")


def demo_settings(settings: Settings, config_file: Path | None) -> tuple[Settings, bool]:
    """The demo's settings: its own data dir unless one was given, and the embedded broker
    unless WARDEN_MQTT_URL names one. Returns (settings, needs an embedded broker)."""
    given = settings.model_fields_set
    overrides: dict[str, object] = {}
    if "data_dir" not in given:
        overrides["data_dir"] = DEMO_DATA_DIR
    embedded = "mqtt_url" not in given
    if embedded:
        overrides["mqtt_protocol"] = "3.1.1"  # amqtt has no MQTT 5
    return load_settings(config_file, **overrides), embedded


def ensure_admin(core: Core) -> str | None:
    """On a database without users, create ``admin`` with a random password and return it
    (to be shown once); None when users exist. There is never a default password."""
    with core.db.writer() as session:
        if users.has_users(session=session):
            return None
        while True:
            password = secrets.token_urlsafe(12)
            try:
                check_policy(password, name="admin")
                break
            except InvalidInput:  # astronomically unlikely: a common password
                continue
        users.add_user(
            session=session,
            name="admin",
            password=password,
            role=Role.ADMIN,
            actor=Actor.system("demo"),
            now=core.clock.now(),
        )
    return password


def _admin_lines(password: str | None) -> str:
    if password is None:
        return "  admin      users exist already; `warden users list` shows them\n"
    return (
        "  admin      user admin was created; its password is shown this once:\n"
        f"  admin password: {password}\n"
        "             (change it with `warden users passwd admin`)\n"
    )


def register_fleet(core: Core, fleet: Fleet) -> int:
    """Register the simulated devices as an installer would before they first speak: a
    name, a place, a type and the firmware they run (what a device reports later, a hello's
    firmware or DHCP's address, updates it). Devices already registered are left as they
    are. Returns how many were registered."""
    added = 0
    with core.db.writer() as session:
        for spec in fleet.specs:
            create = DeviceCreate(
                id=spec.device_id,
                name=spec.name,
                type=spec.device_type,
                location=spec.location,
                firmware=spec.firmware,
                tags=["demo"],
            )
            try:
                devices.register_device(session=session, create=create, actor=_ACTOR)
            except InvalidInput:  # registered by an earlier demo run: keep what it has
                continue
            added += 1
    return added


def enable_demo_playbooks(core: Core) -> list[str]:
    """Turn on ``DEMO_PLAYBOOKS`` (suggest mode: nothing runs without an operator)."""
    sync_catalog(core)
    enabled = []
    with core.db.writer() as session:
        for playbook_id in DEMO_PLAYBOOKS:
            try:
                PLAYBOOKS.set_enabled(
                    session=session,
                    entry_id=playbook_id,
                    enabled=True,
                    actor=_ACTOR,
                    now=core.clock.now(),
                )
            except NotFound:
                log.warning("demo: playbook %s is not shipped any more", playbook_id)
                continue
            enabled.append(playbook_id)
    return enabled


def demo_fleet(settings: Settings, agent: Agent) -> FleetConfig:
    """The ``demo`` preset and scenario, its routers sending to the agent's syslog listener
    (left out when the listener did not start)."""
    counts = dict(PRESETS["demo"])
    syslog = None
    if agent.syslog is not None:
        host = settings.syslog_host
        host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104
        syslog = f"udp://{host}:{agent.syslog.udp_port}"
    else:
        counts = {kind: n for kind, n in counts.items() if kind not in ROUTER_KINDS}
    return FleetConfig(
        brokers=[b.url for b in settings.mqtt_brokers],
        prefix=settings.mqtt_prefix,
        counts=counts,
        syslog=syslog,
        scenario="demo",
    )


def run_demo(settings: Settings, config_file: Path | None) -> None:
    """The web console answers first; the broker, the agent and the fleet start once it
    listens (``serve_api``'s ``after_start``), so a browser opened at once gets a page."""
    settings, embedded = demo_settings(settings, config_file)
    broker = None
    if embedded:
        broker = EmbeddedBroker(port=1883)  # its port is chosen now, started later
        settings = load_settings(
            config_file, data_dir=settings.data_dir, mqtt_url=broker.url, mqtt_protocol="3.1.1"
        )
    core = open_gateway(settings)
    agent = Agent(core)
    started: list[Callable[[], None]] = []  # how to stop what started, in that order
    fleets: list[Fleet] = []

    def start_the_rest() -> None:
        if broker is not None:
            broker.start()
            started.insert(0, broker.stop)
        admin_password = ensure_admin(core)
        started.insert(0, agent.stop)  # (stops what a failed start began)
        agent.start()
        fleet = Fleet(demo_fleet(settings, agent))
        started.insert(0, fleet.stop)
        fleets.append(fleet)
        register_fleet(core, fleet)
        playbooks = enable_demo_playbooks(core)
        fleet.start()
        _announce(settings, core, fleet, playbooks, embedded=embedded, password=admin_password)

    try:
        serve_api(core, agent=agent, after_start=start_the_rest)
    finally:
        for stop in started:
            stop()
        core.close()
        if fleets:
            summary = fleets[0].summary()
            click.echo(
                f"demo stopped: the fleet sent {sum(summary.totals.published.values())} messages"
            )


def _announce(
    settings: Settings,
    core: Core,
    fleet: Fleet,
    playbooks: list[str],
    *,
    embedded: bool,
    password: str | None,
) -> None:
    data_dir = settings.data_dir
    routers = "" if fleet.routers else " (no syslog listener: routers left out)"
    click.echo(
        f"Warden demo running: a simulated fleet of {len(fleet.device_ids)} devices "
        f"on {'the embedded broker ' if embedded else ''}{settings.mqtt_url}{routers}\n"
        "  scenario   within a minute: SSH password guessing, a Wi-Fi passphrase storm,\n"
        "             a flapping WAN link, DHCP refusals, an OOM kill, lost messages,\n"
        "             a malformed payload and a device going silent\n"
        f"  playbooks  {', '.join(playbooks) or 'none'} propose actions (suggest mode)\n"
        f"  database   {core.db.url}\n"
        f"  watch it   WARDEN_DATA_DIR={data_dir} warden devices list\n"
        f"             WARDEN_DATA_DIR={data_dir} warden findings list\n"
        f"  console    http://{settings.http_host}:{settings.http_port}/ "
        "(sign in as admin)\n"
        f"             WARDEN_DATA_DIR={data_dir} warden console --user admin\n"
        f"  api        http://{settings.http_host}:{settings.http_port}/api/v1 "
        "(docs: /api/v1/docs)\n" + _admin_lines(password) + "Ctrl-C stops it.",
    )
    sys.stdout.flush()  # the password must reach a pipe now, not at exit
