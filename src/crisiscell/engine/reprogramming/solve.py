"""Solving all the components: phase 1 on each (`rounding`), then phase 2 (`_improve`),
the integer program from that plan on the parts furthest above their bound, ``workers``
at a time, until the whole gap is small enough or the time is up."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from .components import _Component, _feasible, _objective
from .costs import _fixed_cost
from .greedy import _greedy
from .integer_program import _Model
from .problem import _Problem
from .rounding import _ceil, _first_plan, _item_cost, _take_if_cheaper

WHOLE_LIMIT = 100_000  # (class, day) variables: a component this large goes block by block


def _improve(
    pb: _Problem,
    comp: _Component,
    items: list[int],
    time_limit: float,
    gap_limit: float,
    stop: threading.Event | None = None,
):
    """Phase 2: the integer program of a part of a component (`_Model.solve`), from the
    current plan. The whole component is solved exactly (given the time); a block has its
    linked appointments held where they are and is solved on its classes alone. Returns
    the new (counts, unplaced) of the items solved, and a bound on the component's cost
    when the whole of it was solved."""
    whole = len(items) == len(comp.items)
    free = items if whole else [k for k in items if not pb.items[k].singleton]
    free_set = set(free)
    rows: dict = defaultdict(list)
    rhs: dict = {}
    for key, entries in comp.rows.items():
        mine = [(k, j) for k, j in entries if k in free_set]
        if not mine:
            continue
        rows[key] = mine
        held = sum(
            pb.items[k].duration * comp.counts[k][j] for k, j in entries if k not in free_set
        )
        rhs[key] = comp.rhs[key] - held
    sub = _Component(free, rows, rhs, comp.links if whole else [])
    counts = {k: comp.counts[k] for k in free}
    unplaced = {k: comp.unplaced[k] for k in free}
    result = _Model(pb, sub).solve(counts, unplaced, time_limit, gap_limit, stop)
    if result is None or not _feasible(pb, sub, *result[:2]):
        return None
    counts, unplaced, mip_bound, proven = result
    bound = None
    if whole and proven and gap_limit == 0:
        bound = float(_objective(pb, sub, counts, unplaced))
    elif whole and math.isfinite(mip_bound):
        bound = _ceil(mip_bound)
    return free, counts, unplaced, bound


def _solve(
    pb: _Problem,
    comps: list[_Component],
    time_limit: float,
    gap_limit: float,
    workers: int,
    timings: dict[str, float],
) -> None:
    """Phase 1 for every component; then phase 2 (`_improve`) on the parts furthest
    above their bound (small components whole, large ones block by block), ``workers``
    at a time, until the gap is at most ``gap_limit`` or the time is up."""
    start_all = time.perf_counter()
    start = time.perf_counter()
    by_hand, _ = _greedy(pb)
    timings["by hand"] = time.perf_counter() - start
    for comp in comps:
        _first_plan(pb, comp, timings)
        _take_if_cheaper(pb, comp, by_hand)
    deadline = start_all + time_limit
    cost = {id(c): _objective(pb, c, c.counts, c.unplaced) for c in comps}
    fixed = _fixed_cost(pb)

    def gap() -> float:
        objective = sum(cost.values()) + fixed
        bound = sum(c.bound for c in comps) + fixed
        return 0.0 if objective <= 0 else (objective - bound) / objective

    parts = []
    for comp in comps:
        if cost[id(comp)] <= comp.bound:
            continue  # proven optimal already
        size = sum(len(pb.items[k].days) + 1 for k in comp.items)
        if size <= WHOLE_LIMIT or (not comp.links and len(comp.blocks) == 1):
            parts.append((cost[id(comp)] - comp.bound, size, comp, comp.items))
            continue
        for block in comp.blocks:
            if all(pb.items[k].singleton for k in block):
                continue
            excess = sum(
                _item_cost(pb.items[k], comp.counts[k], comp.unplaced[k]) - comp.lp_cost[k]
                for k in block
            )
            size = sum(len(pb.items[k].days) + 1 for k in block)
            parts.append((excess, size, comp, block))
    parts.sort(key=lambda part: -part[0])
    start = time.perf_counter()
    # Two passes: first every part with its share of the time, in proportion to its size
    # (a small one is often proven at once, and leaves its time to the others); then what
    # is left goes to the components still above the gap, the largest gap first.
    total_size = sum(part[1] for part in parts) or 1
    budget = max(0.0, deadline - start) * workers
    queue = [(part, max(1.0, budget * part[1] / total_size), 1) for part in parts]
    second: list = []
    stop = threading.Event()  # set once the whole gap is small enough
    if queue and gap() > gap_limit and start < deadline:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pending: dict = {}

            def submit() -> None:
                part, share, round_ = queue.pop(0)
                limit = min(share, deadline - time.perf_counter())
                if limit > 0.05:
                    _, _, comp, items = part
                    future = pool.submit(_improve, pb, comp, items, limit, gap_limit, stop)
                    pending[future] = (part, round_)

            while queue and len(pending) < workers:
                submit()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    part, round_ = pending.pop(future)
                    comp = part[2]
                    result = future.result()
                    if result is not None:
                        free, counts, unplaced, bound = result
                        before = sum(
                            _item_cost(pb.items[k], comp.counts[k], comp.unplaced[k]) for k in free
                        )
                        after = sum(_item_cost(pb.items[k], counts[k], unplaced[k]) for k in free)
                        if after <= before:
                            for k in free:
                                comp.counts[k], comp.unplaced[k] = counts[k], unplaced[k]
                            cost[id(comp)] += after - before
                        if bound is not None:
                            comp.bound = max(comp.bound, bound)
                    if round_ == 1 and cost[id(comp)] - comp.bound > gap_limit * cost[id(comp)]:
                        second.append(part)
                if not queue and second:
                    second.sort(key=lambda part: -(cost[id(part[2])] - part[2].bound))
                    queue = [(part, math.inf, 2) for part in second]
                    second = []
                if gap() <= gap_limit:
                    stop.set()
                elif time.perf_counter() < deadline - 0.05:
                    while queue and len(pending) < workers:
                        submit()
    timings["mip"] = time.perf_counter() - start
