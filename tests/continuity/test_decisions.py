"""The scheduler's decisions over the optimiser: keep, postpone, pin; checked before they are
written, recorded in the log, applied by every plan computed afterwards."""

from __future__ import annotations

from datetime import date

import pytest

from crisiscell.continuity import decisions
from crisiscell.continuity.models import Plan, PlanRow, SchedulerDecision
from crisiscell.crisis.models import LogEntry

from .test_plans import appointments_csv, start, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _setup(db, settings, monkeypatch):
    settings.CONTINUITY_SYNCHRONOUS = True
    from crisiscell.web import impact_cache
    from tests.web.conftest import DOC, import_doc

    impact_cache.clear()
    import_doc(DOC)
    # the tests' appointments are on 7 and 8 December 2026: "today" is the Friday before
    monkeypatch.setattr(decisions, "_today", lambda: date(2026, 12, 4))
    yield
    impact_cache.clear()


@pytest.fixture
def scheduler(client, cast):
    client.force_login(cast.scheduler)
    upload(client, appointments_csv())
    return client


def decide(client, **data):
    return client.post("/continuity/decisions/add", data)


def test_decisions_are_applied_by_the_next_plan(scheduler, cast):
    from crisiscell.crisis.actions import open_crisis

    open_crisis(cast.director, "Rançongiciel")
    # A-002 stays on its day although radiology is down; A-003 goes to Friday 11; A-004 is
    # postponed (it would have moved anyway: radiology is down).
    assert (
        decide(scheduler, code="A-002", kind="keep", note="patient venu de loin").status_code == 302
    )
    assert decide(scheduler, code="A-003", kind="pin", day="2026-12-11").status_code == 302
    assert decide(scheduler, code="A-004", kind="postpone").status_code == 302
    page = scheduler.get("/continuity/plans/new").content.decode()
    assert "A-002" in page and "patient venu de loin" in page and "11/12/2026" in page
    assert "3 décisions" in page
    assert start(scheduler).status_code == 302
    plan = Plan.objects.get()
    assert plan.status == "ready", plan.message
    assert plan.stats["decisions"] == {"keep": 1, "postpone": 1, "pin": 1}
    rows = {
        r.appointment.code: r
        for r in PlanRow.objects.filter(plan=plan).select_related("appointment")
    }
    assert rows["A-002"].decision == "kept"
    assert rows["A-003"].decision == "moved"
    assert rows["A-003"].new_start.date() == date(2026, 12, 11)
    assert rows["A-003"].reason == "pinned by the scheduler"
    assert rows["A-004"].decision in ("moved", "unplaced")
    # everything else moved: radiology is down on both days
    assert all(r.decision != "kept" for c, r in rows.items() if c != "A-002")
    assert (
        "maintenus : 1, reportés : 1, épinglés : 1"
        in scheduler.get(f"/continuity/plans/{plan.pk}/").content.decode()
    )
    assert LogEntry.objects.filter(text__contains="A-003").count() == 1


def test_a_new_decision_replaces_the_old_and_can_be_withdrawn(scheduler, cast):
    decide(scheduler, code="A-002", kind="keep")
    decide(scheduler, code="A-002", kind="pin", day="2026-12-10")
    decision = SchedulerDecision.objects.get()
    assert (decision.kind, decision.day) == ("pin", date(2026, 12, 10))
    assert scheduler.post(f"/continuity/decisions/{decision.pk}/withdraw").status_code == 302
    assert not SchedulerDecision.objects.exists()
    # withdrawing twice: a clear answer, nothing else changes
    again = scheduler.post(f"/continuity/decisions/{decision.pk}/withdraw")
    assert again.status_code == 400


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "A-999", "kind": "keep"}, "A-999"),
        ({"code": "", "kind": "keep"}, "identifiant"),
        ({"code": "A-002", "kind": "cancel"}, "Choisissez"),
        ({"code": "A-002", "kind": "pin"}, "jour"),
        ({"code": "A-002", "kind": "pin", "day": "2026-13-01"}, "date"),
        ({"code": "A-002", "kind": "pin", "day": "2026-12-01"}, "passé"),
    ],
)
def test_bad_decisions_change_nothing(scheduler, data, message):
    response = decide(scheduler, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SchedulerDecision.objects.exists()


def test_only_schedulers_decide(client, cast, scheduler):
    client.force_login(cast.observer)
    assert decide(client, code="A-002", kind="keep").status_code == 403
    client.force_login(cast.it_lead)
    assert decide(client, code="A-002", kind="keep").status_code == 403
    assert not SchedulerDecision.objects.exists()


def test_each_service_prints_its_new_schedule(scheduler, cast):
    decide(scheduler, code="A-003", kind="pin", day="2026-12-11")
    start(scheduler)
    plan = Plan.objects.get()
    page = scheduler.get(f"/continuity/plans/{plan.pk}/").content.decode()
    url = f"/continuity/plans/{plan.pk}/schedule/ARL-RAD"
    assert url in page
    week = scheduler.get(url + "?from=2026-12-07&to=2026-12-13")
    text = week.content.decode()
    assert week.status_code == 200 and week["Cache-Control"] == "no-store"
    # A-003 (Patient 3) lands on Friday 11 December, moved from Monday 7 at 09:00
    friday = text.index("11 décembre 2026")
    assert "Patient 3" in text[friday:] and "07/12 09:00" in text[friday:]
    assert "pas approuvé" in text  # not approved yet: said on the print
    moved = PlanRow.objects.filter(plan=plan, decision="moved").count()
    rows_shown = sum(
        scheduler.get(url + f"?from={d}&to={d}").content.decode().count('class="cc-time"')
        for d in ("2026-12-09", "2026-12-10", "2026-12-11")
    )
    in_week = PlanRow.objects.filter(
        plan=plan, decision="moved", new_start__date__range=("2026-12-09", "2026-12-11")
    ).count()
    assert rows_shown == in_week and moved >= in_week > 0
    # a bad date falls back to the first week, with a message; an unknown service is a 404
    assert scheduler.get(url + "?from=demain").status_code == 200
    assert scheduler.get(f"/continuity/plans/{plan.pk}/schedule/NOPE").status_code == 404
    assert scheduler.get(f"/continuity/plans/{plan.pk + 1}/schedule/ARL-RAD").status_code == 404


def test_the_schedule_needs_a_login(client, cast, scheduler):
    start(scheduler)
    plan = Plan.objects.get()
    client.logout()
    response = client.get(f"/continuity/plans/{plan.pk}/schedule/ARL-RAD")
    assert response.status_code == 302 and "/login" in response["Location"]
