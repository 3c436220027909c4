"""The devices pages: the fleet table (search, live, registration with a key shown once)
and one device (values and charts, commands sent and followed live, role limits, hostile
names shown as text)."""

from __future__ import annotations

from nicegui import ui
from sqlmodel import select

from core.clock import to_ms
from core.models import Actor, ChangeLog, CommandState, Outcome, Role
from core.services import apikeys, commands, devices, findings, telemetry
from tests.factories import actor, make_device, readings

HOSTILE = "<img src=x onerror=alert(1)>"


def _fleet(core) -> None:
    now = core.clock.now()
    with core.db.writer() as session:
        make_device(session, id="meter-1", name="Main meter", location="basement", seen_at=now)
        make_device(session, id="cam-2", type="camera", location="kitchen", ip="10.0.0.42")
        make_device(session, id="plug-3", type="smart_plug", name="Kettle plug", ip="10.0.0.7")


def _rows(user, marker: str = "devices") -> list[dict]:
    (table,) = user.find(marker=marker).elements
    return table.rows


def _element(user, marker: str):
    (element,) = user.find(marker=marker).elements
    return element


def _series(user, marker: str, name: str) -> dict:
    return next(s for s in _element(user, marker).options["series"] if s["name"] == name)


def _means(user, marker: str) -> list[float]:
    """The values of a chart's mean line, gaps left out."""
    return [row[1] for row in _series(user, marker, "mean")["data"] if row[1] is not None]


def _commands_of(core, device_id: str = "meter-1"):
    with core.db.reader() as session:
        return commands.list_commands(session=session, device_ref=device_id).items


def _append(core, metric: str, values: list[float], unit: str | None = None) -> None:
    """Readings a minute apart, the last one a minute ago (a bucket of its own on a chart
    of the last hour)."""
    start = to_ms(core.clock.now()) - 60_000 * len(values)
    with core.db.writer() as session:
        telemetry.append_readings(
            session=session,
            device_id="meter-1",
            readings=readings(
                metric,
                start_ms=start,
                count=len(values),
                step_ms=60_000,
                value_fn=lambda i: values[i],
                unit=unit,
            ),
            actor=actor(),
        )


# --- the fleet table ---------------------------------------------------------------------


async def test_the_table_lists_the_fleet_and_search_narrows_it(console, core):
    _fleet(core)
    viewer = await console.signed_in(Role.VIEWER)
    await viewer.open("/devices")
    await viewer.should_see("3 of 3 devices")
    assert [r["id"] for r in _rows(viewer)] == ["cam-2", "meter-1", "plug-3"]
    meter = next(r for r in _rows(viewer) if r["id"] == "meter-1")
    assert (meter["status"], meter["name"], meter["ago"]) == ("online", "Main meter", "0 s ago")

    viewer.find(marker="device-search").type("KITCHEN")  # location, any case
    await viewer.should_see("1 of 3 devices")
    assert [r["id"] for r in _rows(viewer)] == ["cam-2"]
    viewer.find(marker="device-search").clear().type("10.0.0.")  # IP
    await viewer.should_see("2 of 3 devices")
    assert [r["id"] for r in _rows(viewer)] == ["cam-2", "plug-3"]
    viewer.find(marker="device-search").clear().type("smart_plug")  # type
    await viewer.should_see("1 of 3 devices")
    viewer.find(marker="device-search").clear().type("nothing like it")
    await viewer.should_see("0 of 3 devices")
    assert _rows(viewer) == []


async def test_the_columns_sort_and_a_row_opens_its_device(console, core):
    _fleet(core)
    viewer = await console.signed_in(Role.VIEWER)
    await viewer.open("/devices")
    await viewer.should_see("3 of 3 devices")
    columns = _element(viewer, "devices").columns
    assert [c["name"] for c in columns] == [
        "status",
        "id",
        "name",
        "type",
        "location",
        "firmware",
        "last_seen",
        "ip",
    ]
    assert all(c["sortable"] for c in columns)
    viewer.find(marker="devices").trigger("rowClick", [{}, {"id": "cam-2"}, 0])
    await viewer.should_see(marker="device-name", content="cam-2", retries=30)
    await viewer.should_see("kitchen")


async def test_a_device_registered_elsewhere_appears_live(console, core):
    _fleet(core)
    operator = await console.signed_in(Role.OPERATOR)
    await operator.open("/devices")
    await operator.should_see("3 of 3 devices")
    with core.db.writer() as session:  # the CLI, say
        make_device(session, id="sensor-9", type="thermometer", name="Attic")
    await operator.should_see("4 of 4 devices", retries=30)
    assert "sensor-9" in [r["id"] for r in _rows(operator)]


async def test_an_admin_registers_a_device_and_sees_its_key_once(console, core):
    admin = await console.signed_in(Role.ADMIN)
    await admin.open("/devices")
    await admin.should_see("0 of 0 devices")
    admin.find(marker="register-device").click()
    admin.find(marker="new-id").type("meter-7")
    admin.find(marker="new-type").type("power_meter")
    admin.find(marker="new-name").type("Garage meter")
    admin.find(marker="new-location").type("garage")
    admin.find(marker="new-ip").type("10.0.0.77")
    admin.find(marker="register-submit").click()
    await admin.should_see(marker="api-key", retries=30)
    key = _element(admin, "api-key").text
    await admin.should_see("1 of 1 devices", retries=30)

    with core.db.writer() as session:
        device = devices.get_device(session=session, ref="meter-7")
        assert (device.name, device.type, device.location, device.ip) == (
            "Garage meter",
            "power_meter",
            "garage",
            "10.0.0.77",
        )
        (stored,) = apikeys.list_keys(session=session, device_id="meter-7")
        assert key.startswith(stored.prefix) and stored.revoked_at is None
        assert apikeys.verify_key(session=session, key=key, scope="telemetry", now=core.clock.now())
    admin.find(marker="key-done").click()
    await admin.should_not_see(marker="api-key")


async def test_the_register_form_refuses_a_bad_id_or_address(console, core):
    admin = await console.signed_in(Role.ADMIN)
    await admin.open("/devices")
    admin.find(marker="register-device").click()
    admin.find(marker="new-id").type("not an id!")
    admin.find(marker="register-submit").click()
    await admin.should_see("a device id is 1-64 of A-Z a-z 0-9 _ . : -")
    admin.find(marker="new-id").clear().type("ok-1")
    admin.find(marker="new-ip").type("10.0.0.300")
    admin.find(marker="register-submit").click()
    await admin.should_see("10.0.0.300 is not an IP address")
    with core.db.reader() as session:
        assert devices.list_devices(session=session).items == []


async def test_only_an_admin_may_register(console, core):
    for role in (Role.VIEWER, Role.OPERATOR):
        user = await console.signed_in(role)
        await user.open("/devices")
        button = _element(user, "register-device")
        assert not button.enabled and "refused" in button._markers
    admin = await console.signed_in(Role.ADMIN)
    await admin.open("/devices")
    assert _element(admin, "register-device").enabled


async def test_a_hostile_device_name_is_shown_as_text(console, core):
    with core.db.writer() as session:
        make_device(session, id="evil-1", name=HOSTILE)
    viewer = await console.signed_in(Role.VIEWER)
    await viewer.open("/devices")
    await viewer.should_see("1 of 1 devices")
    assert _rows(viewer)[0]["name"] == HOSTILE
    await viewer.open("/devices/evil-1")
    await viewer.should_see(marker="device-name")
    assert _element(viewer, "device-name").text == HOSTILE
    await viewer.should_not_see(kind=ui.html)
    await viewer.should_not_see(kind=ui.markdown)


# --- one device --------------------------------------------------------------------------


async def test_an_unknown_device_is_a_clear_message(console, core):
    _fleet(core)
    viewer = await console.signed_in(Role.VIEWER)
    await viewer.open("/devices/meter-9")
    await viewer.should_see("No device meter-9")
    await viewer.should_see("did you mean meter-1?")


async def test_the_device_page_shows_facts_values_and_charts(console, core):
    _fleet(core)
    _append(core, "power", [100.0, 250.0, 180.0], unit="W")
    _append(core, "voltage", [230.0, 231.0])
    viewer = await console.signed_in(Role.VIEWER)
    await viewer.open("/devices/meter-1")
    await viewer.should_see(marker="device-name", content="Main meter")
    await viewer.should_see(marker="fact-location", content="basement")
    await viewer.should_see(marker="value-power", content="180 W")
    await viewer.should_see(marker="value-voltage", content="231")
    await viewer.should_see(marker="caption-power", content="3 readings from")
    await viewer.should_see(marker="caption-power", content="fitted to the data")
    assert sorted(_means(viewer, "chart-power")) == [100.0, 180.0, 250.0]
    for marker in ("toggle-enabled", "rotate-key", "send-command"):
        assert not _element(viewer, marker).enabled


async def test_the_range_picker_narrows_the_charts(console, core):
    _fleet(core)
    old = to_ms(core.clock.now()) - 3 * 3600 * 1000  # three hours ago
    with core.db.writer() as session:
        telemetry.append_readings(
            session=session,
            device_id="meter-1",
            readings=readings("power", start_ms=old, count=1, value_fn=lambda i: 5.0),
            actor=actor(),
        )
    _append(core, "power", [7.0])
    viewer = await console.signed_in(Role.VIEWER)
    await viewer.open("/devices/meter-1")
    await viewer.should_see(marker="caption-power", content="fitted to the data")
    assert _means(viewer, "chart-power") == [5.0, 7.0]  # the window that holds the data
    _element(viewer, "range").set_value("1 h")
    await viewer.should_see(marker="caption-power", content="1 readings in the last 1 h")
    assert _means(viewer, "chart-power") == [7.0]
    _element(viewer, "range").set_value("6 h")
    await viewer.should_see(marker="caption-power", content="2 readings in the last 6 h")
    assert _means(viewer, "chart-power") == [5.0, 7.0]


async def test_new_readings_refresh_the_values_live(console, core):
    _fleet(core)
    _append(core, "power", [100.0], unit="W")
    viewer = await console.signed_in(Role.VIEWER)
    await viewer.open("/devices/meter-1")
    await viewer.should_see(marker="value-power", content="100 W")
    core.clock.advance(10)
    _append(core, "power", [1.0, 2.0, 321.0], unit="W")
    await viewer.should_see(marker="value-power", content="321 W", retries=30)


async def test_an_operator_sends_a_command_and_follows_it_live(console, core):
    _fleet(core)
    operator = await console.signed_in(Role.OPERATOR)
    await operator.open("/devices/meter-1")
    await operator.should_see(marker="command-form")
    await operator.should_see("No commands sent.")
    operator.find(marker="send-command").click()
    await operator.should_see(marker="command-state", content="pending", retries=30)
    (queued,) = _commands_of(core)
    assert (queued.cmd, queued.state, queued.actor) == ("request_status", "pending", "otto")

    with core.db.writer() as session:  # the collector sends it
        commands.mark_sent(session=session, cmd_id=queued.id, now=core.clock.now())
    await operator.should_see(marker="command-state", content="sent", retries=30)
    await operator.should_not_see(marker="command-state", content="pending")
    assert _commands_of(core)[0].state == CommandState.SENT


async def test_update_config_needs_valid_json_and_sends_it(console, core):
    _fleet(core)
    operator = await console.signed_in(Role.OPERATOR)
    await operator.open("/devices/meter-1")
    _element(operator, "command-kind").set_value("update_config")
    operator.find(marker="config-key").type("send_interval_s")
    operator.find(marker="config-value").type("{oops")
    operator.find(marker="send-command").click()
    await operator.should_see(marker="command-error", content="is not JSON")
    assert _commands_of(core) == []

    operator.find(marker="config-value").clear().type("15")
    operator.find(marker="send-command").click()
    await operator.should_see(marker="command-state", content="pending", retries=30)
    (queued,) = _commands_of(core)
    assert (queued.cmd, queued.params) == ("update_config", {"send_interval_s": 15})


async def test_a_command_the_protocol_refuses_is_not_queued(console, core):
    _fleet(core)
    operator = await console.signed_in(Role.OPERATOR)
    await operator.open("/devices/meter-1")
    _element(operator, "command-kind").set_value("update_config")
    operator.find(marker="config-key").type("send_interval_s")
    operator.find(marker="config-value").type("99999")
    operator.find(marker="send-command").click()
    await operator.should_see("send_interval_s must be a whole number 1-3600", retries=30)
    assert _commands_of(core) == []


async def test_a_viewer_may_not_send_and_a_forced_click_is_refused_and_audited(console, core):
    _fleet(core)
    viewer = await console.signed_in(Role.VIEWER)
    await viewer.open("/devices/meter-1")
    send = _element(viewer, "send-command")
    assert not send.enabled and "refused" in send._markers
    send.enable()  # a forged click: the handler checks the role again
    viewer.find(marker="send-command").click()
    await viewer.should_see("Not allowed: vera (viewer) may not commands.send", retries=30)
    assert _commands_of(core) == []
    with core.db.reader() as session:
        denied = session.exec(select(ChangeLog).where(ChangeLog.outcome == Outcome.DENIED)).all()
    assert [(d.actor, d.kind) for d in denied] == [("vera", "denied.commands.send")]


async def test_an_admin_disables_the_device_and_rotates_its_key(console, core):
    _fleet(core)
    with core.db.writer() as session:
        _, old_key = apikeys.create_key(
            session=session, device_id="meter-1", actor=actor(), now=core.clock.now()
        )
    admin = await console.signed_in(Role.ADMIN)
    await admin.open("/devices/meter-1")
    admin.find(marker="toggle-enabled").click()
    await admin.should_see(marker="device-disabled", retries=30)
    with core.db.reader() as session:
        assert devices.get_device(session=session, ref="meter-1").enabled is False

    admin.find(marker="rotate-key").click()
    admin.find(marker="rotate-confirm").click()
    await admin.should_see(marker="api-key", retries=30)
    new_key = _element(admin, "api-key").text
    with core.db.reader() as session:
        keys = apikeys.list_keys(session=session, device_id="meter-1")
    assert [k.revoked_at is None for k in keys] == [False, True]
    assert new_key.startswith(keys[1].prefix) and not old_key.startswith(keys[1].prefix)


async def test_findings_about_the_device_appear_live(console, core):
    _fleet(core)
    viewer = await console.signed_in(Role.VIEWER)
    await viewer.open("/devices/meter-1")
    await viewer.should_see(marker="device-findings")
    with core.db.writer() as session:
        findings.raise_finding(
            session=session,
            firing=findings.FindingIn(
                rule_id="device.silent",
                severity="high",
                key="meter-1",
                device_id="meter-1",
                ts_ms=to_ms(core.clock.now()),
                count=1,
                evidence=[],
                summary=f"meter-1 went quiet {HOSTILE}",
            ),
            now=core.clock.now(),
        )
    await viewer.should_see(f"meter-1 went quiet {HOSTILE}", retries=30)
    await viewer.should_not_see(kind=ui.html)


async def test_a_device_deleted_elsewhere_says_so(console, core):
    _fleet(core)
    viewer = await console.signed_in(Role.VIEWER)
    await viewer.open("/devices/plug-3")
    await viewer.should_see(marker="device-name", content="Kettle plug")
    with core.db.writer() as session:
        devices.delete_device(session=session, device_id="plug-3", actor=Actor.system())
    await viewer.should_see("No device plug-3: it was deleted.", retries=30)


async def test_a_factory_reset_is_sent_only_after_a_confirmation(console, core):
    _fleet(core)
    operator = await console.signed_in(Role.OPERATOR)
    await operator.open("/devices/meter-1")
    _element(operator, "command-kind").set_value("factory_reset")
    operator.find(marker="send-command").click()
    await operator.should_see("cannot be undone", retries=30)
    operator.find(kind=ui.button, content="Cancel").click()
    await operator.should_not_see("cannot be undone", retries=30)
    assert _commands_of(core) == []
    operator.find(marker="send-command").click()
    await operator.should_see(marker="command-confirm", retries=30)
    operator.find(marker="command-confirm").click()
    await operator.should_see(marker="command-state", content="pending", retries=30)
    assert [(c.cmd, c.params) for c in _commands_of(core)] == [("factory_reset", {})]
