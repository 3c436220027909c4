"""The web console in a real browser (headless Chromium) against ``warden serve --demo``:
sign in with the printed password, watch the simulated fleet go live, submit an intent,
and leave screenshots of the main pages under tests/artifacts/web/ for a person to read.

One demo process serves the whole module; the tests are few and each wait is bounded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.webui.browser import ARTIFACTS, Demo, chromium, demo_server, needs_chromium

pytestmark = [needs_chromium, pytest.mark.slow]

WAIT_S = 30
PAGES = ("/", "/devices", "/findings", "/intents", "/actions", "/logs", "/rules", "/admin")
WIDE = 1400
PHONE = 390


def title_of(path: str) -> str:
    return {"": "Fleet", "rules": "Rules", "admin": "Admin"}.get(
        path.strip("/"), path.strip("/").title()
    )


def shot_name(path: str) -> str:
    return path.strip("/").replace("/", "-") or "overview"


def first_device(demo: Demo) -> str:
    import json

    listed = demo.warden("devices", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    return sorted(d["id"] for d in json.loads(listed.stdout))[0]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[Demo]:
    with demo_server(tmp_path_factory.mktemp("demo")) as running:
        yield running


@pytest.fixture(scope="module")
def browser(demo: Demo):
    with chromium(width=WIDE) as driver:
        sign_in(driver, demo)
        yield driver


def wait_for_text(driver, pattern: str, timeout: float = WAIT_S) -> str:
    """The page's visible text once ``pattern`` (a regex) appears in it."""
    from selenium.webdriver.support.ui import WebDriverWait

    found: list[str] = []

    def seen(d) -> bool:
        text = d.find_element("tag name", "body").text
        found[:] = [text]
        return re.search(pattern, text) is not None

    from selenium.common.exceptions import StaleElementReferenceException

    try:
        # The body is replaced while a page navigates: read it again on the next poll.
        WebDriverWait(
            driver,
            timeout,
            poll_frequency=0.2,
            ignored_exceptions=(StaleElementReferenceException,),
        ).until(seen)
    except Exception as error:
        raise AssertionError(f"{pattern!r} never appeared; the page said:\n{found}") from error
    return found[0]


def sign_in(driver, demo: Demo) -> None:
    driver.get(f"{demo.base}/devices")
    wait_for_text(driver, "Sign in")
    assert "/login?redirect_to=/devices" in driver.current_url
    wait_for_handshake(driver)  # keys typed before the websocket is up never reach the server
    fields = driver.find_elements("css selector", "input")
    fields[0].send_keys("admin")
    fields[1].send_keys(demo.password + "\n")
    wait_for_text(driver, "Devices")


def wait_for_handshake(driver, timeout: float = WAIT_S) -> None:
    """Until the page's NiceGUI websocket has shaken hands with the server."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout, poll_frequency=0.1).until(
        lambda d: d.execute_script("return window.did_handshake === true")
    )


def screenshot(driver, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def test_the_demo_fleet_goes_live_on_the_overview(browser, demo):
    browser.get(f"{demo.base}/")
    text = wait_for_text(browser, r"[1-9]\d* online")
    assert "Fleet" in text
    assert "DRY RUN" in text or "kernel" in text  # the backend mode is always stated
    screenshot(browser, "overview")


@pytest.mark.timeout(600)  # every page, on a machine that may be busy
def test_every_page_opens_and_is_captured(browser, demo):
    device = first_device(demo)
    for path in (*PAGES[1:], f"/devices/{device}"):
        browser.get(f"{demo.base}{path}")
        wait_for_text(browser, device if path.startswith("/devices/") else title_of(path))
        screenshot(browser, shot_name(path).replace(device, "device"))
    assert not browser.get_log("browser") or all(
        entry["level"] != "SEVERE" or "favicon" in entry["message"]
        for entry in browser.get_log("browser")
    )


def test_hostile_device_names_render_as_text(browser, demo):
    hostile = "<img src=x onerror=alert(1)>"
    added = demo.warden("devices", "add", "xss-1", "--type", "sensor", "--name", hostile)
    assert added.returncode == 0, added.stderr
    browser.get(f"{demo.base}/devices")
    wait_for_text(browser, re.escape(hostile))
    assert browser.find_elements("css selector", "img[src='x']") == []
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert  # noqa: B018 — an alert would mean the markup ran


@pytest.mark.timeout(600)
def test_a_phone_sized_screen(demo):
    """Every page at 390 px: captured, and none scrolls sideways."""
    device = first_device(demo)
    wide = []
    with chromium(width=PHONE, height=844, phone=True) as phone:
        sign_in(phone, demo)
        for path in (*PAGES, f"/devices/{device}"):
            phone.get(f"{demo.base}{path}")
            wait_for_text(phone, device if path.startswith("/devices/") else title_of(path))
            screenshot(phone, "phone-" + shot_name(path).replace(device, "device"))
            viewport, page = phone.execute_script(
                "return [window.innerWidth, document.documentElement.scrollWidth]"
            )
            assert viewport == PHONE
            if page > viewport:
                wide.append(f"{path} ({page} px)")
    assert not wide, f"these pages scroll sideways on a phone: {wide}"


def test_an_intent_typed_in_the_bar_is_planned_and_applied(browser, demo):
    import json

    listed = demo.warden("devices", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    device = sorted(d["id"] for d in json.loads(listed.stdout) if d["type"] == "camera")[0]
    browser.get(f"{demo.base}/intents")
    wait_for_text(browser, "Say what the network should do")
    wait_for_handshake(browser)
    bar = browser.find_element("css selector", "input[placeholder='limit meter-1 to 2 mbit']")
    bar.send_keys(f"limit {device} to 2 mbit")
    wait_for_text(browser, "(?i)" + re.escape(device) + r"[\s\S]*2 mbit")  # the parse preview
    browser.find_element("xpath", "//button[.//span[text()='Plan']]").click()
    wait_for_text(browser, "can be applied")
    screenshot(browser, "intents-plan")
    browser.find_element("xpath", "//button[.//span[text()='Apply']]").click()
    wait_for_text(browser, "Applied: intent")
    stored = demo.warden("intent", "list", "--json")
    assert any(
        i["text"] == f"limit {device} to 2 mbit" and i["owner"] == "admin"
        for i in json.loads(stored.stdout)
    ), stored.stdout
    screenshot(browser, "intents-applied")
