"""Working days and capacity: public holidays of Belgium and France, the crisis window
(down, degraded), extra capacity after it, bookings, and surgeons' days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from crisiscell.engine.appointments import Appointment
from crisiscell.engine.capacity import (
    DEFAULT_CAPACITY_MINUTES,
    Crisis,
    ExtraCapacity,
    SurgeonsInvalid,
    build_capacity,
    parse_surgeons,
    read_surgeons_csv,
    surgeons_from_appointments,
)
from crisiscell.engine.groupmap import parse_map
from crisiscell.engine.work_calendar import WorkCalendar

MONDAY = date(2022, 5, 23)


def small_map(country: str = "BE"):
    """One hospital with a consultation service, a theatre and a ward without capacity."""
    return parse_map(
        {
            "group": {"id": "g", "timezone": "Europe/Brussels", "country": country},
            "sites": [{"id": "ARL", "name": "Arlon", "kind": "hospital"}],
            "zones": [{"id": "ARL-WS", "site": "ARL", "kind": "workstations"}],
            "services": [
                {
                    "id": "CS",
                    "site": "ARL",
                    "name": "Consultations",
                    "kind": "consultation",
                    "criticality": "deferrable",
                    "workstations": ["ARL-WS"],
                    "capacity_minutes_per_day": 1000,
                    "degraded_capacity": 0.45,
                },
                {
                    "id": "BLOC",
                    "site": "ARL",
                    "name": "Bloc",
                    "kind": "surgery",
                    "criticality": "vital",
                    "workstations": ["ARL-WS"],
                    "capacity_minutes_per_day": 960,
                },
                {
                    "id": "WARD",
                    "site": "ARL",
                    "name": "Ward",
                    "kind": "ward",
                    "criticality": "essential",
                    "workstations": ["ARL-WS"],
                },
            ],
        }
    )


# --- working days -----------------------------------------------------------


@pytest.mark.parametrize(
    "country, day",
    [
        ("BE", date(2022, 7, 21)),  # national day
        ("FR", date(2022, 7, 14)),  # fête nationale
        ("BE", date(2022, 4, 18)),  # Easter Monday
        ("FR", date(2022, 4, 18)),
        ("BE", date(2022, 5, 26)),  # Ascension
        ("BE", date(2022, 6, 6)),  # Whit Monday
        ("FR", date(2022, 11, 11)),  # Armistice
    ],
)
def test_public_holidays_are_not_working_days(country, day):
    calendar = WorkCalendar(country)
    assert calendar.holiday(day)  # its name, in the holiday package's words
    assert not calendar.is_working_day(day)
    assert day.weekday() < 5  # a weekday, closed for the holiday alone


def test_each_country_keeps_its_own_holidays():
    assert WorkCalendar("FR").is_working_day(date(2022, 7, 21))  # a Thursday in France
    assert WorkCalendar("BE").is_working_day(date(2022, 7, 14))  # a Thursday in Belgium
    assert WorkCalendar("fr").country == "FR"


def test_weekends_closed_and_opened_days():
    calendar = WorkCalendar("BE", closed=[date(2022, 5, 24)], opened=[date(2022, 5, 28)])
    assert not calendar.is_working_day(date(2022, 5, 29))  # Sunday
    assert calendar.is_working_day(date(2022, 5, 28))  # a Saturday opened for the backlog
    assert not calendar.is_working_day(date(2022, 5, 24))  # a strike day
    assert list(WorkCalendar("BE").days(MONDAY, date(2022, 6, 7))) == [
        date(2022, 5, d) for d in (23, 24, 25, 27, 30, 31)
    ] + [date(2022, 6, d) for d in (1, 2, 3, 7)]  # Ascension and Whit Monday are off
    assert WorkCalendar("BE").add_working_days(date(2022, 5, 25), 1) == date(2022, 5, 27)
    assert WorkCalendar("BE").add_working_days(MONDAY, 0) == MONDAY


def test_unknown_country_is_refused():
    with pytest.raises(ValueError, match="ZZ"):
        WorkCalendar("ZZ")


# --- capacity ---------------------------------------------------------------


def test_capacity_during_and_after_the_crisis_with_extra():
    gm = small_map()
    crisis = Crisis(MONDAY, date(2022, 6, 3), frozenset({"CS"}), frozenset({"BLOC"}))
    cap = build_capacity(
        gm, MONDAY, date(2022, 8, 31), crisis=crisis, extra=[ExtraCapacity(0.2, 6)]
    )
    # during the crisis: down has none, degraded its share (rounded down)
    assert cap.minutes("CS", MONDAY) == 0 and cap.state("CS", MONDAY) == "down"
    assert cap.minutes("BLOC", MONDAY) == 480 and cap.state("BLOC", MONDAY) == "degraded"
    # Ascension: nothing, crisis or not
    assert cap.minutes("BLOC", date(2022, 5, 26)) == 0
    assert cap.state("BLOC", date(2022, 5, 26)) == "closed"
    # after it, +20 % for six weeks from the day after the crisis
    assert (
        cap.minutes("CS", date(2022, 6, 7)) == 1200 and cap.state("CS", date(2022, 6, 7)) == "extra"
    )
    assert cap.minutes("CS", date(2022, 7, 15)) == 1200  # the last Friday of the six weeks
    assert cap.minutes("CS", date(2022, 7, 18)) == 1000  # back to normal
    assert cap.minutes("CS", date(2022, 7, 21)) == 0  # Belgian National Day
    # a service the map gives no capacity: a day of one room
    assert cap.minutes("WARD", date(2022, 6, 7)) == int(DEFAULT_CAPACITY_MINUTES * 1.2)
    # outside the horizon, none
    assert (
        cap.minutes("CS", date(2022, 9, 1)) == 0 and cap.state("CS", date(2022, 9, 1)) == "outside"
    )
    assert cap.minutes("CS", date(2022, 5, 20)) == 0


def test_extra_capacity_for_some_services_from_a_given_day():
    gm = small_map()
    extra = ExtraCapacity(0.5, 1, services=frozenset({"BLOC"}), start=date(2022, 6, 13))
    cap = build_capacity(gm, MONDAY, date(2022, 7, 1), extra=[extra])
    assert cap.minutes("BLOC", date(2022, 6, 13)) == 1440
    assert cap.minutes("BLOC", date(2022, 6, 17)) == 1440
    assert cap.minutes("BLOC", date(2022, 6, 20)) == 960
    assert cap.minutes("CS", date(2022, 6, 13)) == 1000
    assert cap.state("CS", date(2022, 6, 13)) == "normal"


def test_bookings_reduce_what_is_free():
    gm = small_map()
    cap = build_capacity(gm, MONDAY, date(2022, 6, 30), booked={("CS", MONDAY): 900})
    assert cap.minutes("CS", MONDAY) == 1000
    assert cap.free("CS", MONDAY) == 100
    cap = build_capacity(gm, MONDAY, date(2022, 6, 30), booked={("CS", MONDAY): 1500})
    assert cap.free("CS", MONDAY) == 0


def test_french_group_uses_french_holidays():
    cap = build_capacity(small_map("FR"), date(2022, 7, 11), date(2022, 7, 31))
    assert cap.minutes("CS", date(2022, 7, 14)) == 0
    assert cap.minutes("CS", date(2022, 7, 21)) == 1000


# --- surgeons ---------------------------------------------------------------


def test_surgeons_from_a_plain_mapping():
    surgeons = parse_surgeons(
        {
            "DR-A": {"service": "BLOC", "weekdays": ["mon", "Thursday"], "minutes_per_day": 480},
            "DR-B": {"weekdays": {"BLOC": [1], "MAR-BLOC": "mer;ven"}, "absent": ["2022-05-31"]},
            "DR-C": {"service": "BLOC", "weekdays": ("lun",), "theatre_minutes": 450},
        }
    )
    gm = small_map()
    cap = build_capacity(gm, MONDAY, date(2022, 6, 30), surgeons=surgeons)
    assert cap.surgeon_operates("DR-A", "BLOC", MONDAY)
    assert cap.surgeon_operates("DR-A", "BLOC", date(2022, 5, 26))
    assert not cap.surgeon_operates("DR-A", "BLOC", date(2022, 5, 24))
    assert not cap.surgeon_operates("DR-B", "BLOC", date(2022, 5, 31))  # away that Tuesday
    assert cap.surgeon_operates("DR-B", "BLOC", date(2022, 6, 7))
    assert cap.surgeon_operates("DR-B", "MAR-BLOC", date(2022, 6, 1))
    assert not cap.surgeon_operates("DR-B", "BLOC", date(2022, 6, 1))
    assert cap.surgeon_operates("DR-UNKNOWN", "BLOC", date(2022, 5, 24))  # not limited
    assert cap.surgeon_minutes("DR-A", MONDAY) == 480
    assert cap.surgeon_minutes("DR-B", MONDAY) is None
    assert cap.surgeon_minutes("DR-C", MONDAY) == 450


def test_extra_capacity_lengthens_the_surgeons_sessions():
    surgeons = {"DR-A": {"service": "BLOC", "weekdays": [0], "minutes_per_day": 400}}
    cap = build_capacity(
        small_map(),
        MONDAY,
        date(2022, 6, 30),
        extra=[ExtraCapacity(0.25, 2, start=date(2022, 6, 13))],
        surgeons=surgeons,
        surgeon_booked={("DR-A", date(2022, 6, 13)): 300},
    )
    assert cap.surgeon_minutes("DR-A", date(2022, 6, 13)) == 500
    assert cap.surgeon_minutes("DR-A", date(2022, 6, 6)) == 400
    assert cap.surgeon_booked("DR-A", date(2022, 6, 13)) == 300


def test_bad_surgeon_mappings_name_every_error():
    with pytest.raises(SurgeonsInvalid) as exc:
        parse_surgeons(
            {
                "DR-A": {"weekdays": ["mon"]},
                "DR-B": {"service": "BLOC", "weekdays": ["someday"], "minutes_per_day": "x"},
                "DR-C": "Monday",
                "DR-D": {"service": "BLOC", "weekdays": [0], "absent": ["tomorrow"]},
            }
        )
    text = "\n".join(exc.value.errors)
    assert "surgeons.DR-A.service: required" in text
    assert "surgeons.DR-B.weekdays.BLOC: not a weekday: 'someday'" in text
    assert "surgeons.DR-B.minutes_per_day" in text
    assert "surgeons.DR-C: expected a mapping" in text
    assert "surgeons.DR-D.absent: not a date" in text


def test_surgeons_csv_file(tmp_path):
    path = tmp_path / "surgeons.csv"
    path.write_text(
        "surgeon;service;weekdays;minutes_per_day;absent\n"
        "DR-A;BLOC;mon thu;480;2022-05-26\n"
        "DR-A;MAR-BLOC;tue;;\n",
        encoding="utf-8",
    )
    surgeons = read_surgeons_csv(path)
    assert surgeons["DR-A"].weekdays == {"BLOC": frozenset({0, 3}), "MAR-BLOC": frozenset({1})}
    assert surgeons["DR-A"].minutes_per_day == 480
    assert surgeons["DR-A"].absent == frozenset({date(2022, 5, 26)})
    bad = tmp_path / "bad.csv"
    bad.write_text("surgeon,service,weekdays\nDR-A,BLOC,funday\n,BLOC,mon\n", encoding="utf-8")
    with pytest.raises(SurgeonsInvalid) as exc:
        read_surgeons_csv(bad)
    assert any("line 2" in e and "funday" in e for e in exc.value.errors)
    assert any("line 3" in e and "required" in e for e in exc.value.errors)
    missing = tmp_path / "missing.csv"
    missing.write_text("name,service\nDR-A,BLOC\n", encoding="utf-8")
    with pytest.raises(SurgeonsInvalid, match="missing column"):
        read_surgeons_csv(missing)


def test_surgeons_inferred_from_their_planned_surgeries():
    def surgery(i: int, day: int, surgeon: str) -> Appointment:
        start = datetime(2022, 5, day, 7, 0, tzinfo=UTC)
        return Appointment(f"S{i}", f"P{i}", "BLOC", "surgery", start, 60, 3, surgeon=surgeon)

    doc = surgeons_from_appointments(
        [surgery(1, 23, "DR-A"), surgery(2, 26, "DR-A"), surgery(3, 24, "DR-B")], "Europe/Brussels"
    )
    assert doc == {
        "DR-A": {"weekdays": {"BLOC": [0, 3]}},
        "DR-B": {"weekdays": {"BLOC": [1]}},
    }
    assert parse_surgeons(doc)["DR-A"].operates("BLOC", date(2022, 5, 30))
