"""The task board, decisions, objectives and the briefing PDF through Django's test client."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crisiscell.crisis import actions, tasks
from crisiscell.crisis.log import verify_crisis
from crisiscell.crisis.models import Crisis, Decision, LogEntry, Objective, Task
from crisiscell.inventory import actions as inventory_actions
from crisiscell.inventory.models import Host
from crisiscell.web.views_tasks import parse_due

HTMX = {"HTTP_HX_REQUEST": "true"}
PDFTOTEXT = "/usr/bin/pdftotext"


@pytest.fixture
def crisis(cast, group_map) -> Crisis:
    return actions.open_crisis(cast.director, "Cyberattaque — nuit du 23 au 24 mai")


@pytest.fixture
def task(cast, crisis) -> Task:
    return tasks.create_task(
        cast.director, crisis.pk, title="Appeler l'ARS", role="crisis_director", site="ARL"
    )


def entries() -> int:
    return LogEntry.objects.count()


def assert_chain_ok() -> None:
    for crisis in Crisis.objects.all():
        crisis.refresh_from_db()
        assert verify_crisis(crisis).ok


def card_ids(html: str, status: str) -> list[int]:
    """The tasks shown in one column of the board."""
    column = html.split(f'id="col-{status}"', 1)[1].split("</section>", 1)[0]
    return [int(n) for n in re.findall(r'<article id="task-(\d+)"', column)]


def post_routes(task: Task, objective: Objective) -> list[tuple[str, dict]]:
    return [
        (reverse("task-create"), {"title": "Imprimer les listes", "role": "care_manager"}),
        (reverse("task-status", args=[task.pk]), {"status": "done", "from": "todo"}),
        (reverse("task-assign", args=[task.pk]), {"role": "it_lead", "person": "", "due": ""}),
        (reverse("objective-add"), {"text": "Garder les urgences"}),
        (reverse("objective-retire", args=[objective.pk]), {}),
        (reverse("decision-record"), {"title": "Couper internet", "rationale": "Propagation"}),
    ]


def get_pages() -> list[str]:
    return [reverse("tasks"), reverse("decisions"), reverse("briefing-pdf")]


# --- who may do what -------------------------------------------------------


def test_anonymous_is_sent_to_login(client, cast, task):
    objective = tasks.add_objective(cast.director, task.crisis_id, "Garder les urgences")
    before = entries()
    for url in get_pages():
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    for url, data in post_routes(task, objective):
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert entries() == before


@pytest.mark.parametrize("htmx", [False, True])
def test_observers_read_everything_and_get_403_on_every_post(observer_client, cast, task, htmx):
    objective = tasks.add_objective(cast.director, task.crisis_id, "Garder les urgences")
    html = observer_client.get(reverse("tasks")).content.decode()
    assert "Appeler l&#x27;ARS" in html and "Garder les urgences" in html
    assert 'id="task-form"' not in html and 'name="status"' not in html
    assert 'class="objective-form"' not in html
    html = observer_client.get(reverse("decisions")).content.decode()
    assert 'id="decision-form"' not in html
    assert observer_client.get(reverse("briefing-pdf")).status_code == 200
    before = entries()
    extra = HTMX if htmx else {}
    for url, data in post_routes(task, objective):
        response = observer_client.post(url, data, **extra)
        assert response.status_code == 403, url
    task.refresh_from_db()
    objective.refresh_from_db()
    assert task.status == "todo" and task.role == "crisis_director" and objective.active
    assert entries() == before and Task.objects.count() == 1 and not Decision.objects.exists()


def test_the_it_lead_manages_tasks_but_records_no_decision(client, cast, task):
    client.force_login(cast.it_lead)
    response = client.post(
        reverse("task-status", args=[task.pk]), {"status": "in_progress", "from": "todo"}, **HTMX
    )
    assert response.status_code == 200
    response = client.post(
        reverse("decision-record"), {"title": "Couper internet", "rationale": "Propagation"}
    )
    assert response.status_code == 403 and not Decision.objects.exists()
    assert 'id="decision-form"' not in client.get(reverse("decisions")).content.decode()


def test_change_routes_refuse_get(director_client, cast, task):
    objective = tasks.add_objective(cast.director, task.crisis_id, "Garder les urgences")
    for url, _data in post_routes(task, objective):
        assert director_client.get(url).status_code == 405, url


# --- the board -------------------------------------------------------------


def test_the_board_without_any_crisis(director_client):
    response = director_client.get(reverse("tasks"))
    assert response.status_code == 200
    assert 'id="task-form"' not in response.content.decode()
    assert director_client.get(reverse("decisions")).status_code == 200
    assert director_client.get(reverse("briefing-pdf")).status_code == 404
    assert director_client.get(reverse("tasks") + "?crisis=abc").status_code == 404
    assert director_client.get(reverse("tasks") + "?crisis=999").status_code == 404


def test_a_director_creates_a_task_with_htmx(director_client, crisis):
    response = director_client.post(
        reverse("task-create"),
        {
            "crisis": crisis.pk,
            "title": "Imprimer les listes de patients",
            "role": "care_manager",
            "person": "it_lead",
            "site": "ARL",
            "due": "2026-05-24T08:00",
            "details": "Trois exemplaires par unité",
            "next": reverse("tasks"),
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "log-changed"
    html = response.content.decode()
    task = Task.objects.get()
    assert card_ids(html, "todo") == [task.pk]
    assert 'hx-swap-oob="true"' in html  # the notice
    assert 'id="task-form"' in html and 'value="Imprimer' not in html  # a fresh form
    assert (task.role, task.assignee.username, task.site.code) == ("care_manager", "it_lead", "ARL")
    # Typed in the group's time zone (Brussels, summer time), stored in UTC.
    assert task.due_at.isoformat() == "2026-05-24T06:00:00+00:00"
    assert task.details == "Trois exemplaires par unité"
    assert entries() == 2
    assert_chain_ok()


def test_a_plain_post_is_redirected_back_with_its_filters(director_client, crisis):
    back = reverse("tasks") + "?role=care_manager"
    response = director_client.post(
        reverse("task-create"), {"title": "Recenser les lits", "role": "care_manager", "next": back}
    )
    assert response.status_code == 302 and response["Location"] == back
    html = director_client.get(back).content.decode()
    assert "Recenser les lits" in html and 'class="notice notice-ok"' in html


@pytest.mark.parametrize(
    "data",
    [
        {"title": "", "role": "care_manager"},
        {"title": "Sans responsable"},
        {"title": "Rôle inconnu", "role": "janitor"},
        {"title": "Personne inconnue", "person": "ghost"},
        {"title": "Site inconnu", "role": "it_lead", "site": "NOPE"},
        {"title": "Date illisible", "role": "it_lead", "due": "demain matin"},
        {"title": "Date illisible", "role": "it_lead", "due": "2026-13-45T25:61"},
        {"title": "Date lointaine", "role": "it_lead", "due": "0001-01-01T00:00"},
        {"title": "Octet nul\x00", "role": "it_lead"},
    ],
)
def test_bad_input_is_refused_clearly_and_nothing_is_written(director_client, crisis, data):
    response = director_client.post(reverse("task-create"), data, **HTMX)
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#notice"
    assert "notice-error" in response.content.decode()
    # Without htmx: the page again, status 400, the message on top and what was typed kept.
    response = director_client.post(reverse("task-create"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "notice-error" in html and 'id="task-form"' in html
    if data["title"]:
        assert f'value="{data["title"]}"' in html.replace("&#x27;", "'")
    assert not Task.objects.exists() and entries() == 1


def test_a_form_opened_for_a_closed_crisis_writes_nothing(director_client, cast, crisis):
    actions.close_crisis(cast.director, crisis.pk)
    actions.open_crisis(cast.director, "Une autre crise")
    response = director_client.post(
        reverse("task-create"), {"crisis": crisis.pk, "title": "x", "role": "it_lead"}, **HTMX
    )
    assert response.status_code == 400 and not Task.objects.exists()


def test_status_buttons_move_the_card_with_htmx(director_client, task):
    url = reverse("task-status", args=[task.pk])
    response = director_client.post(
        url, {"status": "in_progress", "from": "todo", "next": reverse("tasks")}, **HTMX
    )
    assert response.status_code == 200 and response["HX-Trigger"] == "log-changed"
    html = response.content.decode()
    assert card_ids(html, "in_progress") == [task.pk] and card_ids(html, "todo") == []
    assert 'id="task-form"' not in html  # only the board comes back
    # The same click again, from a page that still shows "to do": refused, not overwritten.
    response = director_client.post(url, {"status": "done", "from": "todo"}, **HTMX)
    assert response.status_code == 400 and "Appeler l&#x27;ARS" in response.content.decode()
    task.refresh_from_db()
    assert task.status == "in_progress"
    response = director_client.post(url, {"status": "done", "from": "todo"})
    assert response.status_code == 400 and "notice-error" in response.content.decode()
    response = director_client.post(url, {"status": "done", "from": "in_progress"})
    assert response.status_code == 302 and response["Location"] == reverse("tasks")
    task.refresh_from_db()
    assert task.status == "done" and task.done_at is not None
    assert entries() == 4
    assert_chain_ok()


def test_unknown_tasks_and_statuses(director_client, task):
    response = director_client.post(reverse("task-status", args=[999]), {"status": "done"})
    assert response.status_code == 404
    response = director_client.post(reverse("task-status", args=[999]), {"status": "done"}, **HTMX)
    assert response.status_code == 404 and response["HX-Retarget"] == "#notice"
    response = director_client.post(reverse("task-assign", args=[999]), {"role": "it_lead"})
    assert response.status_code == 404
    response = director_client.post(reverse("objective-retire", args=[999]), {}, **HTMX)
    assert response.status_code == 404
    url = reverse("task-status", args=[task.pk])
    for data in ({"status": "finished"}, {}, {"status": "done", "from": "nowhere"}):
        assert director_client.post(url, data, **HTMX).status_code == 400
    task.refresh_from_db()
    assert task.status == "todo" and entries() == 2


def test_the_board_answers_with_the_filters_of_the_page(director_client, cast, task):
    other = tasks.create_task(cast.director, task.crisis_id, title="Isoler les DC", role="it_lead")
    response = director_client.post(
        reverse("task-status", args=[other.pk]),
        {"status": "in_progress", "from": "todo", "next": reverse("tasks") + "?role=it_lead"},
        **HTMX,
    )
    html = response.content.decode()
    assert card_ids(html, "in_progress") == [other.pk] and card_ids(html, "todo") == []


def test_overdue_tasks_are_marked_in_colour_symbol_and_word(director_client, cast, crisis):
    now = timezone.now()
    late = tasks.create_task(
        cast.director, crisis.pk, title="En retard", role="it_lead", due_at=now - timedelta(hours=1)
    )
    soon = tasks.create_task(
        cast.director, crisis.pk, title="À venir", role="it_lead", due_at=now + timedelta(hours=1)
    )
    undated = tasks.create_task(cast.director, crisis.pk, title="Sans date", role="it_lead")
    html = director_client.get(reverse("tasks")).content.decode()
    assert card_ids(html, "todo") == [late.pk, soon.pk, undated.pk]  # overdue first
    card = html.split(f'id="task-{late.pk}"', 1)[1].split("</article>", 1)[0]
    assert 'is-overdue"' in card  # the colour (a red frame)
    assert 'class="overdue-flag"' in card and "⚠" in card
    other = html.split(f'id="task-{soon.pk}"', 1)[1].split("</article>", 1)[0]
    assert "overdue-flag" not in other
    html = director_client.get(reverse("tasks") + "?overdue=1").content.decode()
    assert card_ids(html, "todo") == [late.pk]
    tasks.set_task_status(cast.director, late.pk, "done")
    html = director_client.get(reverse("tasks")).content.decode()
    assert "overdue-flag" not in html


def test_filters_by_role_person_and_site(director_client, cast, crisis):
    a = tasks.create_task(cast.director, crisis.pk, title="A", role="it_lead", site="ARL")
    b = tasks.create_task(cast.director, crisis.pk, title="B", assignee="it_lead")
    c = tasks.create_task(cast.director, crisis.pk, title="C", role="communication", site="DC")
    url = reverse("tasks")
    assert card_ids(director_client.get(url).content.decode(), "todo") == [a.pk, b.pk, c.pk]
    for query, expected in [
        ("role=it_lead", [a.pk]),
        ("person=it_lead", [b.pk]),
        ("site=DC", [c.pk]),
        ("role=communication&site=ARL", []),
        ("role=janitor&site=NOPE", [a.pk, b.pk, c.pk]),  # unknown values are dropped
    ]:
        html = director_client.get(f"{url}?{query}").content.decode()
        assert card_ids(html, "todo") == expected, query


def test_reassign_and_move_the_due_time(director_client, task):
    url = reverse("task-assign", args=[task.pk])
    response = director_client.post(
        url, {"role": "it_lead", "person": "it_lead", "due": "24/05/2026 08:00"}, **HTMX
    )
    assert response.status_code == 200 and response["HX-Trigger"] == "log-changed"
    task.refresh_from_db()
    assert (task.role, task.assignee.username) == ("it_lead", "it_lead")
    assert task.due_at.isoformat() == "2026-05-24T06:00:00+00:00"
    assert entries() == 4  # created, reassigned, due time
    # All or nothing: a bad due time leaves the owner as it was.
    response = director_client.post(url, {"role": "scheduler", "due": "later"}, **HTMX)
    assert response.status_code == 400
    task.refresh_from_db()
    assert task.role == "it_lead" and entries() == 4
    # No owner at all is refused too.
    response = director_client.post(url, {"role": "", "person": "", "due": ""}, **HTMX)
    assert response.status_code == 400 and entries() == 4


def test_parse_due_reads_what_people_type():
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Brussels")
    now = datetime(2026, 5, 24, 1, 30, tzinfo=ZoneInfo("UTC"))  # 03:30 in Brussels
    assert parse_due("", tz) is None
    assert parse_due("2026-05-24T08:00", tz).isoformat() == "2026-05-24T08:00:00+02:00"
    assert parse_due("24/05/2026 08:00", tz).isoformat() == "2026-05-24T08:00:00+02:00"
    assert parse_due("08:00", tz, now).isoformat() == "2026-05-24T08:00:00+02:00"
    assert parse_due("8h", tz, now).isoformat() == "2026-05-24T08:00:00+02:00"
    assert parse_due("03:00", tz, now).isoformat() == "2026-05-25T03:00:00+02:00"  # tomorrow


# --- objectives and decisions -----------------------------------------------


def test_objectives_are_added_and_withdrawn_with_htmx(director_client, crisis):
    response = director_client.post(
        reverse("objective-add"), {"crisis": crisis.pk, "text": "Garder les urgences"}, **HTMX
    )
    assert response.status_code == 200 and response["HX-Trigger"] == "log-changed"
    objective = Objective.objects.get()
    html = response.content.decode()
    assert "Garder les urgences" in html and 'id="objectives-title"' in html
    response = director_client.post(reverse("objective-add"), {"text": "  "}, **HTMX)
    assert response.status_code == 400
    response = director_client.post(reverse("objective-retire", args=[objective.pk]), {}, **HTMX)
    assert response.status_code == 200 and "Garder les urgences</span>" not in (
        response.content.decode()
    )
    objective.refresh_from_db()
    assert not objective.active
    response = director_client.post(reverse("objective-retire", args=[objective.pk]), {}, **HTMX)
    assert response.status_code == 400
    assert entries() == 3


def test_a_director_records_a_decision(director_client, crisis):
    url = reverse("decision-record")
    data = {"crisis": crisis.pk, "title": "Plan blanc à Arlon", "rationale": "", "site": "ARL"}
    response = director_client.post(url, data, **HTMX)
    assert response.status_code == 400 and not Decision.objects.exists()
    response = director_client.post(url, data)
    assert response.status_code == 400
    assert 'value="Plan blanc à Arlon"' in response.content.decode()  # kept for a retry
    data["rationale"] = "Dossier patient indisponible, laboratoire à l'arrêt."
    response = director_client.post(url, data, **HTMX)
    assert response.status_code == 200 and response["HX-Trigger"] == "log-changed"
    decision = Decision.objects.get()
    html = response.content.decode()
    assert f'id="decision-{decision.pk}"' in html and "laboratoire à l&#x27;arrêt" in html
    assert f"#entry-{decision.entry.seq}" in html  # a link to its log entry
    html = director_client.get(reverse("timeline")).content.decode()
    assert "Plan blanc à Arlon" in html
    assert_chain_ok()


def test_a_closed_crisis_is_read_only(director_client, cast, crisis, task):
    actions.close_crisis(cast.director, crisis.pk)
    html = director_client.get(reverse("tasks")).content.decode()
    assert "Appeler l&#x27;ARS" in html  # the latest crisis is shown, read only
    assert 'id="task-form"' not in html and 'name="status"' not in html
    response = director_client.post(
        reverse("task-status", args=[task.pk]), {"status": "done"}, **HTMX
    )
    assert response.status_code == 400
    response = director_client.post(reverse("task-create"), {"title": "x", "role": "it_lead"})
    assert response.status_code == 400
    task.refresh_from_db()
    assert task.status == "todo"


# --- the briefing -----------------------------------------------------------


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "briefing.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        [PDFTOTEXT, "-layout", str(path), "-"], capture_output=True, check=True, text=True
    )
    return result.stdout


@pytest.fixture
def night(cast, crisis) -> Crisis:
    """A crisis meeting's worth of material: a site in plan blanc, a vital service down."""
    director = cast.director
    actions.set_site_mode(director, crisis.pk, "ARL", "plan_blanc")
    inventory_actions.set_host_state(director, Host.objects.get(code="srv-ad-01").pk, "compromised")
    actions.write_entry(director, kind="event", text="Avant la réunion: à ne pas imprimer")
    actions.write_entry(director, kind="meeting", text="Point de situation de 04h30")
    actions.write_entry(director, kind="event", text="Le serveur de sauvegarde est intact")
    now = timezone.now()
    tasks.add_objective(director, crisis.pk, "Garder les urgences ouvertes en mode papier")
    tasks.create_task(
        director,
        crisis.pk,
        title="Appeler l'ARS et le CERT Santé",
        role="crisis_director",
        due_at=now - timedelta(hours=1),
    )
    started = tasks.create_task(
        director, crisis.pk, title="Isoler les contrôleurs de domaine", assignee="it_lead"
    )
    tasks.set_task_status(director, started.pk, "in_progress")
    finished = tasks.create_task(director, crisis.pk, title="Couper les VPN", role="it_lead")
    tasks.set_task_status(director, finished.pk, "done")
    tasks.record_decision(
        director,
        crisis.pk,
        "Coupure des communications internet",
        "Le chiffrement progresse depuis 03h10.",
    )
    return crisis


def test_the_briefing_pdf_holds_the_situation(director_client, night, tmp_path):
    response = director_client.get(reverse("briefing-pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith(f'inline; filename="briefing-{night.pk}-')
    assert "object-src 'self'" in response["Content-Security-Policy"]
    text = " ".join(pdf_text(response.content, tmp_path).split())
    for expected in [
        "Cyberattaque — nuit du 23 au 24 mai",
        "Hôpital d'Arlon",  # a site with something to report
        "Centre de données",  # a quiet site, on the summary line
        "Urgences",  # the vital service down (the EHR needs the AD)
        "Garder les urgences ouvertes en mode papier",
        "Appeler l'ARS et le CERT Santé",
        "Isoler les contrôleurs de domaine",
        "Couper les VPN",  # done since the meeting
        "Coupure des communications internet",
        "Le chiffrement progresse depuis 03h10.",
        "Le serveur de sauvegarde est intact",  # logged since the meeting
        "director",  # prepared by
    ]:
        assert expected in text, expected
    assert "à ne pas imprimer" not in text  # before the previous meeting
    assert "⚠" in text  # the overdue task is flagged


def test_the_briefing_follows_the_readers_language(director_client, night, tmp_path, settings):
    director_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = director_client.get(reverse("briefing-pdf"))
    text = " ".join(pdf_text(response.content, tmp_path).split())
    assert "Situation briefing" in text and "OVERDUE" in text
    assert "PLAN BLANC" in text and "ACTIVATED" in text  # the mode, in capitals


def test_the_briefing_of_a_crisis_without_anything_yet(director_client, crisis, tmp_path):
    response = director_client.get(reverse("briefing-pdf") + f"?crisis={crisis.pk}")
    assert response.status_code == 200
    text = pdf_text(response.content, tmp_path)
    assert "Cyberattaque" in text
