"""The independent parts of a prepared problem (`_Component`): services linked by
``depends_on`` pairs or by a surgeon with known minutes at several theatres, with their
capacity rows in minutes; a plan's cost on a component, and its check in whole numbers."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from .problem import _Item, _Problem


@dataclass
class _Component:
    """Services linked by depends_on pairs or by a surgeon with known minutes at several
    theatres: no row spans two components. Its blocks are its services linked by such
    surgeons only (no depends_on): the improvement phase works block by block."""

    items: list[int]
    rows: dict[tuple[str, str, date], list[tuple[int, int]]]  # row -> [(item, day index)]
    rhs: dict[tuple[str, str, date], int]
    links: list[tuple[int, int]]  # (item of prerequisite, item of dependent)
    blocks: list[list[int]] = field(default_factory=list)
    counts: dict[int, list[int]] = field(default_factory=dict)
    unplaced: dict[int, int] = field(default_factory=dict)
    lp_cost: dict[int, float] = field(default_factory=dict)  # per item, in the LP
    bound: float = 0.0


def _components(pb: _Problem) -> list[_Component]:
    """The independent parts of the problem, largest first (`_Component`)."""
    comp_of = _UnionFind()
    block_of = _UnionFind()
    surgeon_services: dict[str, str] = {}
    for item in pb.items:
        comp_of.find(item.service)
        block_of.find(item.service)
        if item.surgeon and any(pb.surgeon_cap(item.surgeon, d) is not None for d in item.days):
            other = surgeon_services.setdefault(item.surgeon, item.service)
            comp_of.union(other, item.service)
            block_of.union(other, item.service)
    for a, b in pb.links:
        comp_of.union(pb.by_id[a].service, pb.by_id[b].service)
    comps: dict[str, _Component] = {}
    blocks: dict[str, list[int]] = defaultdict(list)
    for k, item in enumerate(pb.items):
        comp = comps.setdefault(
            comp_of.find(item.service), _Component([], defaultdict(list), {}, [])
        )
        comp.items.append(k)
        blocks[block_of.find(item.service)].append(k)
        for j, d in enumerate(item.days):
            if d == item.stay:
                continue  # the old slot is already counted
            key = ("s", item.service, d)
            comp.rows[key].append((k, j))
            comp.rhs[key] = pb.room(item.service, d)
            if item.surgeon and pb.surgeon_cap(item.surgeon, d) is not None:
                key = ("g", item.surgeon, d)
                comp.rows[key].append((k, j))
                comp.rhs[key] = pb.surgeon_cap(item.surgeon, d)
    for a, b in pb.links:
        comps[comp_of.find(pb.by_id[a].service)].links.append((pb.item_of[a], pb.item_of[b]))
    for root, items in blocks.items():
        comps[comp_of.find(root)].blocks.append(items)
    for comp in comps.values():
        # Whole appointments fill a day only in multiples of their durations' gcd.
        for key, entries in comp.rows.items():
            g = math.gcd(*{pb.items[k].duration for k, _ in entries})
            comp.rhs[key] = max(0, comp.rhs[key]) // g * g
    return sorted(comps.values(), key=lambda c: -sum(len(pb.items[k].days) for k in c.items))


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        while self.parent.setdefault(x, x) != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb


def _day_index(pb: _Problem, d: date) -> int:
    return (d - pb.capacity.first_day).days


def _objective(pb: _Problem, comp: _Component, counts, unplaced) -> int:
    return sum(
        sum(c * n for c, n in zip(pb.items[k].costs, counts[k], strict=True))
        + pb.items[k].unplaced_cost * unplaced[k]
        for k in comp.items
    )


def _feasible(pb: _Problem, comp: _Component, counts, unplaced) -> bool:
    """The solver's plan, checked in whole numbers (its tolerances are not ours)."""
    if any(
        min(counts[k], default=0) < 0 or sum(counts[k]) + unplaced[k] != pb.items[k].n
        for k in comp.items
    ):
        return False
    for key, entries in comp.rows.items():
        if sum(pb.items[k].duration * counts[k][j] for k, j in entries) > max(0, comp.rhs[key]):
            return False
    for ka, kb in comp.links:
        a, b = pb.items[ka], pb.items[kb]
        if unplaced[kb]:
            continue
        if unplaced[ka] or _placed_day(a, counts[ka]) >= _placed_day(b, counts[kb]):
            return False
    return True


def _placed_day(item: _Item, counts: list[int]) -> date:
    return next(d for d, n in zip(item.days, counts, strict=True) if n)
