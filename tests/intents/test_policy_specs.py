"""Policy specs are typed by kind, and their JSON is what is stored and what the API returns:
it carries no kind of its own (the policy's kind says which spec it is), reads back to the
same spec, and a spec of another kind is refused."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from core.intents import parse_intent
from core.intents.compiler import compile_intents
from core.intents.policy import (
    CompileInput,
    DeviceConfigSpec,
    FirewallSpec,
    Policy,
    ShapeSpec,
    TargetDevice,
    parse_spec,
)
from tests.intents.sentences import CASES

CAM = TargetDevice(id="cam-1", type="camera", ip="10.0.0.21")
TARGETS = [CAM, TargetDevice(id="meter-1", type="power_meter")]


def policies_of(
    text: str, devices: list[TargetDevice] = TARGETS, addresses: tuple[str, ...] = ("10.9.9.9",)
) -> list[Policy]:
    """``text`` compiled as if its selectors matched ``devices`` and ``addresses``."""
    result = parse_intent(text)
    inputs = [
        CompileInput(
            intent_id=None, index=i, intent=intent, devices=devices, addresses=list(addresses)
        )
        for i, intent in enumerate(result.intents)
    ]
    return compile_intents(inputs).policies


COMPILED = [
    (text, policy)
    for text, expected in CASES
    if not isinstance(expected, str)
    for policy in policies_of(text)
]


def test_every_kind_is_compiled_by_some_sentence() -> None:
    assert {p.kind.value for _, p in COMPILED} == {
        "shape",
        "impair",
        "firewall",
        "device_config",
        "device_command",
        "device_state",
    }


def test_a_spec_reads_back_from_its_json_and_its_policys_kind() -> None:
    for text, policy in COMPILED:
        stored = json.loads(json.dumps(policy.spec.model_dump(mode="json")))
        assert "kind" not in stored, text
        assert parse_spec(policy.kind, stored) == policy.spec, text
        public = json.loads(policy.model_dump_json())
        assert public["spec"] == stored, text
        assert Policy.model_validate(public) == policy, text


def test_specs_say_exactly_what_was_asked() -> None:
    (down, up) = policies_of("limit cam-1 to 2 mbit", [CAM], ())
    assert down.spec == ShapeSpec(
        direction="down",
        rate_bps=2_000_000,
        ceil_bps=2_000_000,
        prio=4,
        burst_bytes=2500,
        leaf="fq_codel",
    )
    assert up.spec.model_dump(mode="json")["direction"] == "up"
    (allow,) = policies_of("allow cam-1 to reach only 10.0.0.5 port 554 and 10.0.0.6", [CAM], ())
    assert isinstance(allow.spec, FirewallSpec)
    assert allow.spec.model_dump(mode="json") == {
        "action": "allow_only",
        "destinations": [{"ip": "10.0.0.5", "port": 554}, {"ip": "10.0.0.6"}],
    }
    (setting,) = policies_of("set mode to eco for meter-1", TARGETS[1:], ())
    assert setting.spec == DeviceConfigSpec(params={"mode": "eco"})


def test_a_spec_of_another_kind_is_refused() -> None:
    (limit, _) = policies_of("limit cam-1 to 2 mbit", [CAM], ())
    with pytest.raises(ValidationError, match="shape spec cannot be the spec of a firewall"):
        Policy.model_validate({**dict(limit), "kind": "firewall"})
    with pytest.raises(ValidationError):
        parse_spec("firewall", limit.spec.model_dump(mode="json"))
