"""Deprogramming and reprogramming: what a crisis keeps, and where the rest goes.

**Deprogramming** (`deprogram`). On the crisis days (from ``today`` to the crisis's last
day), the appointments of a down or degraded service are kept while they fit its capacity
that day, most urgent first (then the shortest clinical limit, then the earliest start);
an urgency-1 appointment is kept whenever any capacity remains, even if it runs past the
day's last minute (it may overflow by less than its own length). The rest is postponed.
The scheduler can force a keep, force a postponement, or pin an appointment to a day.
Appointments of services the crisis does not hit, in the past, or after the crisis stay.

**Reprogramming** (`reprogram`). Every postponed appointment goes to a working day of its
own service with free capacity (in minutes), strictly after its original day and at least
``notice_days`` calendar days after ``today``; a surgery only on a day its surgeon operates
there, within the surgeon's theatre minutes when they are known. ``depends_on`` is a strict
order of days: an appointment is placed on a later day than the one it depends on (a
pre-operative consultation the day before the surgery at the latest). An appointment that
depends on a postponed one and was to stay later (a surgery after its postponed pre-op) is
moved too when it must be; its old slot is not reused in the same run. An appointment that
depends on an unplaced one is unplaced with it.

The objective, in urgency-weighted days, is the sum over moved appointments of
``w × delay + 100 × w × (days beyond max_delay)`` with ``w`` = 8, 4, 2, 1 for urgency 1 to
4; an unplaced appointment costs as if placed the day after the horizon, plus 1,000 days
(`move_cost`, `unplaced_cost`). Kept appointments cost nothing.

**Method.** Appointments of one service with the same urgency, duration, clinical limit,
original day, surgeon and window are interchangeable: they form a *class*, and the problem
is an integer program over (class, day) counts with one capacity row per service-day (and
per surgeon-day with known theatre minutes), in minutes. Days that no optimal plan can use
are left out (an exchange argument: a class never goes past the first day by which the
earlier days' room must hold one more of it, whatever the others take), and each row's
capacity is rounded down to a multiple of its durations' gcd. Appointments linked by
``depends_on`` are modelled one by one, their order in time-indexed form. Services linked
by such pairs (or by a surgeon with known minutes at two theatres) form a component;
components are independent. Phase 1 solves each component's LP relaxation with HiGHS
(a proven lower bound) and rounds it day by day into a plan, or takes the hand method's
plan where that costs less (so the result is never worse than it). Phase 2 hands that plan to
HiGHS' branch and bound as a starting point, ``workers`` components at a time: each first
with a share of the time in proportion to its size, then what time is left to those still
above the gap, largest first; all stop once the whole gap is at most ``gap_limit``. A
component too large to be solved whole goes block by block, its linked appointments held
where they are. HiGHS runs with a fixed seed, but its time limits make runs differ. The
reported ``bound`` is a lower bound on the optimum of the whole problem (the sum of the
components' best bounds) and ``gap`` is ``(objective - bound) / objective``. The objective
is recomputed from the plan's rows.

**Times.** A moved appointment keeps its original time of day when it fits, else the
earliest free time from 08:00. A service-day is seen as ``ceil(capacity / 600)`` parallel
rooms of 08:00-18:00 (at least one; more when the appointments kept that day overlap more):
no two appointments share a room at once, a surgeon never operates twice at once, and the
day may run late in a room when its morning is full; never past midnight. Minutes booked
outside the input (`Capacity.booked`) have no times: the times proposed cannot avoid them,
and are a first proposal for the scheduler, who calls the patient.

`greedy_edf` is what a scheduler does by hand, for comparison: the same deprogramming, then
each postponed appointment in order of its deadline (original day + clinical limit) goes
to the earliest day with room.

**Layout.** This module is the entry point: `reprogram` here, and the public names of its
parts re-exported. The parts are in `crisiscell.engine.reprogramming`, one module each:
`costs`, `plan` (the output and its columns), `deprogramming`, `depends_on`, `problem`
(the preparation and the classes), `components`, `integer_program` (HiGHS), `rounding`
(phase 1), `solve` (phase 2), `times` (times of day and the rows) and `greedy` (the hand
method).

No Django here.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Mapping
from datetime import date

from .appointments import Appointment
from .capacity import Capacity
from .reprogramming.components import _components
from .reprogramming.costs import (
    LATE_FACTOR,
    UNPLACED_DAYS,
    WEIGHTS,
    _fixed_cost,
    move_cost,
    plan_objective,
    unplaced_cost,
)
from .reprogramming.deprogramming import Deprogramming, deprogram
from .reprogramming.greedy import greedy_edf
from .reprogramming.plan import (
    DECISIONS,
    PLAN_COLUMNS,
    Plan,
    PlanRow,
    _stats,
    notification_channel,
)
from .reprogramming.problem import DEFAULT_NOTICE_DAYS, _problem, _unplaced_reason
from .reprogramming.solve import WHOLE_LIMIT, _solve
from .reprogramming.times import DAY_LENGTH_MINUTES, OPENING_MINUTE, _rows

__all__ = [
    "DAY_LENGTH_MINUTES",
    "DECISIONS",
    "DEFAULT_NOTICE_DAYS",
    "LATE_FACTOR",
    "OPENING_MINUTE",
    "PLAN_COLUMNS",
    "UNPLACED_DAYS",
    "WEIGHTS",
    "WHOLE_LIMIT",
    "Deprogramming",
    "Plan",
    "PlanRow",
    "deprogram",
    "greedy_edf",
    "move_cost",
    "notification_channel",
    "plan_objective",
    "reprogram",
    "unplaced_cost",
]


def reprogram(
    appointments: Iterable[Appointment],
    capacity: Capacity,
    *,
    today: date,
    notice_days: int = DEFAULT_NOTICE_DAYS,
    keep: Collection[str] = (),
    postpone: Collection[str] = (),
    pins: Mapping[str, date] | None = None,
    deprogramming: Deprogramming | None = None,
    time_limit: float = 60.0,
    gap_limit: float = 0.001,
    workers: int = 2,
) -> Plan:
    """The optimised plan (module doc). ``time_limit`` bounds the solving, in seconds
    (relaxations, rounding and branch and bound; not the preparation nor the times of day);
    it stops earlier once the proven gap is at most ``gap_limit`` (0: prove the optimum).
    ``workers``: components solved at once. ``keep``, ``postpone`` and ``pins`` are the
    scheduler's decisions (`deprogram`), or ``deprogramming`` one already made."""
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    pb = _problem(
        appointments, capacity, today, notice_days, keep, postpone, pins, deprogramming, timings
    )
    comps = _components(pb)
    _solve(pb, comps, time_limit, gap_limit, workers, timings)
    assigned: dict[str, date] = {}
    unplaced = dict(pb.unplaced)
    bound = 0.0
    for comp in comps:
        bound += comp.bound
        for k in comp.items:
            item = pb.items[k]
            ids = iter(item.ids)
            for j, n in enumerate(comp.counts[k]):
                for _ in range(n):
                    assigned[next(ids)] = item.days[j]
            for x in ids:
                unplaced[x] = _unplaced_reason(pb, x)
    # dependents of unplaced singletons: say why
    for a, b in pb.links:
        if a in unplaced and b in unplaced:
            unplaced[b] = f"depends on {a}, unplaced"
    bound += _fixed_cost(pb)
    start = time.perf_counter()
    rows = _rows(pb, assigned, unplaced)
    timings["times"] = time.perf_counter() - start
    objective = plan_objective(pb, rows)
    timings["total"] = time.perf_counter() - t0
    plan = Plan(rows, objective, min(bound, objective), "optimiser", timings, _stats(pb, rows))
    plan.stats.update(
        classes=sum(1 for i in pb.items if not i.singleton),
        singletons=sum(1 for i in pb.items if i.singleton),
        components=len(comps),
        variables=sum(len(i.days) + 1 for i in pb.items),
    )
    return plan
