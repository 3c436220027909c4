"""The device page's charts (issue 15 item 7): they open on the window that holds the data,
carry the unit on the value axis, draw on/off series as steps and the min-max band with a
height, and come first on the page, above the values, commands and lists."""

from __future__ import annotations

from core.clock import to_ms
from core.models import Role
from core.services import telemetry
from tests.factories import actor, make_device, readings


def _device(core) -> None:
    with core.db.writer() as session:
        make_device(session, id="cam-1", type="camera", name="Door", seen_at=core.clock.now())


def _append(core, metric: str, values: list[float], *, step_ms: int, unit: str | None = None):
    """Readings ``step_ms`` apart, the last one just now."""
    start = to_ms(core.clock.now()) - step_ms * len(values)
    with core.db.writer() as session:
        telemetry.append_readings(
            session=session,
            device_id="cam-1",
            readings=readings(
                metric,
                start_ms=start,
                count=len(values),
                step_ms=step_ms,
                value_fn=values.__getitem__,
                unit=unit,
            ),
            actor=actor(),
        )


def _chart(user, metric: str):
    (element,) = user.find(marker=f"chart-{metric}").elements
    return element


def _series(user, metric: str) -> dict[str, dict]:
    return {s["name"]: s for s in _chart(user, metric).options["series"]}


async def _open(console):
    viewer = await console.signed_in(Role.VIEWER)
    await viewer.open("/devices/cam-1")
    return viewer


async def test_two_minutes_of_data_fill_the_chart_instead_of_an_hour(console, core):
    _device(core)
    _append(core, "power", [float(i) for i in range(120)], step_ms=1000, unit="W")
    viewer = await _open(console)
    await viewer.should_see(marker="caption-power", content="fitted to the data")
    x_axis = _chart(viewer, "power").options["xAxis"]
    first = to_ms(core.clock.now()) - 120_000
    assert x_axis["min"] <= first
    assert x_axis["max"] - x_axis["min"] < 3 * 60_000  # the data spans the width, not 1/30 of it


async def test_the_value_axis_carries_the_unit(console, core):
    _device(core)
    _append(core, "temperature", [20.0, 21.0, 22.5], step_ms=10_000, unit="Cel")
    _append(core, "bitrate_kbps", [2000.0, 2100.0], step_ms=10_000)  # flat JSON: no unit
    _append(core, "level", [1.0, 2.0], step_ms=10_000)
    viewer = await _open(console)
    await viewer.should_see(marker="chart-title-temperature", content="temperature (°C)")
    await viewer.should_see(marker="chart-title-temperature", content="now 22.5 °C")
    assert _chart(viewer, "temperature").options["yAxis"]["name"] == "°C"
    assert _chart(viewer, "bitrate_kbps").options["yAxis"]["name"] == "kbit/s"
    await viewer.should_see(marker="chart-title-bitrate_kbps", content="bitrate_kbps (kbit/s)")
    assert _chart(viewer, "level").options["yAxis"]["name"] == ""


async def test_an_on_off_series_is_drawn_as_steps(console, core):
    _device(core)
    _append(core, "motion", [float(i % 4 == 0) for i in range(60)], step_ms=5000)
    viewer = await _open(console)
    await viewer.should_see(marker="caption-motion", content="on/off as steps")
    await viewer.should_see(marker="chart-title-motion", content="now off")  # 59 % 4 != 0
    await viewer.should_see(marker="value-motion", content="off")
    series = _series(viewer, "motion")
    assert "mean" not in series
    assert {s["step"] for s in series.values()} == {"end"}
    drawn = {row[1] for s in series.values() for row in s["data"]}
    assert drawn <= {0.0, 1.0, None}
    axis = _chart(viewer, "motion").options["yAxis"]
    assert (axis["min"], axis["max"], axis["interval"]) == (0, 1, 1)


async def test_the_min_max_band_has_height_and_stacks_below_zero(console, core):
    """Readings every 10 s over an hour alternate by 10 dB around -65 dBm: each bucket holds
    several, the band is as high as their spread and it stacks right below zero."""
    _device(core)
    _append(core, "rssi", [-70.0 + (i % 2) * 10 for i in range(360)], step_ms=10_000)
    viewer = await _open(console)
    await viewer.should_see(marker="chart-rssi")
    series = _series(viewer, "rssi")
    lows = [row[1] for row in series["min"]["data"] if row[1] is not None]
    heights = [row[1] for row in series["max"]["data"] if row[1] is not None]
    assert lows and set(lows) == {-70.0}
    assert set(heights) == {10.0}
    assert {series["min"]["stackStrategy"], series["max"]["stackStrategy"]} == {"all"}
    assert series["max"]["areaStyle"]["opacity"] >= 0.2
    assert _chart(viewer, "rssi").options["yAxis"]["name"] == "dBm"


async def test_a_device_s_cadence_is_no_gap(console, core):
    """A device sending every 5 s over 20 s: 5 readings in a fitted window of about 20 s,
    one line without breaks, across the chart."""
    _device(core)
    _append(core, "power", [1.0, 2.0, 3.0, 2.0, 1.0], step_ms=5000, unit="W")
    viewer = await _open(console)
    await viewer.should_see(marker="caption-power", content="fitted to the data")
    mean = _series(viewer, "power")["mean"]["data"]
    assert [row[1] for row in mean] == [1.0, 2.0, 3.0, 2.0, 1.0]
    x_axis = _chart(viewer, "power").options["xAxis"]
    assert x_axis["max"] - x_axis["min"] < 30_000


async def test_a_gap_in_the_data_breaks_the_line(console, core):
    _device(core)
    values = [1.0] * 120 + [2.0] * 120
    _append(core, "power", values, step_ms=1000, unit="W")
    core.clock.advance(3600)  # an hour of silence, then more
    _append(core, "power", [3.0] * 120, step_ms=1000, unit="W")
    viewer = await _open(console)
    await viewer.should_see(marker="chart-power")
    mean = _series(viewer, "power")["mean"]["data"]
    assert [row[1] for row in mean].count(None) == 1


async def test_the_charts_come_first_on_the_page(console, core):
    _device(core)
    _append(core, "power", [1.0, 2.0], step_ms=1000, unit="W")
    viewer = await _open(console)
    await viewer.should_see(marker="chart-power")
    markers = ("device-header", "chart-power", "latest-values", "commands", "device-findings")
    found = [viewer.find(marker=marker).elements.pop() for marker in markers]
    in_page = _in_page_order(found[0])
    assert sorted(found, key=in_page.index) == found


def _in_page_order(element) -> list:
    """Every element of the page holding ``element``, in document order."""
    while element.parent_slot is not None:
        element = element.parent_slot.parent
    out: list = []
    stack = [element]
    while stack:
        current = stack.pop()
        out.append(current)
        children = [c for slot in current.slots.values() for c in slot.children]
        stack.extend(reversed(children))
    return out
