"""The rules and playbooks page: switches for admins only (refusals audited), number edits
validated on the page and by the service, a replay of the last 24 h, live redraws when
the CLI changes a rule, and untrusted text shown as text."""

from __future__ import annotations

import pytest
from nicegui import ui

from core.clock import to_ms
from core.models import Actor, ChangeLog, Outcome, PlaybookRecord, Role, RuleRecord
from core.services import telemetry
from core.services.rules import RULES
from tests.factories import make_device, readings
from warden.catalog import sync_catalog
from web.ui.pages.rules import parse_number

BATTERY = "iot.battery-low"
FLAPPING = "connectivity.interface-flapping"


@pytest.fixture
def catalog(core):
    sync_catalog(core)
    return core


def stored_rule(core, rule_id: str) -> RuleRecord:
    with core.db.reader() as session:
        record = session.get(RuleRecord, rule_id)
        assert record is not None
        return record


def the(user, marker: str):
    (element,) = user.find(marker=marker).elements
    return element


async def test_everyone_sees_rules_with_severity_and_description(catalog, viewer):
    await viewer.open("/rules")
    await viewer.should_see(BATTERY)
    await viewer.should_see("Battery low")
    await viewer.should_see("Temperature above 60 °C for five minutes.")
    await viewer.should_see(marker="playbook-wifi.auth-failures-station")


async def test_an_admin_disables_a_rule_and_a_playbook(catalog, admin):
    await admin.open("/rules")
    await admin.should_see(marker=f"rule-switch-{BATTERY}")
    admin.find(marker=f"rule-switch-{BATTERY}").click()
    await admin.should_see("Rule iot.battery-low disabled", retries=30)
    assert stored_rule(catalog, BATTERY).enabled is False
    admin.find(marker="playbook-switch-iot.offline-reachability").click()
    await admin.should_see("Playbook iot.offline-reachability disabled", retries=30)
    with catalog.db.reader() as session:
        playbook = session.get(PlaybookRecord, "iot.offline-reachability")
        assert playbook is not None and playbook.enabled is False


async def test_an_operator_s_switch_is_disabled_and_a_forged_toggle_is_refused(catalog, operator):
    await operator.open("/rules")
    await operator.should_see(marker=f"rule-switch-{BATTERY} refused")
    switch = the(operator, f"rule-switch-{BATTERY}")
    assert not switch.enabled
    operator.find(marker=f"rule-switch-{BATTERY}").click()  # a disabled switch ignores clicks
    assert switch.value is True
    with operator:
        switch.enable()  # a tampered client sends the event anyway
    operator.find(marker=f"rule-switch-{BATTERY}").click()
    await operator.should_see("Not allowed: otto (operator) may not catalog.write", retries=30)
    assert stored_rule(catalog, BATTERY).enabled is True
    with catalog.db.reader() as session:
        denied = session.exec(
            ChangeLog.__table__.select().where(ChangeLog.outcome == Outcome.DENIED)  # type: ignore[attr-defined]
        ).all()
    assert [(row.actor, row.kind) for row in denied] == [("otto", "denied.catalog.write")]


async def test_threshold_edits_are_validated_before_they_are_stored(catalog, admin):
    await admin.open(f"/rules?rule={FLAPPING}")
    await admin.should_see(marker=f"rule-{FLAPPING} focused")
    field = f"field-{FLAPPING}-threshold"
    admin.find(marker=field).clear().type("six")
    await admin.should_see("enter a number")
    admin.find(marker=f"save-{FLAPPING}").click()
    await admin.should_see("threshold: enter a number", retries=30)
    admin.find(marker=field).clear().type("2.5")
    await admin.should_see("enter a whole number")
    admin.find(marker=field).clear().type("0")  # a number, but the rule needs at least 1
    admin.find(marker=f"save-{FLAPPING}").click()
    await admin.should_see("greater than or equal to 1", retries=30)
    assert stored_rule(catalog, FLAPPING).definition["threshold"] == 6
    admin.find(marker=field).clear().type("9")
    admin.find(marker=f"save-{FLAPPING}").click()
    await admin.should_see(f"Rule {FLAPPING} saved", retries=30)
    record = stored_rule(catalog, FLAPPING)
    assert (record.definition["threshold"], record.edited, record.updated_by) == (9, True, "ada")
    await admin.should_see("edited by ada", retries=30)


async def test_a_viewer_cannot_edit_numbers(catalog, viewer):
    await viewer.open(f"/rules?rule={FLAPPING}")
    await viewer.should_see(marker=f"save-{FLAPPING} refused")
    assert not the(viewer, f"field-{FLAPPING}-threshold").enabled


async def test_replaying_the_last_24_hours_shows_what_would_fire(catalog, viewer):
    now_ms = to_ms(catalog.clock.now())
    with catalog.db.writer() as session:
        make_device(session, id="sensor-1", type="env_sensor")
        telemetry.append_readings(
            session=session,
            device_id="sensor-1",
            readings=readings(
                "battery",
                start_ms=now_ms - 3_600_000,
                count=40,
                step_ms=60_000,
                value_fn=lambda i: 3.0,
            ),
            actor=Actor.system(),
        )
    await viewer.open(f"/rules?rule={BATTERY}")
    viewer.find(marker=f"test-{BATTERY}").click()
    await viewer.should_see("Would raise 1 finding(s)", retries=30)
    await viewer.should_see("40 readings of battery from 1 device(s)")
    viewer.find(marker="test-iot.device-offline").click()
    await viewer.should_see("cannot be replayed", retries=30)


async def test_a_rule_with_nothing_to_replay_says_why_not(catalog, viewer):
    await viewer.open(f"/rules?rule={FLAPPING}")
    viewer.find(marker=f"test-{FLAPPING}").click()
    await viewer.should_see("Would raise 0 finding(s)", retries=30)
    await viewer.should_see("no log lines were stored in that time")


async def test_a_change_made_elsewhere_redraws_the_page(catalog, viewer):
    await viewer.open("/rules")
    await viewer.should_see(marker=f"rule-switch-{BATTERY}")
    await viewer.should_not_see(marker=f"rule-off-{BATTERY}")
    with catalog.db.writer() as session:  # the CLI, say
        RULES.set_enabled(
            session=session,
            entry_id=BATTERY,
            enabled=False,
            actor=Actor.system("cli"),
            now=catalog.clock.now(),
        )
    await viewer.should_see(marker=f"rule-off-{BATTERY}", retries=30)
    assert the(viewer, f"rule-switch-{BATTERY}").value is False


async def test_untrusted_rule_text_is_shown_literally(catalog, viewer):
    with catalog.db.writer() as session:
        RULES.update(
            session=session,
            entry_id=BATTERY,
            changes={"description": "<b>x</b>"},
            actor=Actor.system(),
            now=catalog.clock.now(),
        )
    await viewer.open("/rules")
    await viewer.should_see(kind=ui.label, content="<b>x</b>")
    await viewer.should_not_see(kind=ui.html)
    await viewer.should_not_see(kind=ui.markdown)


async def test_an_empty_catalog_says_where_rules_come_from(console):
    user = await console.signed_in(Role.VIEWER)
    await user.open("/rules")
    await user.should_see(marker="no-rules")
    await user.should_see(marker="no-playbooks")


@pytest.mark.parametrize(
    ("text", "integer", "expected"),
    [("5", True, 5), (" 2.5 ", False, 2.5), ("1e3", True, 1000), ("-1", True, -1)],
)
def test_numbers_are_parsed(text, integer, expected):
    assert parse_number(text, integer=integer) == expected


@pytest.mark.parametrize(
    ("text", "integer"), [("", True), ("x", False), ("2.5", True), ("nan", False), ("inf", True)]
)
def test_non_numbers_are_refused(text, integer):
    with pytest.raises(ValueError, match="enter a"):
        parse_number(text, integer=integer)
