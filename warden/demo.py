"""`warden serve --demo`: Warden on a fresh machine with nothing configured."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from core.config import Settings, load_settings
from core.runtime import open_core
from simulator import Fleet, FleetConfig
from warden.agent import Agent, wait_for_signal
from warden.embedded_broker import EmbeddedBroker

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


def run_demo(settings: Settings, config_file: Path | None) -> None:
    settings, embedded = demo_settings(settings, config_file)
    broker = None
    if embedded:
        broker = EmbeddedBroker(port=1883)
        broker.start()
        settings = load_settings(
            config_file, data_dir=settings.data_dir, mqtt_url=broker.url, mqtt_protocol="3.1.1"
        )
    core = open_core(settings)
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
            f"  web        http://{settings.http_host}:{settings.http_port} arrives with the "
            "web console issue; until then the demo runs headless.\n"
            "  admin      users and the printed admin password arrive with the users issue.\n"
            "Ctrl-C stops it."
        )
        wait_for_signal()
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
