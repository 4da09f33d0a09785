"""The order of appointments linked by ``depends_on``: the members of a cycle, each one's
depth, and every prerequisite before its dependents."""

from __future__ import annotations

from collections.abc import Iterable

from ..appointments import Appointment


def _cycle_members(ids: list[str], by_id: dict[str, Appointment]) -> set[str]:
    """Appointments on a depends_on cycle, among ``ids`` (each depends on one other)."""
    ids_set = set(ids)
    members: set[str] = set()
    state: dict[str, int] = {}
    for start in ids:
        path: list[str] = []
        node = start
        while node in ids_set and node not in state:
            state[node] = 1
            path.append(node)
            node = by_id[node].depends_on
        if node in ids_set and state.get(node) == 1:
            members.update(path[path.index(node) :])
        for p in path:
            state[p] = 2
    return members


def _depths(ids: Iterable[str], by_id: dict[str, Appointment]) -> dict[str, int]:
    """Depth of each of ``ids`` in the depends_on order restricted to ``ids`` (0: its
    prerequisite is not among them). Cycles must have been removed."""
    ids_set = set(ids)
    depth: dict[str, int] = {}
    for x in ids_set:
        chain: list[str] = []
        seen: set[str] = set()
        y = x
        while y in ids_set and y not in depth and y not in seen:
            chain.append(y)
            seen.add(y)
            y = by_id[y].depends_on
        base = depth[y] + 1 if y in depth else 0
        for z in reversed(chain):
            depth[z] = base
            base += 1
    return depth


def _topological(ids: Iterable[str], by_id: dict[str, Appointment]) -> list[str]:
    """``ids`` with every prerequisite before its dependents."""
    depth = _depths(ids, by_id)
    return sorted(depth, key=lambda x: (depth[x], x))
