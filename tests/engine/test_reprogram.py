"""Deprogramming and reprogramming: the rules, the optimum against an independent
per-appointment model on small random instances, the hand method, and the command."""

from __future__ import annotations

import csv
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from crisiscell.engine import reprogram as rp
from crisiscell.engine.appointments import Appointment
from crisiscell.engine.capacity import Crisis, build_capacity
from crisiscell.engine.groupmap import parse_map
from crisiscell.engine.plan_check import check_plan, plan_cost
from crisiscell.engine.reprogram import PLAN_COLUMNS, deprogram, greedy_edf, reprogram

TZ = ZoneInfo("Europe/Brussels")
MONDAY = date(2022, 5, 23)  # the Monday after the attack; Thursday 26 is Ascension


def map_doc(cs: int = 1000, bloc: int = 960, cs_share: float = 0.45, bloc_share: float = 0.5):
    """One hospital: a consultation service (CS) and a theatre (BLOC)."""

    def service(id, kind, capacity, share):
        return {
            "id": id,
            "site": "ARL",
            "name": id,
            "kind": kind,
            "criticality": "essential",
            "workstations": ["ARL-WS"],
            "capacity_minutes_per_day": capacity,
            "degraded_capacity": share,
        }

    return {
        "group": {"id": "g", "name": "Groupe", "timezone": "Europe/Brussels", "country": "BE"},
        "sites": [{"id": "ARL", "name": "Arlon", "kind": "hospital"}],
        "zones": [{"id": "ARL-WS", "site": "ARL", "kind": "workstations"}],
        "services": [
            service("CS", "consultation", cs, cs_share),
            service("BLOC", "surgery", bloc, bloc_share),
        ],
    }


def appt(
    id: str,
    service: str = "CS",
    day: date = MONDAY,
    at: str = "09:00",
    minutes: int = 30,
    urgency: int = 3,
    **kw,
) -> Appointment:
    hour, minute = map(int, at.split(":"))
    start = datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(UTC)
    kind = "surgery" if service == "BLOC" else "consultation"
    kw.setdefault("phone", "+32470000001")
    return Appointment(id, f"P-{id}", service, kind, start, minutes, urgency, **kw)


def capacity(
    gm=None,
    *,
    until: date = date(2022, 5, 27),
    last: date = date(2022, 6, 30),
    down=("CS",),
    degraded=("BLOC",),
    **kw,
):
    gm = gm or parse_map(map_doc())
    crisis = Crisis(MONDAY, until, frozenset(down), frozenset(degraded))
    return build_capacity(gm, MONDAY, last, crisis=crisis, **kw)


def rows_by_id(plan) -> dict:
    return {r.appointment_id: r for r in plan.rows}


def local_day(moment: datetime) -> date:
    return moment.astimezone(TZ).date()


# --- deprogramming ------------------------------------------------------------


def test_urgency_1_is_kept_while_any_capacity_remains():
    cap = capacity(down=(), degraded=("CS",))  # 450 minutes on crisis days
    appointments = [
        appt("U1-a", urgency=1, minutes=200, at="08:00"),
        appt("U1-b", urgency=1, minutes=200, at="09:00"),
        appt("U1-c", urgency=1, minutes=200, at="10:00"),  # 50 minutes left: kept anyway
        appt("U1-d", urgency=1, minutes=20, at="11:00"),  # nothing left: postponed
        appt("U2", urgency=2, minutes=15, at="12:00"),
    ]
    dep = deprogram(appointments, cap, today=MONDAY)
    assert set(dep.kept) == {"U1-a", "U1-b", "U1-c"}
    assert "urgency 1" in dep.kept["U1-c"]
    assert set(dep.postponed) == {"U1-d", "U2"}
    assert "degraded" in dep.postponed["U2"]


def test_most_urgent_kept_first_and_what_fits_after():
    cap = capacity(down=(), degraded=("CS",))
    appointments = [
        appt("U4-long", urgency=4, minutes=300, at="08:00"),
        appt("U3", urgency=3, minutes=300, at="13:00"),
        appt("U4-short", urgency=4, minutes=100, at="14:00"),
        appt("U3-other-day", urgency=3, minutes=60, day=MONDAY + timedelta(1)),
    ]
    dep = deprogram(appointments, cap, today=MONDAY)
    # 450 minutes: urgency 3 first (300), then the short urgency 4 fits (100), not the long
    assert set(dep.kept) == {"U3", "U4-short", "U3-other-day"}
    assert set(dep.postponed) == {"U4-long"}


def test_a_down_service_keeps_nothing_not_even_urgency_1():
    dep = deprogram([appt("A", urgency=1)], capacity(), today=MONDAY)
    assert dep.postponed == {"A": "service down"}


def test_what_the_crisis_does_not_touch_stays():
    appointments = [
        appt("past", day=MONDAY - timedelta(3)),
        appt("after", day=date(2022, 5, 30)),
        appt("bloc", service="BLOC", minutes=60),
    ]
    dep = deprogram(appointments, capacity(), today=MONDAY)
    assert dep.kept == {
        "past": "in the past",
        "after": "not affected by the crisis",
        "bloc": "fits the degraded service's capacity that day",
    }


def test_the_scheduler_forces_and_pins():
    appointments = [appt("keep", urgency=4), appt("move", service="BLOC"), appt("pin")]
    pins = {"pin": date(2022, 6, 8)}
    dep = deprogram(
        appointments, capacity(), today=MONDAY, keep={"keep"}, postpone={"move"}, pins=pins
    )
    assert dep.kept == {"keep": "kept by the scheduler"}
    assert dep.postponed == {"move": "postponed by the scheduler"}
    assert dep.pinned == pins
    plan = reprogram(
        appointments, capacity(), today=MONDAY, keep={"keep"}, postpone={"move"}, pins=pins
    )
    rows = rows_by_id(plan)
    assert rows["keep"].decision == "kept"
    assert rows["move"].decision == "moved"
    assert rows["pin"].decision == "moved" and local_day(rows["pin"].new_start) == date(2022, 6, 8)
    assert rows["pin"].reason == "pinned by the scheduler"
    violations = check_plan(
        appointments, plan.rows, capacity(), today=MONDAY, exempt={"keep", "pin"}
    )
    assert violations == []


# --- reprogramming: the rules -------------------------------------------------


def test_a_postponed_appointment_moves_after_the_crisis_with_notice_at_its_time():
    appointments = [appt("A", at="10:30", minutes=30)]
    cap = capacity()
    plan = reprogram(appointments, cap, today=MONDAY)
    [row] = plan.rows
    assert row.decision == "moved"
    assert local_day(row.new_start) == date(2022, 5, 30)  # the first day the service is back
    assert row.new_start.astimezone(TZ).strftime("%H:%M") == "10:30"  # its time of day
    assert row.delay_days == 7 and row.notified_by == "sms" and row.reason == "service down"
    assert row.new_start.tzinfo is not None
    assert check_plan(appointments, plan.rows, cap, today=MONDAY) == []


def test_notice_days_are_respected():
    cap = capacity(down=(), degraded=("CS",), until=MONDAY)
    appointments = [appt(f"A{i}", urgency=4, minutes=100) for i in range(6)]
    plan = reprogram(appointments, cap, today=MONDAY, notice_days=3)
    moved = [r for r in plan.rows if r.decision == "moved"]
    assert moved and all(local_day(r.new_start) >= MONDAY + timedelta(3) for r in moved)
    assert check_plan(appointments, plan.rows, cap, today=MONDAY, notice_days=3) == []
    assert check_plan(appointments, plan.rows, cap, today=MONDAY, notice_days=7) != []


def test_no_move_onto_a_weekend_or_a_holiday_and_full_days_are_skipped():
    cap = capacity(until=date(2022, 5, 25), booked={("CS", date(2022, 5, 27)): 1000})
    appointments = [appt("A", urgency=1)]
    plan = reprogram(appointments, cap, today=MONDAY)
    # 26: Ascension, 27: fully booked, 28-29: weekend
    assert local_day(plan.rows[0].new_start) == date(2022, 5, 30)


def test_surgery_only_on_its_surgeons_days_within_their_minutes():
    surgeons = {
        "DR-A": {"service": "BLOC", "weekdays": ["wed"], "minutes_per_day": 120},
        "DR-B": {"service": "BLOC", "weekdays": ["fri"]},
    }
    cap = capacity(down=("BLOC",), degraded=(), surgeons=surgeons)
    appointments = [
        appt("A1", "BLOC", minutes=90, surgeon="DR-A", urgency=1),
        appt("A2", "BLOC", minutes=90, surgeon="DR-A", urgency=2),
        appt("B1", "BLOC", minutes=90, surgeon="DR-B"),
    ]
    plan = reprogram(appointments, cap, today=MONDAY)
    rows = rows_by_id(plan)
    assert local_day(rows["A1"].new_start) == date(2022, 6, 1)  # the first Wednesday after
    assert local_day(rows["A2"].new_start) == date(2022, 6, 8)  # 120 minutes a session
    assert local_day(rows["B1"].new_start) == date(2022, 6, 3)
    assert check_plan(appointments, plan.rows, cap, today=MONDAY) == []


def test_a_dependent_follows_its_postponed_prerequisite():
    cap = capacity()
    appointments = [
        appt("PRE", "CS", day=MONDAY, urgency=2),  # down: postponed to the 30th at best
        appt("OP", "BLOC", day=date(2022, 5, 25), minutes=60, depends_on="PRE"),  # kept?
        appt("LATER", "BLOC", day=date(2022, 6, 20), minutes=60, depends_on="PRE"),
    ]
    plan = reprogram(appointments, cap, today=MONDAY)
    rows = rows_by_id(plan)
    assert rows["PRE"].decision == "moved"
    assert rows["OP"].decision == "moved"  # it could have stayed, but must follow PRE
    assert local_day(rows["OP"].new_start) > local_day(rows["PRE"].new_start)
    assert rows["OP"].reason == "after PRE, which moves"
    assert rows["LATER"].decision == "kept"  # PRE comes back well before it
    assert rows["LATER"].reason == "its prerequisite still comes first"
    assert check_plan(appointments, plan.rows, cap, today=MONDAY) == []
    assert (
        check_plan(
            appointments, greedy_edf(appointments, cap, today=MONDAY).rows, cap, today=MONDAY
        )
        == []
    )


def test_a_dependent_left_unplaced_takes_no_room_in_the_times_of_its_old_day():
    days = [date(2022, 5, d) for d in range(23, 32)] + [date(2022, 6, d) for d in range(1, 31)]
    booked = {("CS", d): 1000 for d in days}  # no consultation room at all: PRE unplaced
    booked |= {("BLOC", d): 120 for d in days[1:5]} | {("BLOC", d): 480 for d in days[7:9]}
    gm = parse_map(map_doc(bloc=480, bloc_share=0.25))  # one theatre, 120 minutes degraded
    cap = capacity(gm=gm, booked=booked)
    june_1 = date(2022, 6, 1)
    appointments = [
        appt("PRE", "CS"),
        appt("OP", "BLOC", day=june_1, at="09:00", minutes=60, depends_on="PRE"),
        appt("LONG", "BLOC", day=june_1, at="08:00", minutes=240),
        appt("URGENT", "BLOC", at="08:00", minutes=120, urgency=1),
        appt("X", "BLOC", at="08:00", minutes=60),  # postponed, to the 1st of June
    ]
    for method in (reprogram, greedy_edf):
        rows = rows_by_id(method(appointments, cap, today=MONDAY))
        assert rows["OP"].decision == "unplaced" and rows["PRE"].decision == "unplaced"
        assert local_day(rows["X"].new_start) == june_1
        # one theatre: X after LONG, not beside it in the slot OP no longer holds
        assert rows["X"].new_start.astimezone(TZ).strftime("%H:%M") == "12:00"
        assert check_plan(appointments, list(rows.values()), cap, today=MONDAY) == []


def test_an_infeasible_instance_gives_unplaced_rows_with_their_reason():
    cap = capacity(until=date(2022, 6, 30))  # CS down for the whole horizon
    appointments = [
        appt("A"),
        appt("B", depends_on="A", service="BLOC", day=date(2022, 6, 1)),
        appt("C", service="NOWHERE"),
        appt("X", depends_on="Y", day=MONDAY + timedelta(1)),
        appt("Y", depends_on="X", day=MONDAY + timedelta(1)),
    ]
    for method in (reprogram, greedy_edf):
        plan = method(appointments, cap, today=MONDAY)
        rows = rows_by_id(plan)
        assert [r.appointment_id for r in plan.rows] == ["A", "B", "C", "X", "Y"]
        assert all(r.decision == "unplaced" for r in plan.rows)
        assert rows["A"].reason == "no capacity at CS from 2022-05-25 to 2022-06-30"
        assert rows["B"].reason == "depends on A, unplaced"
        assert rows["C"].reason == "unknown service 'NOWHERE'"
        assert rows["X"].reason == rows["Y"].reason == "depends_on cycle"
        assert all(r.new_start is None and r.delay_days is None for r in plan.rows)
        assert check_plan(appointments, plan.rows, cap, today=MONDAY) == []


def test_the_plan_writes_every_appointment_once_in_the_format(tmp_path):
    appointments = [
        appt("A"),
        appt("B", service="BLOC", minutes=600),
        appt("C", phone="", email=""),
    ]
    plan = reprogram(appointments, capacity(), today=MONDAY)
    path = tmp_path / "plan.csv"
    plan.write_csv(path)
    with path.open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        records = list(reader)
    assert tuple(reader.fieldnames) == PLAN_COLUMNS
    assert [r["appointment_id"] for r in records] == ["A", "B", "C"]
    assert {r["decision"] for r in records} <= {"kept", "moved", "unplaced"}
    assert records[2]["notified_by"] == "letter"
    assert check_plan(appointments, records, capacity(), today=MONDAY) == []
    assert plan.to_json()["counts"] == plan.counts()


# --- the optimum, against an independent model --------------------------------


def reference_optimum(appointments, cap, today: date, notice_days: int) -> int:
    """The optimum by a plain per-appointment model (one boolean per appointment and
    day), written from the rules alone: an independent check of the optimiser."""
    dep = deprogram(appointments, cap, today=today)
    by_id = {a.id: a for a in appointments}
    day = {a.id: a.start.astimezone(TZ).date() for a in appointments}
    kept = {x for x in dep.kept}
    # dependents dragged by a moving prerequisite, as the rules say
    movable = set(dep.postponed)
    stay: set[str] = set()
    changed = True
    while changed:
        changed = False
        for a in appointments:
            if a.id in kept and a.depends_on in movable and day[a.id] >= today and a.id not in stay:
                stay.add(a.id)
                movable.add(a.id)
                changed = True
    fixed = {x for x in kept if x not in stay}
    used: dict[tuple[str, date], int] = {}
    used_surgeon: dict[tuple[str, date], int] = {}
    for x in kept:  # a dragged appointment's old slot stays taken
        a = by_id[x]
        used[(a.service, day[x])] = used.get((a.service, day[x]), 0) + a.duration_min
        if a.surgeon:
            key = (a.surgeon, day[x])
            used_surgeon[key] = used_surgeon.get(key, 0) + a.duration_min
    days = [cap.first_day + timedelta(k) for k in range((cap.last_day - cap.first_day).days + 1)]
    m = cp_model.CpModel()
    y: dict[str, dict[date, cp_model.IntVar]] = {}
    unplaced: dict[str, cp_model.IntVar] = {}
    cost_terms = []
    for x in sorted(movable):
        a = by_id[x]
        y[x] = {}
        for d in days:
            if x in stay and d == day[x]:
                y[x][d] = m.new_bool_var("")
                continue
            if d <= day[x] or d < today + timedelta(notice_days) or cap.minutes(a.service, d) <= 0:
                continue
            if a.surgeon and not cap.surgeon_operates(a.surgeon, a.service, d):
                continue
            y[x][d] = m.new_bool_var("")
            cost_terms.append(rp.move_cost(a.urgency, a.max_delay, (d - day[x]).days) * y[x][d])
        unplaced[x] = m.new_bool_var("")
        m.add_exactly_one([*y[x].values(), unplaced[x]])
        cost_terms.append(
            rp.unplaced_cost(a.urgency, a.max_delay, day[x], cap.last_day) * unplaced[x]
        )
    for service in ("CS", "BLOC"):
        for d in days:
            terms = [
                by_id[x].duration_min * v
                for x in y
                if by_id[x].service == service
                for dd, v in y[x].items()
                if dd == d and not (x in stay and d == day[x])
            ]
            if terms:
                room = cap.free(service, d) - used.get((service, d), 0)
                m.add(sum(terms) <= max(0, room))
    for surgeon in {by_id[x].surgeon for x in y if by_id[x].surgeon}:
        for d in days:
            minutes = cap.surgeon_minutes(surgeon, d)
            terms = [
                by_id[x].duration_min * v
                for x in y
                if by_id[x].surgeon == surgeon
                for dd, v in y[x].items()
                if dd == d and not (x in stay and d == day[x])
            ]
            if terms and minutes is not None:
                room = minutes - cap.surgeon_booked(surgeon, d) - used_surgeon.get((surgeon, d), 0)
                m.add(sum(terms) <= max(0, room))
    for x in y:
        parent = by_id[x].depends_on
        if not parent or parent not in by_id:
            continue
        if parent in y:  # both move: x placed only after parent, on a later day
            m.add_implication(unplaced[parent], unplaced[x])
            for d, v in y[x].items():
                for dp, vp in y[parent].items():
                    if dp >= d:
                        m.add_bool_or([v.Not(), vp.Not()])
        elif parent in fixed and day[parent] >= today:
            for d, v in y[x].items():
                if d <= day[parent]:
                    m.add(v == 0)
    m.minimize(sum(cost_terms))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 60
    assert solver.solve(m) == cp_model.OPTIMAL
    return round(solver.objective_value)


@st.composite
def instances(draw):
    """A crisis of a few days on a small hospital: consultations down, the theatre
    degraded, a few appointments (some after the crisis, some depending on earlier ones),
    bookings and two surgeons, one with known days and minutes."""
    doc = map_doc(
        cs=draw(st.sampled_from([60, 90, 120, 240])),
        bloc=draw(st.sampled_from([120, 240, 480])),
        bloc_share=draw(st.sampled_from([0.25, 0.5])),
    )
    gm = parse_map(doc)
    until = MONDAY + timedelta(draw(st.integers(0, 4)))
    last = MONDAY + timedelta(draw(st.integers(8, 15)))
    weekdays = draw(st.lists(st.integers(0, 4), min_size=1, max_size=3, unique=True))
    minutes = draw(st.sampled_from([None, 90, 180]))
    surgeons = {"DR-A": {"service": "BLOC", "weekdays": weekdays, "minutes_per_day": minutes}}
    booked = {
        ("CS", MONDAY + timedelta(k)): draw(st.sampled_from([0, 30, 60]))
        for k in draw(st.lists(st.integers(0, 15), max_size=3, unique=True))
    }
    cap = build_capacity(
        gm,
        MONDAY,
        last,
        crisis=Crisis(MONDAY, until, frozenset({"CS"}), frozenset({"BLOC"})),
        surgeons=surgeons,
        booked=booked,
    )
    appointments = []
    for i in range(draw(st.integers(1, 7))):
        service = draw(st.sampled_from(["CS", "BLOC"]))
        earlier = [a.id for a in appointments]
        appointments.append(
            appt(
                f"A{i}",
                service,
                day=MONDAY + timedelta(draw(st.integers(0, 6))),
                at=draw(st.sampled_from(["08:00", "09:30", "14:00"])),
                minutes=draw(
                    st.sampled_from([15, 30, 45, 60] if service == "CS" else [30, 60, 90])
                ),
                urgency=draw(st.integers(1, 4)),
                max_delay_days=draw(st.sampled_from([None, 1, 3, 7])),
                surgeon=draw(st.sampled_from(["DR-A", "DR-B"])) if service == "BLOC" else "",
                depends_on=draw(st.sampled_from(["", "", *earlier])) if earlier else "",
            )
        )
    notice = draw(st.integers(0, 3))
    return appointments, cap, notice


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_optimal_on_small_instances_valid_and_never_worse_than_by_hand(instance):
    appointments, cap, notice = instance
    plan = reprogram(
        appointments, cap, today=MONDAY, notice_days=notice, gap_limit=0, time_limit=30
    )
    greedy = greedy_edf(appointments, cap, today=MONDAY, notice_days=notice)
    for p in (plan, greedy):
        assert [r.appointment_id for r in p.rows] == [a.id for a in appointments]
        assert check_plan(appointments, p.rows, cap, today=MONDAY, notice_days=notice) == []
        assert plan_cost(appointments, p.rows, cap) == p.objective
    optimum = reference_optimum(appointments, cap, MONDAY, notice)
    assert plan.objective == optimum
    assert plan.bound <= optimum
    assert plan.gap == 0.0
    assert plan.objective <= greedy.objective


def test_optimiser_beats_the_hand_method_when_priorities_matter():
    # one 60-minute slot a day after the crisis: the hand method serves the earliest
    # deadline first (a routine check with a limit of 10 days of its own), the optimiser
    # the urgent one (limit 14 days), whose each day of delay costs eight times more
    cap = capacity(gm=parse_map(map_doc(cs=60)), until=date(2022, 5, 27))
    appointments = [
        appt("ROUTINE", urgency=4, minutes=60, max_delay_days=10, at="08:00"),
        appt("URGENT", urgency=1, minutes=60, max_delay_days=14, at="09:00"),
    ]
    plan = reprogram(appointments, cap, today=MONDAY, gap_limit=0)
    greedy = greedy_edf(appointments, cap, today=MONDAY)
    assert (plan.objective, greedy.objective) == (8 * 7 + 8, 7 + 8 * 8)
    assert local_day(rows_by_id(plan)["URGENT"].new_start) == date(2022, 5, 30)
    assert local_day(rows_by_id(greedy)["ROUTINE"].new_start) == date(2022, 5, 30)
    assert plan.gap == 0.0 and greedy.bound == 0.0


# --- the command --------------------------------------------------------------


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crisiscell.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


CSV_HEADER = (
    "appointment_id,patient_id,patient_name,phone,email,service,kind,start,duration_min,"
    "urgency,max_delay_days,surgeon,depends_on\n"
)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    doc = map_doc()
    map_file = tmp_path / "group.yaml"
    map_file.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    appointments = tmp_path / "appointments.csv"
    rows = [
        "A-1,P-1,Jeanne Dupont,+32470000001,,CS,consultation,2022-05-23T08:30:00+02:00,20,3,28,,",
        "A-2,P-2,Luc Petit,,luc@example.org,CS,consultation,2022-05-24T09:00:00+02:00,30,1,,,",
        "A-3,P-2,Luc Petit,,luc@example.org,BLOC,surgery,2022-05-25T10:00:00+02:00,90,2,,DR-A,A-2",
        "A-4,P-4,Anne Lenoir,063000000,,BLOC,surgery,2022-06-15T08:00:00+02:00,60,4,,DR-A,",
    ]
    appointments.write_text(CSV_HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return map_file, appointments


def test_command_writes_the_plan_and_prints_objective_bound_gap(files, tmp_path):
    map_file, appointments = files
    out = tmp_path / "plan.csv"
    r = run(
        "reprogram", "--map", str(map_file), "--appointments", str(appointments),
        "--today", "2022-05-23", "--crisis-until", "2022-05-27", "--down", "CS",
        "--degraded", "BLOC", "--horizon-weeks", "6", "--notice-days", "2", "--out", str(out),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "objective" in r.stdout and "bound" in r.stdout and "gap" in r.stdout
    assert "by hand" in r.stdout
    with out.open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        records = {rec["appointment_id"]: rec for rec in reader}
    assert tuple(reader.fieldnames) == PLAN_COLUMNS
    assert set(records) == {"A-1", "A-2", "A-3", "A-4"}
    assert records["A-1"]["decision"] == records["A-2"]["decision"] == "moved"
    assert records["A-3"]["decision"] == "moved"  # after its pre-op, A-2
    assert records["A-3"]["new_start"] > records["A-2"]["new_start"]
    assert records["A-4"]["decision"] == "kept"
    assert records["A-2"]["notified_by"] == "email"


def test_command_bad_input_exits_2_with_errors_by_line(files, tmp_path):
    map_file, appointments = files
    bad = tmp_path / "bad.csv"
    bad.write_text(
        CSV_HEADER
        + "A-1,P-1,,,,CS,consultation,2022-05-23T08:30:00+02:00,20,3,,,\n"
        + "A-2,P-2,,,,NOWHERE,consultation,2022-05-23T08:30:00+02:00,twenty,9,,,\n",
        encoding="utf-8",
    )
    out = tmp_path / "plan.csv"
    common = ["--map", str(map_file), "--today", "2022-05-23", "--crisis-until", "2022-05-27"]
    r = run("reprogram", *common, "--appointments", str(bad), "--out", str(out))
    assert r.returncode == 2
    assert "line 3" in r.stderr
    assert not out.exists() and r.stdout == ""
    r = run(
        "reprogram", *common, "--appointments", str(appointments), "--down", "CX", "--out", str(out)
    )
    assert r.returncode == 2 and "CX" in r.stderr
    r = run(
        "reprogram", "--map", str(map_file), "--appointments", str(appointments),
        "--today", "2022-05-30", "--crisis-until", "2022-05-27", "--out", str(out),
    )  # fmt: skip
    assert r.returncode == 2 and "--crisis-until" in r.stderr
    r = run(
        "reprogram", *common, "--appointments", str(appointments), "--notice-days", "-1",
        "--out", str(out),
    )  # fmt: skip
    assert r.returncode == 2 and "--notice-days" in r.stderr
