"""Containment: compromise intake, actions from proposed to reverted with their care
preview, refusals of stale pages and of roles, and the planner's plans as actions."""

from __future__ import annotations

import html
import re

import pytest

from crisiscell.containment.models import Action
from crisiscell.crisis.models import LogEntry, SiteMode
from crisiscell.inventory import models as m

pytestmark = pytest.mark.django_db


def state(code: str) -> str:
    return m.Host.objects.get(code=code).state


def flow_blocked(source: str, target: str) -> bool:
    return m.Flow.objects.get(source__code=source, target__code=target).blocked


def notice(response) -> str:
    """The error message on the page."""
    page = response.content.decode()
    start = page.index("notice-error")
    return page[start : page.index("</p>", start)]


def log_texts() -> list[str]:
    return list(LogEntry.objects.order_by("seq").values_list("text", flat=True))


# ---------------------------------------------------------------------------
# Intake
# ---------------------------------------------------------------------------


def test_one_host_by_hand_is_marked_and_logged(it_lead):
    response = it_lead.post(
        "/containment/hosts/one", {"host": "SRV-PACS-01", "state": "compromised"}
    )
    assert response.status_code == 302
    assert state("srv-pacs-01") == "compromised"
    assert any("srv-pacs-01" in t for t in log_texts())


def test_an_unknown_host_is_refused(it_lead):
    response = it_lead.post("/containment/hosts/one", {"host": "srv-nope", "state": "compromised"})
    assert response.status_code == 400
    assert "srv-nope" in response.content.decode()


def test_a_pattern_shows_its_hosts_before_marking_them(it_lead):
    response = it_lead.post(
        "/containment/hosts/pattern", {"pattern": "srv-*-01", "state": "suspected"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "srv-ehr-01" in page and 'name="confirm"' in page
    assert state("srv-ehr-01") == "ok"  # nothing marked before confirming
    it_lead.post(
        "/containment/hosts/pattern", {"pattern": "srv-*-01", "state": "suspected", "confirm": "1"}
    )
    assert {state(h) for h in ("srv-ad-01", "srv-ehr-01", "srv-pacs-01")} == {"suspected"}
    assert state("ws-arl-001") == "ok"
    [entry] = [t for t in log_texts() if "srv-ehr-01" in t]
    assert "srv-ad-01" in entry and "srv-pacs-01" in entry  # one entry naming each host


def test_a_list_with_unknown_names_marks_nothing_and_names_the_lines(it_lead):
    text = "host;state\nsrv-ehr-01;compromised\nsrv-typo-01;compromised\n\nws-arl-001;maybe\n"
    response = it_lead.post("/containment/hosts/list", {"hosts": text, "state": "suspected"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "line 3" in page and "srv-typo-01" in page
    assert "line 5" in page and "maybe" in page
    assert state("srv-ehr-01") == "ok"


def test_an_uploaded_list_marks_each_host_with_its_state(it_lead):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = b"\xef\xbb\xbfHostname,State\nsrv-ehr-01.chu.local,compromised\nws-arl-001,\n"
    upload = SimpleUploadedFile("edr-report.csv", csv, content_type="text/csv")
    response = it_lead.post("/containment/hosts/list", {"file": upload, "state": "suspected"})
    assert response.status_code == 302
    assert state("srv-ehr-01") == "compromised" and state("ws-arl-001") == "suspected"
    assert any("edr-report.csv" in t for t in log_texts())


# ---------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------


def propose(client, kind: str, target: str = "", **extra) -> Action:
    response = client.post("/containment/actions/new", {"kind": kind, "target": target, **extra})
    assert response.status_code == 302, response.content.decode()[:500]
    return Action.objects.latest("id")


def move(client, action: Action, verb: str, expected: str):
    return client.post(f"/containment/actions/{action.pk}/{verb}", {"expected_status": expected})


def test_the_preview_shows_what_a_cut_does_to_care_before_approval(director):
    action = propose(director, "flow", "ARL-WS -> DC-SRV", rationale="EHR traffic")
    assert action.target == "ARL-WS->DC-SRV" and action.status == "proposed"
    page = director.get(f"/containment/actions/{action.pk}/").content.decode()
    # The emergency department stops without its EHR; radiology slows without its PACS.
    assert "Urgences" in page and "Radiologie" in page
    urg = page[page.index("Urgences") :]
    assert "st-down" in urg[: urg.index("</tr>")]
    assert "ARL-WS" in urg[: urg.index("</tr>")]  # why: the blocked flow is named
    assert not flow_blocked("ARL-WS", "DC-SRV")  # nothing done by looking


def test_an_action_goes_from_proposed_to_reverted(client, cast, crisis):
    client.force_login(cast.it_lead)
    action = propose(client, "flow", "ARL-WS->DC-SRV")
    # The IT lead may propose and do, not approve.
    assert move(client, action, "approve", "proposed").status_code == 403
    assert move(client, action, "done", "proposed").status_code == 400
    client.force_login(cast.director)
    assert move(client, action, "approve", "proposed").status_code == 302
    client.force_login(cast.it_lead)
    assert move(client, action, "done", "approved").status_code == 302
    action.refresh_from_db()
    assert action.status == "done" and action.done_by == cast.it_lead
    assert flow_blocked("ARL-WS", "DC-SRV")
    page = client.get(f"/containment/actions/{action.pk}/").content.decode()
    assert "Ce que son annulation rend aux soins" in page
    assert move(client, action, "revert", "done").status_code == 302
    assert not flow_blocked("ARL-WS", "DC-SRV")
    texts = " | ".join(log_texts())  # the log is written in French
    for word in ("proposée", "approuvée", "réalisée", "annulée"):
        assert re.search(rf"n°{action.pk} {word}\s", texts), word
    assert len([t for t in log_texts() if f"n°{action.pk} " in t]) == 4


def test_a_stale_page_is_refused_and_nothing_is_applied_twice(director):
    action = propose(director, "zone", "ARL-WS")
    assert move(director, action, "approve", "proposed").status_code == 302
    second = move(director, action, "approve", "proposed")  # a colleague's page, out of date
    assert second.status_code == 400
    assert "director" in notice(second)  # says who moved it, and when
    assert move(director, action, "done", "approved").status_code == 302
    assert move(director, action, "done", "approved").status_code == 400
    assert len([t for t in log_texts() if f"n°{action.pk} " in t]) == 3
    assert m.Zone.objects.get(code="ARL-WS").isolated


def test_reverting_gives_back_only_what_the_action_took(director):
    flow = m.Flow.objects.get(source__code="DC-SRV", target__code="INTERNET")
    director.post(f"/flows/{flow.pk}/blocking", {"blocked": "1"})
    assert flow_blocked("DC-SRV", "INTERNET")
    action = propose(director, "site", "DC")
    move(director, action, "approve", "proposed")
    move(director, action, "done", "approved")
    action.refresh_from_db()
    assert action.applied["block"] == [["ARL-WS", "DC-SRV"]]  # the other was blocked already
    move(director, action, "revert", "done")
    assert not flow_blocked("ARL-WS", "DC-SRV")
    assert flow_blocked("DC-SRV", "INTERNET")  # blocked before the action: stays blocked


def test_shutting_a_host_and_reverting_gives_its_state_back(director):
    director.post("/containment/hosts/one", {"host": "srv-pacs-01", "state": "compromised"})
    action = propose(director, "host", "srv-pacs-01")
    move(director, action, "approve", "proposed")
    move(director, action, "done", "approved")
    assert state("srv-pacs-01") == "off"
    move(director, action, "revert", "done")
    assert state("srv-pacs-01") == "compromised"


def test_cutting_the_internet(director):
    action = propose(director, "internet")
    move(director, action, "approve", "proposed")
    move(director, action, "done", "approved")
    assert m.Group.objects.get().internet_cut
    move(director, action, "revert", "done")
    assert not m.Group.objects.get().internet_cut


@pytest.mark.parametrize(
    "kind, target, message",
    [
        ("zone", "NOWHERE", "unknown zone"),
        ("flow", "ARL-WS", "FROM->TO"),
        ("flow", "DC-SRV->ARL-WS", "unknown flow"),
        ("site", "", "Indiquez ce que l’action coupe"),
        ("teleport", "ARL", "Type d’action inconnu"),
    ],
)
def test_bad_proposals_are_refused_and_change_nothing(it_lead, kind, target, message):
    response = it_lead.post("/containment/actions/new", {"kind": kind, "target": target})
    assert response.status_code == 400
    assert message in html.unescape(notice(response))
    assert not Action.objects.exists()


def test_preventive_isolation_shows_what_the_site_keeps_running(director):
    response = director.post(
        "/containment/actions/new", {"kind": "site", "target": "ARL", "preventive": "1"}
    )
    action = Action.objects.get()
    assert action.preventive and response["Location"] == f"/containment/actions/{action.pk}/"
    page = director.get(response["Location"]).content.decode()
    assert "ct-keeps" in page and "Urgences" in page
    move(director, action, "approve", "proposed")
    assert SiteMode.objects.get(site__code="ARL").mode == "preventive"


def test_an_observer_sees_but_cannot_act(client, cast, crisis):
    client.force_login(cast.director)
    action = propose(client, "zone", "ARL-WS")
    client.force_login(cast.observer)
    assert client.get("/containment/").status_code == 200
    page = client.get(f"/containment/actions/{action.pk}/").content.decode()
    assert 'name="expected_status"' not in page
    assert move(client, action, "approve", "proposed").status_code == 403
    assert (
        client.post("/containment/hosts/one", {"host": "srv-ehr-01", "state": "ok"}).status_code
        == 403
    )


def test_an_unknown_action_is_a_404(director):
    assert director.get("/containment/actions/999/").status_code == 404
    assert move(director, Action(pk=999), "approve", "proposed").status_code == 400


# ---------------------------------------------------------------------------
# The planner
# ---------------------------------------------------------------------------


def test_the_planner_proposes_cuts_that_become_actions(director):
    director.post("/containment/hosts/one", {"host": "srv-pacs-01", "state": "compromised"})
    page = director.get("/containment/plan/").content.decode()
    assert "Recommended plan" in page or "Plan recommandé" in page
    response = director.post(
        "/containment/plan/propose", {"block": ["DC-SRV->INTERNET"], "rationale": "plan 1"}
    )
    assert response.status_code == 302
    [action] = Action.objects.all()
    assert (action.kind, action.target, action.status) == ("flow", "DC-SRV->INTERNET", "proposed")


def test_the_planner_can_let_the_attacker_go_against_the_flows(director):
    director.post("/containment/hosts/one", {"host": "srv-ad-01", "state": "compromised"})
    one_way = director.get("/containment/plan/").content.decode()
    two_way = director.get("/containment/plan/?two_way=1").content.decode()
    # Nothing the compromised DC-SRV reaches holds a clean server on this small map, either
    # way (tests/engine/test_isolation.py checks the difference); the choice is kept.
    assert 'name="block"' not in one_way and 'name="isolate"' not in one_way
    assert 'name="two_way" value="1" checked' in two_way


def test_a_plan_with_a_bad_cut_proposes_nothing(director):
    response = director.post(
        "/containment/plan/propose", {"block": ["DC-SRV->INTERNET", "X->Y"], "isolate": ["ARL-WS"]}
    )
    assert response.status_code == 400
    assert not Action.objects.exists()


def test_nothing_compromised_nothing_to_plan(director):
    page = director.get("/containment/plan/").content.decode()
    assert "Recommended plan" not in page and "Plan recommandé" not in page
