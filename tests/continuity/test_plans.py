"""Care continuity pages: import all or nothing, a plan computed with its bound and gap and
the hand method beside it, approved once by a scheduler, exported as FORMATS.md §3."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crisiscell.continuity.models import Appointment, Plan, PlanRow
from crisiscell.crisis.models import LogEntry
from tests.web.conftest import DOC, import_doc

pytestmark = pytest.mark.django_db

HEADER = (
    "appointment_id,patient_id,patient_name,phone,email,service,kind,start,duration_min,"
    "urgency,max_delay_days,surgeon,depends_on\n"
)


def appointments_csv() -> str:
    """Radiology of Arlon on Monday 7 and Tuesday 8 December 2026: 12 exams of 30 minutes
    a day (the service plans 480 minutes a day)."""
    lines = [HEADER]
    n = 0
    for day in ("07", "08"):
        for k in range(12):
            n += 1
            urgency = 1 if k == 0 else 3 if k % 2 else 4
            lines.append(
                f"A-{n:03d},P-{n:03d},Patient {n},+32470000{n:03d},,ARL-RAD,imaging,"
                f"2026-12-{day}T{8 + k // 2:02d}:{30 * (k % 2):02d}:00+01:00,30,{urgency},,,\n"
            )
    return "".join(lines)


@pytest.fixture(autouse=True)
def _setup(db, settings):
    settings.CONTINUITY_SYNCHRONOUS = True
    from crisiscell.web import impact_cache

    impact_cache.clear()
    import_doc(DOC)
    yield
    impact_cache.clear()


@pytest.fixture
def scheduler(client, cast):
    client.force_login(cast.scheduler)
    return client


def upload(client, text: str, name: str = "rdv.csv"):
    file = SimpleUploadedFile(name, text.encode(), content_type="text/csv")
    return client.post("/continuity/import", {"file": file})


def start(client, **extra):
    data = {
        "today": "2026-12-07",
        "crisis_until": "2026-12-08",
        "down": ["ARL-RAD"],
        "horizon_weeks": "4",
        "notice_days": "2",
        **extra,
    }
    return client.post("/continuity/plans/start", data)


def test_import_then_plan_then_approve(scheduler, cast):
    from crisiscell.crisis.actions import open_crisis

    open_crisis(cast.director, "Rançongiciel")
    assert upload(scheduler, appointments_csv()).status_code == 302
    assert Appointment.objects.count() == 24
    response = start(scheduler)
    assert response.status_code == 302
    plan = Plan.objects.get()
    assert response["Location"] == f"/continuity/plans/{plan.pk}/"
    assert plan.status == "ready", plan.message
    counts = plan.stats["counts"]
    # Radiology is down for both days: everything moves, nothing is kept.
    assert counts["moved"] + counts["unplaced"] == 24 and counts["kept"] == 0
    assert plan.bound <= plan.objective <= plan.greedy_objective
    assert 0 <= plan.gap <= 0.01
    page = scheduler.get(response["Location"]).content.decode()
    assert str(plan.objective) in page and str(plan.greedy_objective) in page
    assert "<svg" in page  # the burn-down chart
    # Every moved exam lands on a working day, after the notice, never on the crisis days.
    for row in PlanRow.objects.filter(plan=plan, decision="moved"):
        day = row.new_start.date()
        assert day.weekday() < 5 and day >= row.original_start.date()
        assert str(day) >= "2026-12-09"
    ok = scheduler.post(f"/continuity/plans/{plan.pk}/approve", {"expected_status": "ready"})
    assert ok.status_code == 302
    again = scheduler.post(f"/continuity/plans/{plan.pk}/approve", {"expected_status": "ready"})
    assert again.status_code == 400  # a second approval from a stale page changes nothing
    plan.refresh_from_db()
    assert plan.status == "approved"
    approval = f"Plan de reprogrammation n°{plan.pk} approuvé"  # the log is written in French
    assert LogEntry.objects.filter(text__contains=approval).count() == 1


def test_the_csv_export_lists_every_appointment_once(scheduler):
    upload(scheduler, appointments_csv())
    start(scheduler)
    plan = Plan.objects.get()
    text = scheduler.get(f"/continuity/plans/{plan.pk}/plan.csv").content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [
        "appointment_id",
        "patient_id",
        "service",
        "decision",
        "original_start",
        "new_start",
        "delay_days",
        "notified_by",
        "reason",
    ]
    assert sorted(r["appointment_id"] for r in rows) == [f"A-{n:03d}" for n in range(1, 25)]
    assert "Patient" not in text  # ids only: no name leaves this way


def test_a_bad_file_imports_nothing_and_names_the_lines(scheduler):
    bad = appointments_csv().replace("A-005,", "A-004,").replace(",30,4,", ",-5,4,", 1)
    response = upload(
        scheduler, bad + "A-999,P-9,X,,,NOWHERE,imaging,2026-12-07T08:00:00+01:00,30,3,,,\n"
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "NOWHERE" in page and "line 26" in page
    assert Appointment.objects.count() == 0


def test_bad_plan_requests_are_refused(scheduler):
    upload(scheduler, appointments_csv())
    response = start(scheduler, crisis_until="2026-12-01", down=["ARL-RAD", "NOPE"])
    assert response.status_code == 400
    assert "NOPE" in response.content.decode()
    assert not Plan.objects.exists()


def test_roles(client, cast):
    client.force_login(cast.observer)
    assert client.get("/continuity/").status_code == 200
    assert upload(client, appointments_csv()).status_code == 403
    assert start(client).status_code == 403
    client.force_login(cast.it_lead)
    assert start(client).status_code == 403


def test_the_form_is_preset_from_the_care_board(scheduler, cast):
    from crisiscell.inventory import models as m
    from crisiscell.inventory.actions import set_host_state

    set_host_state(cast.director, m.Host.objects.get(code="srv-pacs-01").pk, "compromised")
    page = scheduler.get("/continuity/plans/new").content.decode()
    assert 'name="degraded" value="ARL-RAD" aria-label' in page
    i = page.index('name="degraded" value="ARL-RAD"')
    assert "checked" in page[i : i + 120]
