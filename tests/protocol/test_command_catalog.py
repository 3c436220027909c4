"""The operator's command catalog: one list of sendable commands for the CLI and both
consoles, and one way of reading ``KEY=VALUE`` parameters (checked against the protocol
before anything is queued)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.protocol import COMMANDS
from core.protocol.command_catalog import (
    CATALOG,
    COMMAND_NAMES,
    command_params,
    command_spec,
    read_assignments,
)
from core.protocol.commands import CONFIG_RANGES

SHA = "ab" * 32


def test_the_catalog_offers_every_protocol_command_once_with_a_description() -> None:
    assert sorted(COMMAND_NAMES) == sorted(COMMANDS)
    assert all(spec.label and spec.description and spec.example for spec in CATALOG)
    assert [s.name for s in CATALOG if s.confirm] == ["factory_reset"]


def test_command_params_are_key_value_pairs() -> None:
    assert command_params("update_config", "send_interval_s=60, mode=eco") == {
        "send_interval_s": 60,
        "mode": "eco",
    }
    assert command_params("reboot", "") == {}
    with pytest.raises(InvalidInput):
        command_params("update_config", "sixty")


def test_a_comma_inside_a_value_stays_with_it() -> None:
    typed = read_assignments("brokers=gw.lan:1883,backup.lan send_interval_s=5")
    assert typed == {"brokers": "gw.lan:1883,backup.lan", "send_interval_s": "5"}
    assert command_params("update_config", "brokers=gw.lan:1883,backup.lan send_interval_s=5") == {
        "brokers": [{"host": "gw.lan", "port": 1883}, {"host": "backup.lan", "port": 1883}],
        "send_interval_s": 5,
    }


def test_values_are_json_or_a_bare_word_and_text_parameters_stay_as_typed() -> None:
    params = command_params(
        "start_ota",
        [
            "fw_version=2.3",
            "fw_url=https://fw.example/meter.bin",
            f"fw_sha256={SHA}",
            "fw_size_bytes=4096",
        ],
    )
    assert params == {
        "fw_version": "2.3",  # not the number 2.3
        "fw_url": "https://fw.example/meter.bin",
        "fw_sha256": SHA,
        "fw_size_bytes": 4096,
    }
    assert command_params("update_config", ['mode="eco"', "led=true", "ratio=NaN"]) == {
        "mode": "eco",
        "led": True,
        "ratio": "NaN",
    }


def test_text_that_starts_like_json_must_be_json() -> None:
    with pytest.raises(InvalidInput, match="the value of send_interval_s is not JSON"):
        command_params("update_config", "send_interval_s={oops")


@pytest.mark.parametrize(
    ("cmd", "text", "why"),
    [
        ("update_config", "", "needs at least one setting"),
        ("update_config", "send_interval_s=99999", "send_interval_s must be a whole number 1-3600"),
        ("start_ota", "fw_version=2.4.0", "start_ota needs fw_url"),
        ("reboot", "now=1", "reboot takes no parameters"),
        ("update_config", "=5", "is not KEY=VALUE"),
    ],
)
def test_the_protocol_refuses_before_anything_is_queued(cmd: str, text: str, why: str) -> None:
    with pytest.raises(InvalidInput, match=why):
        command_params(cmd, text)


def test_an_unknown_command_names_the_known_ones() -> None:
    with pytest.raises(InvalidInput, match="one of request_status, reboot"):
        command_spec("self_destruct")


def test_empty_form_fields_are_left_out() -> None:
    spec = command_spec("update_config")
    assert spec.read_params({"send_interval_s": "15", "hello_interval_s": " "}) == {
        "send_interval_s": 15
    }
    with pytest.raises(InvalidInput, match="needs a name"):
        spec.read_params({"": "15"})


@given(
    st.dictionaries(
        st.sampled_from(sorted(CONFIG_RANGES)),
        st.integers(min_value=100, max_value=3600),
        min_size=1,
    )
)
def test_settings_typed_as_text_come_back_as_given(settings: dict[str, int]) -> None:
    typed = ", ".join(f"{key}={value}" for key, value in settings.items())
    assert command_params("update_config", typed) == settings
