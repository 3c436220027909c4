"""The public JSON of INTENTS.md, exactly: keys, explanations, errors and suggestions."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.intents import parse_intent


def dump(text: str) -> dict:
    return parse_intent(text).model_dump(mode="json")


def test_success_is_exactly_the_documented_json() -> None:
    assert dump("throttle cameras to 400 kbps") == {
        "ok": True,
        "intents": [
            {
                "kind": "bandwidth_limit",
                "targets": [{"type": "camera"}],
                "params": {"rate_bps": 400000, "direction": "both"},
                "schedule": None,
                "duration_s": None,
                "explanation": (
                    "Limit the bandwidth of every camera to 400 kbit/s in both directions"
                ),
            }
        ],
        "warnings": [],
    }


def test_failure_is_exactly_the_documented_json() -> None:
    assert dump("limit cameras to 2 furlongs") == {
        "ok": False,
        "error": {
            "code": "unknown_unit",
            "message": (
                "'furlongs' is not a rate unit; use bit/s units (kbit, Mbit/s, mbps, gbit) or "
                "byte/s units (KB/s, MB/s)."
            ),
            "suggestions": ["limit cameras to 2 mbit"],
        },
    }


def test_scheduled_compound_sentence_in_full() -> None:
    assert dump("prioritize doorbell-1 for 2 hours and limit cameras to 1 mbit on weekdays") == {
        "ok": True,
        "intents": [
            {
                "kind": "priority",
                "targets": [{"device": "doorbell-1"}],
                "params": {"level": 8},
                "schedule": None,
                "duration_s": 7200,
                "explanation": (
                    "Give the traffic of doorbell-1 priority 8 of 10 (high), for 2 hours"
                ),
            },
            {
                "kind": "bandwidth_limit",
                "targets": [{"type": "camera"}],
                "params": {"rate_bps": 1000000, "direction": "both"},
                "schedule": {
                    "start": None,
                    "end": None,
                    "days": ["mon", "tue", "wed", "thu", "fri"],
                },
                "duration_s": None,
                "explanation": (
                    "Limit the bandwidth of every camera to 1 Mbit/s in both directions, "
                    "on weekdays"
                ),
            },
        ],
        "warnings": [],
    }


EXPLANATIONS = [
    ("cap upload of nas-1 at 20 Mbit/s", "Limit the upload bandwidth of nas-1 to 20 Mbit/s"),
    ("limit download of nas-1 to 100KB/s", "Limit the download bandwidth of nas-1 to 800 kbit/s"),
    ("guarantee 5 mbit for voip-1", "Guarantee voip-1 at least 5 Mbit/s of bandwidth"),
    ("make pump-2 critical priority", "Give the traffic of pump-2 priority 10 of 10 (critical)"),
    ("keep latency under 30 ms for robots", "Keep the latency of every robot under 30 ms"),
    ("minimize latency", "Keep the latency of every device as low as possible"),
    (
        "add 200ms delay with 20ms jitter and 1% loss to lab-7",
        "Add 200 ms of delay, 20 ms of jitter and 1% packet loss to the traffic of lab-7",
    ),
    ("exactly once delivery for meter-9", "Make meter-9 publish with MQTT QoS 2 (exactly once)"),
    (
        "send data every 2 minutes for all power meters",
        "Make every power meter send data every 2 minutes",
    ),
    ("sample at 2 hz on meter-4", "Make meter-4 sample every 500 ms"),
    ("turn off power saving on tracker-2", "Turn power saving off for tracker-2"),
    ("set mode to eco for heater-2", "Set the device setting mode to eco on heater-2"),
    ("upgrade meter-4 to firmware 2.3.1", "Update the firmware of meter-4 to version 2.3.1"),
    ("factory reset tracker-2", "Reset tracker-2 to factory settings, erasing every setting"),
    ("ask meter-4 for its status", "Ask meter-4 to report status now"),
    ("disable kiosk-3", "Disable kiosk-3"),
    (
        "cut tv-1 off from the internet",
        "Block internet access for tv-1; the local network stays reachable",
    ),
    (
        "quarantine printer-2",
        "Quarantine printer-2: only DHCP, DNS and the broker stay reachable",
    ),
    ("block 10.0.0.0/24", "Block all traffic to and from every device in 10.0.0.0/24"),
    (
        "allow cam-4 to reach only 10.0.0.5 port 554 tcp",
        "Allow cam-4 to reach only 10.0.0.5 port 554 over TCP and block all other traffic",
    ),
    ("unblock 10.0.0.23", "Lift every block and quarantine on the device at 10.0.0.23"),
    ("cancel intent 17", "Cancel intent 17"),
    ("remove all limits for camera-3", "Cancel every bandwidth limit on camera-3"),
    (
        "reboot cameras in the garage and devices tagged lab",
        "Reboot every camera in the garage and every device tagged lab",
    ),
    (
        "block tv-1 from the internet until 18:00",
        "Block internet access for tv-1; the local network stays reachable, until 18:00 every day",
    ),
]


@pytest.mark.parametrize(("text", "explanation"), EXPLANATIONS)
def test_explanation(text: str, explanation: str) -> None:
    result = dump(text)
    assert result["ok"], result
    assert result["intents"][0]["explanation"] == explanation


def test_errors_suggest_valid_rewrites() -> None:
    for text in (
        "limit cameras to 2m",
        "limit cameras to 2 mbit quickly",
        "add 5 m delay to lab-7",
    ):
        suggestions = dump(text)["error"]["suggestions"]
        assert suggestions
        assert dump(suggestions[0])["ok"], (text, suggestions)


def test_out_of_range_names_the_range() -> None:
    assert "between 8 kbit/s and 10 Gbit/s" in dump("limit nas-1 to 1 kbit")["error"]["message"]
    assert "between 1 and 10" in dump("set priority of fan-1 to 12")["error"]["message"]
    assert "between 100 ms and 60000 ms" in dump("sample every 50 ms on m-1")["error"]["message"]


def test_case_and_fillers_do_not_change_the_result() -> None:
    plain = dump("limit cameras to 2 mbit")
    assert dump("Please   LIMIT the CAMERAS to 2 Mbit/s.") == plain
    assert dump("can you limit all the cameras to 2 mbps please") == plain


def test_the_parser_is_pure() -> None:
    code = (
        "import sys, core.intents; "
        "bad = [m for m in sys.modules if m.startswith(('core.db', 'core.services', "
        "'core.models', 'sqlalchemy', 'sqlmodel'))]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
