"""The board in a real browser: log in, read it, isolate a zone, watch it update in place.

Drives the system Chromium (Debian package ``chromium``) through Playwright against a live
server on loopback. Without Chromium the test fails, saying how to install it.
"""

from __future__ import annotations

import os
import re

import pytest

from crisiscell.inventory import models as m

from .conftest import DOC, import_doc

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser


@pytest.fixture
def page(monkeypatch):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # around it are plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="fr-BE", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # A Content-Security-Policy violation is reported on the console, not as an error.
        page.on(
            "console",
            lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None,
        )
        yield page
        browser.close()
        assert not errors, f"JavaScript errors or CSP violations: {errors}"


def test_isolating_a_zone_updates_the_board_without_reload(
    transactional_db, live_server, cast, page
):
    import_doc(DOC)
    dc_srv = m.Zone.objects.get(code="DC-SRV")

    page.goto(live_server.url + "/")
    assert "/login/" in page.url  # anonymous: sent to the login page
    page.fill("#id_username", "director")
    page.fill("#id_password", cast.password)
    page.click("button[type=submit].primary")
    page.wait_for_url(live_server.url + "/")

    urg = page.locator('[data-service="ARL-URG"]')
    assert urg.get_attribute("data-status") == "normal"
    assert urg.locator(".badge").inner_text().strip() == "✓ Normal"
    assert "Services de soins" in page.inner_text("h1")

    # A mark on the window: a page reload would lose it.
    page.evaluate("window.__sameDocument = 'yes'")
    page.select_option("#quick-zone", str(dc_srv.pk))
    page.click(".quick-action button[name=isolated][value='1']")

    page.wait_for_selector('[data-service="ARL-URG"][data-status="down"]')
    assert page.evaluate("window.__sameDocument") == "yes"
    assert page.locator('[data-service="ARL-RAD"]').get_attribute("data-status") == "degraded"
    assert "Zone DC-SRV isolée" in page.inner_text("#notice")
    assert "À l’arrêt" in urg.locator(".badge").inner_text()
    assert m.Zone.objects.get(pk=dc_srv.pk).isolated

    # Reasons on demand, and they stay open when the board refreshes itself.
    urg.locator("details.why summary").click()
    reasons = urg.locator("details.why").inner_text()
    assert "EHR indisponible depuis ARL-WS" in reasons
    assert re.search(r"le flux ARL-WS → DC-SRV est coupé \(zone DC-SRV isolée\)", reasons)
    swapped = page.evaluate(
        """() => new Promise(resolve => {
            const done = e => resolve(e.detail.target.id);
            document.body.addEventListener("htmx:afterSwap", done, {once: true});
            htmx.trigger(document.body, "network-changed");
        })"""
    )
    assert swapped == "board"
    assert page.locator('[data-service="ARL-URG"] details.why').get_attribute("open") is not None
    assert page.evaluate("window.__sameDocument") == "yes"


def test_host_state_changes_in_place_and_errors_show_in_the_notice(
    transactional_db, live_server, cast, page
):
    import_doc(DOC)
    pacs = m.Host.objects.get(code="srv-pacs-01")
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", "director")
    page.fill("#id_password", cast.password)
    page.click("button[type=submit].primary")
    page.wait_for_url(live_server.url + "/")

    page.goto(live_server.url + "/hosts/?q=pacs")
    page.evaluate("window.__sameDocument = 'yes'")
    row = page.locator(f"#host-{pacs.pk}")
    row.locator("select[name=state]").select_option("compromised")
    row.locator("button[type=submit]").click()
    page.wait_for_selector(f"#host-{pacs.pk} .hs-compromised")
    assert "L’hôte srv-pacs-01 est maintenant compromis" in page.inner_text("#notice")
    assert "1 service de soins se dégrade" in page.inner_text("#notice")
    assert m.Host.objects.get(pk=pacs.pk).state == "compromised"

    # A state the server does not know: refused, said in the notice, nothing changed.
    page.evaluate(
        f"""() => {{
            const select = document.querySelector('#host-{pacs.pk} select[name=state]');
            select.add(new Option('melted', 'melted'));
            select.value = 'melted';
        }}"""
    )
    page.locator(f"#host-{pacs.pk} button[type=submit]").click()
    page.wait_for_selector("#notice .notice-error")
    assert "État d’hôte inconnu" in page.inner_text("#notice")
    assert m.Host.objects.get(pk=pacs.pk).state == "compromised"
    assert page.evaluate("window.__sameDocument") == "yes"
