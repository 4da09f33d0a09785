"""Reprogramming benchmark: the backlog of a ransomware crisis, put back into the coming
weeks by the optimiser and, side by side in the same run, by the hand method.

Run: ``python bench/reprogram_bench.py [--seed 1] [--time-limit 60] [--gap 0.01]
[--fine-gap 0.001] [--workers 2] [--region-sites 1000] [--region-target 150000]
[--section seed|region]``

The optimiser runs twice in each section, stopping once its proven gap is at most
``--gap``, then ``--fine-gap`` (or at ``--time-limit``, phase 1 included), beside the
hand method.

The seed section is the scale of the Vivalia attack (May 2022) on the demo group
(`demo_map.generate()`, 16 sites, Belgium). The attack is on the night of Friday 20 May;
``today`` is Monday 23 May 2022 and the crisis lasts until Tuesday 7 June included: 10
working days (Ascension, 26 May, and Whit Monday, 6 June, are public holidays). During it
every consultation service of the hospitals, the polyclinic and the psychiatric site (36
services) is down, so their 1,500 consultations a day are postponed, and the six operating
theatres are degraded (each keeps its map share of capacity, about half): the surgeries
that do not fit are postponed, most urgent kept first, and so is every surgery whose
pre-operative consultation was postponed (it must come after it).

The appointments of those services over the crisis days are the demo generator's
(`demo_appointments.generate`: services booked at 85-95 %, urgency mix, pre-operative
consultations before most surgeries, surgeons on their weekdays with their theatre
minutes). The weeks after the crisis are booked as the crisis days were, give or take (each
consultation service its mean minutes a day ±5 %, each surgeon's session 60 to 100 %, each
theatre the sum of its surgeons'), and overtime gives the services hit, and the surgeons'
sessions, +20 % for six weeks. The horizon is eight weeks after the crisis (ten from ``today``), the
notice two days.

The region section does the same on the region map (`demo_map.generate(seed=1,
sites=1000)`): the consultation services of the first hospital sites, enough for about
``--region-target`` postponed appointments, are down, and their theatres degraded.

Both plans are checked by `plan_check.check_plan` (asserted: every id once, capacity,
notice, order, surgeons' days and minutes, delays, overlaps) and their objective recomputed
by `plan_check.plan_cost` (asserted equal). Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

try:
    from crisiscell.engine import demo_map
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from crisiscell.engine import demo_map

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository
from bench.report import Rows, table  # noqa: E402
from crisiscell.engine import demo_appointments, plan_check, reprogram
from crisiscell.engine.appointments import Appointment
from crisiscell.engine.capacity import Capacity, Crisis, ExtraCapacity, build_capacity
from crisiscell.engine.groupmap import GroupMap, parse_map
from crisiscell.engine.reprogram import Plan
from crisiscell.engine.work_calendar import WorkCalendar

TODAY = date(2022, 5, 23)
CRISIS_UNTIL = date(2022, 6, 7)
HORIZON_WEEKS = 10  # from today: eight weeks after the crisis
EXTRA, EXTRA_WEEKS = 0.2, 6
OUTPATIENT_SITES = ("hospital", "polyclinic", "psychiatric")


# ---------------------------------------------------------------------------
# The scenario
# ---------------------------------------------------------------------------


@dataclass
class Scenario:
    gm: GroupMap
    appointments: list[Appointment]
    capacity: Capacity
    today: date
    down: list[str]
    degraded: list[str]


def scenario(
    gm: GroupMap,
    *,
    seed: int,
    theatre_share: float = 0.8,
    consultations_per_day: float | None = None,
) -> Scenario:
    """The crisis of the module doc on ``gm``: the consultation services of its hospital
    sites down (of the first ones only, until about ``consultations_per_day``), the
    theatres of those sites degraded."""
    calendar = WorkCalendar(gm.group.country)
    crisis_days = list(calendar.days(TODAY, CRISIS_UNTIL))
    last_day = TODAY + timedelta(weeks=HORIZON_WEEKS)
    sites = [s.id for s in gm.sites if s.kind in OUTPATIENT_SITES]
    consultations = defaultdict(list)
    for s in gm.services:
        if s.kind == "consultation" and s.capacity_minutes_per_day:
            consultations[s.site].append(s)
    hit: list[str] = []
    per_day = 0.0
    for site in sites:
        if consultations_per_day is not None and per_day >= consultations_per_day:
            break
        if consultations[site]:
            hit.append(site)
            # the generator books about 90 % of a consultation service, 32 minutes each
            per_day += sum(0.9 * s.capacity_minutes_per_day / 32 for s in consultations[site])
    hit_set = set(hit)
    services = tuple(
        s
        for s in gm.services
        if s.site in hit_set
        and s.kind in ("consultation", "surgery")
        and s.capacity_minutes_per_day
    )
    # The theatres keep `theatre_share` of their capacity while degraded.
    services = tuple(
        dataclasses.replace(s, degraded_capacity=theatre_share) if s.kind == "surgery" else s
        for s in services
    )
    # The generator on the services hit alone (sites, zones and the rest are not used),
    # from three weeks before the crisis: what was before today is done and dropped, and
    # so are the links to it (a surgery whose pre-operative consultation took place).
    sub = dataclasses.replace(gm, services=services, _index={})
    start = TODAY - timedelta(weeks=3)
    generated = demo_appointments.generate(sub, start, (CRISIS_UNTIL - start).days + 1, seed)
    tz = ZoneInfo(gm.group.timezone)
    appointments = [a for a in generated if a.start.astimezone(tz).date() >= TODAY]
    ids = {a.id for a in appointments}
    appointments = [
        a if not a.depends_on or a.depends_on in ids else dataclasses.replace(a, depends_on="")
        for a in appointments
    ]
    changed = {s.id: s for s in services}
    gm = dataclasses.replace(
        gm, services=tuple(changed.get(s.id, s) for s in gm.services), _index={}
    )
    team = demo_appointments.surgeons(sub, seed)
    down = sorted(s.id for s in services if s.kind == "consultation")
    degraded = sorted(s.id for s in services if s.kind == "surgery")

    # The weeks after are booked as the crisis days were, give or take: each surgeon's
    # sessions between 60 and 100 % (whole quarters of an hour), each theatre the sum of
    # its surgeons', each consultation service its mean of the crisis days, ±5 %.
    rng = random.Random(seed)
    minutes = defaultdict(int)
    for a in appointments:
        minutes[a.service] += a.duration_min
    booked: dict[tuple[str, date], int] = {}
    surgeon_booked: dict[tuple[str, date], int] = {}
    day = CRISIS_UNTIL + timedelta(days=1)
    while day <= last_day:
        if calendar.is_working_day(day):
            for service in down:
                mean = minutes[service] / len(crisis_days)
                booked[(service, day)] = int(mean * rng.uniform(0.95, 1.05))
            for name, surgeon in team.items():
                if day.weekday() in surgeon["weekdays"]:
                    used = 15 * round(surgeon["theatre_minutes"] * rng.uniform(0.6, 1.0) / 15)
                    surgeon_booked[(name, day)] = used
                    key = (surgeon["service"], day)
                    booked[key] = booked.get(key, 0) + used
        day += timedelta(days=1)
    capacity = build_capacity(
        gm,
        TODAY,
        last_day,
        crisis=Crisis(TODAY, CRISIS_UNTIL, frozenset(down), frozenset(degraded)),
        extra=[ExtraCapacity(EXTRA, EXTRA_WEEKS, frozenset(down) | frozenset(degraded))],
        surgeons=team,
        booked=booked,
        surgeon_booked=surgeon_booked,
        calendar=calendar,
    )
    return Scenario(gm, appointments, capacity, TODAY, down, degraded)


# ---------------------------------------------------------------------------
# Timing and printing
# ---------------------------------------------------------------------------


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def plan_rows(plans: list[tuple[str, Plan, float]]) -> Rows:
    """The plans side by side: (heading, plan, seconds) per column."""

    def row(label: str, cell: Callable[[Plan], str]) -> tuple[str, ...]:
        return (label, *(cell(p) for _, p, _ in plans))

    def urgency_rows(u: int) -> Rows:
        return [
            row(
                f"urgency {u}: moved, mean / max delay (days)",
                lambda p: (
                    f"{p.stats[f'moved_u{u}']:,.0f}, "
                    f"{p.stats[f'mean_delay_u{u}']:.1f} / {p.stats[f'max_delay_u{u}']:.0f}"
                ),
            ),
            row(
                f"urgency {u}: beyond clinical limit / unplaced",
                lambda p: f"{p.stats[f'late_u{u}']:,.0f} / {p.stats[f'unplaced_u{u}']:,.0f}",
            ),
        ]

    def phases(p: Plan) -> str:
        t = p.timings
        if p.method != "optimiser":
            return f"{t['model']:.1f} / {t['greedy']:.1f} / {t['times']:.1f}"
        return (
            f"{t['model']:.1f} / {t.get('lp', 0):.1f} / {t.get('rounding', 0):.1f} / "
            f"{t.get('mip', 0):.1f} / {t['times']:.1f}"
        )

    def solved(p: Plan, text: str) -> str:
        return text if p.method == "optimiser" else "-"

    reference = plans[0][1].objective
    return [
        ("", *(name for name, _, _ in plans)),
        ("time", *(f"{t:.1f} s" for _, _, t in plans)),
        row(
            "  model / LP / rounding / MIP / times (s)",
            lambda p: phases(p) if p.method == "optimiser" else "-",
        ),
        row(
            "  model / by hand / times (s)", lambda p: "-" if p.method == "optimiser" else phases(p)
        ),
        row("urgency-weighted delay (objective)", lambda p: f"{p.objective:,}"),
        row("  vs the first column", lambda p: f"{p.objective / reference - 1:+.2%}"),
        row("lower bound (proven)", lambda p: solved(p, f"{p.bound:,.0f}")),
        row("gap", lambda p: solved(p, f"{p.gap:.3%}")),
        row("kept / moved / unplaced", lambda p: " / ".join(f"{v:,}" for v in p.counts().values())),
        *[r for u in (1, 2, 3, 4) for r in urgency_rows(u)],
        row("plan_check", lambda p: "valid, objective recomputed"),
    ]


def run(sc: Scenario, args: argparse.Namespace) -> Rows:
    n = len(sc.appointments)
    surgeries = sum(1 for a in sc.appointments if a.kind == "surgery")
    linked = sum(1 for a in sc.appointments if a.depends_on)
    columns: list[tuple[str, Plan, float]] = []
    for gap in (args.gap, args.fine_gap):
        seconds, plan = timed(
            lambda gap=gap: reprogram.reprogram(
                sc.appointments,
                sc.capacity,
                today=sc.today,
                time_limit=args.time_limit,
                gap_limit=gap,
                workers=args.workers,
            )
        )
        columns.append((f"optimiser, stop at {gap:.1%}", plan, seconds))
    seconds, greedy = timed(
        lambda: reprogram.greedy_edf(sc.appointments, sc.capacity, today=sc.today)
    )
    columns.append(("by hand (earliest deadline first)", greedy, seconds))
    check_times = []
    for _, p, _ in columns:
        t, violations = timed(
            lambda p=p: plan_check.check_plan(sc.appointments, p.rows, sc.capacity, today=sc.today)
        )
        check_times.append(t)
        assert not violations, violations[:10]
        cost = plan_check.plan_cost(sc.appointments, p.rows, sc.capacity)
        assert cost == p.objective, (cost, p.objective)
    by_id = {a.id: a for a in sc.appointments}
    dep = reprogram.deprogram(sc.appointments, sc.capacity, today=sc.today)
    plan = columns[0][1]
    postponed = len(dep.postponed)
    postponed_surgeries = sum(1 for x in dep.postponed if by_id[x].kind == "surgery")
    dragged = sum(1 for r in plan.rows if r.decision != "kept" and r.appointment_id in dep.kept)
    working = len(list(sc.capacity.calendar.days(sc.today, sc.capacity.crisis.last_day)))
    return [
        ("map", f"{len(sc.gm.sites):,} sites, {len(sc.gm.services):,} care services"),
        (
            "crisis",
            f"{sc.today} to {sc.capacity.crisis.last_day} ({working} working days): "
            f"{len(sc.down)} consultation services down, {len(sc.degraded)} theatres degraded; "
            f"horizon to {sc.capacity.last_day}",
        ),
        (
            "appointments",
            f"{n:,} on the crisis days ({surgeries:,} surgeries; {linked:,} after another "
            f"appointment of those days)",
        ),
        (
            "postponed",
            f"{postponed:,} by the crisis ({postponed_surgeries:,} surgeries), and {dragged:,} "
            f"kept surgeries moved after their postponed pre-operative consultation",
        ),
        (
            "model",
            f"{plan.stats['classes']:,.0f} classes, {plan.stats['singletons']:,.0f} linked "
            f"appointments, {plan.stats['variables']:,.0f} (class, day) variables, "
            f"{plan.stats['components']:,.0f} components",
        ),
        ("plan_check, each plan", f"{max(check_times):.2f} s"),
        (),
        *plan_rows(columns),
    ]


def seed_section(args: argparse.Namespace) -> Rows:
    gm = parse_map(demo_map.generate())
    return run(scenario(gm, seed=args.seed), args)


def region_section(args: argparse.Namespace) -> Rows:
    gm = parse_map(demo_map.generate(seed=1, sites=args.region_sites))
    per_day = args.region_target / len(
        list(WorkCalendar(gm.group.country).days(TODAY, CRISIS_UNTIL))
    )
    return run(scenario(gm, seed=args.seed, consultations_per_day=per_day), args)


SECTIONS: dict[str, Callable[[argparse.Namespace], Rows]] = {
    "seed": seed_section,
    "region": region_section,
}


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seed", type=int, default=1, help="seed of the appointments")
    parser.add_argument("--time-limit", type=float, default=60.0, help="the optimiser's, seconds")
    parser.add_argument("--gap", type=float, default=0.01, help="stop at this proven gap")
    parser.add_argument(
        "--fine-gap", type=float, default=0.001, help="and, in a second run, at this one"
    )
    parser.add_argument("--workers", type=int, default=2, help="the solver's threads")
    parser.add_argument("--region-sites", type=int, default=1000, help="sites of the region map")
    parser.add_argument(
        "--region-target", type=int, default=150_000, help="appointments postponed in the region"
    )
    parser.add_argument(
        "--section", action="append", choices=sorted(SECTIONS), help="only this section"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    print("Reprogramming benchmark")
    for name in args.section or list(SECTIONS):
        print(f"[{name}]")
        for line in table(SECTIONS[name](args)):
            print(f"  {line}".rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
