"""What an action would do to care, shown before anyone approves it.

For an action not yet done: the situation now, and the situation with the action's cut
applied (only the part not already in force). For a done action: what reverting it would
give back. Both are compared service by service by the impact engine
(`crisiscell.engine.cuts.care_changes`): which services change status, at which site,
and why; and, for a site isolated, what the site keeps running.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crisiscell.engine import cuts
from crisiscell.engine.impact import evaluate
from crisiscell.web import labels
from crisiscell.web.impact_cache import Now

from .models import Action


@dataclass
class Row:
    change: cuts.CareChange
    why: list[labels.ReasonLine]  # the reasons after the change, for reading (first few)


@dataclass
class SiteChanges:
    site: str
    name: str
    changes: list[Row]


@dataclass
class Keeps:
    """What a site cut off from the group keeps: its services by status after the cut."""

    site: str
    name: str
    by_status: dict[str, list[str]]  # status -> service names


@dataclass
class Preview:
    undo: bool  # True: the effect of reverting a done action
    cut: cuts.Cut  # what it changes on the network
    already: cuts.Cut  # the part of the action already in force (nothing to do there)
    sites: list[SiteChanges] = field(default_factory=list)
    worse: int = 0
    better: int = 0
    vital_worse: int = 0
    keeps: Keeps | None = None
    error: str = ""

    @property
    def count(self) -> int:
        return self.worse + self.better


def preview(action: Action, now: Now) -> Preview | None:
    """The care preview of `action` on the situation `now`; None once it is settled."""
    gm, cm, situation = now.map.gm, now.map.cm, now.situation
    if action.status in ("reverted", "rejected"):
        return None
    try:
        whole = cuts.cut_for(gm, action.kind, action.target)
    except cuts.CutInvalid as exc:  # the map was re-imported without it
        return Preview(undo=False, cut=cuts.Cut(), already=cuts.Cut(), error=str(exc))
    if action.status == "done":
        cut = cuts.Cut.from_json(action.applied or {})
        back = (action.applied or {}).get("host_states", {})
        after = cuts.undo_cut(situation, cut, back)
        out = Preview(undo=True, cut=cut, already=cuts.Cut())
    else:
        cut = cuts.effective(whole, situation)
        already = cuts.Cut(
            isolate=whole.isolate - cut.isolate,
            block=whole.block - cut.block,
            internet=whole.internet and not cut.internet,
            shut=whole.shut - cut.shut,
        )
        after = cuts.apply_cut(situation, cut)
        out = Preview(undo=False, cut=cut, already=already)
    changes = cuts.care_changes(gm, cm, situation, after)
    names = {s.id: s.name for s in gm.sites}
    by_site: dict[str, list[cuts.CareChange]] = {}
    for c in changes:
        by_site.setdefault(c.site, []).append(c)
    out.sites = [
        SiteChanges(
            site, names.get(site, site), [Row(c, labels.reason_lines(c.reasons)) for c in rows]
        )
        for site, rows in by_site.items()
    ]
    out.sites.sort(key=lambda s: (-sum(r.change.worse for r in s.changes), s.name))
    out.worse = sum(c.worse for c in changes)
    out.better = len(changes) - out.worse
    out.vital_worse = sum(c.worse and c.criticality == "vital" for c in changes)
    if action.kind == "site":
        out.keeps = _keeps(gm, cm, after, action.target)
    return out


def _keeps(gm, cm, after, site: str) -> Keeps:
    """What the site keeps running once cut off, service by service."""
    statuses = evaluate(cm, after, reasons=False).services
    by_status: dict[str, list[str]] = {"normal": [], "degraded": [], "down": []}
    for s in gm.services:
        if s.site == site:
            by_status[statuses[s.id].status].append(s.name)
    name = next((x.name for x in gm.sites if x.id == site), site)
    return Keeps(site, name, by_status)
