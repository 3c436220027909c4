"""The database URL known without pydantic is the one the full settings resolve, and it is
not guessed when anything else (a file, another setting) could change or refuse it."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import config, plain_settings
from core.config import Settings, load_settings
from core.plain_settings import plain_database_url


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"WARDEN_DATA_DIR": "/srv/warden"},
        {"WARDEN_DATA_DIR": "relative/dir"},
        {"WARDEN_DATA_DIR": ""},
        {"WARDEN_DATABASE_URL": "postgresql+psycopg://warden@127.0.0.1/warden"},
        {"WARDEN_DATABASE_URL": "", "WARDEN_DATA_DIR": "/srv/w"},
        {"WARDEN_DATA_DIR": "/srv/w", "WARDEN_DEBUG": "1", "HOME": "/root"},
    ],
)
def test_a_plain_environment_gives_the_url_the_settings_resolve(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)

    assert plain_database_url(environ, None) == load_settings().resolved_database_url


@pytest.mark.parametrize(
    "environ",
    [
        {"WARDEN_HTTP_PORT": "not a port"},
        {"WARDEN_CONFIG": "/etc/warden.toml"},
        {"warden_data_dir": "/srv/lower"},
        {"WARDEN_DATA_DIR": "/srv/w", "WARDEN_MQTT_URL": "mqtt://h:1883"},
    ],
)
def test_anything_else_is_left_to_the_full_settings(environ: dict[str, str]) -> None:
    assert plain_database_url(environ, None) is None


def test_a_configuration_file_is_left_to_the_full_settings(tmp_path: Path) -> None:
    assert plain_database_url({}, tmp_path / "warden.toml") is None


def test_the_names_and_defaults_are_those_of_the_settings() -> None:
    assert (plain_settings.ENV_PREFIX, plain_settings.CONFIG_ENV) == (
        config.ENV_PREFIX,
        config.CONFIG_ENV,
    )
    fields = Settings.model_fields
    assert Path(plain_settings.DEFAULT_DATA_DIR) == fields["data_dir"].default
    assert fields["database_url"].default is None
    assert not {"debug"} & set(fields)
