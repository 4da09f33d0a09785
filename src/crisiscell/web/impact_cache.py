"""The compiled group map, kept between requests, and the impact of the situation right now.

Compiling the map (`load_map` + `compile_map`) reads every table and takes a noticeable
moment on a region; evaluating a situation on the compiled map is fast. So each process
keeps the last compiled map, keyed by the map's version, and every request
evaluates the current situation on it.

The key is the group row and its `map_version`, which the importer bumps in the same
transaction as every import: one indexed query per request. The state columns (host
state, isolated zone, blocked flow, internet cut) are not part of the map:
`load_situation` reads them fresh on every request.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

from crisiscell.engine.groupmap import GroupMap, Service, Site, app_order
from crisiscell.engine.impact import CompiledMap, Impact, Situation, compile_map, evaluate
from crisiscell.inventory import models as m
from crisiscell.inventory.snapshot import load_map, load_situation


@dataclass
class CachedMap:
    """A compiled map and the lookups the pages need, built once per map version."""

    key: tuple
    gm: GroupMap
    cm: CompiledMap
    services_by_site: dict[str, list[Service]] = field(default_factory=dict)
    vital: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        by_site: dict[str, list[Service]] = {s.id: [] for s in self.gm.sites}
        for service in self.gm.services:
            by_site.setdefault(service.site, []).append(service)
        self.services_by_site = by_site
        self.vital = frozenset(s.id for s in self.gm.services if s.criticality == "vital")

    @property
    def sites(self) -> tuple[Site, ...]:
        return self.gm.sites

    @property
    def empty(self) -> bool:
        return not self.gm.services and not self.gm.zones

    @cached_property
    def services_needing(self) -> dict[str, int]:
        """Application id -> how many care services need it, directly or through other apps."""
        closure: dict[str, frozenset[str]] = {}
        for app_id in app_order(self.gm):  # every app after the apps it needs
            app = self.gm.application(app_id)
            closure[app_id] = frozenset({app_id}).union(*(closure[n] for n in app.needs))
        counts: Counter[str] = Counter()
        for service in self.gm.services:
            counts.update(frozenset().union(*(closure[n.app] for n in service.needs)))
        return dict(counts)


def map_key() -> tuple:
    """The group row and its map version: the importer bumps the version on every import."""
    return tuple(m.Group.objects.order_by("id").values_list("id", "map_version")[:1])


_lock = threading.Lock()
_cached: CachedMap | None = None


def current_map() -> CachedMap:
    """The compiled map of the database, compiled again only when the map has changed."""
    global _cached
    key = map_key()
    cached = _cached
    if cached is not None and cached.key == key:
        return cached
    with _lock:
        cached = _cached
        if cached is not None and cached.key == key:
            return cached
        gm = load_map()
        fresh = CachedMap(key=key, gm=gm, cm=compile_map(gm))
        # An import that landed while we were reading would make this copy a mix of two
        # maps: use it for this request only and let the next one compile again.
        if map_key() == key:
            _cached = fresh
        return fresh


def clear() -> None:
    """Forget the compiled map (tests that rebuild the database call this)."""
    global _cached
    with _lock:
        _cached = None


@dataclass(frozen=True)
class Now:
    """The map, the situation read from the database, and its impact."""

    map: CachedMap
    situation: Situation
    impact: Impact


def impact_now(*, reasons: bool = True) -> Now:
    cmap = current_map()
    situation = load_situation()
    return Now(cmap, situation, evaluate(cmap.cm, situation, reasons=reasons))
