"""The isolation planner: cuts that stop lateral movement at the least cost to care.

Given the hosts compromised (and suspected), a plan isolates zones, blocks flows and may
cut the internet so that no zone holding a clean server stays reachable from a compromised
zone, hop after hop (an attacker on a host goes wherever the firewall lets it, then on from
there: reachability here is multi-hop, unlike the one-hop rule of application access). Its
price is the care it stops, computed exactly by the impact engine.

Costs, in *weighted care minutes per day*:

* a service's weight is its criticality (vital 100, essential 10, deferrable 1) times its
  planned activity (``capacity_minutes_per_day``, 480 when the map does not say);
* a down service costs its whole weight; a degraded one the share of activity it loses,
  ``1 - degraded_capacity``;
* a *protected* zone (one holding a clean server: a server neither compromised nor
  suspected) left reachable from a compromised zone costs ``exposure_weight`` per clean
  server in it. The default is high (leaving a server exposed costs more than stopping
  a vital service for a day); lower it to trade exposure for care.

The search is exact, not a heuristic: a CP-SAT model (OR-Tools) holds one boolean per cut
that could matter (flows on some path from a compromised zone to a protected one, zones on
such paths, the internet), the multi-hop reach of the attacker, and the impact engine's own
structure (support pairs, candidates, service needs, compiled by `impact.compile_map`) as
monotone implications, so that the model's care cost is the engine's. The solver returns
its best plan with a proven lower bound (the gap is reported); the plan's care cost is then
recomputed with `impact.evaluate`, whatever the model said.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from .groupmap import NOT_SERVING, GroupMap
from .impact import CompiledMap, Situation, compile_map, evaluate

CRITICALITY_WEIGHT = {"vital": 100, "essential": 10, "deferrable": 1}
DEFAULT_CAPACITY = 480  # minutes per day, when the map gives none
DEFAULT_EXPOSURE_WEIGHT = 200_000  # per clean server left reachable
SOURCE_STATES = ("compromised", "suspected")
#: The trade-off points tried for alternatives, as factors of the exposure weight.
ALTERNATIVE_FACTORS = (1.0, 0.01, math.inf, 0.1, 10.0)
_SCALE = 100  # costs are scaled to integers for the solver
CUT_COST = 1  # per cut, in scaled units: breaks ties towards the simplest plan


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    isolate: tuple[str, ...]
    block: tuple[tuple[str, str], ...]
    internet_cut: bool
    care_cost: float  # exact, from the impact engine, for the whole situation
    exposed_zones: tuple[str, ...]
    exposure_cost: float
    services: dict[str, str]  # service id -> normal|degraded|down
    exposure_weight: float  # the trade-off this plan was searched with
    optimal: bool = False  # the solver proved it optimal for its trade-off
    gap: float = 0.0  # relative gap between the plan and the solver's bound

    @property
    def objective(self) -> float:
        return self.care_cost + self.exposure_cost

    def to_json(self) -> dict:
        return {
            "isolate": list(self.isolate),
            "block": [list(k) for k in self.block],
            "internet_cut": self.internet_cut,
            "care_cost": round(self.care_cost, 2),
            "exposed_zones": list(self.exposed_zones),
            "services": dict(self.services),
        }


@dataclass
class Problem:
    """What the planner works on: the map, the host states, who attacks and what to protect."""

    gm: GroupMap
    cm: CompiledMap
    host_states: dict[str, str]
    sources: frozenset[str]  # zones holding a compromised (or suspected) host
    protected: dict[str, int]  # zone -> its clean servers
    service_weight: dict[str, float] = field(default_factory=dict)


def service_weight(service) -> float:
    capacity = service.capacity_minutes_per_day or DEFAULT_CAPACITY
    return CRITICALITY_WEIGHT.get(service.criticality, 1) * capacity


def care_cost(gm: GroupMap, statuses: Mapping[str, str]) -> float:
    """The weighted care minutes a set of statuses loses per day."""
    total = 0.0
    for s in gm.services:
        status = statuses[s.id]
        if status == "down":
            total += service_weight(s)
        elif status == "degraded":
            total += service_weight(s) * (1 - s.degraded_capacity)
    return total


def problem(
    gm: GroupMap,
    host_states: Mapping[str, str],
    *,
    suspected_are_sources: bool = True,
    cm: CompiledMap | None = None,
) -> Problem:
    states = dict(host_states)
    source_states = SOURCE_STATES if suspected_are_sources else ("compromised",)
    sources = frozenset(gm.host(h).zone for h, st in states.items() if st in source_states)
    protected: dict[str, int] = {}
    outside = {z.id for z in gm.zones if z.kind == "internet"}  # not ours to protect
    for h in gm.hosts:
        if h.role == "server" and states.get(h.id, "ok") not in (*SOURCE_STATES, *NOT_SERVING):
            if h.zone not in sources and h.zone not in outside:
                protected[h.zone] = protected.get(h.zone, 0) + 1
    return Problem(
        gm=gm,
        cm=cm or compile_map(gm),
        host_states=states,
        sources=sources,
        protected=protected,
        service_weight={s.id: service_weight(s) for s in gm.services},
    )


def exposed(gm: GroupMap, pb: Problem, situation: Situation) -> tuple[str, ...]:
    """Protected zones a source zone still reaches through uncut flows, hop after hop."""
    cut_zone = set(situation.isolated_zones)
    internet = {z.id for z in gm.zones if z.kind == "internet"}
    out: dict[str, list[str]] = {}
    for f in gm.flows:
        if f.key in situation.blocked_flows or f.source in cut_zone or f.target in cut_zone:
            continue
        if situation.internet_cut and (f.source in internet or f.target in internet):
            continue
        out.setdefault(f.source, []).append(f.target)
    seen = set(pb.sources)
    todo = deque(pb.sources)
    while todo:
        z = todo.popleft()
        for y in out.get(z, ()):
            if y not in seen:
                seen.add(y)
                todo.append(y)
    return tuple(sorted(z for z in pb.protected if z in seen))


def assess(
    pb: Problem,
    isolate: Iterable[str],
    block: Iterable[tuple[str, str]],
    internet_cut: bool,
    exposure_weight: float,
    **extra,
) -> Plan:
    """A plan's exact care cost (impact engine) and exposure."""
    situation = Situation(
        host_states=pb.host_states,
        isolated_zones=frozenset(isolate),
        blocked_flows=frozenset(tuple(k) for k in block),
        internet_cut=internet_cut,
    )
    impact = evaluate(pb.cm, situation, reasons=False)
    statuses = {sid: si.status for sid, si in impact.services.items()}
    open_zones = exposed(pb.gm, pb, situation)
    weight = 0.0 if math.isinf(exposure_weight) else exposure_weight
    return Plan(
        isolate=tuple(sorted(situation.isolated_zones)),
        block=tuple(sorted(situation.blocked_flows)),
        internet_cut=internet_cut,
        care_cost=care_cost(pb.gm, statuses),
        exposed_zones=open_zones,
        exposure_cost=weight * sum(pb.protected[z] for z in open_zones),
        services=statuses,
        exposure_weight=exposure_weight,
        **extra,
    )


# ---------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------


def _paths(pb: Problem) -> tuple[set[int], list[int]]:
    """Zones and flows on some path from a source zone to a protected zone."""
    cm = pb.cm
    Z = cm.n_zones
    out: list[list[int]] = [[] for _ in range(Z)]
    inc: list[list[int]] = [[] for _ in range(Z)]
    src, dst = cm.flow_src.tolist(), cm.flow_dst.tolist()
    for u, v in zip(src, dst, strict=True):
        out[u].append(v)
        inc[v].append(u)

    def walk(starts: Iterable[int], edges: list[list[int]]) -> set[int]:
        seen = set(starts)
        todo = deque(seen)
        while todo:
            for y in edges[todo.popleft()]:
                if y not in seen:
                    seen.add(y)
                    todo.append(y)
        return seen

    zi = cm.zone_index
    forward = walk((zi[z] for z in pb.sources), out)
    backward = walk((zi[z] for z in pb.protected), inc)
    on_path = forward & backward
    flows = [
        f for f, (u, v) in enumerate(zip(src, dst, strict=True)) if u in on_path and v in on_path
    ]
    return on_path, flows


class _Model:
    """The CP-SAT model of one problem; solved once per trade-off point."""

    def __init__(self, pb: Problem):
        self.pb = pb
        cm = pb.cm
        self.m = m = cp_model.CpModel()
        self.on_path, self.path_flows = _paths(pb)
        sources = {cm.zone_index[z] for z in pb.sources}
        # Decisions.
        self.iso = {z: m.NewBoolVar(f"iso{z}") for z in sorted(self.on_path)}
        self.block = {f: m.NewBoolVar(f"blk{f}") for f in self.path_flows}
        internet = [z for z in self.on_path if cm.zone_internet[z]]
        self.inet = m.NewBoolVar("inet") if internet else None
        # Each flow: uncut (True), or a literal that is true when it stays open.
        self.uncut: dict[int, object] = {}
        src, dst = cm.flow_src.tolist(), cm.flow_dst.tolist()
        for f in range(cm.n_flows):
            cuts = []
            if f in self.block:
                cuts.append(self.block[f])
            for z in (src[f], dst[f]):
                if z in self.iso:
                    cuts.append(self.iso[z])
            if self.inet is not None and (cm.zone_internet[src[f]] or cm.zone_internet[dst[f]]):
                cuts.append(self.inet)
            if not cuts:
                continue
            if len(cuts) == 1:
                self.uncut[f] = cuts[0].Not()
            else:
                u = m.NewBoolVar(f"open{f}")
                m.AddBoolOr([*cuts, u])
                for c in cuts:
                    m.AddImplication(c, u.Not())
                self.uncut[f] = u
        # The attacker's reach, hop after hop (lower bounds: a reached zone is reached).
        self.reach = {z: m.NewBoolVar(f"r{z}") for z in sorted(self.on_path)}
        for z in sources & self.on_path:
            m.Add(self.reach[z] == 1)
        for f in self.path_flows:
            u, v = src[f], dst[f]
            lit = self.uncut.get(f, True)
            clause = [self.reach[u].Not(), self.reach[v]]
            if lit is not True:
                clause.append(lit.Not())
            m.AddBoolOr(clause)
        self.protected = {
            cm.zone_index[z]: n for z, n in pb.protected.items() if cm.zone_index[z] in self.reach
        }
        # Care: the impact engine's structure, as upper bounds (what is met is really met).
        self._and_memo: dict[tuple[int, int], object] = {}
        self.good = self._support_pairs()
        self.care_terms, self.care_constant = self._services()
        self.all_care = sum(pb.service_weight.values())

    # A value is True, False or a literal.
    def _and(self, s: int, f: int):
        a = self.good[s]
        b = True if f == self.pb.cm.n_flows else self.uncut.get(f, True)
        if a is False or b is False:
            return False
        if a is True:
            return b
        if b is True:
            return a
        key = (s, f)
        lit = self._and_memo.get(key)
        if lit is None:
            lit = self._and_memo[key] = self.m.NewBoolVar("")
            self.m.AddImplication(lit, a)
            self.m.AddImplication(lit, b)
        return lit

    def _or(self, values: list):
        lits = []
        for v in values:
            if v is True:
                return True
            if v is not False:
                lits.append(v)
        if not lits:
            return False
        if len(lits) == 1:
            return lits[0]
        out = self.m.NewBoolVar("")
        self.m.AddBoolOr([*lits, out.Not()])
        return out

    def _all(self, values: list):
        lits = []
        for v in values:
            if v is False:
                return False
            if v is not True:
                lits.append(v)
        if not lits:
            return True
        if len(lits) == 1:
            return lits[0]
        out = self.m.NewBoolVar("")
        for v in lits:
            self.m.AddImplication(out, v)
        return out

    def _support_pairs(self) -> list:
        cm, states = self.pb.cm, self.pb.host_states
        serving = [False] * cm.n_sup
        for s, hosts in enumerate(cm._sup_hosts):
            serving[s] = any(states.get(cm.host_ids[h], "ok") not in NOT_SERVING for h in hosts)
        good: list = [bool(x) for x in serving]
        self.good = good
        q, sup, f = (x.tolist() for x in cm.nc_cand)
        by_row: dict[int, list[tuple[int, int]]] = {}
        for qq, ss, ff in zip(q, sup, f, strict=True):
            by_row.setdefault(qq, []).append((ss, ff))
        nc_sup = cm.nc_sup.tolist()
        # rows are in level order, so each candidate's support pair is final when read
        for r0, r1, _c0, _c1 in cm.level_nc:
            rows_of: dict[int, list] = {}
            for r in range(r0, r1):
                met = self._or([self._and(s2, f2) for s2, f2 in by_row.get(r, ())])
                rows_of.setdefault(nc_sup[r], []).append(met)
            for s, mets in rows_of.items():
                if good[s] is not False:
                    good[s] = self._all([good[s], *mets])
        return good

    def _services(self):
        cm, gm = self.pb.cm, self.pb.gm
        q, sup, f = (x.tolist() for x in cm.q_cand)
        by_q: dict[int, list[tuple[int, int]]] = {}
        for qq, ss, ff in zip(q, sup, f, strict=True):
            by_q.setdefault(qq, []).append((ss, ff))
        answers = [
            self._or([self._and(s, f2) for s, f2 in by_q.get(k, ())]) for k in range(cm.n_questions)
        ]
        rows_q: dict[int, list[int]] = {}
        for r, k in zip(cm.ask_row.tolist(), cm.ask_q.tolist(), strict=True):
            rows_q.setdefault(r, []).append(k)
        sn_service, sn_down = cm.sn_service.tolist(), cm.sn_down.tolist()
        needs_of: dict[int, tuple[list, list]] = {}
        for r, (si, down) in enumerate(zip(sn_service, sn_down, strict=True)):
            met = self._or([answers[k] for k in rows_q.get(r, ())])
            needs_of.setdefault(si, ([], []))[0 if down else 1].append(met)
        terms: list[tuple[int, object]] = []
        constant = 0.0
        for si, service in enumerate(gm.services):
            weight = self.pb.service_weight[service.id] * _SCALE
            down_needs, degraded_needs = needs_of.get(si, ([], []))
            ok_down = self._all(down_needs)
            ok_all = self._all([ok_down, *degraded_needs]) if ok_down is not False else False
            # cost = W - W*dc*ok_down - W*(1-dc)*ok_all
            dc = service.degraded_capacity
            constant += weight
            for lit, coef in ((ok_down, weight * dc), (ok_all, weight * (1 - dc))):
                if lit is True:
                    constant -= coef
                elif lit is not False:
                    terms.append((-round(coef), lit))
        return terms, constant

    def solve(self, exposure_weight: float, time_limit: float, workers: int, hint=None):
        m = self.m
        objective = [c * lit for c, lit in self.care_terms]
        # Between plans of equal care and exposure, the one with the fewest cuts: each cut
        # costs one hundredth of a care minute, less than any real difference.
        objective += [CUT_COST * v for v in (*self.iso.values(), *self.block.values())]
        if self.inet is not None:
            objective.append(CUT_COST * self.inet)
        # "No exposure at all": leaving one clean server reachable costs more than all care.
        weight = self.all_care + 1 if math.isinf(exposure_weight) else exposure_weight
        w = round(weight * _SCALE)
        objective += [w * n * self.reach[z] for z, n in self.protected.items()]
        m.Minimize(sum(objective))
        if hint is not None:
            m.ClearHints()
            for var, value in hint.items():
                m.AddHint(var, value)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.1, time_limit)
        solver.parameters.num_workers = workers
        status = solver.Solve(m)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        values = {
            "isolate": [self.pb.cm.zone_ids[z] for z, v in self.iso.items() if solver.Value(v)],
            "block": [
                (self.pb.cm.gm.flows[f].source, self.pb.cm.gm.flows[f].target)
                for f, v in self.block.items()
                if solver.Value(v)
            ],
            "internet_cut": bool(self.inet is not None and solver.Value(self.inet)),
        }
        best, bound = solver.ObjectiveValue(), solver.BestObjectiveBound()
        gap = 0.0 if best <= 0 else max(0.0, (best - bound) / abs(best + self.care_constant))
        hint = {v: solver.Value(v) for v in (*self.iso.values(), *self.block.values())}
        return values, status == cp_model.OPTIMAL, gap, hint


# ---------------------------------------------------------------------------
# The planner
# ---------------------------------------------------------------------------


def plan_isolation(
    gm: GroupMap,
    host_states: Mapping[str, str],
    *,
    alternatives: int = 1,
    exposure_weight: float = DEFAULT_EXPOSURE_WEIGHT,
    suspected_are_sources: bool = True,
    time_limit: float = 8.0,
    workers: int = 2,
    cm: CompiledMap | None = None,
) -> list[Plan]:
    """Plans best first (by care cost plus exposure at `exposure_weight`), distinct, at most
    `alternatives`: the best plan for `exposure_weight`, then the best plans at other
    trade-off points (care first, no exposure at all, …)."""
    pb = problem(gm, host_states, suspected_are_sources=suspected_are_sources, cm=cm)
    if not pb.protected or not pb.sources:
        return [assess(pb, (), (), False, exposure_weight, optimal=True)]
    model = _Model(pb)
    factors = ALTERNATIVE_FACTORS[: max(1, alternatives)] if alternatives > 1 else (1.0,)
    deadline = time.monotonic() + time_limit
    plans: list[Plan] = []
    seen: set[tuple] = set()
    hint = None
    for k, factor in enumerate(factors):
        left = deadline - time.monotonic()
        budget = left / (len(factors) - k)
        weight = exposure_weight * factor
        found = model.solve(weight, budget, workers, hint)
        if found is None:
            continue
        values, optimal, gap, hint = found
        key = (
            tuple(sorted(values["isolate"])),
            tuple(sorted(values["block"])),
            values["internet_cut"],
        )
        if key in seen:
            continue
        seen.add(key)
        plans.append(assess(pb, **values, exposure_weight=weight, optimal=optimal, gap=gap))
    # Best first, judged at the caller's trade-off.
    w = exposure_weight

    def score(p: Plan) -> float:
        return p.care_cost + w * sum(pb.protected[z] for z in p.exposed_zones)

    plans.sort(key=score)
    return plans[: max(1, alternatives)]


# ---------------------------------------------------------------------------
# Baselines (what a cell does by hand), for the benchmark and the page
# ---------------------------------------------------------------------------


def cut_around_compromise(pb: Problem, exposure_weight: float = DEFAULT_EXPOSURE_WEIGHT) -> Plan:
    """Isolate every zone that holds a compromised (or suspected) host."""
    return assess(pb, pb.sources, (), False, exposure_weight)


def isolate_sites(pb: Problem, exposure_weight: float = DEFAULT_EXPOSURE_WEIGHT) -> Plan:
    """Cut the internet and isolate every zone of every site with a compromised host."""
    sites = {pb.gm.zone(z).site for z in pb.sources}
    zones = [z.id for z in pb.gm.zones if z.site in sites or z.id in pb.sources]
    return assess(pb, zones, (), True, exposure_weight)
