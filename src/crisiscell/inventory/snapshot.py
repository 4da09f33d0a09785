"""Read the group map and the network's current state out of the database, for the engines."""

from __future__ import annotations

from collections import defaultdict

from crisiscell.engine.groupmap import (
    Application,
    Flow,
    Group,
    GroupMap,
    Host,
    Need,
    Service,
    Site,
    Zone,
)
from crisiscell.engine.impact import Situation

from . import models as m


def load_map() -> GroupMap:
    """The whole map as engine dataclasses (a few queries, no per-row query)."""
    group = m.Group.objects.first()
    zone_code = dict(m.Zone.objects.values_list("id", "code"))
    site_code = dict(m.Site.objects.values_list("id", "code"))
    host_code = dict(m.Host.objects.values_list("id", "code"))
    app_code = dict(m.Application.objects.values_list("id", "code"))

    app_hosts: dict[int, list[str]] = defaultdict(list)
    for app_id, host_id in m.ApplicationHost.objects.order_by(
        "application", "position"
    ).values_list("application_id", "host_id"):
        app_hosts[app_id].append(host_code[host_id])
    app_needs: dict[int, list[str]] = defaultdict(list)
    for app_id, needed_id in m.ApplicationNeed.objects.order_by(
        "application", "position"
    ).values_list("application_id", "needed_id"):
        app_needs[app_id].append(app_code[needed_id])
    service_ws: dict[int, list[str]] = defaultdict(list)
    for sid, zid in m.ServiceWorkstation.objects.order_by("service", "position").values_list(
        "service_id", "zone_id"
    ):
        service_ws[sid].append(zone_code[zid])
    service_needs: dict[int, list[Need]] = defaultdict(list)
    for sid, aid, without in m.ServiceNeed.objects.order_by("service", "position").values_list(
        "service_id", "application_id", "without"
    ):
        service_needs[sid].append(Need(app_code[aid], without))

    service_rows = m.CareService.objects.values_list(
        "id",
        "code",
        "site_id",
        "name",
        "kind",
        "criticality",
        "capacity_minutes_per_day",
        "degraded_capacity",
    )
    return GroupMap(
        group=Group(group.code, group.name, group.timezone, group.country) if group else Group(),
        sites=tuple(
            Site(c, n, k) for c, n, k in m.Site.objects.values_list("code", "name", "kind")
        ),
        zones=tuple(
            Zone(code, kind, site_code.get(site_id), name)
            for code, kind, site_id, name in m.Zone.objects.values_list(
                "code", "kind", "site_id", "name"
            )
        ),
        flows=tuple(
            Flow(zone_code[s], zone_code[t], ports, purpose)
            for s, t, ports, purpose in m.Flow.objects.values_list(
                "source_id", "target_id", "ports", "purpose"
            )
        ),
        hosts=tuple(
            Host(code, zone_code[zid], role, os, ip)
            for code, zid, role, os, ip in m.Host.objects.values_list(
                "code", "zone_id", "role", "os", "ip"
            )
        ),
        applications=tuple(
            Application(code, name, tuple(app_hosts[pk]), tuple(app_needs[pk]), rto)
            for pk, code, name, rto in m.Application.objects.values_list(
                "id", "code", "name", "rto_hours"
            )
        ),
        services=tuple(
            Service(
                code,
                site_code[site_id],
                name,
                kind,
                crit,
                tuple(service_ws[pk]),
                tuple(service_needs[pk]),
                cap,
                share,
            )
            for pk, code, site_id, name, kind, crit, cap, share in service_rows
        ),
    )


def load_situation() -> Situation:
    """Host states, isolated zones, blocked flows and the internet cut, as they are now."""
    group = m.Group.objects.first()
    return Situation(
        host_states=dict(m.Host.objects.exclude(state="ok").values_list("code", "state")),
        isolated_zones=frozenset(
            m.Zone.objects.filter(isolated=True).values_list("code", flat=True)
        ),
        blocked_flows=frozenset(
            m.Flow.objects.filter(blocked=True).values_list("source__code", "target__code")
        ),
        internet_cut=bool(group and group.internet_cut),
    )
