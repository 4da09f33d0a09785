"""Containment cuts as changes to a situation, and what a change does to care.

A containment action (cut the internet, isolate a zone, isolate a site, block a flow, shut
a host) is a change of the network's state; `apply_cut` gives the situation it leaves and
`undo_cut` the one its reversal leaves. `care_changes` compares the impact of two
situations service by service: which services change status, at which site, and why --
what a crisis cell must see *before* it approves a cut, and what a reopening restores.

Isolating a site cuts every flow that leaves or enters its zones (to other sites, to the
datacenters, to the internet): the site goes on alone on its own network, as sister sites
did in preventive mode (seed 004). Flows inside the site stay open.

No Django here: the containment and reopening apps store actions and call these functions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .groupmap import GroupMap
from .impact import STATUSES, CompiledMap, Reason, Situation, evaluate

#: kind -> what its target names
CUT_KINDS = {
    "internet": "",  # no target: every flow to or from an internet zone
    "zone": "zone",
    "site": "site",
    "flow": "flow",  # "FROM->TO"
    "host": "host",  # shut down (state "off")
}


class CutInvalid(ValueError):
    """A cut that names what the map does not have."""


@dataclass(frozen=True)
class Cut:
    """What one action changes: the zones it isolates, the flows it blocks, whether it
    cuts the internet and the hosts it shuts down. Reverting undoes exactly these."""

    isolate: frozenset[str] = frozenset()
    block: frozenset[tuple[str, str]] = frozenset()
    internet: bool = False
    shut: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.isolate or self.block or self.internet or self.shut)

    def to_json(self) -> dict:
        return {
            "isolate": sorted(self.isolate),
            "block": [list(k) for k in sorted(self.block)],
            "internet": self.internet,
            "shut": sorted(self.shut),
        }

    @classmethod
    def from_json(cls, doc: dict) -> Cut:
        return cls(
            isolate=frozenset(doc.get("isolate", ())),
            block=frozenset(tuple(k) for k in doc.get("block", ())),
            internet=bool(doc.get("internet", False)),
            shut=frozenset(doc.get("shut", ())),
        )


def parse_flow(target: str) -> tuple[str, str]:
    source, sep, dest = target.partition("->")
    if not sep or not source.strip() or not dest.strip():
        raise CutInvalid(f"flow {target!r}: expected FROM->TO")
    return source.strip(), dest.strip()


def site_boundary(gm: GroupMap, site: str) -> list[tuple[str, str]]:
    """Every flow that leaves or enters the site's zones, in map order."""
    inside = {z.id for z in gm.zones if z.site == site}
    return [f.key for f in gm.flows if (f.source in inside) != (f.target in inside)]


def cut_for(gm: GroupMap, kind: str, target: str) -> Cut:
    """The whole change an action of `kind` on `target` stands for, whatever the network's
    state is now (see `effective`)."""
    if kind not in CUT_KINDS:
        raise CutInvalid(f"unknown kind of cut {kind!r}: expected one of {', '.join(CUT_KINDS)}")
    if kind == "internet":
        return Cut(internet=True)
    if kind == "zone":
        if not any(z.id == target for z in gm.zones):
            raise CutInvalid(f"unknown zone {target!r}")
        return Cut(isolate=frozenset({target}))
    if kind == "site":
        if not any(s.id == target for s in gm.sites):
            raise CutInvalid(f"unknown site {target!r}")
        return Cut(block=frozenset(site_boundary(gm, target)))
    if kind == "flow":
        key = parse_flow(target)
        if not any(f.key == key for f in gm.flows):
            raise CutInvalid(f"unknown flow {key[0]!r} -> {key[1]!r}")
        return Cut(block=frozenset({key}))
    if not any(h.id == target for h in gm.hosts):
        raise CutInvalid(f"unknown host {target!r}")
    return Cut(shut=frozenset({target}))


def effective(cut: Cut, s: Situation) -> Cut:
    """The part of `cut` not already in force in `s`: what doing it changes, and so what
    undoing it must give back (a flow blocked before the action stays blocked after its
    reversal)."""
    return Cut(
        isolate=cut.isolate - s.isolated_zones,
        block=cut.block - s.blocked_flows,
        internet=cut.internet and not s.internet_cut,
        shut=frozenset(h for h in cut.shut if s.host_states.get(h, "ok") != "off"),
    )


def apply_cut(s: Situation, cut: Cut) -> Situation:
    states = dict(s.host_states)
    states.update(dict.fromkeys(cut.shut, "off"))
    return replace(
        s,
        host_states=states,
        isolated_zones=s.isolated_zones | cut.isolate,
        blocked_flows=s.blocked_flows | cut.block,
        internet_cut=s.internet_cut or cut.internet,
    )


def undo_cut(s: Situation, cut: Cut, host_states: dict[str, str] | None = None) -> Situation:
    """`s` with `cut` lifted; shut hosts go back to `host_states` (default ``ok``)."""
    states = dict(s.host_states)
    for h in cut.shut:
        back = (host_states or {}).get(h, "ok")
        if back == "ok":
            states.pop(h, None)
        else:
            states[h] = back
    return replace(
        s,
        host_states=states,
        isolated_zones=s.isolated_zones - cut.isolate,
        blocked_flows=s.blocked_flows - cut.block,
        internet_cut=s.internet_cut and not cut.internet,
    )


# ---------------------------------------------------------------------------
# What a change does to care
# ---------------------------------------------------------------------------

_RANK = {status: k for k, status in enumerate(STATUSES)}  # normal < degraded < down


@dataclass(frozen=True)
class CareChange:
    """One service whose status differs between two situations."""

    service: str
    site: str
    name: str
    criticality: str
    before: str
    after: str
    reasons: tuple[Reason, ...]  # why it is not normal after (empty when restored)

    @property
    def worse(self) -> bool:
        return _RANK[self.after] > _RANK[self.before]


def care_changes(
    gm: GroupMap, cm: CompiledMap, before: Situation, after: Situation
) -> list[CareChange]:
    """Every service whose status changes from `before` to `after`, vital first, then by
    site and name."""
    old = evaluate(cm, before, reasons=False).services
    new = evaluate(cm, after, reasons=True).services
    order = {"vital": 0, "essential": 1, "deferrable": 2}
    out = [
        CareChange(
            service=s.id,
            site=s.site,
            name=s.name,
            criticality=s.criticality,
            before=old[s.id].status,
            after=new[s.id].status,
            reasons=new[s.id].reasons,
        )
        for s in gm.services
        if old[s.id].status != new[s.id].status
    ]
    out.sort(key=lambda c: (not c.worse, order.get(c.criticality, 3), c.site, c.name))
    return out
