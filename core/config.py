"""Warden's settings: one pydantic-settings object, every field documented.

Sources, strongest first: keyword arguments (tests, the command line), ``WARDEN_*``
environment variables, then the optional TOML file named by ``--config`` or
``WARDEN_CONFIG`` (keys are the field names in lower case, e.g. ``mqtt_prefix = "iot"``).
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from core.errors import ConfigError
from core.forwarded import Network, parse_networks
from core.protocol.topics import FlatTopic

ENV_PREFIX = "WARDEN_"
CONFIG_ENV = "WARDEN_CONFIG"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
COLLECTORS = ("mqtt", "syslog")
"""The collectors an operator may switch off (``disabled_collectors``)."""


class BrokerAddress(BaseModel):
    """One MQTT broker, parsed from ``mqtt://host:port`` or ``mqtts://host:port``."""

    url: str
    host: str
    port: int
    tls: bool


class Settings(BaseSettings):
    """Everything an operator can configure. Each field's description is its documentation."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="forbid",
        validate_default=True,
    )

    data_dir: Path = Field(
        default=Path("data/var"),
        description="Directory for runtime state (database, secrets, backups). "
        "Created on first use, private to the user Warden runs as: the directory 0700 and "
        "every file in it 0600 (looser modes are tightened at start; umask 077).",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database. Default: SQLite file warden.db in the "
        "data dir. PostgreSQL: postgresql+psycopg://user@host/db.",
    )
    mqtt_url: str = Field(
        default="mqtt://127.0.0.1:1883",
        description="MQTT broker URL(s), comma-separated for several brokers "
        "(mqtt://host:port or mqtts://host:port).",
    )
    mqtt_prefix: str = Field(
        default="iot",
        description="Topic prefix of the device protocol: devices publish on PREFIX/{id}/...",
    )
    mqtt_client_id: str = Field(
        default_factory=lambda: f"warden-{socket.gethostname()}"[:64],
        description="Fixed MQTT client id, so the broker keeps the persistent session "
        "across restarts. Default: warden-HOSTNAME.",
    )
    mqtt_username: str | None = Field(
        default=None, description="MQTT user name, if the broker requires one."
    )
    mqtt_password: SecretStr | None = Field(
        default=None, description="MQTT password (masked by `warden config show`)."
    )
    mqtt_protocol: Literal["5", "3.1.1"] = Field(
        default="5",
        description="MQTT version Warden speaks to the brokers: 5, or 3.1.1 for brokers "
        "without MQTT 5 (the persistent session then lasts as long as the broker keeps it).",
    )
    mqtt_flat_topics: str = Field(
        default="",
        description="Extra MQTT topic filters carrying flat JSON, comma-separated; a + marks "
        "where the device id stands (e.g. sensors/+/state,zigbee2mqtt/+).",
    )
    mqtt_session_expiry_s: int = Field(
        default=86_400,
        ge=3600,
        description="How long the broker keeps Warden's session (subscriptions and queued "
        "QoS 1 messages) while Warden is away, in seconds.",
    )
    mqtt_share_group: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="Join the MQTT shared subscription group of this name: the collector "
        "subscribes to $share/GROUP/... so the broker splits the devices' messages between "
        "the agents of a scaled-out site (docs/scaling.md). Empty: every message to this agent.",
    )
    agent_name: str = Field(
        default_factory=lambda: socket.gethostname()[:64],
        description="This agent's name among the agents sharing one PostgreSQL database "
        "(`warden cluster status`, leader election). Default: the host name; give each agent "
        "on one machine its own.",
    )
    mqtt_broker_config: Path = Field(
        default=Path("/etc/mosquitto/mosquitto.conf"),
        description="The configuration file of a mosquitto broker on this machine, which "
        "`warden doctor` reads to check the queue limits and persistence Warden depends on.",
    )
    mqtt_ca_file: Path | None = Field(
        default=None, description="CA certificate file for mqtts:// brokers."
    )
    mqtt_cert_file: Path | None = Field(
        default=None, description="Client certificate file for mqtts:// brokers."
    )
    mqtt_key_file: Path | None = Field(
        default=None, description="Client private key file for mqtts:// brokers."
    )
    http_host: str = Field(
        default="127.0.0.1", description="Address the web console and REST API listen on."
    )
    http_port: int = Field(
        default=8080, ge=1, le=65535, description="Port of the web console and REST API."
    )
    https: bool = Field(
        default=False,
        description="Browsers reach the web console over HTTPS (through a TLS-terminating "
        "reverse proxy): its session cookie is then marked Secure.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Addresses or networks (comma-separated, e.g. 127.0.0.1,10.0.0.0/8) of "
        "reverse proxies in front of the web console and API. Only a request from one of them "
        "has its X-Forwarded-For believed: the client is the rightmost hop that is not a "
        "trusted proxy. Empty: the peer is the client and the header is ignored.",
    )
    syslog_host: str = Field(
        default="",
        description="Address the syslog collector listens on (routers on the LAN send to it). "
        "Empty: the IPv4 address of the first LAN interface (WARDEN_LAN_IFACES) that has one, "
        "else 127.0.0.1 (safe, but routers cannot reach it). 0.0.0.0 listens on every "
        "interface, the WAN too: `warden doctor` warns about it.",
    )
    syslog_udp_port: int = Field(
        default=5514,
        ge=0,
        le=65535,
        description="UDP port of the syslog collector (514 needs privileges; 0 picks a free port).",
    )
    syslog_tcp_port: int = Field(
        default=5514,
        ge=0,
        le=65535,
        description="TCP port of the syslog collector (0 picks a free port).",
    )
    syslog_max_connections: int = Field(
        default=64,
        ge=1,
        le=10_000,
        description="Most TCP syslog connections open at once; a new one closes the one idle "
        "longest.",
    )
    syslog_max_connections_per_source: int = Field(
        default=4,
        ge=1,
        le=1000,
        description="Most TCP syslog connections from one address; a new one closes that "
        "address's connection idle longest (a rebooted router gets in past its stale ones).",
    )
    syslog_idle_timeout_s: int = Field(
        default=300,
        ge=5,
        le=86_400,
        description="A TCP syslog connection silent this long (seconds) is closed; senders "
        "reconnect when they have something to say.",
    )
    syslog_max_frame_bytes: int = Field(
        default=16_384,
        ge=8192,
        le=65_536,
        description="Longest syslog message (TCP frame or UDP datagram) in bytes; a longer one "
        "is cut there and stored marked truncated.",
    )
    syslog_rate_per_source: int = Field(
        default=200,
        ge=1,
        description="Syslog lines per second one address may have stored, sustained; the "
        "excess is dropped, logged and counted (`warden stats`, /metrics).",
    )
    syslog_burst_per_source: int = Field(
        default=2000,
        ge=1,
        description="Syslog lines one address may send at once above its rate (a router's "
        "boot log).",
    )
    disabled_collectors: str = Field(
        default="",
        description="Collectors the agent does not start, comma-separated: mqtt (the broker "
        "connections; device commands then stay pending) and/or syslog (the syslog listener). "
        "/readyz reports them as disabled and does not wait for them.",
    )
    log_retention_days: int = Field(
        default=30, ge=1, description="How long log lines are kept, in days."
    )
    max_payload_bytes: int = Field(
        default=256 * 1024,
        ge=1024,
        description="Largest accepted device message in bytes; larger ones become dead letters.",
    )
    log_level: LogLevel = Field(default="INFO", description="Log level of Warden's own log.")
    gateway_name: str = Field(
        default_factory=socket.gethostname,
        description="Name of this gateway, shown in both consoles. Default: the host name.",
    )
    lan_ifaces: str = Field(
        default="",
        description="LAN interface(s) traffic shaping acts on, comma-separated (e.g. br-lan). "
        "Empty: nothing is shaped in the kernel (dry run).",
    )
    wan_iface: str | None = Field(
        default=None,
        description="WAN interface: 'internet-only' blocks drop what would leave through it.",
    )
    lan_rate_bps: int = Field(
        default=1_000_000_000,
        ge=100_000,
        description="Capacity of the LAN link in bit/s: the ceiling of every shaping class.",
    )
    enforcement: Literal["auto", "kernel", "dry-run"] = Field(
        default="auto",
        description="auto: change the kernel when Warden can (CAP_NET_ADMIN, nft, LAN "
        "interfaces set), else record plans only (dry run); kernel: refuse to start without; "
        "dry-run: never touch the kernel.",
    )
    enforcement_netns: str | None = Field(
        default=None,
        description="Network namespace to enforce in (multi-namespace gateways, tests). "
        "Default: Warden's own.",
    )
    verify_interval_s: int = Field(
        default=30,
        ge=1,
        le=3600,
        description="How often the verification loop measures every active intent.",
    )
    violations_for_finding: int = Field(
        default=3,
        ge=1,
        le=100,
        description="Consecutive violated checks of one intent before a finding is raised.",
    )
    schedule_timezone: str | None = Field(
        default=None,
        description="Time zone of intent schedules ('22:00 to 07:00'), e.g. Europe/Berlin. "
        "Default: the gateway's local time.",
    )
    management_addresses: str = Field(
        default="",
        description="Addresses or networks (comma-separated) firewall intents may never "
        "cut off: the operator's own management access.",
    )

    jwt_secret: SecretStr | None = Field(
        default=None,
        description="Secret (at least 32 bytes) signing the API's access tokens (HS256). "
        "Default: a random 256-bit secret generated into DATA_DIR/jwt-secret (mode 0600) "
        "on first start.",
    )
    access_ttl_s: int = Field(
        default=900,
        ge=60,
        le=3600,
        description="Lifetime of an access token (JWT) in seconds.",
    )
    refresh_ttl_s: int = Field(
        default=14 * 86_400,
        ge=3600,
        le=90 * 86_400,
        description="Lifetime of a refresh token in seconds; each use replaces it with a new one.",
    )
    raw_retention_days: int = Field(
        default=7,
        ge=1,
        description="How long raw readings are kept, in days; older charts come from the "
        "1-minute and 1-hour rollups.",
    )
    rollup_minute_retention_days: int = Field(
        default=90, ge=1, description="How long the 1-minute rollup tier is kept, in days."
    )
    rollup_hour_retention_days: int = Field(
        default=730, ge=1, description="How long the 1-hour rollup tier is kept, in days."
    )
    dead_letter_retention_days: int = Field(
        default=30, ge=1, description="How long rejected messages (dead letters) are kept, in days."
    )
    finding_retention_days: int = Field(
        default=180,
        ge=1,
        description="How long resolved findings are kept after they resolved, in days; open "
        "ones are kept however old.",
    )
    command_retention_days: int = Field(
        default=90,
        ge=1,
        description="How long finished device commands are kept, in days; pending ones are "
        "kept however old.",
    )
    audit_retention_days: int = Field(
        default=800,
        ge=1,
        description="How long the audit log (every change and refused attempt) is kept, in "
        "days: the longest of all.",
    )
    retention_interval_s: int = Field(
        default=3600,
        ge=60,
        description="How often the retention purge runs, in seconds. It deletes in small "
        "transactions (about 50 ms each) and then gives the freed pages back to the file "
        "system (SQLite: incremental vacuum).",
    )
    rollup_interval_s: int = Field(
        default=60,
        ge=5,
        description="How often ended minutes with new readings are rolled up into the "
        "1-minute and 1-hour tiers, in seconds.",
    )

    influx_url: str | None = Field(
        default=None,
        description="InfluxDB 2.x (or a server speaking its /api/v2/write) that every stored "
        "reading is mirrored to, e.g. http://influx:8086. Unset: no mirror.",
    )
    influx_token: SecretStr | None = Field(
        default=None,
        description="API token of the InfluxDB mirror (masked by `warden config show`).",
    )
    influx_org: str = Field(default="warden", description="Organisation of the InfluxDB mirror.")
    influx_bucket: str = Field(default="warden", description="Bucket of the InfluxDB mirror.")
    influx_batch_points: int = Field(
        default=5000,
        ge=100,
        le=100_000,
        description="Most readings the mirror sends in one write request.",
    )
    s3_url: str | None = Field(
        default=None,
        description="S3 (or MinIO) endpoint every raw message is archived to, e.g. "
        "https://s3.eu-west-1.amazonaws.com or http://minio:9000. Unset: no archive.",
    )
    s3_access_key: str | None = Field(default=None, description="Access key of the S3 archive.")
    s3_secret_key: SecretStr | None = Field(
        default=None, description="Secret key of the S3 archive (masked by `warden config show`)."
    )
    s3_bucket: str = Field(default="warden", description="Bucket of the S3 raw archive.")
    s3_region: str | None = Field(
        default=None,
        description="Region of the S3 archive's bucket (the server's default if unset).",
    )
    archive_seal_s: int = Field(
        default=60,
        ge=5,
        le=3600,
        description="The raw archive seals (compresses) a spool segment this many seconds "
        "after its first message, then uploads it.",
    )
    archive_seal_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=64 * 1024,
        description="The raw archive seals a spool segment earlier when it reaches this many "
        "bytes (uncompressed).",
    )
    archive_spool_max_bytes: int = Field(
        default=512 * 1024 * 1024,
        ge=1024 * 1024,
        description="Most bytes the raw archive's local spool (DATA_DIR/archive-spool) holds "
        "while S3 is unreachable; past it the oldest segments are dropped, counted and logged "
        "(health.archive-spool opens at 80 %).",
    )
    sink_alert_after_s: int = Field(
        default=300,
        ge=30,
        description="A sink (the InfluxDB mirror, the S3 archive) failing for longer than "
        "this, in seconds, "
        "opens the health.sink-failing finding; it resolves when the sink recovers.",
    )
    disk_reserve_mb: int = Field(
        default=8,
        ge=0,
        le=1024,
        description="Space (MiB) Warden keeps reserved in the data dir as a file it gives back "
        "when the disk fills, so the health finding and the state can still be written while "
        "ingest waits for space. 0: no reserve.",
    )
    write_lock_s: float = Field(
        default=1.0,
        ge=0.05,
        le=60,
        description="About how long (seconds) one ingest transaction may hold the database's "
        "write lock; the writer sizes its transactions to it. Larger: more throughput on a "
        "disk where every commit is slow, longer waits for the other writers.",
    )
    backup_dir: Path | None = Field(
        default=None,
        description="Directory of the backups (`warden backup`). Default: DATA_DIR/backups. "
        "A different disk survives the loss of the data dir's.",
    )
    backup_schedule: str = Field(
        default="03:30",
        description="Time of day (HH:MM, UTC) the agent makes its daily backup; empty: no "
        "scheduled backup.",
    )
    backup_keep_daily: int = Field(
        default=7,
        ge=1,
        le=366,
        description="Scheduled backups kept: the newest of each of this many days.",
    )
    backup_keep_weekly: int = Field(
        default=4,
        ge=0,
        le=520,
        description="Scheduled backups kept besides the daily ones: the newest of each of this "
        "many weeks.",
    )

    @field_validator("backup_schedule")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        value = value.strip()
        if value:
            hour, sep, minute = value.partition(":")
            if not (sep and hour.isdigit() and minute.isdigit()) or not (
                0 <= int(hour) < 24 and 0 <= int(minute) < 60
            ):
                raise ValueError("is not a time of day HH:MM")
        return value

    @field_validator("jwt_secret")
    @classmethod
    def _secret_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode("utf-8")) < 32:
            raise ValueError("needs at least 32 bytes (256 bits)")
        return value

    @field_validator("lan_ifaces", "wan_iface")
    @classmethod
    def _interface_names(cls, value: str | None) -> str | None:
        for name in _split(value or ""):
            if not INTERFACE_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not a network interface name")
        return value

    @property
    def lan_interfaces(self) -> list[str]:
        return _split(self.lan_ifaces)

    @property
    def management(self) -> list[str]:
        return _split(self.management_addresses)

    @field_validator("trusted_proxies", "disabled_collectors", mode="before")
    @classmethod
    def _join_lists(cls, value: Any) -> Any:
        """A TOML array is as good as a comma-separated string."""
        if isinstance(value, list | tuple):
            return ",".join(str(part) for part in value)
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        parse_networks(_split(value))
        return value

    @property
    def trusted_proxy_networks(self) -> tuple[Network, ...]:
        """``trusted_proxies`` parsed, for ``core.forwarded.client_address``."""
        return parse_networks(_split(self.trusted_proxies))

    @field_validator("disabled_collectors")
    @classmethod
    def _known_collectors(cls, value: str) -> str:
        for name in _split(value):
            if name.lower() not in COLLECTORS:
                raise ValueError(f"{name!r} is not a collector: {' or '.join(COLLECTORS)}")
        return value

    @property
    def collectors_disabled(self) -> frozenset[str]:
        """The collectors the agent must not start (lower case)."""
        return frozenset(name.lower() for name in _split(self.disabled_collectors))

    @field_validator("mqtt_url")
    @classmethod
    def _brokers_parse(cls, value: str) -> str:
        _parse_brokers(value)
        return value

    @field_validator("mqtt_flat_topics")
    @classmethod
    def _flat_topics_parse(cls, value: str) -> str:
        _parse_flat_topics(value)
        return value

    @property
    def flat_topics(self) -> list[FlatTopic]:
        return _parse_flat_topics(self.mqtt_flat_topics)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @property
    def resolved_database_url(self) -> str:
        """The database URL in force: the setting, or the SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'warden.db').resolve()}"

    @property
    def mqtt_brokers(self) -> list[BrokerAddress]:
        return _parse_brokers(self.mqtt_url)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # toml_file is only set on the subclass load_settings() binds to a file.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


INTERFACE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,14}")
"""A Linux interface name (at most 15 characters; no spaces, slashes or shell syntax)."""


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _parse_flat_topics(value: str) -> list[FlatTopic]:
    return [FlatTopic(p.strip()) for p in value.split(",") if p.strip()]


def _parse_brokers(value: str) -> list[BrokerAddress]:
    brokers = []
    for raw in (part.strip() for part in value.split(",")):
        if not raw:
            continue
        parts = urlsplit(raw if "://" in raw else f"mqtt://{raw}")
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError(f"{raw!r} is not mqtt://host[:port] or mqtts://host[:port]")
        tls = parts.scheme == "mqtts"
        brokers.append(
            BrokerAddress(
                url=raw, host=parts.hostname, port=parts.port or (8883 if tls else 1883), tls=tls
            )
        )
    if not brokers:
        raise ValueError("at least one broker URL is needed")
    return brokers


def load_settings(config_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Build the settings from overrides, the environment and the TOML file, in that order.

    Raises ``ConfigError`` with a one-line explanation when a value is invalid or the file
    is missing, so the command line can print it instead of a traceback.
    """
    path = config_file or os.environ.get(CONFIG_ENV)
    settings_cls: type[Settings] = Settings
    if path:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"configuration file {path} does not exist")
        settings_cls = type(
            "Settings", (Settings,), {"model_config": {**Settings.model_config, "toml_file": path}}
        )
    try:
        return settings_cls(**overrides)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc)) from exc
    except ValueError as exc:  # a malformed TOML file
        raise ConfigError(f"cannot read {path}: {exc}") from exc


def _one_line(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "settings"
        problems.append(f"{ENV_PREFIX}{field.upper()}: {error['msg']}")
    return "invalid settings: " + "; ".join(problems)


SECRET_MASK = "********"  # noqa: S105 - the mask shown instead of a secret


def effective_settings(settings: Settings) -> dict[str, Any]:
    """The settings as plain JSON values, secrets masked, derived defaults filled in."""
    shown: dict[str, Any] = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = SECRET_MASK
        elif isinstance(value, Path):
            value = str(value)
        shown[name] = value
    shown["database_url"] = _mask_url_password(settings.resolved_database_url)
    return shown


def _mask_url_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", f":{SECRET_MASK}@")
        return parts._replace(netloc=netloc).geturl()
    return url
