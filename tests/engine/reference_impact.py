"""The impact semantics of FORMATS.md §1, written straight from the text: recursion over
plain sets, no arrays, no cleverness. The property tests hold the fast engine to it."""

from __future__ import annotations

from crisiscell.engine.groupmap import NOT_SERVING, GroupMap
from crisiscell.engine.impact import Situation


class Reference:
    def __init__(self, gm: GroupMap, s: Situation):
        self.gm, self.s = gm, s
        self.flows = {f.key for f in gm.flows}
        self.memo: dict[tuple[str, str], bool] = {}

    def serves(self, host: str) -> bool:
        return self.s.host_states.get(host, "ok") not in NOT_SERVING

    def cut(self, a: str, b: str) -> bool:
        s = self.s
        internet = {z.id for z in self.gm.zones if z.kind == "internet"}
        return (
            (a, b) in s.blocked_flows
            or a in s.isolated_zones
            or b in s.isolated_zones
            or (s.internet_cut and (a in internet or b in internet))
        )

    def reaches(self, x: str, y: str) -> bool:
        return x == y or ((x, y) in self.flows and not self.cut(x, y))

    def available(self, app: str, zone: str) -> bool:
        key = (app, zone)
        if key not in self.memo:
            a = self.gm.application(app)
            self.memo[key] = any(
                self.serves(h)
                and self.reaches(zone, self.gm.host(h).zone)
                and all(self.available(n, self.gm.host(h).zone) for n in a.needs)
                for h in a.hosts
            )
        return self.memo[key]

    def status(self, service_id: str) -> str:
        svc = self.gm.service(service_id)

        def missing(without: str) -> bool:
            return any(
                not any(self.available(n.app, w) for w in svc.workstations)
                for n in svc.needs
                if n.without == without
            )

        if missing("down"):
            return "down"
        if missing("degraded"):
            return "degraded"
        return "normal"

    def statuses(self) -> dict[str, str]:
        return {svc.id: self.status(svc.id) for svc in self.gm.services}

    def available_from(self) -> dict[str, frozenset[str]]:
        return {
            a.id: frozenset(z.id for z in self.gm.zones if self.available(a.id, z.id))
            for a in self.gm.applications
        }
