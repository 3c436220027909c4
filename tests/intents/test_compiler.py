"""The compiler: parsed sentences with hand-made targets → exact policies, conflicts, plans."""

from __future__ import annotations

from typing import Any

import pytest

from core.intents import parse_intent
from core.intents.compiler import compile_intents
from core.intents.plan_text import render_plan
from core.intents.policy import CompileInput, CompileResult, PolicyKind, TargetDevice
from core.intents.policy_builders import burst_bytes, htb_prio

CAM1 = TargetDevice(id="camera-1", type="camera", ip="10.0.0.21")
CAM2 = TargetDevice(id="camera-2", type="camera", ip="10.0.0.22")
METER = TargetDevice(id="meter-4", type="power_meter", ip="10.0.0.40")
NO_IP = TargetDevice(id="tracker-2", type="tracker", mac="aa:bb:cc:dd:ee:ff")


def inputs(
    text: str,
    devices: list[TargetDevice],
    *,
    intent_id: int | None = None,
    addresses: list[str] | None = None,
    replaces: list[int] | None = None,
) -> list[CompileInput]:
    parsed = parse_intent(text)
    assert parsed.ok, parsed.error
    return [
        CompileInput(
            intent_id=intent_id,
            index=index,
            intent=intent,
            devices=devices,
            addresses=addresses or [],
            replaces=replaces or [],
        )
        for index, intent in enumerate(parsed.intents)
    ]


def compiled(text: str, devices: list[TargetDevice], **kw: Any) -> CompileResult:
    return compile_intents(inputs(text, devices, **kw))


def specs(result: CompileResult) -> list[tuple[str, str | None, str | None, dict[str, Any]]]:
    """Each policy with its spec as stored (JSON)."""
    return [
        (p.kind.value, p.device_id, p.address, p.spec.model_dump(mode="json"))
        for p in result.policies
    ]


def checks(result: CompileResult) -> list[dict[str, Any]]:
    return [p.check for p in result.policies]


def shape(direction: str, rate: int | None, ceil: int | None, prio: int) -> dict[str, Any]:
    burst = None if rate is None else max(rate // 800, 1600)
    return {
        "direction": direction,
        "rate_bps": rate,
        "ceil_bps": ceil,
        "prio": prio,
        "burst_bytes": burst,
        "leaf": "fq_codel",
    }


# -- numbers --------------------------------------------------------------------------------


def test_priority_levels_map_onto_htb_prio_best_first() -> None:
    assert [htb_prio(level) for level in range(10, 0, -1)] == [0, 1, 2, 2, 3, 4, 5, 5, 6, 7]


def test_burst_is_ten_ms_at_the_rate_but_at_least_one_frame() -> None:
    assert burst_bytes(2_000_000) == 2500
    assert burst_bytes(400_000) == 1600
    assert burst_bytes(100_000_000) == 125_000


# -- one kind at a time -----------------------------------------------------------------------


def test_limit_both_directions_is_one_class_per_direction_per_device() -> None:
    result = compiled("limit cameras to 2 mbit", [CAM2, CAM1])
    assert specs(result) == [
        ("shape", "camera-1", "10.0.0.21", shape("down", 2_000_000, 2_000_000, 4)),
        ("shape", "camera-1", "10.0.0.21", shape("up", 2_000_000, 2_000_000, 4)),
        ("shape", "camera-2", "10.0.0.22", shape("down", 2_000_000, 2_000_000, 4)),
        ("shape", "camera-2", "10.0.0.22", shape("up", 2_000_000, 2_000_000, 4)),
    ]
    assert checks(result) == [{"measure": "class_rate_bps", "op": "<=", "value": 2_000_000}] * 4
    first = result.policies[0]
    assert first.summary == (
        "camera-1 (10.0.0.21): download limited to 2 Mbit/s (HTB class, fq_codel leaf)"
    )
    assert first.satisfied == "the download rate of the device's class stays at or below 2 Mbit/s"
    assert (result.conflicts, result.warnings, result.notes) == ([], [], [])


def test_upload_limit_is_one_policy() -> None:
    result = compiled("cap upload of camera-1 at 20 Mbit/s", [CAM1])
    assert specs(result) == [
        ("shape", "camera-1", "10.0.0.21", shape("up", 20_000_000, 20_000_000, 4))
    ]


def test_guarantee_borrows_up_to_the_link() -> None:
    result = compiled("guarantee 5 mbit for camera-1", [CAM1])
    assert specs(result) == [
        ("shape", "camera-1", "10.0.0.21", shape("down", 5_000_000, None, 4)),
        ("shape", "camera-1", "10.0.0.21", shape("up", 5_000_000, None, 4)),
    ]
    config = {"rate_bps": 5_000_000, "ceil_bps": None, "prio": 4}
    assert checks(result) == [{"measure": "class_config", "op": "==", "value": config}] * 2


@pytest.mark.parametrize(
    ("text", "prio"),
    [
        ("prioritize camera-1", 2),
        ("make camera-1 critical priority", 0),
        ("set priority of camera-1 to 1", 7),
    ],
)
def test_priority_sets_the_htb_prio(text: str, prio: int) -> None:
    result = compiled(text, [CAM1])
    assert specs(result) == [
        ("shape", "camera-1", "10.0.0.21", shape("down", None, None, prio)),
        ("shape", "camera-1", "10.0.0.21", shape("up", None, None, prio)),
    ]
    config = {"rate_bps": None, "ceil_bps": None, "prio": prio}
    assert checks(result)[0] == {"measure": "class_config", "op": "==", "value": config}


def test_low_latency_with_a_target_is_also_probed() -> None:
    result = compiled("keep latency under 30 ms for camera-1", [CAM1])
    assert specs(result) == [
        ("shape", "camera-1", "10.0.0.21", shape("down", None, None, 0)),
        ("shape", "camera-1", "10.0.0.21", shape("up", None, None, 0)),
    ]
    config = {"rate_bps": None, "ceil_bps": None, "prio": 0}
    assert checks(result)[0] == {
        "all": [
            {"measure": "class_config", "op": "==", "value": config},
            {"measure": "rtt_ms", "op": "<=", "value": 30},
        ]
    }
    assert result.policies[0].summary == (
        "camera-1 (10.0.0.21): download at HTB prio 0 with an fq_codel leaf for low latency, "
        "target under 30 ms"
    )


def test_impair_is_a_netem_leaf_on_the_download_side() -> None:
    result = compiled("add 200ms delay with 20ms jitter to camera-1", [CAM1])
    netem = {"delay_ms": 200, "jitter_ms": 20, "loss_pct": 0.0}
    assert specs(result) == [("impair", "camera-1", "10.0.0.21", {"direction": "down", **netem})]
    assert checks(result) == [{"measure": "netem", "op": "==", "value": netem}]
    assert result.policies[0].summary == (
        "camera-1 (10.0.0.21): netem adds 200 ms delay, 20 ms jitter to download traffic"
    )


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("block camera-1", "block"),
        ("cut camera-1 off from the internet", "internet_block"),
        ("quarantine camera-1", "quarantine"),
    ],
)
def test_blocks_are_firewall_actions(text: str, action: str) -> None:
    result = compiled(text, [CAM1])
    assert specs(result) == [
        ("firewall", "camera-1", "10.0.0.21", {"action": action, "destinations": []})
    ]
    assert checks(result) == [{"measure": "firewall_action", "op": "==", "value": action}]


def test_allow_only_carries_its_destinations() -> None:
    result = compiled("allow camera-1 to reach only 10.0.0.5 port 554", [CAM1])
    destinations = [{"ip": "10.0.0.5", "port": 554}]
    assert specs(result) == [
        (
            "firewall",
            "camera-1",
            "10.0.0.21",
            {"action": "allow_only", "destinations": destinations},
        )
    ]
    assert result.policies[0].summary == (
        "camera-1 (10.0.0.21): may reach only 10.0.0.5 port 554, all else blocked (nftables)"
    )


def test_bare_addresses_are_targets_of_network_kinds() -> None:
    block = compiled("block 10.0.0.23", [], addresses=["10.0.0.23"])
    assert specs(block) == [
        ("firewall", None, "10.0.0.23", {"action": "block", "destinations": []})
    ]
    assert block.policies[0].summary == "10.0.0.23: all traffic blocked (nftables)"
    unblock = compiled("unblock 10.0.0.23", [], addresses=["10.0.0.23"])
    assert specs(unblock) == [
        ("firewall", None, "10.0.0.23", {"action": "unblock", "destinations": []})
    ]
    assert checks(unblock) == [{"measure": "firewall_action", "op": "==", "value": None}]
    limit = compiled("limit 10.0.0.0/24 to 1 mbit", [], addresses=["10.0.0.0/24"])
    assert [p.address for p in limit.policies] == ["10.0.0.0/24", "10.0.0.0/24"]


@pytest.mark.parametrize(
    ("text", "params"),
    [
        ("use qos 0 for meter-4", {"mqtt_qos": 0}),
        ("turn off power saving on meter-4", {"power_saving": False}),
        ("set screen brightness to 40 for meter-4", {"screen_brightness": 40}),
        ("set mode to eco for meter-4", {"mode": "eco"}),
    ],
)
def test_device_settings_are_update_config(text: str, params: dict[str, Any]) -> None:
    result = compiled(text, [METER])
    assert specs(result) == [("device_config", "meter-4", "10.0.0.40", {"params": params})]
    assert checks(result) == [{"measure": "config_acked", "op": "==", "value": params}]


def test_report_interval_is_acked_and_observed() -> None:
    result = compiled("send data every 2 minutes for meter-4", [METER])
    assert specs(result) == [
        ("device_config", "meter-4", "10.0.0.40", {"params": {"send_interval_s": 120}})
    ]
    assert checks(result) == [
        {
            "all": [
                {"measure": "config_acked", "op": "==", "value": {"send_interval_s": 120}},
                {"measure": "report_interval_s", "op": "~=", "value": 120, "tolerance_pct": 10},
            ]
        }
    ]
    policy = result.policies[0]
    assert policy.satisfied == (
        "the device acked update_config send_interval_s=120 and reports every 120 s ± 10 %"
    )
    assert policy.summary == "meter-4: update_config send_interval_s=120"


def test_sampling_is_acked_and_observed() -> None:
    result = compiled("sample every 500 ms on meter-4", [METER])
    assert checks(result)[0]["all"][1] == {
        "measure": "sample_interval_ms",
        "op": "~=",
        "value": 500,
        "tolerance_pct": 10,
    }


def test_commands_use_the_protocol_names() -> None:
    reboot = compiled("reboot meter-4", [METER])
    assert specs(reboot) == [
        ("device_command", "meter-4", "10.0.0.40", {"cmd": "reboot", "params": {}})
    ]
    assert checks(reboot) == [{"measure": "command_result", "op": "==", "value": "accepted"}]
    ota = compiled("upgrade meter-4 to firmware 2.3.1", [METER])
    assert specs(ota) == [
        (
            "device_command",
            "meter-4",
            "10.0.0.40",
            {"cmd": "start_ota", "params": {"fw_version": "2.3.1"}},
        )
    ]
    assert checks(ota) == [
        {
            "all": [
                {"measure": "ota_state", "op": "==", "value": "success"},
                {"measure": "firmware_version", "op": "==", "value": "2.3.1"},
            ]
        }
    ]
    assert ota.notes == [
        "new: start_ota carries only fw_version 2.3.1; fw_url, fw_sha256 and fw_size_bytes "
        "must be added from the firmware source before sending."
    ]


def test_device_state() -> None:
    result = compiled("disable meter-4", [METER])
    assert specs(result) == [("device_state", "meter-4", "10.0.0.40", {"enabled": False})]
    assert checks(result) == [{"measure": "device_enabled", "op": "==", "value": False}]
    assert result.policies[0].summary == "meter-4: disabled"


def test_revoke_compiles_to_nothing_but_a_note() -> None:
    result = compiled("cancel intent 17", [])
    assert (result.policies, result.warnings) == ([], [])
    assert result.notes == ["new: Cancel intent 17; the revoke is carried out on submit."]


# -- targets that cannot take a policy ------------------------------------------------------


def test_device_without_ip_still_gets_its_policy_with_a_warning() -> None:
    result = compiled("block tracker-2", [NO_IP])
    assert [(p.device_id, p.address) for p in result.policies] == [("tracker-2", None)]
    assert result.policies[0].summary == "tracker-2 (no known IP): all traffic blocked (nftables)"
    assert result.warnings == [
        "tracker-2 has no known IP address: new waits for one before it applies."
    ]


def test_device_kinds_ignore_bare_addresses_and_empty_targets_warn() -> None:
    result = compiled("reboot 10.0.0.9", [], addresses=["10.0.0.9"])
    assert result.policies == []
    assert result.warnings == [
        "10.0.0.9 is not a registered device: new applies to registered devices only, so it "
        "is ignored.",
        "new: no target matched, so there is nothing to apply.",
    ]


def test_policies_are_ordered_by_intent_then_device_then_direction() -> None:
    result = compiled("prioritize camera-2 and limit camera-1 to 1 mbit", [CAM2, CAM1])
    order = [(p.index, p.device_id, p.spec.direction) for p in result.policies]
    assert order == sorted(order)
    assert len(order) == 8


# -- conflicts -------------------------------------------------------------------------------


def test_two_limits_new_against_active() -> None:
    active = inputs("limit camera-1 to 5 mbit", [CAM1], intent_id=4)
    result = compile_intents(inputs("limit camera-1 to 2 mbit", [CAM1]), active)
    assert len(result.policies) == 2
    assert [c.model_dump() for c in result.conflicts] == [
        {
            "device_id": "camera-1",
            "address": "10.0.0.21",
            "intents": [(None, 0), (4, 0)],
            "message": "camera-1 would get two different limits: 2 Mbit/s (new) and "
            "5 Mbit/s (intent 4)",
        }
    ]


def test_limits_in_one_direction_only_and_equal_limits() -> None:
    active = inputs("cap upload of camera-1 at 5 mbit", [CAM1], intent_id=4)
    result = compile_intents(inputs("limit camera-1 to 2 mbit", [CAM1]), active)
    assert [c.message for c in result.conflicts] == [
        "camera-1 would get two different upload limits: 2 Mbit/s (new) and 5 Mbit/s (intent 4)"
    ]
    same = inputs("limit camera-1 to 5 mbit", [CAM1], intent_id=4)
    assert compile_intents(inputs("limit camera-1 to 5 mbit", [CAM1]), same).conflicts == []


def test_limits_in_windows_that_never_overlap_do_not_conflict() -> None:
    night = inputs("limit camera-1 to 2 mbit between 22:00 and 06:00", [CAM1])
    day = inputs("limit camera-1 to 5 mbit from 8:00 to 17:00", [CAM1], intent_id=4)
    early = inputs("limit camera-1 to 5 mbit from 5:00 to 17:00", [CAM1], intent_id=5)
    assert compile_intents(night, day).conflicts == []
    assert len(compile_intents(night, early).conflicts) == 1


def test_block_and_priority_within_one_sentence() -> None:
    result = compiled("block camera-1 and prioritize camera-1", [CAM1])
    assert [(c.intents, c.message) for c in result.conflicts] == [
        (
            [(None, 0), (None, 1)],
            "camera-1 cannot be both blocked (new, part 1) and given priority 8 (new, part 2)",
        )
    ]


def test_block_by_address_meets_a_guarantee_on_the_device() -> None:
    active = inputs("guarantee 5 mbit for camera-1", [CAM1], intent_id=7)
    new = inputs("quarantine 10.0.0.21", [], addresses=["10.0.0.21"])
    result = compile_intents(new, active)
    assert [(c.device_id, c.address, c.message) for c in result.conflicts] == [
        (
            None,
            "10.0.0.21",
            "10.0.0.21 cannot be both quarantined (new) and guaranteed 5 Mbit/s (intent 7)",
        )
    ]


def test_a_setting_twice_and_enabled_and_disabled() -> None:
    active = inputs("set mode to eco for meter-4", [METER], intent_id=2) + inputs(
        "enable device meter-4", [METER], intent_id=3
    )
    new = inputs("set mode to boost for meter-4 and disable meter-4", [METER])
    result = compile_intents(new, active)
    assert [c.message for c in result.conflicts] == [
        "meter-4 would get two different values for mode: boost (new, part 1) and eco (intent 2)",
        "meter-4 would be both disabled (new, part 2) and enabled (intent 3)",
    ]


def test_replacing_the_older_intent_suppresses_the_conflict() -> None:
    active = inputs("limit camera-1 to 5 mbit", [CAM1], intent_id=4)
    new = inputs("limit camera-1 to 2 mbit", [CAM1], replaces=[4, 9])
    result = compile_intents(new, active)
    assert result.conflicts == []
    assert len(result.policies) == 2
    assert result.notes == ["new replaces intent 4."]
    assert result.warnings == ["new is marked to replace intent 9, which is not active."]


def test_active_intents_never_conflict_among_themselves_nor_add_policies() -> None:
    active = inputs("limit camera-1 to 5 mbit", [CAM1], intent_id=4) + inputs(
        "limit camera-1 to 3 mbit", [CAM1], intent_id=5
    )
    result = compile_intents(inputs("reboot meter-4", [METER]), active)
    assert result.conflicts == []
    assert [p.kind for p in result.policies] == [PolicyKind.DEVICE_COMMAND]


# -- plans -----------------------------------------------------------------------------------


def plan(new: list[CompileInput], active: list[CompileInput] | None = None, **kw: Any) -> str:
    result = compile_intents(new, active or [])
    return render_plan(result, [item.intent for item in new], **kw)


def test_plan_of_a_limit_on_two_cameras() -> None:
    text = plan(
        inputs("limit cameras to 1 mbit", [CAM1, CAM2]),
        resolutions=["type camera: camera-1, camera-2"],
    )
    assert text == (
        "Targets:\n"
        "  type camera: camera-1, camera-2\n"
        "Plan:\n"
        "1. Limit the bandwidth of every camera to 1 Mbit/s in both directions\n"
        "   camera-1 (10.0.0.21): download limited to 1 Mbit/s (HTB class, fq_codel leaf)\n"
        "   camera-1 (10.0.0.21): upload limited to 1 Mbit/s (HTB class, fq_codel leaf)\n"
        "   camera-2 (10.0.0.22): download limited to 1 Mbit/s (HTB class, fq_codel leaf)\n"
        "   camera-2 (10.0.0.22): upload limited to 1 Mbit/s (HTB class, fq_codel leaf)"
    )


def test_plan_with_a_conflict_is_refused() -> None:
    active = inputs("limit camera-1 to 5 mbit", [CAM1], intent_id=4)
    text = plan(inputs("prioritize camera-1 and block camera-1", [CAM1]), active)
    assert text == (
        "Plan:\n"
        "1. Give the traffic of camera-1 priority 8 of 10 (high)\n"
        "   camera-1 (10.0.0.21): download at HTB prio 2 (priority 8 of 10; HTB class, "
        "fq_codel leaf)\n"
        "   camera-1 (10.0.0.21): upload at HTB prio 2 (priority 8 of 10; HTB class, "
        "fq_codel leaf)\n"
        "2. Block all traffic to and from camera-1\n"
        "   camera-1 (10.0.0.21): all traffic blocked (nftables)\n"
        "CONFLICT: camera-1 cannot be both given priority 8 (new, part 1) and blocked "
        "(new, part 2)\n"
        "Refused: 1 conflict must be resolved first: revoke one of the intents, or mark the "
        "new one to replace the older."
    )


def test_plan_of_device_intents_with_a_revoke_and_a_warning() -> None:
    new = inputs("send data every 30 s for meter-4 and reboot meter-4", [METER, NO_IP])
    new += inputs("cancel intent 17", [])
    new[2] = new[2].model_copy(update={"index": 2})
    text = plan(new)
    assert text == (
        "Plan:\n"
        "1. Make meter-4 send data every 30 seconds\n"
        "   meter-4: update_config send_interval_s=30\n"
        "   tracker-2: update_config send_interval_s=30\n"
        "2. Reboot meter-4\n"
        "   meter-4: command reboot\n"
        "   tracker-2: command reboot\n"
        "3. Cancel intent 17\n"
        "   (nothing to install)\n"
        "Note: new, part 3: Cancel intent 17; the revoke is carried out on submit."
    )
