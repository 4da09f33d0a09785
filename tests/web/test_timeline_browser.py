"""The crisis log in a real browser: open a crisis, write an entry, see it arrive in place.

Same setup as `test_browser`: the system Chromium through Playwright, a live server on
loopback.
"""

from __future__ import annotations

import pytest

from crisiscell.crisis.log import active_crisis, verify_crisis
from crisiscell.crisis.models import LogEntry

from .conftest import DOC, import_doc
from .test_browser import page  # noqa: F401 (the fixture)

pytestmark = pytest.mark.browser


def log_in(page, live_server, cast) -> None:  # noqa: F811
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", "director")
    page.fill("#id_password", cast.password)
    page.click("button[type=submit].primary")
    page.wait_for_url(live_server.url + "/")


def test_an_entry_appears_on_the_timeline_without_reload(
    transactional_db,
    live_server,
    cast,
    page,  # noqa: F811
):
    import_doc(DOC)
    log_in(page, live_server, cast)

    page.click("nav.nav a[href='/crisis/']")
    page.wait_for_url(live_server.url + "/crisis/")
    assert "Aucune crise en cours" in page.inner_text("h1")
    page.evaluate("window.__sameDocument = 'yes'")
    page.fill("#crisis-title", "Cyberattaque décelée vers 3h30")
    page.click(".open-crisis button[type=submit]")
    page.wait_for_selector(".step-current")
    assert page.evaluate("window.__sameDocument") == "yes"
    assert "Cyberattaque décelée vers 3h30" in page.inner_text("h1")
    assert "Crise « Cyberattaque décelée vers 3h30 » ouverte" in page.inner_text("#notice")
    assert "Journal intact : 1 entrée" in page.inner_text(".chain-status")

    # A site in plan blanc, through its row's form, in place.
    page.select_option("#site-mode-ARL select[name=mode]", "plan_blanc")
    page.click("#site-mode-ARL button[type=submit]")
    page.wait_for_selector("#site-mode-ARL .mode-plan_blanc")
    assert page.evaluate("window.__sameDocument") == "yes"

    page.click("nav.nav a[href='/timeline/']")
    page.wait_for_url(live_server.url + "/timeline/")
    page.wait_for_selector("#entry-2")
    page.evaluate("window.__sameDocument = 'yes'")
    page.select_option("#entry-form select[name=kind]", "message_in")
    page.select_option("#entry-form select[name=site]", "ARL")
    page.fill("#entry-text", "Appel du gouverneur : soutien de la province")
    page.click("#entry-form button[type=submit]")

    page.wait_for_selector("#entry-3")
    row = page.locator("#entry-3")
    assert "Appel du gouverneur" in row.inner_text()
    assert "Message reçu" in row.locator(".kind").inner_text()
    assert "Hôpital d'Arlon" in row.locator(".chip").inner_text()
    assert page.evaluate("window.__sameDocument") == "yes"
    assert "Entrée n°3 écrite" in page.inner_text("#notice")
    # The form is cleared for the next entry, kind and site kept.
    assert page.input_value("#entry-text") == ""
    assert page.input_value("#entry-form select[name=kind]") == "message_in"
    # The newest entry is on top.
    assert page.locator("table.log tbody tr").first.get_attribute("id") == "entry-3"

    # An entry written elsewhere (another member of the cell) arrives by polling.
    from crisiscell.crisis import actions

    actions.write_entry(cast.it_lead, kind="action", text="Serveurs Windows isolés")
    page.wait_for_selector("#entry-4", timeout=12_000)
    assert "it_lead" in page.inner_text("#entry-4")

    # Correct entry 3 from its row: the form comes preset, the correction links back.
    page.click("#entry-3 .row-actions a")
    page.wait_for_selector("#entry-form.is-correcting")
    page.fill("#entry-text", "Appel du gouverneur à 4h10, pas 4h00")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#entry-5 .correction-of")
    page.wait_for_selector("#entry-3 .corrected-by")
    assert page.evaluate("window.__sameDocument") == "yes"
    assert not page.locator("#entry-form.is-correcting").count()

    crisis = active_crisis()
    assert LogEntry.objects.get(crisis=crisis, seq=5).corrects == (
        LogEntry.objects.get(crisis=crisis, seq=3).hash
    )
    assert verify_crisis(crisis).ok
