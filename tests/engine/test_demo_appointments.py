"""The demo appointment load: deterministic, the volume and mix of the real group (about
1,500 consultations a working day), services filled to their capacity, surgeons on their
operating days, chains that come first, and a region's load made quickly.

Pure Python (no Django) but the last test, which runs the command: ``-p no:django`` works.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from crisiscell.engine import demo_map
from crisiscell.engine.appointment_files import read_appointments, write_csv
from crisiscell.engine.appointments import KINDS, LANGUAGES
from crisiscell.engine.demo_appointments import (
    LANES,
    generate,
    surgeon_days,
    surgeons,
    working_days,
)
from crisiscell.engine.groupmap import parse_map

GM = parse_map(demo_map.generate())
BRUSSELS = ZoneInfo("Europe/Brussels")
#: The week the real group's consultations were postponed, and the next: Ascension
#: Thursday (26 May 2022) is a public holiday in Belgium.
FIRST_DAY = date(2022, 5, 23)
DAYS = 14


@pytest.fixture(scope="module")
def load():
    return generate(GM, FIRST_DAY, DAYS)


def test_the_same_seed_gives_the_same_load(load):
    assert generate(GM, FIRST_DAY, DAYS) == load
    other = generate(GM, FIRST_DAY, DAYS, seed=2)
    assert other != load and abs(len(other) - len(load)) < 0.05 * len(load)


def test_working_days_only():
    days = working_days(GM, FIRST_DAY, DAYS)
    assert date(2022, 5, 26) not in days  # Ascension
    assert all(d.weekday() < 5 for d in days) and len(days) == 9
    assert generate(GM, date(2022, 5, 28), 2) == []  # a weekend


def test_about_1500_consultations_a_working_day(load):
    days = working_days(GM, FIRST_DAY, DAYS)
    per_day = Counter(a.start.astimezone(BRUSSELS).date() for a in load if a.kind == "consultation")
    assert set(per_day) == set(days)
    assert all(1350 <= n <= 1650 for n in per_day.values()), per_day
    assert 1450 <= sum(per_day.values()) / len(days) <= 1550
    kinds = Counter(a.kind for a in load)
    assert set(kinds) == set(KINDS) - {"other"}
    assert kinds["imaging"] > kinds["surgery"] > kinds["day_hospital"] > 0


def test_every_scheduled_service_gets_appointments_of_its_kind(load):
    used = {a.service for a in load}
    expected = {s.id for s in GM.services if s.kind in LANES and s.capacity_minutes_per_day}
    assert used == expected
    for a in load:
        assert a.kind == LANES[GM.service(a.service).kind].kind


def test_urgency_mix(load):
    counts = Counter(a.urgency for a in load)
    share = {u: counts[u] / len(load) for u in (1, 2, 3, 4)}
    assert 0.03 <= share[1] <= 0.08
    assert 0.12 <= share[2] <= 0.20
    assert 0.35 <= share[3] <= 0.45
    assert 0.33 <= share[4] <= 0.45
    oncology = [a for a in load if GM.service(a.service).kind == "oncology_day"]
    assert sum(a.urgency <= 2 for a in oncology) > 0.5 * len(oncology)
    assert all(a.max_delay_days is not None for a in oncology)


def test_services_are_filled_to_85_to_95_percent_and_never_beyond(load):
    used: dict[tuple[str, date], int] = defaultdict(int)
    for a in load:
        used[(a.service, a.start.astimezone(BRUSSELS).date())] += a.duration_min
    by_kind: dict[str, list[float]] = defaultdict(list)
    for (sid, _), minutes in used.items():
        service = GM.service(sid)
        share = minutes / service.capacity_minutes_per_day
        assert share <= 1.0, (sid, share)
        by_kind[service.kind].append(share)
    for kind, shares in by_kind.items():
        mean = sum(shares) / len(shares)
        # long day-hospital stays leave gaps in a chair's day
        assert (0.8 if "day" in kind else 0.85) <= mean <= 0.95, (kind, mean)


def test_times_are_utc_within_opening_hours_and_lanes_do_not_overlap(load):
    for a in load:
        assert a.start.tzinfo is UTC
        local = a.start.astimezone(BRUSSELS)
        assert 7 * 60 + 30 <= local.hour * 60 + local.minute
        assert local.hour * 60 + local.minute + a.duration_min <= 20 * 60
    theatre: dict[tuple[str, date], list] = defaultdict(list)
    for a in load:
        if a.kind == "surgery":
            theatre[(a.surgeon, a.start.date())].append(a)
    for rows in theatre.values():
        rows.sort(key=lambda a: a.start)
        for before, after in zip(rows, rows[1:], strict=False):
            assert before.start + timedelta(minutes=before.duration_min) <= after.start


def test_surgeries_have_their_surgeon_on_an_operating_day(load):
    team = surgeons(GM)
    days = surgeon_days(GM, FIRST_DAY, DAYS)
    assert len(team) > 20 and len(set(team)) == len(team)
    minutes: dict[tuple[str, date], int] = defaultdict(int)
    for a in load:
        if a.kind != "surgery":
            assert a.surgeon == ""
            continue
        s = team[a.surgeon]
        local_day = a.start.astimezone(BRUSSELS).date()
        assert s["service"] == a.service and s["site"] == GM.service(a.service).site
        assert local_day.weekday() in s["weekdays"] and local_day in days[a.surgeon]
        minutes[(a.surgeon, local_day)] += a.duration_min
    for (name, _), used in minutes.items():
        assert used <= team[name]["theatre_minutes"]
    # each weekday of a theatre suite is staffed: its surgeons' minutes make its capacity
    for service in GM.services:
        if service.kind == "surgery" and service.capacity_minutes_per_day:
            crew = [s for s in team.values() if s["service"] == service.id]
            for weekday in range(5):
                total = sum(s["theatre_minutes"] for s in crew if weekday in s["weekdays"])
                assert abs(total - service.capacity_minutes_per_day) <= 0.05 * total


def test_depends_on_chains_come_first_for_the_same_patient(load):
    by_id = {a.id: a for a in load}
    chained = [a for a in load if a.depends_on]
    assert len(chained) > 0.03 * len(load)
    kinds = Counter((by_id[a.depends_on].kind, a.kind) for a in chained)
    assert set(kinds) == {("consultation", "surgery"), ("imaging", "consultation")}
    surgeries = [a for a in load if a.kind == "surgery"]
    assert sum(1 for a in surgeries if a.depends_on) > 0.3 * len(surgeries)
    for a in chained:
        first = by_id[a.depends_on]
        assert first.patient_id == a.patient_id and first.patient_name == a.patient_name
        assert GM.service(first.service).site == GM.service(a.service).site
        assert first.start + timedelta(minutes=first.duration_min) <= a.start
        assert first.start.date() < a.start.date()
    # acyclic: following depends_on always ends
    for a in chained:
        seen = set()
        while a.depends_on:
            assert a.id not in seen
            seen.add(a.id)
            a = by_id[a.depends_on]
    assert sum(1 for a in load if a.depends_on and by_id[a.depends_on].depends_on) > 0


def test_patients_look_belgian(load):
    phone = re.compile(r"\+32(4[789]\d{7}|(61|63|84)\d{6})")
    phones = [a.phone for a in load]
    assert all(p == "" or phone.fullmatch(p) for p in phones)
    assert 0.05 < phones.count("") / len(load) < 0.15
    assert sum(p.startswith("+324") for p in phones) > 0.65 * len(load)
    emails = [a.email for a in load if a.email]
    assert 0.35 < len(emails) / len(load) < 0.6
    assert all(re.fullmatch(r"[a-z]+\.[a-z]+\d*@example\.(org|net|com)", e) for e in emails)
    languages = Counter(a.language for a in load)
    assert set(languages) == set(LANGUAGES)
    assert languages["fr"] > 0.8 * len(load)
    assert len({a.id for a in load}) == len(load)
    names = Counter(a.patient_name for a in load)
    assert len(names) > 500


def test_a_load_round_trips_through_its_csv(tmp_path, load):
    path = tmp_path / "rdv.csv"
    write_csv(load, path, "Europe/Brussels")
    assert read_appointments(path, GM) == load


def test_a_region_of_150000_appointments_in_a_few_seconds():
    """Scale: a region of 1,000 sites makes about 200,000 appointments a working day. The
    time is printed (the benchmark's business), not asserted."""
    region = parse_map(demo_map.generate(sites=1000))
    started = time.perf_counter()
    load = generate(region, FIRST_DAY, 1)
    elapsed = time.perf_counter() - started
    print(f"\n{len(load):,} appointments for {len(region.sites)} sites in {elapsed:.2f} s")
    assert len(load) >= 150_000
    assert len({a.id for a in load}) == len(load)
    assert len(surgeons(region)) > 1000


def test_the_command_writes_the_csv(tmp_path):
    out = tmp_path / "rdv.csv"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "crisiscell.cli",
            "demo-appointments",
            "--from",
            "2022-05-23",
            "--days",
            "3",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert re.match(r"\d+ appointments \(\d+ consultation, ", r.stdout)
    assert read_appointments(out, GM) == generate(GM, FIRST_DAY, 3)
    assert ",2022-05-23T08:00:00+02:00," in out.read_text(encoding="utf-8")
    bad = subprocess.run(
        [sys.executable, "-m", "crisiscell.cli", "demo-appointments", "--from", "23/05/2022"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2
    assert "--from '23/05/2022': expected a date, YYYY-MM-DD" in bad.stderr
    assert Path(out).stat().st_size > 0
