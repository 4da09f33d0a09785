"""The reopening pages through Django's test client: who may do what, stale forms, the care a
step restores, the board's line."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from crisiscell.crisis.models import LogEntry
from crisiscell.inventory import actions as network
from crisiscell.inventory.models import Flow, Host
from crisiscell.reopening import actions
from crisiscell.reopening.actions import StepInput
from crisiscell.reopening.models import Step

pytestmark = pytest.mark.django_db

A = "ARL-WS->DC-SRV"


def flow_a() -> Flow:
    return Flow.objects.get(source__code="ARL-WS", target__code="DC-SRV")


@pytest.fixture
def step(cast, night) -> Step:
    return actions.create_step(
        cast.it_lead,
        StepInput(
            title="Postes d'Arlon vers le DPI",
            flows=[A],
            ports="443",
            hosts=["srv-ehr-01"],
            checks=["Règle pare-feu relue"],
        ),
    )


def ready(cast, step: Step) -> None:
    network.set_host_state(cast.it_lead, Host.objects.get(code="srv-ehr-01").pk, "ok")
    for check in step.checks.all():
        actions.tick_check(cast.it_lead, check.pk, True)


def post_routes(step: Step) -> list[tuple[str, dict]]:
    check = step.checks.first()
    return [
        (reverse("reopening-new"), {"title": "x", "flows": A}),
        (reverse("reopening-edit", args=[step.pk]), {"title": "x", "flows": A, "revision": "1"}),
        (reverse("reopening-approve", args=[step.pk]), {"expected_status": "planned"}),
        (reverse("reopening-done", args=[step.pk]), {"expected_status": "approved"}),
        (reverse("reopening-rollback", args=[step.pk]), {"expected_status": "done"}),
        (reverse("reopening-delete", args=[step.pk]), {"expected_status": "planned"}),
        (reverse("reopening-check", args=[check.pk]), {"done": "1"}),
    ]


# --- who may do what -------------------------------------------------------


def test_anonymous_is_sent_to_login(client, step):
    before = LogEntry.objects.count()
    for url in [reverse("reopening"), reverse("reopening-new")]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    for url, data in post_routes(step):
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert LogEntry.objects.count() == before


def test_an_observer_reads_the_plan_and_gets_403_on_every_post(client, cast, step, english):
    client.force_login(cast.observer)
    page = client.get(reverse("reopening"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Postes d&#x27;Arlon vers le DPI" in html
    assert "<form" not in html.split('<main id="main">', 1)[1]  # no button to press
    assert client.get(reverse("reopening-new")).status_code == 403
    assert client.get(reverse("reopening-edit", args=[step.pk])).status_code == 403
    before = LogEntry.objects.count()
    for url, data in post_routes(step):
        assert client.post(url, data).status_code == 403, url
    assert LogEntry.objects.count() == before
    assert Step.objects.get().status == "planned"


def test_the_it_lead_may_not_approve(it_client, cast, step):
    ready(cast, step)
    response = it_client.post(
        reverse("reopening-approve", args=[step.pk]), {"expected_status": "planned"}
    )
    assert response.status_code == 403
    assert Step.objects.get().status == "planned"


def test_moves_refuse_get(director_client, step):
    for name in ("reopening-approve", "reopening-done", "reopening-rollback", "reopening-delete"):
        assert director_client.get(reverse(name, args=[step.pk])).status_code == 405


# --- the round trip through the pages ---------------------------------------


def test_a_step_through_the_pages(client, cast, night, english):
    client.force_login(cast.it_lead)
    response = client.post(
        reverse("reopening-new"),
        {
            "title": "Postes d'Arlon vers le DPI",
            "flows": "ARL-WS->DC-SRV",
            "ports": "443",
            "hosts": "srv-ehr-01",
            "checks": "Règle pare-feu relue\nAntivirus à jour",
        },
    )
    step = Step.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#step-{step.pk}")
    assert step.checks.count() == 2

    html = client.get(reverse("reopening")).content.decode()
    assert "3 not met" in html and "Prerequisites not met" in html

    network.set_host_state(cast.it_lead, Host.objects.get(code="srv-ehr-01").pk, "ok")
    for check in step.checks.all():
        response = client.post(reverse("reopening-check", args=[check.pk]), {"done": "1"})
        assert response.status_code == 302

    client.force_login(cast.director)
    html = client.get(reverse("reopening")).content.decode()
    assert "all met" in html and reverse("reopening-approve", args=[step.pk]) in html
    response = client.post(
        reverse("reopening-approve", args=[step.pk]), {"expected_status": "planned"}
    )
    assert response.status_code == 302

    client.force_login(cast.it_lead)
    response = client.post(
        reverse("reopening-done", args=[step.pk]), {"expected_status": "approved"}, follow=True
    )
    assert response.status_code == 200
    assert "2 care services recovered" in response.content.decode()
    assert not flow_a().blocked and flow_a().allowed_ports == "443"

    response = client.post(
        reverse("reopening-rollback", args=[step.pk]), {"expected_status": "done"}, follow=True
    )
    assert response.status_code == 200
    assert flow_a().blocked and flow_a().allowed_ports == ""
    assert Step.objects.get().status == "rolled_back"


def test_the_same_post_twice_is_refused_clearly_and_applied_once(director_client, cast, step):
    ready(cast, step)
    url = reverse("reopening-approve", args=[step.pk])
    director_client.cookies["django_language"] = "en"
    assert director_client.post(url, {"expected_status": "planned"}).status_code == 302
    response = director_client.post(url, {"expected_status": "planned"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "was changed meanwhile" in html and "Approved" in html and "director" in html
    assert LogEntry.objects.filter(kind="decision", text__contains=step.title).count() == 1


def test_a_move_without_the_status_it_saw_is_refused(director_client, cast, step):
    ready(cast, step)
    response = director_client.post(reverse("reopening-approve", args=[step.pk]), {})
    assert response.status_code == 400
    assert Step.objects.get().status == "planned"


def test_a_step_not_in_the_plan_is_404(director_client, step):
    for name in ("reopening-approve", "reopening-done", "reopening-rollback"):
        url = reverse(name, args=[step.pk + 100])
        assert director_client.post(url, {"expected_status": "planned"}).status_code == 404
    assert director_client.get(reverse("reopening-edit", args=[step.pk + 100])).status_code == 404
    url = reverse("reopening-check", args=[999_999])
    assert director_client.post(url, {"done": "1"}).status_code == 404


# --- what the plan shows ----------------------------------------------------


def test_the_plan_shows_the_care_a_step_restores(client, cast, step, english):
    client.force_login(cast.observer)
    html = client.get(reverse("reopening")).content.decode()
    card = html.split(f'id="step-{step.pk}"', 1)[1].split("</li>\n</ol>", 1)[0]
    care = card.split("Care it restores", 1)[1]
    assert "Urgences" in care and "ARL-URG" in care
    rows = {
        code: row
        for row in care.split("<tr>")[1:]
        for code in ("ARL-URG", "ARL-RAD")
        if code in row
    }
    urgences, radiology = rows["ARL-URG"], rows["ARL-RAD"]
    assert urgences.index("st-down") < urgences.index("st-normal")  # down → normal
    # With its flow blocked the radiology lost its images: degraded → normal.
    assert radiology.index("st-degraded") < radiology.index("st-normal")
    assert care.index("ARL-URG") < care.index("ARL-RAD")  # the vital service first
    assert "vital: Urgences" in care  # named in the site's gist
    assert "Hôpital d&#x27;Arlon" in care  # by site
    assert "Ports allowed back:" in card and "443" in card
    assert "srv-ehr-01" in card and "compromised" in card


def test_the_plan_page_prints(client, cast, step):
    client.force_login(cast.observer)
    html = client.get(reverse("reopening")).content.decode()
    assert "reopening/reopening.css" in html


def test_the_board_shows_the_step_the_group_is_on(client, cast, night, english):
    client.force_login(cast.observer)
    assert "Reopening: step" not in client.get(reverse("board")).content.decode()
    actions.create_step(cast.it_lead, StepInput(title="Postes d'Arlon", flows=[A]))
    second = actions.create_step(
        cast.it_lead, StepInput(title="Mises à jour", flows=["DC-SRV->INTERNET"])
    )
    first = Step.objects.get(title="Postes d'Arlon")
    html = client.get(reverse("board")).content.decode()
    assert "Reopening: step 1 of 2" in html and "Postes d&#x27;Arlon" in html
    assert f'href="/reopening/#step-{first.pk}"' in html
    actions.approve_step(cast.director, first.pk, "planned")
    actions.mark_done(cast.it_lead, first.pk, "approved")
    html = client.get(reverse("board-content")).content.decode()
    assert "Reopening: step 2 of 2" in html and "Mises à jour" in html and "(planned)" in html
    assert f"#step-{second.pk}" in html


# --- the form ---------------------------------------------------------------


@pytest.mark.parametrize(
    "data, field, words",
    [
        ({"zones": "ARL-XX"}, "zones", "ARL-XX"),
        ({"flows": "ARL-WS->NOWHERE"}, "flows", "ARL-WS->NOWHERE"),
        ({"flows": A, "ports": "443x"}, "ports", "443x"),
        ({"flows": A, "ports": "3389"}, "ports", "3389"),
        ({"flows": A, "hosts": "srv-nope"}, "hosts", "srv-nope"),
    ],
)
def test_the_form_refuses_bad_input_next_to_its_field(it_client, night, data, field, words):
    response = it_client.post(reverse("reopening-new"), {"title": "Étape"} | data)
    assert response.status_code == 400
    html = response.content.decode()
    error = html.split(f'id="e-{field}"', 1)[1].split("</p>", 1)[0]
    assert escape(words) in error
    assert 'aria-invalid="true"' in html
    assert "Étape" in html  # what was typed comes back
    assert not Step.objects.exists()


def test_the_form_edits_a_step_and_refuses_a_stale_one(it_client, cast, step):
    url = reverse("reopening-edit", args=[step.pk])
    page = it_client.get(url)
    assert page.status_code == 200 and 'name="revision" value="1"' in page.content.decode()
    data = {"title": "Arlon, HTTPS", "flows": A, "ports": "443", "revision": "1"}
    assert it_client.post(url, data).status_code == 302
    assert Step.objects.get().title == "Arlon, HTTPS"
    response = it_client.post(url, data | {"title": "Autre"})
    assert response.status_code == 400 and "changed meanwhile" in response.content.decode()
    assert Step.objects.get().title == "Arlon, HTTPS"


def test_a_step_is_removed_from_its_form(it_client, step):
    url = reverse("reopening-delete", args=[step.pk])
    response = it_client.post(url, {"expected_status": "planned"})
    assert response.status_code == 302
    assert not Step.objects.exists()
