"""Settings: defaults, the three sources and their order, and errors a person can act on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from core.config import SECRET_MASK, effective_settings, load_settings
from core.errors import ConfigError


@pytest.fixture
def toml_file(tmp_path: Path) -> Path:
    path = tmp_path / "warden.toml"
    path.write_text('mqtt_prefix = "fromfile"\nhttp_port = 9000\n')
    return path


def test_defaults_need_no_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray config file can be picked up

    settings = load_settings()

    assert settings.data_dir == Path("data/var")
    assert settings.syslog_udp_port == 5514
    assert settings.syslog_tcp_port == 5514
    assert settings.http_host == "127.0.0.1"
    assert settings.http_port == 8080
    assert settings.mqtt_prefix == "iot"
    assert settings.log_level == "INFO"
    assert [b.url for b in settings.mqtt_brokers] == ["mqtt://127.0.0.1:1883"]


def test_default_database_is_a_sqlite_file_in_the_data_dir(data_dir: Path) -> None:
    url = make_url(load_settings(data_dir=data_dir).resolved_database_url)

    assert url.get_backend_name() == "sqlite"
    assert Path(url.database).parent == data_dir.resolve()


def test_environment_variable_overrides_a_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARDEN_MQTT_PREFIX", "site7")
    monkeypatch.setenv("WARDEN_DATA_DIR", "/srv/warden")
    monkeypatch.setenv("WARDEN_LOG_LEVEL", "debug")

    settings = load_settings()

    assert settings.mqtt_prefix == "site7"
    assert settings.data_dir == Path("/srv/warden")
    assert settings.log_level == "DEBUG"


def test_toml_file_given_as_argument(toml_file: Path) -> None:
    settings = load_settings(config_file=toml_file)

    assert settings.mqtt_prefix == "fromfile"
    assert settings.http_port == 9000


def test_toml_file_named_by_warden_config(monkeypatch: pytest.MonkeyPatch, toml_file: Path) -> None:
    monkeypatch.setenv("WARDEN_CONFIG", str(toml_file))

    assert load_settings().mqtt_prefix == "fromfile"


def test_environment_beats_the_file_and_the_file_fills_the_rest(
    monkeypatch: pytest.MonkeyPatch, toml_file: Path
) -> None:
    monkeypatch.setenv("WARDEN_MQTT_PREFIX", "fromenv")

    settings = load_settings(config_file=toml_file)

    assert settings.mqtt_prefix == "fromenv"
    assert settings.http_port == 9000


def test_keyword_arguments_beat_the_environment(
    monkeypatch: pytest.MonkeyPatch, toml_file: Path
) -> None:
    monkeypatch.setenv("WARDEN_MQTT_PREFIX", "fromenv")

    settings = load_settings(config_file=toml_file, mqtt_prefix="fromargs")

    assert settings.mqtt_prefix == "fromargs"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WARDEN_HTTP_PORT", "99999"),
        ("WARDEN_HTTP_PORT", "eighty"),
        ("WARDEN_MQTT_URL", "http://x"),
        ("WARDEN_MQTT_URL", " , "),
        ("WARDEN_LOG_LEVEL", "chatty"),
        ("WARDEN_MAX_PAYLOAD_BYTES", "10"),
    ],
)
def test_invalid_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigError) as caught:
        load_settings()

    message = str(caught.value)
    assert variable in message
    assert "\n" not in message


def test_invalid_value_in_the_file_names_the_setting(tmp_path: Path) -> None:
    path = tmp_path / "warden.toml"
    path.write_text("syslog_udp_port = 70000\n")

    with pytest.raises(ConfigError, match="WARDEN_SYSLOG_UDP_PORT"):
        load_settings(config_file=path)


def test_unknown_key_in_the_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "warden.toml"
    path.write_text('mqtt_prefx = "typo"\n')

    with pytest.raises(ConfigError, match="MQTT_PREFX"):
        load_settings(config_file=path)


def test_malformed_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "warden.toml"
    path.write_text("mqtt_prefix = \n")

    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(config_file=path)


def test_missing_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nope.toml"

    with pytest.raises(ConfigError, match=r"nope\.toml"):
        load_settings(config_file=missing)

    monkeypatch.setenv("WARDEN_CONFIG", str(missing))
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings()


def test_several_brokers_from_a_comma_separated_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARDEN_MQTT_URL", "mqtt://a.example:1884, mqtts://b.example ,c.example")

    brokers = load_settings().mqtt_brokers

    assert [(b.host, b.port, b.tls) for b in brokers] == [
        ("a.example", 1884, False),
        ("b.example", 8883, True),
        ("c.example", 1883, False),
    ]


def test_effective_settings_mask_secrets_and_are_plain_json(data_dir: Path) -> None:
    settings = load_settings(
        data_dir=data_dir,
        mqtt_password="hunter2",
        database_url="postgresql+psycopg://warden:s3cret@db.example:5432/warden",
    )

    shown = effective_settings(settings)
    dumped = json.dumps(shown)

    assert shown["mqtt_password"] == SECRET_MASK
    assert shown["database_url"] == (
        f"postgresql+psycopg://warden:{SECRET_MASK}@db.example:5432/warden"
    )
    assert "hunter2" not in dumped
    assert "s3cret" not in dumped
    assert shown["data_dir"] == str(data_dir)


def test_effective_settings_show_the_derived_database_url(data_dir: Path) -> None:
    settings = load_settings(data_dir=data_dir)

    shown = effective_settings(settings)

    assert shown["database_url"] == settings.resolved_database_url
    assert shown["mqtt_password"] is None
