"""Phase 1, per component: the LP relaxation's bound, and an integer plan rounded from it
day by day (`_round`); the hand method's plan replaces it where that costs less."""

from __future__ import annotations

import bisect
import heapq
import math
import time
from collections import defaultdict
from datetime import date

from .components import _Component, _day_index, _feasible, _objective
from .costs import WEIGHTS
from .integer_program import _Model
from .problem import _Item, _Problem


def _round(pb: _Problem, comp: _Component, values, unplaced) -> tuple[dict, dict]:
    """An integer plan from the LP's, filled day by day. Each appointment of a class gets
    the day where the class's cumulative LP mass reaches it (its target); on each day,
    each service takes its available appointments with the earliest targets first (most
    urgent first among equal targets) while they fit, so no day's room is left to later
    days when some appointment could use it. Linked appointments become available the day
    after their prerequisite's; a dependent stays on its old day when its prerequisite
    came before it. What no day takes is unplaced."""
    room = dict(comp.rhs)
    counts = {k: [0] * len(pb.items[k].days) for k in comp.items}
    unplaced_out = dict.fromkeys(comp.items, 0)
    never = 10**9
    targets: dict[int, list[int]] = {}
    for k in comp.items:
        item = pb.items[k]
        if values is None:
            targets[k] = [0] * item.n
            continue
        t: list[int] = []
        cumulative = 0.0
        for j, v in enumerate([*values[k], unplaced[k]]):
            cumulative += v
            day = _day_index(pb, item.days[j]) if j < len(item.days) else never
            while len(t) < item.n and cumulative >= len(t) + 0.5:
                t.append(day)
        targets[k] = t + [never] * (item.n - len(t))
    next_target = dict.fromkeys(comp.items, 0)  # how many of each class are placed
    prerequisite = {kb: ka for ka, kb in comp.links}
    dependents: dict[int, list[tuple[list[int], list[int]]]] = defaultdict(list)
    for ka, kb in comp.links:
        b = pb.items[kb]
        dependents[ka].append(([_day_index(pb, d) for d in b.days], [*b.costs, b.unplaced_cost]))

    def chain(k: int, day: int) -> int:
        """What a day of delay of a prerequisite placed on `day` costs its dependents,
        each on its first day after it."""
        total = 0
        for days, costs in dependents.get(k, ()):
            total += (
                costs[bisect.bisect_right(days, day + 1)] - costs[bisect.bisect_right(days, day)]
            )
        return total

    placed_day: dict[int, date] = {}
    stays: dict[date, list[int]] = defaultdict(list)
    for k in comp.items:
        if pb.items[k].stay is not None:
            stays[pb.items[k].stay].append(k)
    by_day: dict[date, list[tuple[str, str, date]]] = defaultdict(list)
    for key in comp.rows:
        if key[0] == "s":
            by_day[key[2]].append(key)
    for d in sorted(set(by_day) | set(stays)):
        for k in stays.get(d, ()):
            ka = prerequisite.get(k)
            if ka is None or (ka in placed_day and placed_day[ka] < d):
                counts[k][0] = 1
                next_target[k] = 1
                placed_day[k] = d
        today_index = _day_index(pb, d)
        for key in sorted(by_day.get(d, ())):
            heap = []
            for k, j in comp.rows[key]:
                item = pb.items[k]
                if next_target[k] >= item.n:
                    continue
                ka = prerequisite.get(k)
                if ka is not None and not (ka in placed_day and placed_day[ka] < d):
                    continue
                heap.append(
                    _priority(
                        item, targets[k][next_target[k]], today_index, k, j, chain(k, today_index)
                    )
                )
            heapq.heapify(heap)
            while heap:
                *_, k, j = heapq.heappop(heap)
                item = pb.items[k]
                if not _fits(pb, room, item, j):
                    continue
                counts[k][j] += 1
                _take(pb, room, item, j, 1)
                next_target[k] += 1
                placed_day[k] = d
                if next_target[k] < item.n:
                    heapq.heappush(
                        heap,
                        _priority(
                            item,
                            targets[k][next_target[k]],
                            today_index,
                            k,
                            j,
                            chain(k, today_index),
                        ),
                    )
    for k in comp.items:
        unplaced_out[k] = pb.items[k].n - next_target[k]
    return counts, unplaced_out


def _priority(item: _Item, target: int, day: int, k: int, j: int, chain: float) -> tuple:
    """Who a day takes first: those due (their target is today or past, or others wait on
    them), the dearest per minute to postpone to their next day first (Smith's rule), what
    waits on them counted; then the others, earliest target first."""
    if target <= day or chain:
        following = item.costs[j + 1] if j + 1 < len(item.costs) else item.unplaced_cost
        return (0, -(following - item.costs[j] + chain) / item.duration, k, j)
    return (1, target, -WEIGHTS[item.urgency], k, j)


def _keys(pb: _Problem, item: _Item, j: int):
    d = item.days[j]
    if d == item.stay:
        return []
    keys = [("s", item.service, d)]
    if item.surgeon and pb.surgeon_cap(item.surgeon, d) is not None:
        keys.append(("g", item.surgeon, d))
    return keys


def _fits(pb: _Problem, room, item: _Item, j: int) -> bool:
    return all(room[key] >= item.duration for key in _keys(pb, item, j))


def _take(pb: _Problem, room, item: _Item, j: int, n: int) -> None:
    for key in _keys(pb, item, j):
        room[key] -= n * item.duration


def _item_cost(item: _Item, counts: list, unplaced: float) -> float:
    return (
        sum(c * n for c, n in zip(item.costs, counts, strict=True)) + item.unplaced_cost * unplaced
    )


def _first_plan(pb: _Problem, comp: _Component, timings: dict[str, float]) -> None:
    """Phase 1: the component's LP relaxation (its bound) and the plan rounded from it."""
    start = time.perf_counter()
    relaxation = _Model(pb, comp).relaxation()
    values, unplaced, bound = relaxation or (None, None, 0.0)
    timings["lp"] = timings.get("lp", 0.0) + time.perf_counter() - start
    start = time.perf_counter()
    comp.counts, comp.unplaced = _round(pb, comp, values, unplaced)
    timings["rounding"] = timings.get("rounding", 0.0) + time.perf_counter() - start
    if values is None:
        comp.bound = 0.0
        comp.lp_cost = dict.fromkeys(comp.items, 0.0)
    else:
        comp.bound = _ceil(bound)
        comp.lp_cost = {k: _item_cost(pb.items[k], values[k], unplaced[k]) for k in comp.items}


def _take_if_cheaper(pb: _Problem, comp: _Component, assigned: dict[str, date]) -> None:
    """The hand method's plan, as counts of the component's model, replaces the rounded
    one when it costs less: the optimiser's plan is never worse than the hand method's."""
    counts = {k: [0] * len(pb.items[k].days) for k in comp.items}
    unplaced = {}
    for k in comp.items:
        item = pb.items[k]
        index = {d: j for j, d in enumerate(item.days)}
        for x in item.ids:
            d = assigned.get(x)
            if d is None:
                continue
            if d not in index:
                return  # a day the model left out: cannot be compared, keep the rounding
            counts[k][index[d]] += 1
        unplaced[k] = item.n - sum(counts[k])
    if _objective(pb, comp, counts, unplaced) < _objective(pb, comp, comp.counts, comp.unplaced):
        if _feasible(pb, comp, counts, unplaced):
            comp.counts, comp.unplaced = counts, unplaced


def _ceil(bound: float) -> float:
    """Costs are whole: a bound rounds up, less a hair for the solver's tolerance."""
    return float(math.ceil(bound - 1e-6 * max(1.0, abs(bound))))
