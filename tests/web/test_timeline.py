"""The crisis page and the timeline (main courante) through Django's test client."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from crisiscell.crisis import actions
from crisiscell.crisis.log import active_crisis, verify_crisis
from crisiscell.crisis.models import Crisis, LogEntry, SiteMode

HTMX = {"HTTP_HX_REQUEST": "true"}


def crisis_now() -> Crisis:
    crisis = active_crisis()
    assert crisis is not None
    return crisis


def entry_count() -> int:
    return LogEntry.objects.count()


def seqs(html: str) -> list[int]:
    """The entries shown on a timeline page, in page order."""
    return [int(s) for s in re.findall(r'<tr id="entry-(\d+)"', html)]


def assert_chain_ok() -> None:
    for crisis in Crisis.objects.all():
        crisis.refresh_from_db()
        result = verify_crisis(crisis)
        assert result.ok, result


@pytest.fixture
def crisis(cast, group_map) -> Crisis:
    return actions.open_crisis(cast.director, "Cyberattaque — nuit du 23 au 24 mai")


def get_pages() -> list[str]:
    return [
        reverse("crisis"),
        reverse("timeline"),
        reverse("timeline-entries"),
        reverse("timeline-form"),
    ]


def post_routes(pk: int) -> list[tuple[str, dict]]:
    return [
        (reverse("crisis-open"), {"title": "Une autre crise"}),
        (reverse("crisis-phase", args=[pk]), {"phase": "containment"}),
        (reverse("crisis-close", args=[pk]), {}),
        (reverse("crisis-site-mode", args=[pk]), {"site": "ARL", "mode": "plan_blanc"}),
        (reverse("timeline-write"), {"kind": "event", "text": "Appel du gouverneur"}),
    ]


# --- who may do what -------------------------------------------------------


def test_anonymous_is_sent_to_login_from_every_new_url(client, crisis):
    for url in get_pages():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    for url, data in post_routes(crisis.pk):
        response = client.post(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    assert entry_count() == 1


def test_observers_read_both_pages_without_controls(observer_client, crisis):
    html = observer_client.get(reverse("crisis")).content.decode()
    assert crisis.title in html
    assert 'name="phase"' not in html and 'name="mode"' not in html
    html = observer_client.get(reverse("timeline")).content.decode()
    assert "Crise ouverte : Cyberattaque" in html
    assert 'id="entry-form"' not in html
    assert "Corriger" not in html


@pytest.mark.parametrize("htmx", [False, True])
def test_observers_get_403_on_every_post(observer_client, crisis, htmx):
    extra = HTMX if htmx else {}
    for url, data in post_routes(crisis.pk):
        response = observer_client.post(url, data, **extra)
        assert response.status_code == 403, url
        assert "rôle" in response.content.decode(), url
    assert observer_client.get(reverse("timeline-form")).status_code == 403
    crisis.refresh_from_db()
    assert (crisis.phase, crisis.active, crisis.entry_count) == ("detection", True, 1)
    assert entry_count() == 1 and not SiteMode.objects.exists()
    assert Crisis.objects.count() == 1


def test_the_it_lead_writes_in_the_log_but_does_not_run_the_crisis(client, cast, crisis):
    client.force_login(cast.it_lead)
    url = reverse("timeline-write")
    response = client.post(url, {"kind": "action", "text": "Serveurs AD éteints"}, **HTMX)
    assert response.status_code == 200
    response = client.post(reverse("crisis-phase", args=[crisis.pk]), {"phase": "recovery"})
    assert response.status_code == 403
    html = client.get(reverse("crisis")).content.decode()
    assert 'name="phase"' not in html
    html = client.get(reverse("timeline")).content.decode()
    assert 'id="entry-form"' in html and "Serveurs AD éteints" in html


def test_change_routes_refuse_get(director_client, crisis):
    for url, _data in post_routes(crisis.pk):
        assert director_client.get(url).status_code == 405, url


# --- a night in the crisis cell ------------------------------------------


def test_a_director_runs_a_crisis_and_everything_lands_on_the_timeline(director_client):
    c = director_client
    html = c.get(reverse("crisis")).content.decode()
    assert "Aucune crise en cours" in html and 'name="title"' in html

    response = c.post(reverse("crisis-open"), {"title": "Cyberattaque décelée vers 3h30"}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "log-changed"
    html = response.content.decode()
    assert "Cyberattaque décelée vers 3h30" in html and 'hx-swap-oob="true"' in html
    crisis = crisis_now()

    response = c.post(reverse("crisis-phase", args=[crisis.pk]), {"phase": "containment"}, **HTMX)
    assert response.status_code == 200 and "Confinement" in response.content.decode()
    response = c.post(
        reverse("crisis-site-mode", args=[crisis.pk]), {"site": "ARL", "mode": "plan_blanc"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("crisis")
    html = c.get(reverse("crisis")).content.decode()
    assert "Hôpital d&#x27;Arlon : Plan blanc déclenché." in html  # the notice, once
    assert 'class="mode mode-plan_blanc"' in html
    assert re.search(r'class="step step-current"[^>]*aria-current="step"', html)

    write = reverse("timeline-write")
    response = c.post(
        write,
        {"kind": "event", "text": "Coupure de toutes les communications internet", "site": "ARL"},
        **HTMX,
    )
    assert response.status_code == 200 and response["HX-Trigger"] == "log-changed"
    assert "Entrée n°4 écrite dans la main courante." in response.content.decode()
    wrong = LogEntry.objects.get(crisis=crisis, seq=4)
    assert wrong.links == ["site:ARL"] and wrong.author == "director"
    assert wrong.role == "crisis_director"

    response = c.post(write, {"kind": "message_in", "text": "Appel du gouverneur"})
    assert response.status_code == 302 and response["Location"] == reverse("timeline")
    response = c.post(
        write,
        {
            "kind": "event",
            "text": "Coupure décidée à 3h45, pas à 3h30",
            "corrects": wrong.hash,
            "site": "ARL",
        },
        **HTMX,
    )
    assert response.status_code == 200
    correction = LogEntry.objects.get(crisis=crisis, seq=6)
    assert correction.corrects == wrong.hash

    html = c.get(reverse("timeline")).content.decode()
    assert seqs(html) == [6, 5, 4, 3, 2, 1]  # newest first
    assert "Appel du gouverneur" in html and "Coupure de toutes les communications" in html
    assert "Phase : Confinement" in html and "Plan blanc" in html
    row4 = row_html(html, 4)
    assert "is-corrected" in row4 and "Corrigée par" in row4 and 'href="#entry-6"' in row4
    row6 = row_html(html, 6)
    assert "Correction de" in row6 and 'href="#entry-4"' in row6
    assert "Hôpital d&#x27;Arlon" in row6  # the site link as a chip
    assert "directeur de crise" in row6
    assert "Journal intact : 6 entrées" in html
    assert_chain_ok()

    response = c.post(reverse("crisis-close", args=[crisis.pk]), **HTMX)
    assert response.status_code == 200 and "Aucune crise en cours" in response.content.decode()
    crisis.refresh_from_db()
    assert not crisis.active and crisis.phase == "closed"
    html = c.get(reverse("crisis")).content.decode()
    assert f'href="/timeline/?crisis={crisis.pk}"' in html  # listed among past crises
    html = c.get(reverse("timeline")).content.decode()
    assert "clôturée le" in html and 'id="entry-form"' not in html
    assert_chain_ok()


def row_html(html: str, seq: int) -> str:
    match = re.search(rf'<tr id="entry-{seq}".*?</tr>', html, re.S)
    assert match, f"entry {seq} not shown"
    return match.group(0)


def test_the_crisis_page_shows_phases_with_times_in_brussels(director_client, crisis):
    from crisiscell.crisis.models import PhaseChange

    # 01:30 UTC on a summer night is 03:30 in Brussels.
    PhaseChange.objects.filter(crisis=crisis).update(at=datetime(2022, 5, 24, 1, 30, tzinfo=UTC))
    Crisis.objects.filter(pk=crisis.pk).update(opened_at=datetime(2022, 5, 24, 1, 30, tzinfo=UTC))
    html = director_client.get(reverse("crisis")).content.decode()
    assert "Ouverte le 24/05/2022 à 03:30" in html
    assert "24/05 03:30" in html
    steps = re.findall(r'<li class="step step-(\w+)"', html)
    assert steps == ["current", "todo", "todo", "todo", "todo", "todo"]
    for label in ("Détection", "Confinement", "Investigation", "Éradication", "Rétablissement"):
        assert label in html
    actions.set_phase(None, crisis.pk, "investigation")
    html = director_client.get(reverse("crisis")).content.decode()
    steps = re.findall(r'<li class="step step-(\w+)"', html)
    assert steps == ["done", "done", "current", "todo", "todo", "todo"]


def test_log_times_are_shown_in_brussels(director_client, crisis):
    LogEntry.objects.filter(crisis=crisis)  # the opening entry's time is now: check its format
    html = director_client.get(reverse("timeline")).content.decode()
    stored = LogEntry.objects.get(crisis=crisis, seq=1).at
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    when = datetime.fromisoformat(stored.replace("Z", "+00:00"))
    local = timezone.localtime(when, ZoneInfo("Europe/Brussels"))
    assert local.strftime("%H:%M:%S") in html and local.strftime("%d/%m/%Y") in html


def test_the_english_timeline(director_client, crisis):
    director_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = director_client.get(reverse("timeline")).content.decode()
    assert "Crisis log" in html and "Write in the log" in html
    assert "Log intact: 1 entry" in html
    html = director_client.get(reverse("crisis")).content.decode()
    assert "Crisis under way" in html and "Detection" in html


def test_refusals_speak_the_users_language(observer_client, crisis):
    observer_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = observer_client.post(reverse("timeline-write"), {"kind": "event", "text": "x"})
    assert "Your role does not allow writing in the log." in response.content.decode()
    response = observer_client.post(reverse("crisis-phase", args=[crisis.pk]), {"phase": "closed"})
    assert "Your role does not allow running the crisis." in response.content.decode()


# --- the live list ---------------------------------------------------------


def test_the_timeline_polls_and_listens_for_changes(observer_client, crisis):
    html = observer_client.get(reverse("timeline")).content.decode()
    assert 'hx-get="/timeline/entries"' in html
    assert 'hx-trigger="every 5s, log-changed from:body"' in html
    assert 'hx-include="#timeline-seen"' in html


def test_the_partial_says_204_until_something_is_appended(observer_client, cast, crisis):
    url = reverse("timeline-entries")
    html = observer_client.get(url).content.decode()
    assert "<html" not in html and seqs(html) == [1]
    seen = re.search(r'name="seen" value="([^"]+)"', html).group(1)
    assert observer_client.get(url, {"seen": seen}).status_code == 204
    actions.write_entry(cast.director, kind="meeting", text="Réunion de crise de 8h")
    response = observer_client.get(url, {"seen": seen})
    assert response.status_code == 200
    html = response.content.decode()
    assert seqs(html) == [2, 1]
    assert "is-new" in row_html(html, 2) and "is-new" not in row_html(html, 1)


def test_the_timeline_pages_by_hundred(observer_client, cast, crisis):
    for i in range(120):
        actions.write_entry(cast.director, kind="event", text=f"entrée {i}")
    html = observer_client.get(reverse("timeline")).content.decode()
    assert seqs(html) == list(range(121, 21, -1))
    assert "121 entrées, 1–100 affichées" in html
    html = observer_client.get(reverse("timeline"), {"page": 2}).content.decode()
    assert seqs(html) == list(range(21, 0, -1))
    # The live list keeps polling the page it shows.
    assert 'hx-get="/timeline/entries?page=2"' in html


def test_a_correction_of_an_entry_on_another_page_links_to_its_page(director_client, cast, crisis):
    first = actions.write_entry(cast.director, kind="event", text="Heure erronée")
    for i in range(100):
        actions.write_entry(cast.director, kind="event", text=f"entrée {i}")
    actions.write_entry(cast.director, kind="event", text="Corrigé", corrects=first.hash)
    html = director_client.get(reverse("timeline")).content.decode()
    assert f'href="/timeline/?crisis={crisis.pk}&amp;page=2#entry-2"' in row_html(html, 103)


# --- filters -----------------------------------------------------------------


def test_filters_by_kind_site_author_and_text(observer_client, cast, crisis):
    actions.write_entry(cast.director, kind="decision", text="Plan blanc", links=["site:ARL"])
    actions.write_entry(cast.it_lead, kind="action", text="Isolement des serveurs Windows")
    actions.write_entry(cast.director, kind="message_in", text="Appel du gouverneur")
    actions.write_entry(cast.it_lead, kind="event", text="Datacenter", links=["site:DC"])
    url = reverse("timeline")

    def shown(**params):
        return seqs(observer_client.get(url, params).content.decode())

    assert shown() == [5, 4, 3, 2, 1]
    assert shown(kind="decision") == [2]
    assert shown(site="ARL") == [2]
    assert shown(site="DC") == [5]
    assert shown(author="it_lead") == [5, 3]
    assert shown(q="GOUVERNEUR") == [4]
    assert shown(author="director", kind="message_in") == [4]
    assert shown(kind="meeting") == []
    # Values the page does not know are dropped, not errors.
    assert shown(kind="gossip", site="NOWHERE") == [5, 4, 3, 2, 1]
    html = observer_client.get(url, {"kind": "decision"}).content.decode()
    assert "1 entrée correspond" in html and "Tout afficher" in html
    # The live list keeps the filters.
    assert 'hx-get="/timeline/entries?kind=decision"' in html
    partial = observer_client.get(reverse("timeline-entries"), {"site": "ARL"}).content.decode()
    assert seqs(partial) == [2]


def test_a_past_crisis_is_read_by_its_id(observer_client, cast, crisis):
    actions.close_crisis(cast.director, crisis.pk)
    actions.open_crisis(cast.director, "Exercice")
    html = observer_client.get(reverse("timeline")).content.decode()
    assert "Exercice" in html
    html = observer_client.get(reverse("timeline"), {"crisis": crisis.pk}).content.decode()
    assert "Cyberattaque — nuit du 23 au 24 mai" in html and seqs(html) == [2, 1]
    assert observer_client.get(reverse("timeline"), {"crisis": "abc"}).status_code == 404
    assert observer_client.get(reverse("timeline"), {"crisis": 999999}).status_code == 404
    assert observer_client.get(reverse("timeline-entries"), {"crisis": "x"}).status_code == 404


def test_no_crisis_yet(observer_client):
    html = observer_client.get(reverse("timeline")).content.decode()
    assert "Aucune crise n’a encore été ouverte" in html
    html = observer_client.get(reverse("crisis")).content.decode()
    assert "Aucune crise en cours" in html and 'name="title"' not in html


# --- the form ----------------------------------------------------------------


def test_the_form_opens_preset_to_correct_an_entry(director_client, cast, crisis):
    e = actions.write_entry(cast.director, kind="decision", text="Plan blanc", links=["site:ARL"])
    response = director_client.get(reverse("timeline-form"), {"correct": e.hash}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert f'name="corrects" value="{e.hash}"' in html
    assert '<option value="decision" selected>' in html
    assert '<option value="ARL" selected>' in html
    assert "Correction de l’entrée n°2" in html and "autofocus" in html
    # Without JavaScript, the same link opens the whole page with the form preset.
    html = director_client.get(reverse("timeline"), {"correct": e.hash}).content.decode()
    assert f'name="corrects" value="{e.hash}"' in html
    missing = director_client.get(reverse("timeline-form"), {"correct": "0" * 64}, **HTMX)
    assert missing.status_code == 404 and missing["HX-Retarget"] == "#notice"


def test_each_entry_has_a_correct_action_for_writers(director_client, crisis):
    html = director_client.get(reverse("timeline")).content.decode()
    head = LogEntry.objects.get(crisis=crisis, seq=1).hash
    assert f'hx-get="/timeline/form?correct={head}"' in html
    assert 'hx-target="#entry-form"' in html


# --- bad input -----------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_bad_input_is_a_400_with_a_message_and_nothing_is_written(director_client, crisis, htmx):
    extra = HTMX if htmx else {}
    write = reverse("timeline-write")
    pk = crisis.pk
    cases = [
        (write, {"kind": "gossip", "text": "x"}, 400, "Type d’entrée inconnu"),
        (write, {"text": "x"}, 400, "Type d’entrée inconnu"),
        (write, {"kind": "event", "text": "   "}, 400, "Une entrée a besoin d’un texte"),
        (write, {"kind": "event", "text": "x", "site": "NOWHERE"}, 400, "NOWHERE"),
        (write, {"kind": "event", "text": "x", "corrects": "f" * 64}, 400, "ffffffff"),
        (write, {"kind": "event", "text": "x" * 10_001}, 400, "10000"),
        (write, {"kind": "event", "text": "bip\x07"}, 400, "U+0007"),
        (write, {"kind": "event", "text": "x", "crisis": pk + 1}, 400, "clôturée"),
        (reverse("crisis-phase", args=[pk]), {"phase": "panic"}, 400, "Phase inconnue"),
        (reverse("crisis-phase", args=[pk]), {}, 400, "Phase inconnue"),
        (reverse("crisis-phase", args=[999999]), {"phase": "recovery"}, 404, "999999"),
        (reverse("crisis-close", args=[999999]), {}, 404, "999999"),
        (
            reverse("crisis-site-mode", args=[pk]),
            {"site": "NOWHERE", "mode": "degraded"},
            400,
            "NOWHERE",
        ),
        (reverse("crisis-site-mode", args=[pk]), {"site": "ARL", "mode": "chaos"}, 400, "chaos"),
        (
            reverse("crisis-site-mode", args=[10**20]),
            {"site": "ARL", "mode": "degraded"},
            404,
            "id",
        ),
        (reverse("crisis-open"), {"title": "Deux crises"}, 400, "toujours en cours"),
    ]
    for url, data, status, text in cases:
        response = director_client.post(url, data, **extra)
        assert response.status_code == status, (url, data, response.status_code)
        body = response.content.decode()
        assert text in body, (url, data, body[:2000])
        if htmx:
            assert response["HX-Retarget"] == "#notice"
            assert "HX-Trigger" not in response
    crisis.refresh_from_db()
    assert (crisis.entry_count, crisis.phase) == (1, "detection")
    assert entry_count() == 1 and not SiteMode.objects.exists() and Crisis.objects.count() == 1
    assert director_client.post("/crisis/abc/phase", {"phase": "recovery"}).status_code == 404


def test_a_refused_plain_post_keeps_what_was_typed(director_client, crisis):
    response = director_client.post(
        reverse("timeline-write"), {"kind": "decision", "text": "Plan blanc", "site": "MARS"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "notice-error" in html and "MARS" in html
    assert ">Plan blanc</textarea>" in html and '<option value="decision" selected>' in html


def test_opening_needs_a_title_and_writing_needs_a_crisis(director_client):
    response = director_client.post(reverse("crisis-open"), {"title": "  "}, **HTMX)
    assert response.status_code == 400 and "titre" in response.content.decode()
    response = director_client.post(reverse("timeline-write"), {"kind": "event", "text": "x"})
    assert response.status_code == 400 and "Aucune crise" in response.content.decode()
    assert director_client.get(reverse("timeline-form")).status_code == 400
    assert not Crisis.objects.exists() and entry_count() == 0


def test_a_closed_crisis_takes_no_more_changes(director_client, cast, crisis):
    actions.close_crisis(cast.director, crisis.pk)
    for url, data in post_routes(crisis.pk)[1:4]:
        response = director_client.post(url, data, **HTMX)
        assert response.status_code == 400, url
        assert "clôturée" in response.content.decode(), url


def test_csrf_is_enforced(cast, crisis):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cast.director)
    response = strict.post(reverse("timeline-write"), {"kind": "event", "text": "x"})
    assert response.status_code == 403
    assert entry_count() == 1


# --- the chain -----------------------------------------------------------------


def test_a_tampered_log_shows_a_red_alert_naming_the_first_fault(observer_client, cast, crisis):
    for i in range(4):
        actions.write_entry(cast.director, kind="event", text=f"entrée {i}")
    LogEntry.objects.filter(crisis=crisis, seq=3).update(text="rien à signaler")
    for url in (reverse("crisis"), reverse("timeline")):
        html = observer_client.get(url).content.decode()
        assert 'class="chain-status chain-broken" role="alert"' in html, url
        assert "l’entrée n°3 a été modifiée après son écriture" in html, url
        assert "Journal intact" not in html
    html = observer_client.get(reverse("timeline")).content.decode()
    assert "is-faulty" in row_html(html, 3) and "ne se vérifie pas" in row_html(html, 3)
    assert "is-faulty" not in row_html(html, 4)


# --- markup ----------------------------------------------------------------------


def test_new_pages_carry_no_inline_script_or_style(director_client, cast, crisis):
    actions.set_site_mode(cast.director, crisis.pk, "ARL", "plan_blanc")
    e = actions.write_entry(cast.director, kind="event", text="<script>alert(1)</script>")
    actions.write_entry(cast.director, kind="event", text="corrigé", corrects=e.hash)
    pages = [*get_pages(), reverse("timeline") + f"?correct={e.hash}"]
    for url in pages:
        html = director_client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert "style=" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url
        assert "<style" not in html, url
        assert "http://" not in html and "https://" not in html, url
    actions.close_crisis(cast.director, crisis.pk)
    html = director_client.get(reverse("crisis")).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "style=" not in html and not re.search(r"\son[a-z]+=", html)


def test_the_nav_has_crisis_and_timeline(observer_client):
    html = observer_client.get(reverse("board")).content.decode()
    assert f'href="{reverse("crisis")}"' in html and ">Crise<" in html
    assert f'href="{reverse("timeline")}"' in html and ">Main courante<" in html
    html = observer_client.get(reverse("timeline")).content.decode()
    assert f'href="{reverse("timeline")}" aria-current="page"' in html
