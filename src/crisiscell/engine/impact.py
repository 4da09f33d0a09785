"""The impact engine: which care services a situation leaves normal, degraded or down, and why.

The meaning is FORMATS.md §1, followed to the letter:

* a host *serves* unless its state is ``compromised``, ``isolated`` or ``off`` (a host the
  situation does not mention is ``ok``);
* zone X *reaches* zone Y when X == Y, or a flow X -> Y exists and is not cut. A flow is cut
  when it is blocked, when either end zone is isolated, or (internet cut) when either end zone
  is of kind ``internet``. One hop only: flows are firewall rules, not routes;
* application A is *available from* zone Z when at least one host of A serves, sits in a zone
  that Z reaches, and every application A needs is available from *that host's* zone;
* a care service is ``down`` when some ``without: down`` need is available from none of its
  workstation zones, else ``degraded`` when some ``without: degraded`` need is, else ``normal``.

How it is computed (the reason this module exists rather than a graph walk):
`compile_map` turns the map, once, into integer indexes and arrays. Its unit is the *support
pair*: an application and a zone where it has hosts. Whether application N is available from
zone W can only be decided by N's support pairs in W itself or in a zone W has a flow to; so
for every question the statuses ask ("is N available from W", for each need and workstation
zone, and for each support pair's own needs from its zone) the map alone gives a short list
of candidates (support pair, flow). `evaluate` then works per situation with numpy gathers
and scatters only: host states give the serving support pairs; the situation gives the uncut
flows; level by level of the dependency DAG, a support pair stays *good* only if each of its
needs has a good candidate over an uncut flow; and a service need is met when one of its
questions has one. The full zone set of every application (`Impact.available_from`) is one
sparse product ``goods @ R`` (R: identity + uncut flows), done only when read.
Nothing computed for one situation is kept for the next: the compiled map holds only what the
map alone determines.

Reasons are built only for non-normal services, by a memoised walk per (application, zone)
that names every leaf cause: a host that does not serve, a flow that is cut (blocked, isolated
end, internet cut), a flow that does not exist, an application without hosts.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Container, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .groupmap import HOST_STATES, NOT_SERVING, GroupMap, MapError, app_order

STATUSES = ("normal", "degraded", "down")
CAUSES = ("host", "blocked_flow", "isolated_zone", "internet_cut", "no_flow", "no_host")


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Situation:
    """What is wrong right now. Hosts not listed in `host_states` are ``ok``."""

    host_states: Mapping[str, str] = field(default_factory=dict)
    isolated_zones: frozenset[str] = frozenset()
    blocked_flows: frozenset[tuple[str, str]] = frozenset()  # (from_zone, to_zone)
    internet_cut: bool = False


class SituationInvalid(ValueError):
    """Raised by `evaluate` when the situation names what the map does not have."""

    def __init__(self, errors: Iterable[MapError]):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


def check_situation(gm: GroupMap, s: Situation) -> list[MapError]:
    """Every reference in `s` the map does not know, and every unknown host state."""
    flows = {f.key for f in gm.flows} if s.blocked_flows else frozenset()
    return _check(gm, s, flows)


def _check(gm: GroupMap, s: Situation, flows: Container[tuple[str, str]]) -> list[MapError]:
    errors: list[MapError] = []
    for host, state in s.host_states.items():
        path = f"host_states[{host!r}]"
        if not gm.has("hosts", host):
            errors.append(MapError(path, f"unknown host {host!r}"))
        if state not in HOST_STATES:
            expected = ", ".join(HOST_STATES)
            errors.append(MapError(path, f"unknown state {state!r} (expected one of: {expected})"))
    for zone in sorted(s.isolated_zones, key=repr):
        if not gm.has("zones", zone):
            errors.append(MapError(f"isolated_zones[{zone!r}]", f"unknown zone {zone!r}"))
    for key in sorted(s.blocked_flows, key=repr):
        path = f"blocked_flows[{key!r}]"
        if not (isinstance(key, tuple) and len(key) == 2):
            errors.append(MapError(path, "expected a pair (from_zone, to_zone)"))
            continue
        unknown = [z for z in key if not gm.has("zones", z)]
        if unknown:
            errors.append(MapError(path, ", ".join(f"unknown zone {z!r}" for z in unknown)))
        elif key not in flows:
            errors.append(MapError(path, f"unknown flow {key[0]!r} -> {key[1]!r}"))
    return errors


# ---------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Reason:
    """One leaf cause of an unavailable need, with the chain of applications leading to it.

    `chain` holds (application, zone it is unavailable from) hops, from the service's need
    down to the application whose own hosts fail, e.g. ``(("EHR", "ARL-WS"), ("AD", "DC-SRV"))``.

    `subject` and `detail` by cause:

    =============== ================================ =====================================
    cause           subject                          detail
    =============== ================================ =====================================
    host            the host id                      its state (compromised|isolated|off)
    blocked_flow    ``FROM->TO``
    isolated_zone   the isolated zone id             the cut flow ``FROM->TO``
    internet_cut    the cut flow ``FROM->TO``        the internet end zone id
    no_flow         the missing flow ``FROM->TO``
    no_host         the application id
    =============== ================================ =====================================
    """

    app: str
    chain: tuple[tuple[str, str], ...]
    cause: str
    subject: str
    detail: str = ""

    def text(self) -> str:
        head = " ← ".join(f"{app} unavailable from {zone}" for app, zone in self.chain)
        return f"{head}: {self._cause_text()}"

    def _cause_text(self) -> str:
        if self.cause == "host":
            return f"host {self.subject} is {self.detail}"
        if self.cause == "blocked_flow":
            return f"flow {_arrow(self.subject)} is blocked"
        if self.cause == "isolated_zone":
            return f"flow {_arrow(self.detail)} is cut (zone {self.subject} isolated)"
        if self.cause == "internet_cut":
            return f"flow {_arrow(self.subject)} is cut (internet cut)"
        if self.cause == "no_flow":
            return f"no flow {_arrow(self.subject)}"
        if self.cause == "no_host":
            return f"application {self.subject} has no host"
        return f"{self.cause} {self.subject} {self.detail}".strip()


def _arrow(flow: str) -> str:
    return flow.replace("->", " → ", 1)


@dataclass(frozen=True)
class ServiceImpact:
    """A service's status and its reasons.

    `reasons` is empty when normal. Otherwise it lists the leaf causes of *every* need that
    is available from none of the service's workstation zones, the ``without: down`` needs
    first, then the ``without: degraded`` ones; each group sorted, without duplicates. So a
    down service also shows what will still keep it degraded once the down causes are fixed.

    For a need unavailable from workstation zone W, every host of the application is
    accounted for: a host that does not serve is a cause; a host whose zone W does not reach
    gives the missing or cut flow (with every reason it is cut); both when both hold. Only
    for a host that serves *and* is reached does the walk go down to the applications it
    needs that are unavailable from its zone, extending the chain.
    """

    status: str
    reasons: tuple[Reason, ...] = ()


NORMAL = ServiceImpact("normal", ())


@dataclass
class Impact:
    """The outcome of one situation: every service's status and every application's zones.

    `available_from` is a read-only mapping (an `Availability`), computed on first read.
    """

    services: dict[str, ServiceImpact]
    available_from: Mapping[str, frozenset[str]]  # application id -> zones it is available from

    def to_json(self) -> dict:
        return {
            "services": {
                sid: {"status": si.status, "reasons": [r.text() for r in si.reasons]}
                for sid, si in self.services.items()
            },
            "applications": {
                app: {"available_from": sorted(zones)} for app, zones in self.available_from.items()
            },
        }

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for si in self.services.values():
            out[si.status] += 1
        return out


# ---------------------------------------------------------------------------
# The compiled map
# ---------------------------------------------------------------------------


def _i(values, dtype=np.int64) -> np.ndarray:
    return np.asarray(values, dtype=dtype)


class CompiledMap:
    """Everything about a map that no situation changes, as integer indexes and arrays.

    Built once per map by `compile_map`; read-only afterwards (`evaluate` never writes here).

    The central notion is the *support pair*: an application and a zone where it has at least
    one host. A support pair is *good* in a situation when one of its hosts there serves and
    every application it needs is available from that zone; the application is then available
    from that zone and from every zone with an uncut flow into it. So "is N available from W"
    is a question about a few candidates known from the map alone: N's support pairs in W
    itself (always reached) or in a zone Y with a flow W -> Y (reached while that flow is
    uncut). Those candidates are compiled here, for every question the statuses need.
    """

    def __init__(self, gm: GroupMap):
        self.gm = gm
        # Zones.
        self.zone_ids: list[str] = [z.id for z in gm.zones]
        self.zone_index = {z: i for i, z in enumerate(self.zone_ids)}
        Z = self.n_zones = len(self.zone_ids)
        self._zone_names = np.array(self.zone_ids, dtype=object)
        self.zone_internet = np.array([z.kind == "internet" for z in gm.zones], dtype=bool)
        # Flows. Index F (one past the last flow) stands for "same zone", never cut.
        zi = self.zone_index
        self.flow_src = _i([zi[f.source] for f in gm.flows])
        self.flow_dst = _i([zi[f.target] for f in gm.flows])
        self.flow_keys = {f.key: i for i, f in enumerate(gm.flows)}
        pairs = zip(self.flow_src.tolist(), self.flow_dst.tolist(), strict=True)
        self.flow_of_pair: dict[tuple[int, int], int] = {pair: f for f, pair in enumerate(pairs)}
        F = self.n_flows = len(gm.flows)
        out_flows: list[list[tuple[int, int]]] = [[] for _ in range(Z)]
        for (src, dst), f in self.flow_of_pair.items():
            out_flows[src].append((dst, f))
        # R^T skeleton, for the full availability sets: row Y holds Y and every zone with a
        # flow into Y; `rt_flow` is the flow each entry stands for (F on the diagonal).
        rows = np.concatenate([np.arange(Z), self.flow_dst])
        cols = np.concatenate([np.arange(Z), self.flow_src])
        which = np.concatenate([np.full(Z, F), np.arange(F)])
        order = np.lexsort((cols, rows))
        self.rt_row = rows[order]
        self.rt_indices = cols[order].astype(np.int32)
        self.rt_flow = which[order]
        # Hosts.
        self.host_ids: list[str] = [h.id for h in gm.hosts]
        self.host_index = {h: i for i, h in enumerate(self.host_ids)}
        self.host_zone = _i([zi[h.zone] for h in gm.hosts])
        # Applications, sorted by dependency level (0: needs nothing; else 1 + the highest
        # level it needs), so each level is a contiguous range after all the apps it needs.
        order_ids = app_order(gm)
        level: dict[str, int] = {}
        for app in order_ids:
            level[app] = 1 + max((level[n] for n in gm.application(app).needs), default=-1)
        position = {app: k for k, app in enumerate(order_ids)}
        self.app_ids: list[str] = sorted(level, key=lambda a: (level[a], position[a]))
        self.app_index = {a: i for i, a in enumerate(self.app_ids)}
        A = self.n_apps = len(self.app_ids)
        apps = [gm.application(a) for a in self.app_ids]
        self.app_needs: list[tuple[int, ...]] = [
            tuple(self.app_index[n] for n in app.needs) for app in apps
        ]
        hi = self.host_index
        self.app_hosts: list[tuple[int, ...]] = [tuple(hi[h] for h in app.hosts) for app in apps]
        # Support pairs, sorted by app then zone, and the (app, host) incidence into them.
        ah_app = _i([a for a, hosts in enumerate(self.app_hosts) for _ in hosts])
        self.ah_host = _i([h for hosts in self.app_hosts for h in hosts])
        pair = ah_app * Z + self.host_zone[self.ah_host]
        sup_keys, self.ah_sup = np.unique(pair, return_inverse=True)
        self.ah_sup = self.ah_sup.reshape(-1)
        self.sup_app = sup_keys // max(Z, 1)
        self.sup_zone = sup_keys % max(Z, 1)
        self.n_sup = len(sup_keys)
        self.sup_bounds: list[int] = np.searchsorted(self.sup_app, np.arange(A + 1)).tolist()
        self._sup_zone_list: list[int] = self.sup_zone.tolist()
        self._sup_at = {
            (a, y): s
            for s, (a, y) in enumerate(zip(self.sup_app.tolist(), self._sup_zone_list, strict=True))
        }
        self._out_flows = out_flows
        self._sup_hosts: list[list[int]] = [[] for _ in range(self.n_sup)]
        for s, h in zip(self.ah_sup.tolist(), self.ah_host.tolist(), strict=True):
            self._sup_hosts[s].append(h)
        # Need checks: one row per (support pair of A in zone Y, need N of A), asking "is N
        # available from Y". Rows follow the support pairs, hence the levels.
        sup_app_list = self.sup_app.tolist()
        nc_sup, nc_app, nc_zone = [], [], []
        for s, (a, y) in enumerate(zip(sup_app_list, self._sup_zone_list, strict=True)):
            for n in self.app_needs[a]:
                nc_sup.append(s)
                nc_app.append(n)
                nc_zone.append(y)
        self.nc_sup = _i(nc_sup)
        self.nc_cand = self._candidates(nc_app, nc_zone)
        self._nc_app = nc_app
        self._nc_bounds: list[int] = np.searchsorted(
            self.nc_sup, np.arange(self.n_sup + 1)
        ).tolist()
        app_level = [level[a] for a in self.app_ids]
        n_levels = max(app_level, default=-1) + 1
        level_of_row = _i([app_level[sup_app_list[s]] for s in nc_sup])
        row_bounds = np.searchsorted(level_of_row, np.arange(n_levels + 1)).tolist()
        cand_bounds = np.searchsorted(self.nc_cand[0], row_bounds).tolist()
        self.level_nc = [
            (row_bounds[k], row_bounds[k + 1], cand_bounds[k], cand_bounds[k + 1])
            for k in range(1, n_levels)
        ]
        # Services: one row per (service, need); the distinct (need, workstation zone)
        # questions they ask, with their candidates; and which question each row asks.
        self.service_ids: list[str] = [s.id for s in gm.services]
        self._all_normal: dict[str, ServiceImpact] = dict.fromkeys(self.service_ids, NORMAL)
        self.service_ws: list[tuple[int, ...]] = [
            tuple(zi[w] for w in s.workstations) for s in gm.services
        ]
        self.service_needs: list[tuple[tuple[int, bool], ...]] = [
            tuple((self.app_index[n.app], n.without == "down") for n in s.needs)
            for s in gm.services
        ]
        sn_service, sn_down, ask_row, ask_q = [], [], [], []
        questions: dict[tuple[int, int], int] = {}
        for si, needs in enumerate(self.service_needs):
            for a, down in needs:
                row = len(sn_service)
                sn_service.append(si)
                sn_down.append(down)
                for w in self.service_ws[si]:
                    ask_row.append(row)
                    ask_q.append(questions.setdefault((a, w), len(questions)))
        self.sn_service = _i(sn_service)
        self.sn_down = np.array(sn_down, dtype=bool)
        # Per service, its (service need row, app), the `down` needs first, then by app id:
        # the order in which a service's reasons are listed.
        self._sn_order: list[list[tuple[int, int]]] = []
        row = 0
        for needs in self.service_needs:
            rows = [(not down, self.app_ids[a], row + k, a) for k, (a, down) in enumerate(needs)]
            self._sn_order.append([(r, a) for _, _, r, a in sorted(rows)])
            row += len(needs)
        self.ask_row = _i(ask_row)
        self.ask_q = _i(ask_q)
        self.n_questions = len(questions)
        self.q_cand = self._candidates([a for a, _ in questions], [w for _, w in questions])

    def _candidates(self, apps: list[int], zones: list[int]):
        """For questions "is apps[q] available from zones[q]": arrays (question, support
        pair, flow) of every support pair that answers yes while it is good and the flow is
        uncut (flow F: same zone). Sorted by question."""
        q_out, s_out, f_out = [], [], []
        F, bounds, sup_zone = self.n_flows, self.sup_bounds, self._sup_zone_list
        for q, (a, w) in enumerate(zip(apps, zones, strict=True)):
            lo, hi = bounds[a], bounds[a + 1]
            found: list[tuple[int, int]] = []
            if (w_sup := self._sup_at.get((a, w))) is not None:
                found.append((w_sup, F))
            if hi - lo <= len(self._out_flows[w]):  # walk whichever side is shorter
                for s in range(lo, hi):
                    f = self.flow_of_pair.get((w, sup_zone[s]))
                    if f is not None:
                        found.append((s, f))
            else:
                for y, f in self._out_flows[w]:
                    s = self._sup_at.get((a, y))
                    if s is not None:
                        found.append((s, f))
            for s, f in found:
                q_out.append(q)
                s_out.append(s)
                f_out.append(f)
        return _i(q_out), _i(s_out), _i(f_out)


def compile_map(gm: GroupMap) -> CompiledMap:
    """Index a validated map once; `evaluate` it against any number of situations."""
    return CompiledMap(gm)


# ---------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------


@dataclass
class _State:
    """One situation, as arrays over the compiled map (never stored on the map)."""

    cm: CompiledMap
    situation: Situation
    host_ok: np.ndarray  # per host: serves
    isolated: np.ndarray  # per zone
    blocked: np.ndarray  # per flow
    flow_ok: np.ndarray  # per flow, plus a last True for "same zone": not cut
    good: np.ndarray  # per support pair: a host serves there and its needs are met there
    nc_met: np.ndarray  # per need check: the support pair's need is available from its zone
    sn_met: np.ndarray  # per (service, need): available from one of its workstation zones


class Availability(Mapping[str, frozenset[str]]):
    """Application id -> the zones it is available from, in one situation.

    A read-only mapping, worked out on first read (one sparse product over all applications,
    then each application's zone set when asked for): a status recompute does not need it,
    a display of the applications does. It reads only the arrays of its own situation."""

    def __init__(self, state: _State):
        self._state = state
        self._rows: tuple[list[str], list[int]] | None = None
        self._sets: dict[str, frozenset[str]] = {}

    def _product(self) -> tuple[list[str], list[int]]:
        """Every application's zones, as (zone names, bounds per application)."""
        if self._rows is None:
            st, cm = self._state, self._state.cm
            Z, A = cm.n_zones, cm.n_apps
            # R^T: row Y holds Y and every zone whose flow into Y is uncut.
            keep = st.flow_ok[cm.rt_flow]
            rt_indptr = np.zeros(Z + 1, dtype=np.int64)
            np.cumsum(np.bincount(cm.rt_row[keep], minlength=Z), out=rt_indptr[1:])
            rt_indices = cm.rt_indices[keep]
            RT = sp.csr_matrix((np.ones(len(rt_indices), bool), rt_indices, rt_indptr), (Z, Z))
            # G: row a holds the zones of a's good support pairs.
            g_indptr = np.zeros(A + 1, dtype=np.int64)
            np.cumsum(np.bincount(cm.sup_app[st.good], minlength=A), out=g_indptr[1:])
            G = sp.csr_matrix((np.ones(g_indptr[-1], bool), cm.sup_zone[st.good], g_indptr), (A, Z))
            AT = (G @ RT).tocsr()  # row a: the zones application a is available from
            self._rows = (cm._zone_names[AT.indices].tolist(), AT.indptr.tolist())
        return self._rows

    def __getitem__(self, app: str) -> frozenset[str]:
        zones = self._sets.get(app)
        if zones is None:
            a = self._state.cm.app_index[app]
            names, bounds = self._product()
            zones = self._sets[app] = frozenset(names[bounds[a] : bounds[a + 1]])
        return zones

    def __iter__(self) -> Iterator[str]:
        return iter(self._state.cm.app_ids)

    def __len__(self) -> int:
        return self._state.cm.n_apps

    def __repr__(self) -> str:
        return f"Availability({dict(self)!r})"


def evaluate(cm: CompiledMap, s: Situation, *, reasons: bool = True) -> Impact:
    """The impact of situation `s` on every service and application of the compiled map.

    Raises `SituationInvalid` when `s` names unknown hosts, zones, flows or states."""
    errors = _check(cm.gm, s, cm.flow_keys)
    if errors:
        raise SituationInvalid(errors)

    host_ok = np.ones(len(cm.host_ids), dtype=bool)
    host_ok[[cm.host_index[h] for h, st in s.host_states.items() if st in NOT_SERVING]] = False
    isolated = np.zeros(cm.n_zones, dtype=bool)
    isolated[[cm.zone_index[z] for z in s.isolated_zones]] = True
    blocked = np.zeros(cm.n_flows, dtype=bool)
    blocked[[cm.flow_keys[k] for k in s.blocked_flows]] = True
    flow_ok = ~blocked & ~isolated[cm.flow_src] & ~isolated[cm.flow_dst]
    if s.internet_cut:
        flow_ok &= ~cm.zone_internet[cm.flow_src] & ~cm.zone_internet[cm.flow_dst]
    flow_ok = np.append(flow_ok, True)

    # A support pair serves when one of its hosts does; it is good when, moreover, every
    # need is met from its zone. Needs sit at lower levels, already final when asked.
    good = np.zeros(cm.n_sup, dtype=bool)
    good[cm.ah_sup[host_ok[cm.ah_host]]] = True
    nc_met = np.ones(len(cm.nc_sup), dtype=bool)
    for r0, r1, c0, c1 in cm.level_nc:
        q, sup, f = (x[c0:c1] for x in cm.nc_cand)
        met = np.zeros(r1 - r0, dtype=bool)
        met[q[good[sup] & flow_ok[f]] - r0] = True
        nc_met[r0:r1] = met
        good[cm.nc_sup[r0:r1][~met]] = False

    # Services: a need is met when available from any of the service's workstation zones.
    q, sup, f = cm.q_cand
    answers = np.zeros(cm.n_questions, dtype=bool)
    answers[q[good[sup] & flow_ok[f]]] = True
    sn_met = np.zeros(len(cm.sn_service), dtype=bool)
    sn_met[cm.ask_row[answers[cm.ask_q]]] = True
    n_sv = len(cm.service_ids)
    is_down = np.zeros(n_sv, dtype=bool)
    is_down[cm.sn_service[~sn_met & cm.sn_down]] = True
    is_degraded = np.zeros(n_sv, dtype=bool)
    is_degraded[cm.sn_service[~sn_met & ~cm.sn_down]] = True

    st = _State(cm, s, host_ok, isolated, blocked, flow_ok, good, nc_met, sn_met)
    services = cm._all_normal.copy()  # a plain copy is far cheaper than building anew
    hit = np.flatnonzero(is_down | is_degraded).tolist()
    explainer = _Explainer(st) if reasons and hit else None
    with _collector_paused():
        for si in hit:
            status = "down" if is_down[si] else "degraded"
            why = explainer.service(si) if explainer else ()
            services[cm.service_ids[si]] = ServiceImpact(status, why)
    return Impact(services=services, available_from=Availability(st))


_collector_lock = threading.Lock()
_collector_pauses = 0  # evaluations under way that paused the collector (threads of one server)
_collector_was_enabled = True


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while reasons are built.

    They are many small acyclic objects (tuples, strings, `Reason`s), freed by reference
    counting alone; left running, the collector rescans every long-lived object (the whole
    map, 100,000 hosts on a region) several times over, which measured as about 40% of the
    time when every service of a region is hit. The collector is global to the process and
    a server evaluates on several threads at once: the first pause records its state and
    the last one out restores it, so overlapping evaluations never leave it off.
    """
    global _collector_pauses, _collector_was_enabled
    with _collector_lock:
        if _collector_pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _collector_pauses += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_pauses -= 1
            if _collector_pauses == 0 and _collector_was_enabled:
                gc.enable()


def impact(gm: GroupMap, s: Situation) -> Impact:
    """Compile `gm` and evaluate `s` on it (for one-off use; compile once to evaluate many)."""
    return evaluate(compile_map(gm), s)


# ---------------------------------------------------------------------------
# Reasons
# ---------------------------------------------------------------------------

_Leaf = tuple[tuple[tuple[str, str], ...], str, str, str]  # chain, cause, subject, detail


class _Explainer:
    """Leaf causes of unavailabilities for one situation, memoised per (application, zone)
    and per (application, workstation zones), so services that share a need and their
    workstation zones share the work. Reads which needs are met from the numeric pass."""

    def __init__(self, st: _State):
        self.cm, self.st, self.s = st.cm, st, st.situation
        self.memo: dict[tuple[int, int], tuple[_Leaf, ...]] = {}
        self.need_memo: dict[tuple[int, tuple[int, ...]], tuple[Reason, ...]] = {}
        # Looked up one by one, a few times per non-normal service: cheaper than lists.
        self.flow_ok, self.nc_met, self.sn_met = st.flow_ok, st.nc_met, st.sn_met

    def service(self, si: int) -> tuple[Reason, ...]:
        """Reasons of every unmet need: the `down` ones first, then the `degraded` ones;
        within each, sorted (by application id, then chain, cause, subject, detail)."""
        ws, met = self.cm.service_ws[si], self.sn_met
        out: list[Reason] = []
        for row, app in self.cm._sn_order[si]:
            if not met[row]:
                out.extend(self.need(app, ws))
        return tuple(out)

    def need(self, app: int, ws: tuple[int, ...]) -> tuple[Reason, ...]:
        """Why `app` is available from none of the zones `ws` (which must be the case)."""
        key = (app, ws)
        if key not in self.need_memo:
            leaves = sorted({leaf for w in ws for leaf in self.explain(app, w)})
            app_id = self.cm.app_ids[app]
            self.need_memo[key] = tuple(Reason(app_id, *leaf) for leaf in leaves)
        return self.need_memo[key]

    def explain(self, app: int, zone: int) -> tuple[_Leaf, ...]:
        """Why `app` is unavailable from `zone` (which it must be)."""
        key = (app, zone)
        if key in self.memo:
            return self.memo[key]
        cm, st = self.cm, self.st
        app_id, zone_id = cm.app_ids[app], cm.zone_ids[zone]
        head = ((app_id, zone_id),)
        leaves: set[_Leaf] = set()
        if not cm.app_hosts[app]:
            leaves.add((head, "no_host", app_id, ""))
        for s in range(cm.sup_bounds[app], cm.sup_bounds[app + 1]):
            # The hosts of `app` in zone y: each one that does not serve is a cause; if one
            # serves, the cause is the path to y, or else a need unavailable from y.
            y = cm._sup_zone_list[s]
            serving = False
            for h in cm._sup_hosts[s]:
                if st.host_ok[h]:
                    serving = True
                else:
                    host_id = cm.host_ids[h]
                    leaves.add((head, "host", host_id, self.s.host_states[host_id]))
            reached = self._reach_leaves(zone, y, head, leaves)
            if serving and reached:
                for row in range(cm._nc_bounds[s], cm._nc_bounds[s + 1]):
                    if not self.nc_met[row]:
                        for chain, cause, subject, detail in self.explain(cm._nc_app[row], y):
                            leaves.add((head + chain, cause, subject, detail))
        result = tuple(sorted(leaves))
        assert result, f"{app_id} is available from {zone_id}: nothing to explain"
        self.memo[key] = result
        return result

    def _reach_leaves(self, z: int, y: int, head, leaves: set[_Leaf]) -> bool:
        """Whether zone z reaches zone y; if not, add every cause to `leaves`."""
        if z == y:
            return True
        cm, st = self.cm, self.st
        f = cm.flow_of_pair.get((z, y))
        if f is not None and self.flow_ok[f]:
            return True
        flow = f"{cm.zone_ids[z]}->{cm.zone_ids[y]}"
        if f is None:
            leaves.add((head, "no_flow", flow, ""))
            return False
        if st.blocked[f]:
            leaves.add((head, "blocked_flow", flow, ""))
        for end in (z, y):
            if st.isolated[end]:
                leaves.add((head, "isolated_zone", cm.zone_ids[end], flow))
        if self.s.internet_cut:
            for end in (z, y):
                if cm.zone_internet[end]:
                    leaves.add((head, "internet_cut", flow, cm.zone_ids[end]))
        return False
