"""Isolation planner benchmark: ransomware on the region map, the planner against the cuts
a crisis cell makes by hand.

Run: ``python bench/isolation_bench.py [--sites 1000] [--compromised 0.02] [--suspected 0]
[--sites-hit 10] [--seed 1] [--repeat 3] [--alternatives 3] [--time-limit 8] [--workers 2]``

The region section builds the demo region map (`demo_map.generate(seed=1, sites=1000)`:
1,000 sites, over 100,000 hosts), compromises 2 % of its hosts and times, in the same run:
`compile_map`, `isolation.problem`, the planner (`plan_isolation`: its first plan, then with
``--alternatives``) and the two cuts made by hand, `cut_around_compromise` (isolate every
zone holding a compromised host) and `isolate_sites` (cut the internet and isolate every site
with a compromised host). Their plans are printed side by side, with the compromise left
uncut for reference: care cost (weighted care minutes lost per day), clean servers and zones
left exposed, services down and degraded by criticality, zones isolated, flows blocked,
internet cut, and whether the solver proved its plan optimal (else its gap to the bound).
The demo section does the same, smaller, on the demo group (`demo_map.generate()`, 16 sites).

The compromise is a ransomware spread, not hosts drawn anywhere in the region: an attacker
who holds a domain pushes the payload to the Windows hosts (workstations, servers, Windows
medical devices) of the sites it reaches. So sites are hit one after another, drawn at
random with odds proportional to their Windows hosts (more hosts, more ways in; the group
datacenters, full of Windows servers, are likely), at least ``--sites-hit`` of them and
until they hold half as many Windows hosts again as are to be compromised; then 2 % of all
the region's hosts are drawn among those Windows hosts, servers included. ``--suspected``
adds a share of all hosts as suspected (the planner treats them as footholds too), drawn
among the other hosts of the sites hit, where the alerts would be. Same seed, same hosts.

Every plan's care cost is recomputed from scratch with `impact.evaluate` and `care_cost`,
and its exposed zones with a networkx walk of the uncut flows: they must equal the plan's
(asserted: that is the correctness check). Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

try:
    from crisiscell.engine import demo_map
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from crisiscell.engine import demo_map

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository
from bench.report import Rows, fmt, table, timed  # noqa: E402
from crisiscell.engine import isolation
from crisiscell.engine.groupmap import GroupMap, parse_map
from crisiscell.engine.impact import CompiledMap, Situation, compile_map, evaluate
from crisiscell.engine.isolation import Plan, Problem, care_cost

CRITICALITIES = ("vital", "essential", "deferrable")
MAP_SEED = 1  # the map's; --seed is the compromise's


# ---------------------------------------------------------------------------
# The scenario
# ---------------------------------------------------------------------------


@dataclass
class Scenario:
    host_states: dict[str, str]
    sites_hit: list[str]
    windows_hosts: int  # on the sites hit: the hosts the payload can reach


def ransomware(
    gm: GroupMap, *, compromised: float, suspected: float, sites_hit: int, seed: int
) -> Scenario:
    """Hosts compromised by a ransomware spread over several sites (see the module doc)."""
    rng = random.Random(seed)
    site_of = {z.id: z.site for z in gm.zones}
    windows: dict[str, list[str]] = {}
    other: dict[str, list[str]] = {}
    for h in gm.hosts:
        site = site_of[h.zone]
        if site is None:  # the internet: not ours
            continue
        (windows if h.os.startswith("Windows") else other).setdefault(site, []).append(h.id)
    target = round(compromised * len(gm.hosts))
    candidates = sorted(windows)
    odds = [len(windows[s]) for s in candidates]
    hit: list[str] = []
    pool: list[str] = []
    while candidates and (len(hit) < sites_hit or len(pool) < 1.5 * target):
        k = rng.choices(range(len(candidates)), odds)[0]
        site = candidates.pop(k)
        odds.pop(k)
        hit.append(site)
        pool += windows[site]
    states = dict.fromkeys(rng.sample(pool, min(target, len(pool))), "compromised")
    rest = [h for h in pool if h not in states] + [h for s in hit for h in other.get(s, ())]
    n_suspected = min(round(suspected * len(gm.hosts)), len(rest))
    states.update(dict.fromkeys(rng.sample(rest, n_suspected), "suspected"))
    return Scenario(states, hit, len(pool))


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------


def situation_of(pb: Problem, plan: Plan) -> Situation:
    return Situation(
        host_states=pb.host_states,
        isolated_zones=frozenset(plan.isolate),
        blocked_flows=frozenset(plan.block),
        internet_cut=plan.internet_cut,
    )


def exposed_by_networkx(gm: GroupMap, pb: Problem, s: Situation) -> tuple[str, ...]:
    """Protected zones reachable from a source zone over uncut flows, hop after hop."""
    internet = {z.id for z in gm.zones if z.kind == "internet"}
    graph = nx.DiGraph()
    graph.add_nodes_from(z.id for z in gm.zones)
    for f in gm.flows:
        cut = (
            f.key in s.blocked_flows
            or f.source in s.isolated_zones
            or f.target in s.isolated_zones
            or (s.internet_cut and (f.source in internet or f.target in internet))
        )
        if not cut:
            graph.add_edge(f.source, f.target)
            if pb.two_way:
                graph.add_edge(f.target, f.source)
    reached = set(pb.sources)
    for z in pb.sources:
        reached |= nx.descendants(graph, z)
    return tuple(sorted(z for z in pb.protected if z in reached))


def check(cm: CompiledMap, pb: Problem, plan: Plan) -> None:
    """The plan's figures, recomputed from scratch: the correctness check."""
    s = situation_of(pb, plan)
    statuses = {sid: si.status for sid, si in evaluate(cm, s, reasons=False).services.items()}
    assert care_cost(cm.gm, statuses) == plan.care_cost, (care_cost(cm.gm, statuses), plan)
    assert statuses == plan.services
    assert exposed_by_networkx(cm.gm, pb, s) == plan.exposed_zones


# ---------------------------------------------------------------------------
# Timing and printing
# ---------------------------------------------------------------------------


def counted(n: int, kind: str) -> str:
    """``3 medical devices``, ``1 nursing home``: a count of a map's kind or role."""
    return f"{n:,} {kind.replace('_', ' ')}{'' if n == 1 else 's'}"


def by_criticality(gm: GroupMap, plan: Plan, status: str) -> str:
    counts = Counter(s.criticality for s in gm.services if plan.services[s.id] == status)
    return " / ".join(f"{counts[c]:,}" for c in CRITICALITIES)


def weight_text(weight: float) -> str:
    return "no exposure" if weight == float("inf") else f"{weight:,.0f}"


def plan_rows(pb: Problem, columns: list[tuple[str, Plan, str, bool]], weight: float) -> Rows:
    """The plans side by side: (heading, plan, time, planned by the solver) per column."""
    gm = pb.gm
    reference = columns[0][1].care_cost

    def row(label: str, cell: Callable[[Plan], str]) -> tuple[str, ...]:
        return (label, *(cell(p) for _, p, _, _ in columns))

    def servers(p: Plan) -> int:
        return sum(pb.protected[z] for z in p.exposed_zones)

    def solver(p: Plan, solved: bool) -> str:
        if not solved:
            return "-"
        return "optimal" if p.optimal else f"gap {p.gap:.2%}"

    return [
        ("", *(heading for heading, _, _, _ in columns)),
        ("time", *(t for _, _, t, _ in columns)),
        row("care cost (weighted min/day)", lambda p: f"{p.care_cost:,.0f}"),
        row("  vs the planner's", lambda p: f"{p.care_cost / reference - 1:+.1%}"),
        row("exposed clean servers / zones", lambda p: f"{servers(p):,} / {len(p.exposed_zones)}"),
        row(
            f"care + exposure at {weight_text(weight)}",
            lambda p: f"{p.care_cost + weight * servers(p):,.0f}",
        ),
        row("down: vital / essential / deferr.", lambda p: by_criticality(gm, p, "down")),
        row("degraded: vital / essential / def.", lambda p: by_criticality(gm, p, "degraded")),
        row("zones isolated", lambda p: f"{len(p.isolate):,}"),
        row("flows blocked", lambda p: f"{len(p.block):,}"),
        row("internet cut", lambda p: "yes" if p.internet_cut else "no"),
        (
            "searched at exposure weight",
            *(weight_text(p.exposure_weight) if solved else "-" for _, p, _, solved in columns),
        ),
        ("solver", *(solver(p, solved) for _, p, _, solved in columns)),
        row("recomputed (evaluate, networkx)", lambda p: "equal"),
    ]


# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------


def scenario_section(args: argparse.Namespace, sites: int | None, sites_hit: int) -> Rows:
    build_times, gm = timed(lambda: parse_map(demo_map.generate(MAP_SEED, sites)))
    compile_times, cm = timed(lambda: compile_map(gm))
    size = gm.counts()
    sc = ransomware(
        gm,
        compromised=args.compromised,
        suspected=args.suspected,
        sites_hit=sites_hit,
        seed=args.seed,
    )
    states = sc.host_states
    problem_times, pb = timed(lambda: isolation.problem(gm, states, cm=cm, two_way=args.two_way))
    on_path, path_flows = isolation._paths(pb)
    model_times, model = timed(lambda: isolation._Model(pb))
    proto = model.m.Proto()
    n_vars, n_constraints = len(proto.variables), len(proto.constraints)
    del model, proto

    options = {
        "cm": cm,
        "time_limit": args.time_limit,
        "workers": args.workers,
        "two_way": args.two_way,
    }
    first_times, first = timed(lambda: isolation.plan_isolation(gm, states, **options), args.repeat)
    alt_times, alternatives = timed(
        lambda: isolation.plan_isolation(gm, states, alternatives=args.alternatives, **options),
        args.repeat,
    )
    around_times, around = timed(lambda: isolation.cut_around_compromise(pb))
    sites_times, whole_sites = timed(lambda: isolation.isolate_sites(pb))
    nothing = isolation.assess(pb, (), (), False, isolation.DEFAULT_EXPOSURE_WEIGHT)

    [plan] = first
    columns = [("planner", plan, fmt(first_times), True)]
    for k, alt in enumerate(alternatives, 1):
        columns.append((f"alternative {k}", alt, fmt(alt_times) if k == 1 else "(same run)", True))
    columns += [
        ("cut around", around, fmt(around_times), False),
        ("isolate sites", whole_sites, fmt(sites_times), False),
        ("no cuts", nothing, "-", False),
    ]
    check_times: list[float] = []
    for _, p, _, _ in columns:
        check_times += timed(lambda p=p: check(cm, pb, p))[0]

    roles = Counter(gm.host(h).role for h, st in states.items() if st == "compromised")
    kinds = Counter(gm.site(s).kind for s in sc.sites_hit)
    n_suspected = sum(st == "suspected" for st in states.values())
    several = f", median / min of {args.repeat}" if args.repeat > 1 else ""
    rows: Rows = [
        (
            "map",
            f"{size['sites']:,} sites, {size['zones']:,} zones, {size['flows']:,} flows, "
            f"{size['hosts']:,} hosts, {size['services']:,} services",
        ),
        (
            "compromised",
            f"{sum(roles.values()):,} hosts ({sum(roles.values()) / size['hosts']:.1%}): "
            + ", ".join(counted(n, r) for r, n in roles.most_common()),
        ),
        (
            "sites hit",
            f"{len(sc.sites_hit)}: "
            + ", ".join(counted(n, k) for k, n in kinds.most_common())
            + f" ({sc.windows_hosts:,} Windows hosts)",
        ),
        ("suspected", f"{n_suspected:,} hosts (footholds for the planner)"),
        (
            "problem",
            f"{len(pb.sources):,} source zones, {len(pb.protected):,} protected zones "
            f"({sum(pb.protected.values()):,} clean servers)",
        ),
        (
            "attack paths",
            f"{len(on_path):,} zones, {len(path_flows):,} flows; "
            f"model: {n_vars:,} booleans, {n_constraints:,} constraints",
        ),
        (),
        ("time", ""),
        ("  map build (generate + parse_map)", fmt(build_times)),
        ("  compile_map (once per map)", fmt(compile_times)),
        ("  problem()", fmt(problem_times)),
        ("  model build alone (in the planner)", fmt(model_times)),
        (f"  plan_isolation, first plan{several}", fmt(first_times)),
        (f"  plan_isolation, --alternatives {args.alternatives}{several}", fmt(alt_times)),
        ("  cut_around_compromise", fmt(around_times)),
        ("  isolate_sites", fmt(sites_times)),
        ("  check of one plan (evaluate + networkx)", fmt([statistics.median(check_times)])),
        (),
        *plan_rows(pb, columns, isolation.DEFAULT_EXPOSURE_WEIGHT),
    ]
    return rows


def region_section(args: argparse.Namespace) -> Rows:
    return scenario_section(args, args.sites, args.sites_hit)


def demo_section(args: argparse.Namespace) -> Rows:
    return scenario_section(args, None, args.demo_sites_hit)


SECTIONS: dict[str, Callable[[argparse.Namespace], Rows]] = {
    "region": region_section,
    "demo": demo_section,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sites", type=int, default=1000, help="sites of the region map")
    parser.add_argument(
        "--compromised", type=float, default=0.02, help="share of all hosts compromised"
    )
    parser.add_argument("--suspected", type=float, default=0.0, help="share of hosts suspected")
    parser.add_argument("--sites-hit", type=int, default=10, help="at least this many sites hit")
    parser.add_argument("--demo-sites-hit", type=int, default=3, help="sites hit in the demo group")
    parser.add_argument("--seed", type=int, default=1, help="seed of the compromise")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of the planner")
    parser.add_argument("--alternatives", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=8.0, help="the planner's, seconds")
    parser.add_argument("--workers", type=int, default=2, help="the solver's threads")
    parser.add_argument(
        "--two-way",
        action="store_true",
        help="the attacker also goes against the flows' direction (servers push to clients)",
    )
    parser.add_argument(
        "--section",
        action="append",
        choices=sorted(SECTIONS),
        help="run only this section (repeatable; default: all)",
    )
    args = parser.parse_args(argv)
    if not 0 < args.compromised + args.suspected <= 1:
        parser.error("--compromised plus --suspected: a share of the hosts, above 0")
    if args.repeat < 1 or args.alternatives < 1:
        parser.error("--repeat and --alternatives: at least 1")

    print("Isolation planner benchmark")
    for name in args.section or list(SECTIONS):
        print(f"[{name}]")
        for line in table(SECTIONS[name](args)):
            print(f"  {line}".rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
