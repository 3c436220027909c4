"""A device's charts in a real browser against ``warden serve --demo`` (issue 15 item 7):
on a desktop and on a phone the first chart is on the first screen, fitted to the data, and
a person can look at both in tests/artifacts/web/device-charts*.png."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.webui.browser import Demo, chromium, demo_server, needs_chromium
from tests.webui.test_browser import screenshot, sign_in, wait_for_text

pytestmark = [needs_chromium, pytest.mark.slow]

DEVICE = "doorcam-001"
"""A demo door camera: frames per second, a bit rate in kbit/s and motion (on/off)."""
FIRST_BATCH_S = 90
"""The smart devices send half a minute of samples at a time."""
FIRST_CHART = "return document.querySelector('.nicegui-echart').getBoundingClientRect().top"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[Demo]:
    with demo_server(tmp_path_factory.mktemp("demo")) as running:
        yield running


@pytest.mark.parametrize(
    ("width", "height", "phone", "name"),
    [(1400, 900, False, "device-charts"), (390, 844, True, "phone-device-charts")],
)
def test_the_charts_are_on_the_first_screen(demo, width, height, phone, name):
    with chromium(width=width, height=height, phone=phone) as browser:
        sign_in(browser, demo)
        browser.get(f"{demo.base}/devices/{DEVICE}")
        wait_for_text(browser, r"motion[\s\S]*on/off as steps", timeout=FIRST_BATCH_S)
        text = wait_for_text(browser, "fitted to the data")
        assert "bitrate_kbps (kbit/s)" in text
        screenshot(browser, name)
        assert browser.execute_script(FIRST_CHART) < height, "the first chart is below the fold"
        viewport, page = browser.execute_script(
            "return [window.innerWidth, document.documentElement.scrollWidth]"
        )
        assert page <= viewport, f"the device page scrolls sideways ({page} px wide)"
        charts = browser.find_elements("css selector", ".nicegui-echart")
        browser.execute_script("arguments[0].scrollIntoView()", charts[-1])
        screenshot(browser, f"{name}-more")  # the last charts: motion, on/off as steps
