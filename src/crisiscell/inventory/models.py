"""The group map in the database (FORMATS.md §1), with the network's current state.

Each row keeps the map's own identifier in `code` (``ARL``, ``srv-ehr-01``); Django's
integer `id` is internal. Lists whose order is part of the map (an application's hosts,
a service's workstations and needs) keep a `position` so that export gives back the
file that was imported.

State fields (`Host.state`, `Zone.isolated`, `Flow.blocked`, `Flow.allowed_ports`,
`Group.internet_cut`) are changed only through `crisiscell.inventory.actions`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crisiscell.engine import groupmap as gmap


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(v, v) for v in values]


class Group(models.Model):
    code = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200, blank=True)
    timezone = models.CharField(max_length=64, default="Europe/Brussels")
    country = models.CharField(max_length=2, default="BE")
    internet_cut = models.BooleanField(default=False)
    #: Goes up by one with every import: what a compiled copy of the map is checked against.
    map_version = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("group")

    def __str__(self) -> str:
        return self.name or self.code


class Site(models.Model):
    code = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=_choices(gmap.SITE_KINDS))

    class Meta:
        ordering = ["id"]
        verbose_name = _("site")

    def __str__(self) -> str:
        return self.name


class Zone(models.Model):
    code = models.CharField(max_length=100, unique=True)
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="zones"
    )
    kind = models.CharField(max_length=20, choices=_choices(gmap.ZONE_KINDS))
    name = models.CharField(max_length=200, blank=True)
    isolated = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("zone")

    def __str__(self) -> str:
        return self.code


class Flow(models.Model):
    source = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="flows_out")
    target = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="flows_in")
    ports = models.CharField(max_length=200, blank=True)
    purpose = models.CharField(max_length=300, blank=True)
    blocked = models.BooleanField(default=False)
    #: The narrowed filter in force (``443``, ``8000-8010``), "" for all the mapped `ports`:
    #: state like `blocked`, set by a staged reopening and kept across re-imports.
    allowed_ports = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["id"]
        verbose_name = _("flow")
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="flow_unique_pair")
        ]

    def __str__(self) -> str:
        return f"{self.source.code} → {self.target.code}"


class Host(models.Model):
    code = models.CharField(max_length=100, unique=True)
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="hosts")
    role = models.CharField(max_length=20, choices=_choices(gmap.HOST_ROLES))
    os = models.CharField(max_length=100, blank=True)
    ip = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=20, choices=_choices(gmap.HOST_STATES), default="ok")
    state_changed_at = models.DateTimeField(null=True, blank=True)
    state_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("host")
        permissions = [
            (
                "change_network_state",
                "Can set host states, isolate zones, block flows, cut the internet",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Application(models.Model):
    code = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    rto_hours = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("application")

    def __str__(self) -> str:
        return self.code


class ApplicationHost(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="host_links"
    )
    host = models.ForeignKey(Host, on_delete=models.PROTECT, related_name="app_links")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["application", "position"]
        constraints = [
            models.UniqueConstraint(fields=["application", "host"], name="app_host_once")
        ]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.host_id}"


class ApplicationNeed(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="need_links"
    )
    needed = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="needed_by")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["application", "position"]
        constraints = [
            models.UniqueConstraint(fields=["application", "needed"], name="app_need_once")
        ]

    def __str__(self) -> str:
        return f"{self.application_id}->{self.needed_id}"


class CareService(models.Model):
    code = models.CharField(max_length=100, unique=True)
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=100)
    criticality = models.CharField(max_length=20, choices=_choices(gmap.CRITICALITIES))
    capacity_minutes_per_day = models.PositiveIntegerField(null=True, blank=True)
    degraded_capacity = models.FloatField(default=gmap.DEFAULT_DEGRADED_CAPACITY)

    class Meta:
        ordering = ["id"]
        verbose_name = _("care service")

    def __str__(self) -> str:
        return self.name


class ServiceWorkstation(models.Model):
    service = models.ForeignKey(
        CareService, on_delete=models.CASCADE, related_name="workstation_links"
    )
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["service", "position"]
        constraints = [
            models.UniqueConstraint(fields=["service", "zone"], name="service_zone_once")
        ]

    def __str__(self) -> str:
        return f"{self.service_id}@{self.zone_id}"


class ServiceNeed(models.Model):
    service = models.ForeignKey(CareService, on_delete=models.CASCADE, related_name="needs")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="+")
    without = models.CharField(max_length=10, choices=_choices(gmap.WITHOUT))
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["service", "position"]
        constraints = [
            models.UniqueConstraint(fields=["service", "application"], name="service_need_once")
        ]

    def __str__(self) -> str:
        return f"{self.service_id}:{self.application_id} ({self.without})"
