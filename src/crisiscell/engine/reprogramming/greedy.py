"""The hand method, earliest deadline first (`greedy_edf`): the same deprogramming, then
each postponed appointment in order of its deadline on the earliest day with room. The
optimiser's plan is never worse than this one."""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Mapping
from datetime import date, timedelta

from ..appointments import Appointment
from ..capacity import Capacity
from .costs import plan_objective
from .depends_on import _topological
from .deprogramming import Deprogramming
from .plan import Plan, _stats
from .problem import DEFAULT_NOTICE_DAYS, _Problem, _problem, _unplaced_reason
from .times import _rows


def _next_open(jumps: dict[date, date], d: date) -> date:
    """The first day from ``d`` not known to be too full (path-compressed)."""
    path = []
    while d in jumps:
        path.append(d)
        d = jumps[d]
    for p in path:
        jumps[p] = d
    return d


def _greedy(pb: _Problem) -> tuple[dict[str, date], dict[str, str]]:
    """The hand method on a prepared problem: (day of each placed appointment, reason of
    each unplaced one)."""
    deadline = {x: pb.day[x] + timedelta(days=pb.by_id[x].max_delay) for x in pb.movable}
    links = set(pb.links)
    for b in reversed(_topological(pb.movable, pb.by_id)):
        a = pb.by_id[b].depends_on
        if a in deadline and (a, b) in links:
            deadline[a] = min(deadline[a], deadline[b] - timedelta(days=1))
    rank = {x: k for k, x in enumerate(_topological(pb.movable, pb.by_id))}
    order = sorted(
        pb.movable, key=lambda x: (deadline[x], pb.by_id[x].urgency, rank[x], pb.by_id[x].start, x)
    )
    prerequisite = {b: a for a, b in pb.links}
    room: dict[tuple[str, str, date], int] = {}
    full: dict[tuple[str, int], dict[date, date]] = {}
    assigned: dict[str, date] = {}
    unplaced = dict(pb.unplaced)
    cap = pb.capacity
    for x in order:
        a = pb.by_id[x]
        first = pb.earliest[x]
        if x in prerequisite:
            p = prerequisite[x]
            if p not in assigned:
                unplaced[x] = f"depends on {p}, unplaced"
                continue
            if x in pb.stay and pb.stay[x] > assigned[p]:
                assigned[x] = pb.stay[x]
                continue
            first = max(first, assigned[p] + timedelta(days=1))
        # Days known to have too little room for this duration are skipped (rooms only
        # shrink): `full[(service, duration)]` links each such day to the next one.
        jumps = full.setdefault((a.service, a.duration_min), {})
        d = _next_open(jumps, first)
        while d <= pb.latest[x]:
            key = ("s", a.service, d)
            if room.setdefault(key, pb.room(a.service, d)) < a.duration_min:
                jumps[d] = d + timedelta(days=1)
                d = _next_open(jumps, d)
                continue
            keys = [key]
            ok = True
            if a.surgeon:
                ok = cap.surgeon_operates(a.surgeon, a.service, d)
                surgeon = pb.surgeon_cap(a.surgeon, d)
                if ok and surgeon is not None:
                    keys.append(("g", a.surgeon, d))
                    ok = room.setdefault(keys[1], surgeon) >= a.duration_min
            if ok:
                for key in keys:
                    room[key] -= a.duration_min
                assigned[x] = d
                break
            d += timedelta(days=1)
        else:
            unplaced[x] = _unplaced_reason(pb, x)
    return assigned, unplaced


def greedy_edf(
    appointments: Iterable[Appointment],
    capacity: Capacity,
    *,
    today: date,
    notice_days: int = DEFAULT_NOTICE_DAYS,
    keep: Collection[str] = (),
    postpone: Collection[str] = (),
    pins: Mapping[str, date] | None = None,
    deprogramming: Deprogramming | None = None,
) -> Plan:
    """The hand method: earliest deadline first (original day + clinical limit; a
    prerequisite's deadline is before its dependent's), each on the earliest day with room.
    Its ``bound`` is 0: it proves nothing."""
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    pb = _problem(
        appointments, capacity, today, notice_days, keep, postpone, pins, deprogramming, timings
    )
    start = time.perf_counter()
    assigned, unplaced = _greedy(pb)
    timings["greedy"] = time.perf_counter() - start
    start = time.perf_counter()
    rows = _rows(pb, assigned, unplaced)
    timings["times"] = time.perf_counter() - start
    timings["total"] = time.perf_counter() - t0
    return Plan(rows, plan_objective(pb, rows), 0.0, "greedy_edf", timings, _stats(pb, rows))
