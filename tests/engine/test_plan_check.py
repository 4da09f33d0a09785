"""The independent plan checker: a valid plan passes, and each kind of fault, put into a
valid plan by hand, is caught."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import pytest

from crisiscell.engine.capacity import Crisis, build_capacity
from crisiscell.engine.groupmap import parse_map
from crisiscell.engine.plan_check import check_plan, plan_cost
from crisiscell.engine.reprogram import PlanRow, reprogram
from tests.engine.test_reprogram import MONDAY, TZ, appt, map_doc

FRIDAY = date(2022, 5, 27)
SURGEONS = {"DR-A": {"service": "BLOC", "weekdays": ["fri"], "minutes_per_day": 240}}


@pytest.fixture(scope="module")
def case():
    """A week of crisis: consultations (one room, 120 minutes) down, the theatre
    degraded; a surgery after its pre-operative consultation."""
    gm = parse_map(map_doc(cs=120, bloc=480))
    cap = build_capacity(
        gm,
        MONDAY,
        date(2022, 7, 15),
        crisis=Crisis(MONDAY, FRIDAY, frozenset({"CS"}), frozenset({"BLOC"})),
        surgeons=SURGEONS,
    )
    appointments = [
        appt("C1", "CS", MONDAY, "09:00", 30, 3),
        appt("C2", "CS", MONDAY, "10:00", 60, 2),
        appt("C3", "CS", MONDAY + timedelta(1), "09:00", 30, 4),
        appt("C4", "CS", MONDAY + timedelta(1), "10:00", 60, 4),
        appt("PRE", "CS", MONDAY + timedelta(1), "11:00", 30, 2),
        appt("OP", "BLOC", FRIDAY, "08:00", 90, 2, surgeon="DR-A", depends_on="PRE"),
        appt("OP2", "BLOC", date(2022, 6, 24), "08:00", 180, 3, surgeon="DR-A"),
        appt("OP3", "BLOC", date(2022, 6, 24), "12:00", 30, 3, surgeon="DR-A"),
    ]
    plan = reprogram(appointments, cap, today=MONDAY, gap_limit=0)
    return appointments, cap, plan.rows


def kinds(case, rows, **kw) -> set[str]:
    appointments, cap, _ = case
    return {v.kind for v in check_plan(appointments, rows, cap, today=MONDAY, **kw)}


def row(rows, x: str) -> PlanRow:
    return next(r for r in rows if r.appointment_id == x)


def changed(rows, x: str, **fields) -> list[PlanRow]:
    return [dataclasses.replace(r, **fields) if r.appointment_id == x else r for r in rows]


def moved_to(rows, x: str, day: date, at: str = "09:00") -> list[PlanRow]:
    """``x`` moved to ``day`` at ``at``, its delay consistent."""
    r = row(rows, x)
    hour, minute = map(int, at.split(":"))
    start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)
    delay = (day - r.original_start.astimezone(TZ).date()).days
    return changed(rows, x, decision="moved", new_start=start, delay_days=delay, notified_by="sms")


def test_the_optimisers_plan_is_valid(case):
    appointments, cap, rows = case
    assert kinds(case, rows) == set()
    assert {r.decision for r in rows} == {"moved", "kept"}
    assert plan_cost(appointments, rows, cap) > 0


def test_every_id_once(case):
    _, _, rows = case
    assert kinds(case, rows[1:]) == {"ids"}  # missing
    assert kinds(case, [*rows, rows[0]]) == {"ids"}  # twice
    stranger = dataclasses.replace(rows[0], appointment_id="NOBODY")
    assert kinds(case, [*rows, stranger]) == {"ids"}


def test_fields_are_the_inputs(case):
    _, _, rows = case
    assert kinds(case, changed(rows, "C1", service="BLOC")) == {"fields"}
    assert kinds(case, changed(rows, "C1", patient_id="P-X")) == {"fields"}
    later = row(rows, "C1").original_start + timedelta(hours=1)
    assert "fields" in kinds(case, changed(rows, "C1", original_start=later))


def test_decisions_and_what_they_imply(case):
    _, _, rows = case
    assert kinds(case, changed(rows, "C1", decision="postponed")) == {"decision"}
    assert kinds(case, changed(rows, "C1", new_start=None)) == {"decision"}
    assert kinds(case, changed(rows, "C1", notified_by="")) == {"decision"}
    unplaced = changed(rows, "C1", decision="unplaced", reason="")
    assert kinds(case, unplaced) == {"decision"}  # still has a start, and no reason
    kept = row(rows, "OP2")
    assert kept.decision == "kept"
    later = kept.original_start + timedelta(hours=2)
    assert kinds(case, changed(rows, "OP2", new_start=later)) == {"decision"}


def test_delay_days_consistent(case):
    _, _, rows = case
    r = row(rows, "C1")
    assert kinds(case, changed(rows, "C1", delay_days=r.delay_days + 1)) == {"delay"}
    assert kinds(case, changed(rows, "OP2", delay_days=3)) == {"delay"}


def test_no_move_onto_a_closed_day_or_before_the_original_one(case):
    _, _, rows = case
    assert "day" in kinds(case, moved_to(rows, "C1", date(2022, 6, 4)))  # a Saturday
    assert "day" in kinds(case, moved_to(rows, "C1", date(2022, 6, 6)))  # Whit Monday
    assert "day" in kinds(case, moved_to(rows, "C3", MONDAY + timedelta(3)))  # Ascension
    assert "day" in kinds(case, moved_to(rows, "C1", FRIDAY))  # CS down that day
    assert "day" in kinds(case, moved_to(rows, "C1", date(2022, 7, 18)))  # past the horizon
    assert "day" in kinds(case, moved_to(rows, "C4", MONDAY, "15:00"))  # earlier than itself
    assert "day" in kinds(case, moved_to(rows, "C1", date(2022, 6, 1), "23:50"))  # midnight


def test_notice(case):
    _, _, rows = case
    assert kinds(case, rows, notice_days=2) == set()
    assert "notice" in kinds(case, rows, notice_days=10)
    assert "notice" in kinds(case, moved_to(rows, "OP", FRIDAY, "13:00"), notice_days=5)


def test_capacity_in_minutes(case):
    _, _, rows = case
    crowded = rows
    for x, at in (("C1", "08:00"), ("C2", "09:00"), ("C3", "11:00"), ("C4", "12:00")):
        crowded = moved_to(crowded, x, date(2022, 7, 1), at)  # 180 minutes, capacity 120
    assert "capacity" in kinds(case, crowded)
    assert "capacity" not in kinds(case, crowded[:1] + moved_to(rows, "C1", date(2022, 7, 1))[1:])


def test_kept_beyond_a_degraded_days_capacity_only_for_urgency_1():
    gm = parse_map(map_doc(cs=120, cs_share=0.5))  # 60 minutes while degraded
    cap = build_capacity(
        gm, MONDAY, date(2022, 6, 30), crisis=Crisis(MONDAY, FRIDAY, frozenset(), frozenset({"CS"}))
    )

    def kept(a):
        return PlanRow(a.id, a.patient_id, a.service, "kept", a.start, a.start, 0, "", "kept")

    urgent = [appt("U1", minutes=45, urgency=1), appt("U1b", minutes=45, urgency=1, at="10:00")]
    routine = [appt("R1", minutes=45, urgency=3), appt("R2", minutes=45, urgency=3, at="10:00")]
    for group, expected in ((urgent, []), (routine, ["capacity"])):
        violations = check_plan(group, [kept(a) for a in group], cap, today=MONDAY)
        assert [v.kind for v in violations] == expected
    # what the scheduler forced is not held against the plan
    forced = check_plan(routine, [kept(a) for a in routine], cap, today=MONDAY, exempt={"R2"})
    assert forced == []


def test_depends_on_order(case):
    _, _, rows = case
    op_day = row(rows, "OP").new_start.astimezone(TZ).date()
    assert "order" in kinds(case, moved_to(rows, "PRE", op_day + timedelta(4)))
    unplaced = changed(rows, "PRE", decision="unplaced", new_start=None, delay_days=None)
    assert kinds(case, unplaced) == {"order"}
    same_day = moved_to(rows, "PRE", op_day, "08:30")  # the surgery starts at 08:00
    assert "order" in kinds(case, same_day)
    both_unplaced = changed(unplaced, "OP", decision="unplaced", new_start=None, delay_days=None)
    assert kinds(case, both_unplaced) == set()


def test_surgeon_days_and_minutes(case):
    _, _, rows = case
    op_day = row(rows, "OP").new_start.astimezone(TZ).date()
    assert kinds(case, moved_to(rows, "OP", op_day + timedelta(4), "08:00")) == {"surgeon"}
    # OP2 (180 minutes) and OP (90) the same Friday: 270 of DR-A's 240
    busy = moved_to(rows, "OP2", op_day, "10:00")
    assert "surgeon" in kinds(case, busy)


def test_overlaps_of_rooms_and_surgeons(case):
    _, _, rows = case
    # one room (120 minutes a day): two consultations at the same time
    both = moved_to(moved_to(rows, "C1", date(2022, 7, 5), "09:00"), "C3", date(2022, 7, 5))
    assert kinds(case, both) == {"overlap"}
    apart = moved_to(
        moved_to(rows, "C1", date(2022, 7, 5), "09:00"), "C3", date(2022, 7, 5), "10:00"
    )
    assert kinds(case, apart) == set()
    # DR-A operating twice at once: OP moved onto OP3's time (the theatre has rooms enough;
    # that day DR-A also runs past the session's minutes)
    op3 = row(rows, "OP3").original_start.astimezone(TZ)
    assert "overlap" in kinds(case, moved_to(rows, "OP", op3.date(), "11:30"))
    assert "overlap" not in kinds(case, moved_to(rows, "OP", op3.date(), "13:00"))


def test_rows_read_back_from_csv_text_are_checked_the_same(case):
    appointments, cap, rows = case
    records = [r.to_record() for r in rows]
    assert check_plan(appointments, records, cap, today=MONDAY) == []
    records[0]["delay_days"] = "99"
    assert {v.kind for v in check_plan(appointments, records, cap, today=MONDAY)} == {"delay"}
    assert plan_cost(appointments, [r.to_record() for r in rows], cap) == plan_cost(
        appointments, rows, cap
    )
