"""Downtime kits: the census of the patients present, the reflex cards edited per kind of
care service, each site's kit password, and what was last written for each unit.

A census import replaces the whole census (it is a snapshot of who is present), all or
nothing. Kits are made by `crisiscell.kits.build`; a kit naming any patient is an AES-256
encrypted PDF under its site's password, printed once on the sealed-envelope sheet.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


def _user():
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


class CensusImport(models.Model):
    at = models.DateTimeField()
    by = _user()
    source = models.CharField(max_length=255)
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ["-at", "-id"]
        permissions = [
            ("manage_kits", "Can import the census, edit reflex cards and print kits"),
            ("print_kit_passwords", "Can print the kit passwords of a site"),
        ]

    def __str__(self) -> str:
        return f"{self.source} ({self.count})"


class Inpatient(models.Model):
    """A patient present in a care unit (`crisiscell.engine.kit_content.Inpatient`)."""

    patient_id = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    service = models.CharField(max_length=100, db_index=True)  # a care service code of the map
    room = models.CharField(max_length=30, blank=True)
    bed = models.CharField(max_length=30, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, blank=True)
    admitted = models.DateTimeField(null=True, blank=True)
    allergies = models.JSONField(default=list, blank=True)
    alerts = models.JSONField(default=list, blank=True)
    imported = models.ForeignKey(CensusImport, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["service", "room", "bed", "name"]

    def __str__(self) -> str:
        return self.patient_id


class ReflexCard(models.Model):
    """The reflex card of one kind of care service (icu, emergency, …), as edited by the
    group; a kind with no card here gets the default (`crisiscell.engine.reflex_cards`)."""

    kind = models.CharField(max_length=50, unique=True)
    markdown = models.TextField(max_length=20000)
    updated_by = _user()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.kind


class SitePassword(models.Model):
    """The password of a site's encrypted kits. It stays the same from one regeneration to
    the next (the sealed envelope holds it) until someone makes a new one."""

    site = models.CharField(max_length=100, unique=True)
    password = models.CharField(max_length=100)
    created_at = models.DateTimeField()
    created_by = _user()
    printed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.site


class Kit(models.Model):
    """What was last written for one unit of one site."""

    site = models.CharField(max_length=100)
    unit = models.CharField(max_length=100)
    path = models.CharField(max_length=300)  # relative to each export folder
    generated_at = models.DateTimeField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    pages = models.PositiveIntegerField()
    encrypted = models.BooleanField()
    patients = models.PositiveIntegerField(default=0)
    appointments = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["site", "unit"]
        constraints = [models.UniqueConstraint(fields=["site", "unit"], name="kit_once")]

    def __str__(self) -> str:
        return f"{self.site}/{self.unit}"


class KitRound(models.Model):
    """The regeneration schedule (one row): who holds the lease on the round under way, and
    how the last one went. The lease lets several server processes share one schedule."""

    holder = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    kits = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"kit round {self.finished_at}"
