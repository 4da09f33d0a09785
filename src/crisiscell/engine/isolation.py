"""The isolation planner: cuts that stop lateral movement at the least cost to care.

Given the hosts compromised (and suspected), a plan isolates zones, blocks flows and may
cut the internet so that no zone holding a clean server stays reachable from a compromised
zone, hop after hop (an attacker on a host goes wherever the firewall lets it, then on from
there: reachability here is multi-hop, unlike the one-hop rule of application access). Its
price is the care it stops, computed exactly by the impact engine.

By default the attacker follows flows in their direction: from the zone that opens the
connection to the zone that accepts it. ``two_way`` also lets it go back against them, as
when a compromised directory or software-deployment server pushes to the clients that
connect to it: a more cautious reading, which cuts more.

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
such paths, the internet), the multi-hop reach of the attacker (one clause per flow), and
the impact engine's own structure (support pairs, candidates, service needs, compiled by
`impact.compile_map`) as monotone implications, so that the model's care cost is the
engine's. That structure is built as conjunctions of "this flow is not cut" literals, with
a boolean only where an *or* or the objective needs one, shared between equal conditions:
on a region of 100,000 hosts the model is a few tens of thousands of booleans, and the
linear relaxation the solver is told to use (linearization level 2) is tight enough there
to prove the optimum at the root. The solver starts from cutting around the compromise and
returns its best plan with a proven lower bound (the gap is reported when the time limit
stops it, and the plan is then never worse than that starting point); the plan's care cost
is recomputed with `impact.evaluate`, whatever the model said.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import NamedTuple

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
    #: The attacker also goes against a flow's direction: a compromised server answers the
    #: clients that connect to it (a directory pushing a group policy, a deployment server).
    two_way: bool = False


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
    two_way: bool = False,
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
        two_way=two_way,
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
        if pb.two_way:
            out.setdefault(f.target, []).append(f.source)
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
        if pb.two_way:
            out[v].append(u)
            inc[u].append(v)

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


#: A condition in the model: True, False, or a non-empty conjunction of literals (a frozenset
#: of literal keys: ``2 * k`` is the model's k-th boolean, ``2 * k + 1`` its negation).
_Cond = bool | frozenset[int]

#: The full-problem subsolvers, the first ``workers - 1`` of them (the last worker runs
#: the solver's local searches): the LP of linearization level 2 ("max_lp") is tight on
#: these models (on the region map its root bound is the optimum), while CP-SAT's default
#: portfolio for two workers has no such LP and spends seconds closing the gap by search.
_SUBSOLVERS = ("max_lp", "default_lp", "core", "no_lp", "quick_restart", "reduced_costs")


class _Model:
    """The CP-SAT model of one problem; solved once per trade-off point.

    Care is built as conditions (conjunctions of literals) rather than one boolean per
    gate: a flow's "uncut" is the conjunction of the negated cuts that would cut it, a need
    met over a flow the conjunction of that and its support pair's conditions. Only an
    *or* of several conditions, and a condition the objective rewards, get a boolean of
    their own, shared between equal conditions (services of one site often ask the same).
    Every boolean is an upper bound (it can be true only when its condition holds), so the
    solver, maximising care, sets it exactly."""

    def __init__(self, pb: Problem):
        self.pb = pb
        cm = pb.cm
        self.m = m = cp_model.CpModel()
        self._vars: list[cp_model.IntVar] = []
        self._negs: dict[int, object] = {}
        self._one_memo: dict[frozenset[int], int] = {}
        self._any_memo: dict[frozenset[frozenset[int]], int] = {}
        self.on_path, self.path_flows = _paths(pb)
        sources = {cm.zone_index[z] for z in pb.sources}
        # Decisions (literal keys).
        self.iso = {z: self._new() for z in sorted(self.on_path)}
        self.block = {f: self._new() for f in self.path_flows}
        zone_internet = cm.zone_internet.tolist()
        internet = [z for z in self.on_path if zone_internet[z]]
        self.inet = self._new() if internet else None
        # Each flow some decision can cut: the conjunction "no cut applies" (absent: never cut).
        self.uncut: dict[int, frozenset[int]] = {}
        src, dst = cm.flow_src.tolist(), cm.flow_dst.tolist()
        block, iso, inet = self.block, self.iso, self.inet
        for f, (u, v) in enumerate(zip(src, dst, strict=True)):
            cuts = [k for k in (block.get(f), iso.get(u), iso.get(v)) if k is not None]
            if inet is not None and (zone_internet[u] or zone_internet[v]):
                cuts.append(inet)
            if cuts:
                self.uncut[f] = frozenset(k ^ 1 for k in cuts)
        # The attacker's reach, hop after hop (lower bounds: a reached zone is reached):
        # reach[u] and flow u -> v uncut imply reach[v], one clause per flow on a path.
        self.reach = {z: self._new() for z in sorted(self.on_path)}
        lit = self._lit
        for z in sources & self.on_path:
            m.AddBoolOr([lit(self.reach[z])])
        reach = self.reach
        for f in self.path_flows:
            cut_lits = [lit(k ^ 1) for k in self.uncut[f]]
            m.AddBoolOr([lit(reach[src[f]] ^ 1), lit(reach[dst[f]]), *cut_lits])
            if pb.two_way:
                m.AddBoolOr([lit(reach[dst[f]] ^ 1), lit(reach[src[f]]), *cut_lits])
        self.protected = {
            cm.zone_index[z]: n for z, n in pb.protected.items() if cm.zone_index[z] in self.reach
        }
        # Care: the impact engine's structure, as upper bounds (what is met is really met).
        self.good = self._support_pairs()
        self.care_terms, self.care_constant = self._services()

    # -- literals and conditions --------------------------------------------------------

    def _new(self) -> int:
        self._vars.append(self.m.NewBoolVar(""))
        return 2 * (len(self._vars) - 1)

    def _lit(self, key: int):
        if not key & 1:
            return self._vars[key >> 1]
        neg = self._negs.get(key)
        if neg is None:
            neg = self._negs[key] = self._vars[key >> 1].Not()
        return neg

    def _uncut(self, f: int) -> _Cond:
        return True if f == self.pb.cm.n_flows else self.uncut.get(f, True)

    @staticmethod
    def _every(values: Iterable[_Cond]) -> _Cond:
        out: set[int] = set()
        for v in values:
            if v is False:
                return False
            if v is not True:
                out |= v
        return frozenset(out) if out else True

    def _one(self, cond: frozenset[int]) -> int:
        """A literal that can be true only when `cond` holds."""
        if len(cond) == 1:
            return next(iter(cond))
        key = self._one_memo.get(cond)
        if key is None:
            key = self._one_memo[cond] = self._new()
            self.m.AddBoolAnd([self._lit(k) for k in cond]).OnlyEnforceIf(self._lit(key))
        return key

    def _any(self, values: Iterable[_Cond]) -> _Cond:
        terms: set[frozenset[int]] = set()
        for v in values:
            if v is True:
                return True
            if v is not False:
                terms.add(v)
        if not terms:
            return False
        if len(terms) == 1:
            return terms.pop()
        # (c and a) or (c and b) = c and (a or b); a or (a and b) = a
        common = frozenset.intersection(*terms)
        if common in terms:
            return common
        kept: list[frozenset[int]] = []
        for t in sorted((t - common for t in terms), key=len):
            if not any(k <= t for k in kept):
                kept.append(t)
        if len(kept) == 1:
            return common | kept[0]
        memo_key = frozenset(kept)
        key = self._any_memo.get(memo_key)
        if key is None:
            key = self._any_memo[memo_key] = self._new()
            self.m.AddBoolOr([self._lit(key ^ 1), *(self._lit(self._one(t)) for t in kept)])
        return common | {key}

    # -- the impact engine's structure -----------------------------------------------------

    def _support_pairs(self) -> list[_Cond]:
        cm, states = self.pb.cm, self.pb.host_states
        good: list[_Cond] = [
            any(states.get(cm.host_ids[h], "ok") not in NOT_SERVING for h in hosts)
            for hosts in cm._sup_hosts
        ]
        q, sup, f = (x.tolist() for x in cm.nc_cand)
        by_row: dict[int, list[tuple[int, int]]] = {}
        for qq, ss, ff in zip(q, sup, f, strict=True):
            by_row.setdefault(qq, []).append((ss, ff))
        nc_sup = cm.nc_sup.tolist()
        every, uncut = self._every, self._uncut
        # rows are in level order, so each candidate's support pair is final when read
        for r0, r1, _c0, _c1 in cm.level_nc:
            rows_of: dict[int, list[_Cond]] = {}
            for r in range(r0, r1):
                met = self._any(every((good[s2], uncut(f2))) for s2, f2 in by_row.get(r, ()))
                rows_of.setdefault(nc_sup[r], []).append(met)
            for s, mets in rows_of.items():
                if good[s] is not False:
                    good[s] = every((good[s], *mets))
        return good

    def _services(self) -> tuple[list[tuple[int, object]], float]:
        """The care objective, in scaled units: (coefficient, literal) terms and a constant."""
        cm, gm, good = self.pb.cm, self.pb.gm, self.good
        every, uncut = self._every, self._uncut
        q, sup, f = (x.tolist() for x in cm.q_cand)
        by_q: dict[int, list[tuple[int, int]]] = {}
        for qq, ss, ff in zip(q, sup, f, strict=True):
            by_q.setdefault(qq, []).append((ss, ff))
        answers = [
            self._any(every((good[s], uncut(f2))) for s, f2 in by_q.get(k, ()))
            for k in range(cm.n_questions)
        ]
        rows_q: dict[int, list[int]] = {}
        for r, k in zip(cm.ask_row.tolist(), cm.ask_q.tolist(), strict=True):
            rows_q.setdefault(r, []).append(k)
        sn_service, sn_down = cm.sn_service.tolist(), cm.sn_down.tolist()
        needs_of: dict[int, tuple[list, list]] = {}
        for r, (si, down) in enumerate(zip(sn_service, sn_down, strict=True)):
            met = self._any(answers[k] for k in rows_q.get(r, ()))
            needs_of.setdefault(si, ([], []))[0 if down else 1].append(met)
        rewards: dict[frozenset[int], float] = {}
        constant = 0.0
        for si, service in enumerate(gm.services):
            weight = self.pb.service_weight[service.id] * _SCALE
            down_needs, degraded_needs = needs_of.get(si, ([], []))
            ok_down = every(down_needs)
            ok_all = every((ok_down, *degraded_needs))
            # cost = W - W*dc*ok_down - W*(1-dc)*ok_all
            dc = service.degraded_capacity
            constant += weight
            for cond, coef in ((ok_down, weight * dc), (ok_all, weight * (1 - dc))):
                if cond is True:
                    constant -= coef
                elif cond is not False:
                    rewards[cond] = rewards.get(cond, 0.0) + coef
        terms = [(-round(c), self._lit(self._one(cond))) for cond, c in rewards.items() if round(c)]
        return terms, constant

    # -- solving ---------------------------------------------------------------------------

    def baseline_hint(self) -> dict[int, int]:
        """`cut_around_compromise` in the model's decisions: isolate the source zones (on a
        path). It leaves nothing exposed and costs no more care than `isolate_sites`,
        which cuts a superset of its flows."""
        cm = self.pb.cm
        sources = {cm.zone_index[z] for z in self.pb.sources}
        hint = {k: int(z in sources) for z, k in self.iso.items()}
        hint.update(dict.fromkeys(self.block.values(), 0))
        if self.inet is not None:
            hint[self.inet] = 0
        hint.update({k: int(z in sources) for z, k in self.reach.items()})
        return hint

    def solve(self, exposure_weight: float, time_limit: float, workers: int, hint=None):
        """The best plan found at this trade-off, within `time_limit` seconds (`_Solved`;
        its decisions None if none was found in time). An infinite `exposure_weight`
        searches the least care lost leaving nothing exposed."""
        m, lit = self.m, self._lit
        coefs = [c for c, _ in self.care_terms]
        lits = [x for _, x in self.care_terms]
        # Between plans of equal care and exposure, the one with the fewest cuts: each cut
        # costs one hundredth of a care minute, less than any real difference.
        cuts = [*self.iso.values(), *self.block.values()]
        if self.inet is not None:
            cuts.append(self.inet)
        lits += [lit(k) for k in cuts]
        coefs += [CUT_COST] * len(cuts)
        # "No exposure at all" is a constraint (no protected zone reached: always possible,
        # isolating the source zones reaches nothing), not a weight above all care.
        strict = math.isinf(exposure_weight)
        if not strict:
            w = round(exposure_weight * _SCALE)
            for z, n in self.protected.items():
                lits.append(lit(self.reach[z]))
                coefs.append(w * n)
        m.Minimize(cp_model.LinearExpr.WeightedSum(lits, coefs) + round(self.care_constant))
        m.ClearHints()
        for key, value in (hint or {}).items():
            m.AddHint(self._vars[key >> 1], value ^ (key & 1))
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.max_time_in_seconds = max(0.1, time_limit)
        params.num_workers = workers
        if workers <= 1:
            params.linearization_level = 2
        elif workers - 1 <= len(_SUBSOLVERS):
            params.subsolvers.extend(_SUBSOLVERS[: workers - 1])
        else:
            params.extra_subsolvers.append("max_lp")
        domains = m.Proto().variables
        fixed = [self.reach[z] >> 1 for z in self.protected] if strict else []
        for i in fixed:
            domains[i].domain[1] = 0
        try:
            status = solver.Solve(m)
        finally:
            for i in fixed:
                domains[i].domain[1] = 1
        if status in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID):  # no cuts is a plan
            raise RuntimeError(f"isolation model: {solver.StatusName(status)}")
        bound = solver.BestObjectiveBound() / _SCALE
        if status != cp_model.OPTIMAL and status != cp_model.FEASIBLE:  # nothing found in time
            return _Solved(None, False, 1.0, math.inf, bound, hint)
        value = solver.BooleanValue
        cm = self.pb.cm
        values = {
            "isolate": [cm.zone_ids[z] for z, k in self.iso.items() if value(lit(k))],
            "block": [cm.gm.flows[f].key for f, k in self.block.items() if value(lit(k))],
            "internet_cut": bool(self.inet is not None and value(lit(self.inet))),
        }
        best = solver.ObjectiveValue() / _SCALE
        optimal = status == cp_model.OPTIMAL
        decided = [*self.iso.values(), *self.block.values(), *self.reach.values()]
        if self.inet is not None:
            decided.append(self.inet)
        next_hint = {k: int(value(lit(k))) for k in decided}
        return _Solved(
            values, optimal, 0.0 if optimal else _gap(best, bound), best, bound, next_hint
        )


class _Solved(NamedTuple):
    """One solve: the decisions (None if no plan was found in time), whether proven optimal,
    the relative gap, the objective and the proven lower bound (weighted care minutes, the
    model's rounding, cuts included), and a hint for the next solve."""

    values: dict | None
    optimal: bool
    gap: float
    objective: float
    bound: float
    hint: dict[int, int] | None


def _gap(objective: float, bound: float) -> float:
    return min(1.0, max(0.0, objective - bound) / max(abs(objective), 1.0))


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
    two_way: bool = False,
    time_limit: float = 8.0,
    workers: int = 2,
    cm: CompiledMap | None = None,
) -> list[Plan]:
    """Plans best first (by care cost plus exposure at `exposure_weight`), distinct, at most
    `alternatives`: the best plan for `exposure_weight`, then the best plans at other
    trade-off points (care first, no exposure at all, …).

    `time_limit` (seconds) bounds the search over all trade-off points. A plan the solver
    did not prove optimal in time is its best found, never worse than cutting around the
    compromise (`cut_around_compromise`, the solver's starting point, is kept if it was
    not improved on), with `gap` the relative distance to the solver's proven bound."""
    pb = problem(
        gm, host_states, suspected_are_sources=suspected_are_sources, two_way=two_way, cm=cm
    )
    if not pb.protected or not pb.sources:
        return [assess(pb, (), (), False, exposure_weight, optimal=True)]
    model = _Model(pb)
    factors = ALTERNATIVE_FACTORS[: max(1, alternatives)] if alternatives > 1 else (1.0,)
    deadline = time.monotonic() + time_limit
    plans: list[Plan] = []
    seen: set[tuple] = set()
    start = hint = model.baseline_hint()
    hint_exposes = False
    # A plan proven optimal at some weight that leaves nothing exposed is optimal at every
    # higher weight (and at "no exposure at all"): no need to search those again.
    weights = [math.inf if math.isinf(f) else exposure_weight * f for f in factors]
    strict_from: float | None = None

    def needed(weight: float) -> bool:
        return strict_from is None or weight < strict_from

    for k, weight in enumerate(weights):
        if not needed(weight):
            continue
        # the first plan, at the caller's trade-off, matters most: at least half the time
        left = deadline - time.monotonic()
        budget = left / sum(1 for w in weights[k:] if needed(w))
        if k == 0:
            budget = max(budget, left / 2)
        # no exposure at all: start from a plan that has none
        solved = model.solve(
            weight, budget, workers, start if math.isinf(weight) and hint_exposes else hint
        )
        plan = None
        if solved.values is not None:
            plan = assess(
                pb, **solved.values, exposure_weight=weight, optimal=solved.optimal, gap=solved.gap
            )
            hint, hint_exposes = solved.hint, bool(plan.exposed_zones)
        if plan is None or not solved.optimal:
            plan = _no_worse_than_by_hand(pb, plan, weight, solved.bound)
        elif not plan.exposed_zones:
            strict_from = weight if strict_from is None else min(strict_from, weight)
        key = (plan.isolate, plan.block, plan.internet_cut)
        if key in seen:
            continue
        seen.add(key)
        plans.append(plan)
    # Best first, judged at the caller's trade-off.
    w = exposure_weight

    def score(p: Plan) -> tuple[float, float]:
        servers = sum(pb.protected[z] for z in p.exposed_zones)
        return (servers, p.care_cost) if math.isinf(w) else (0, p.care_cost + w * servers)

    plans.sort(key=score)
    return plans[: max(1, alternatives)]


def _no_worse_than_by_hand(pb: Problem, plan: Plan | None, weight: float, bound: float) -> Plan:
    """`plan`, or cutting around the compromise if that is better at this trade-off or if
    there is no plan (possible only when the search stopped early), its gap measured
    against `bound`."""
    by_hand = cut_around_compromise(pb, weight)

    def score(p: Plan) -> tuple[int, float]:  # at an infinite weight, exposure comes first
        servers = sum(pb.protected[z] for z in p.exposed_zones) if math.isinf(weight) else 0
        return servers, p.objective

    if plan is not None and score(by_hand) >= score(plan):
        return plan
    return replace(by_hand, gap=_gap(by_hand.objective, bound))


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
