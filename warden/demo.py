"""`warden serve --demo`: Warden on a fresh machine with nothing configured."""

from __future__ import annotations

import logging
import secrets
import sys
from pathlib import Path

import click

from core.config import Settings, load_settings
from core.errors import InvalidInput
from core.models import Actor, Role
from core.passwords import check_policy
from core.runtime import Core
from core.services import users
from simulator import Fleet, FleetConfig
from warden.agent import Agent
from warden.api_server import serve_api
from warden.embedded_broker import EmbeddedBroker
from warden.enforcement import open_gateway

log = logging.getLogger(__name__)

DEMO_DATA_DIR = Path("data/var/demo")


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


def run_demo(settings: Settings, config_file: Path | None) -> None:
    settings, embedded = demo_settings(settings, config_file)
    broker = None
    if embedded:
        broker = EmbeddedBroker(port=1883)
        broker.start()
        settings = load_settings(
            config_file, data_dir=settings.data_dir, mqtt_url=broker.url, mqtt_protocol="3.1.1"
        )
    core = open_gateway(settings)
    admin_password = ensure_admin(core)
    agent = Agent(core)
    fleet = Fleet(
        FleetConfig(
            brokers=[b.url for b in settings.mqtt_brokers],
            prefix=settings.mqtt_prefix,
            preset="home",
        )
    )
    try:
        agent.start()
        fleet.start()
        data_dir = settings.data_dir
        click.echo(
            f"Warden demo running: a simulated 'home' fleet of {len(fleet.device_ids)} devices "
            f"on {'the embedded broker ' if embedded else ''}{settings.mqtt_url}\n"
            f"  database   {core.db.url}\n"
            f"  watch it   WARDEN_DATA_DIR={data_dir} warden devices list\n"
            f"             WARDEN_DATA_DIR={data_dir} warden stats\n"
            f"  console    http://{settings.http_host}:{settings.http_port}/ "
            "(sign in as admin)\n"
            f"             WARDEN_DATA_DIR={data_dir} warden console --user admin\n"
            f"  api        http://{settings.http_host}:{settings.http_port}/api/v1 "
            "(docs: /api/v1/docs)\n" + _admin_lines(admin_password) + "Ctrl-C stops it.",
        )
        sys.stdout.flush()  # the password must reach a pipe now, not at exit
        serve_api(core, agent=agent)
    finally:
        fleet.stop()
        agent.stop()
        core.close()
        if broker is not None:
            broker.stop()
        summary = fleet.summary()
        click.echo(
            f"demo stopped: the fleet sent {sum(summary.totals.published.values())} messages"
        )
