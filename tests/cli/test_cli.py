"""The command line as an operator uses it: --help everywhere, --json on reads, exit
status 2 and one line on bad input, never a traceback."""

import json

import click
import pytest

from warden import __version__
from warden.cli.main import cli


def _all_commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        path = (*prefix, name)
        yield path
        if isinstance(command, click.Group):
            yield from _all_commands(command, path)


ALL_COMMANDS = sorted(_all_commands(cli))


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=" ".join)
def test_every_command_has_help(warden, path):
    result = warden(*path, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output


def test_version(warden):
    result = warden("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


def test_fresh_data_dir_lists_no_devices_as_json(warden, data_dir):
    completed = warden.process("devices", "list", "--json")
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == []
    assert (data_dir / "warden.db").is_file()  # created on first use


def test_registered_device_is_listed_and_shown(warden):
    added = warden(
        "devices", "add", "cam-1", "--type", "camera_ptz", "--tag", "lab", "--location", "garage"
    )
    assert added.exit_code == 0, added.output
    listed = warden.json("devices", "list", "--type", "camera")
    assert [d["id"] for d in listed] == ["cam-1"]
    assert listed[0]["tags"] == ["lab"]
    assert warden.json("devices", "list", "--location", "attic") == []
    shown = warden.json("devices", "show", "cam-1")
    assert shown["location"] == "garage"
    assert shown["series"] == []
    table = warden("devices", "list")
    assert "cam-1" in table.output and "camera_ptz" in table.output


def test_untrusted_device_text_cannot_drive_the_terminal(warden):
    warden("devices", "add", "cam-9", "--name", "evil\x1b[2Jname")
    shown = warden("devices", "show", "cam-9")
    assert "\x1b" not in shown.output
    assert "evil?[2Jname" in shown.output


def test_unknown_device_is_one_line_with_a_suggestion_and_status_2(warden):
    warden("devices", "add", "meter-1")
    completed = warden.process("devices", "show", "meter-l")
    assert completed.returncode == 2
    assert completed.stderr.strip().count("\n") == 0
    assert "meter-1" in completed.stderr
    assert "Traceback" not in completed.stderr


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (("devices", "add", "bad id"), {}, "device id"),
        (("devices", "list", "--status", "sleeping"), {}, "sleeping"),
        (("telemetry", "query", "x", "-m", "v", "--since", "yesterday"), {}, "yesterday"),
        (("telemetry", "query", "x", "-m", "v", "--points", "0"), {}, "points"),
        (("devices", "list"), {"WARDEN_HTTP_PORT": "not-a-port"}, "WARDEN_HTTP_PORT"),
        (("devices", "list"), {"WARDEN_MQTT_URL": "http://broker"}, "WARDEN_MQTT_URL"),
        (("--config", "/nonexistent/warden.toml", "devices", "list"), {}, "does not exist"),
    ],
)
def test_bad_input_exits_2_with_a_message(warden, args, env, says):
    result = warden(*args, env=env)
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert "Traceback" not in result.output


def test_config_show_masks_secrets(warden):
    result = warden(
        "config",
        "show",
        "--json",
        env={
            "WARDEN_MQTT_PASSWORD": "hunter2-secret",
            "WARDEN_DATABASE_URL": "postgresql+psycopg://warden:db-secret@127.0.0.1/warden",
            "WARDEN_MQTT_PREFIX": "site7",
        },
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["mqtt_prefix"] == "site7"
    assert "hunter2-secret" not in result.output and "db-secret" not in result.output
    assert shown["mqtt_password"] == "********"
    assert shown["database_url"].startswith("postgresql+psycopg://warden:********@")


def test_config_file_is_read(warden, tmp_path):
    config = tmp_path / "warden.toml"
    config.write_text('mqtt_prefix = "plant"\nhttp_port = 9090\n')
    shown = json.loads(warden("--config", str(config), "config", "show", "--json").output)
    assert (shown["mqtt_prefix"], shown["http_port"]) == ("plant", 9090)
