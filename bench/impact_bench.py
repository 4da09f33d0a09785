"""Impact engine benchmark: one zone isolated on the region map, every service recomputed.

Run: ``python bench/impact_bench.py [--sites 1000] [--seed 1] [--repeat 5]``

Builds the demo region map, compiles it once, isolates one busy datacenter server zone, then
times, on that same situation and in the same run, the engine's full recompute (`evaluate`,
every application's availability, every service's status, reasons for the non-normal ones)
against a straightforward networkx implementation (a DiGraph of the uncut flows, availability
memoised per (application, zone), one status per service). The two must agree on every
service status; the timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import networkx as nx

try:
    from crisiscell.engine.demo_map import generate
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from crisiscell.engine.demo_map import generate

from crisiscell.engine.groupmap import NOT_SERVING, GroupMap, parse_map
from crisiscell.engine.impact import STATUSES, Situation, compile_map, evaluate


def networkx_statuses(gm: GroupMap, s: Situation) -> dict[str, str]:
    """The baseline: FORMATS.md §1 read literally, on a networkx graph of the uncut flows."""
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
    memo: dict[tuple[str, str], bool] = {}

    def available(app: str, zone: str) -> bool:
        key = (app, zone)
        if key not in memo:
            a = gm.application(app)
            result = False
            for h in a.hosts:
                host = gm.host(h)
                if s.host_states.get(h, "ok") in NOT_SERVING:
                    continue
                if zone != host.zone and not graph.has_edge(zone, host.zone):
                    continue
                if all(available(n, host.zone) for n in a.needs):
                    result = True
                    break
            memo[key] = result
        return memo[key]

    statuses = {}
    for svc in gm.services:
        unmet = {
            n.without for n in svc.needs if not any(available(n.app, w) for w in svc.workstations)
        }
        statuses[svc.id] = "down" if "down" in unmet else "degraded" if unmet else "normal"
    return statuses


def busiest_datacenter_zone(gm: GroupMap) -> str:
    """The server zone of a datacenter site with the most hosts (ties: smallest id);
    failing that, the zone with the most hosts."""
    hosts = Counter(h.zone for h in gm.hosts)
    datacenter = {site.id for site in gm.sites if site.kind == "datacenter"}
    candidates = [z.id for z in gm.zones if z.kind == "servers" and z.site in datacenter]
    candidates = candidates or [z.id for z in gm.zones]
    return min(candidates, key=lambda z: (-hosts[z], z))


def timed(sides: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[float]]:
    """Run each side `repeat` times, interleaved so that a busy moment of the machine does
    not fall on one side only. Returns the times of each side, in seconds."""
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(repeat):
        for name, fn in sides.items():
            gc.collect()
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sites", type=int, default=1000, help="sites in the region map")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each side")
    parser.add_argument(
        "--worst",
        action="store_true",
        help="isolate every datacenter server zone (every service hit) instead of one zone",
    )
    args = parser.parse_args(argv)

    start = time.perf_counter()
    gm = parse_map(generate(args.seed, args.sites))
    build = time.perf_counter() - start
    start = time.perf_counter()
    cm = compile_map(gm)
    compile_time = time.perf_counter() - start

    if args.worst:
        datacenters = {site.id for site in gm.sites if site.kind == "datacenter"}
        zones = frozenset(z.id for z in gm.zones if z.kind == "servers" and z.site in datacenters)
    else:
        zones = frozenset({busiest_datacenter_zone(gm)})
    situation = Situation(isolated_zones=zones)

    result = evaluate(cm, situation)
    baseline = networkx_statuses(gm, situation)
    ours = {sid: si.status for sid, si in result.services.items()}
    disagree = [sid for sid in ours if ours[sid] != baseline[sid]]
    assert not disagree, f"engine and baseline disagree on {len(disagree)} services: {disagree[:5]}"

    times = timed(
        {
            "ours": lambda: evaluate(cm, situation),
            "ours_apps": lambda: dict(evaluate(cm, situation).available_from),
            "networkx": lambda: networkx_statuses(gm, situation),
        },
        args.repeat,
    )

    gc.collect()
    tracemalloc.start()
    evaluate(cm, situation)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

    def ms(name: str) -> str:
        runs = times[name]
        return f"{statistics.median(runs) * 1000:7.1f} ms / {min(runs) * 1000:7.1f} ms"

    def speedup(name: str) -> str:
        med = statistics.median(times["networkx"]) / statistics.median(times[name])
        best = min(times["networkx"]) / min(times[name])
        return f"{med:.1f}x / {best:.1f}x"

    counts = result.counts()
    n_reasons = sum(len(si.reasons) for si in result.services.values())
    size = gm.counts()
    rows = [
        (
            "map",
            f"seed {args.seed}: {size['sites']:,} sites, {size['zones']:,} zones, "
            f"{size['flows']:,} flows,",
        ),
        (
            "",
            f"{size['hosts']:,} hosts, {size['applications']:,} applications, "
            f"{size['services']:,} services",
        ),
        ("map build (generate + parse)", f"{build:.2f} s"),
        ("compile_map (once per map)", f"{compile_time * 1000:.0f} ms"),
        (
            "situation",
            f"zone {next(iter(zones))} isolated"
            if len(zones) == 1
            else f"{len(zones)} datacenter server zones isolated",
        ),
        (f"time, median / min of {args.repeat}", ""),
        ("  evaluate (statuses + reasons)", ms("ours")),
        ("  evaluate + every app's zone set", ms("ours_apps")),
        ("  networkx baseline (statuses only)", ms("networkx")),
        ("speedup, median / min", ""),
        ("  evaluate", speedup("ours")),
        ("  evaluate + every app's zone set", speedup("ours_apps")),
        ("services per status", ", ".join(f"{k} {counts[k]:,}" for k in STATUSES)),
        ("reasons (non-normal services)", f"{n_reasons:,}"),
        ("agreement with baseline", f"all {len(ours):,} statuses identical"),
        ("peak traced memory in evaluate", f"{peak / 2**20:.1f} MiB"),
        ("process max RSS", f"{max_rss / 1024:.0f} MiB"),
    ]
    width = max(len(k) for k, _ in rows)
    print("Impact engine benchmark")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}".rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
