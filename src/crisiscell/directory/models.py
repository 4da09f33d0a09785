"""The crisis directory: the direct numbers that still work when the switchboard does not.

A contact is internal (a number of the group, at one of its sites and maybe one of its
care services), the crisis cell itself, or external (authorities, police, CERT,
suppliers, insurer, press). `code` is the user's own key, what a CSV import upserts by.

Contacts are changed only through `crisiscell.directory.actions` (and the importer it
calls). A site that still has contacts cannot leave the map (the map import says which
contacts hold it); a care service that leaves the map leaves its contacts at the site.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crisiscell.engine import contacts_csv as spec
from crisiscell.inventory.models import CareService, Site

KIND_LABELS = {
    "internal": _("Internal"),
    "crisis_cell": _("Crisis cell"),
    "external": _("External"),
}
CATEGORY_LABELS = {
    "authority": _("Authorities"),
    "police": _("Police and justice"),
    "cert": _("CERT and cybersecurity"),
    "supplier": _("Suppliers"),
    "insurer": _("Insurers"),
    "press": _("Press"),
    "other": _("Other"),
}


def _length(name: str) -> int:
    return spec.MAX_LENGTH[name]


def _tel(number: str) -> str:
    return ("+" if number.startswith("+") else "") + spec.digits(number)


class Contact(models.Model):
    code = models.CharField(max_length=_length("code"), unique=True)
    kind = models.CharField(max_length=_length("kind"), choices=list(KIND_LABELS.items()))
    category = models.CharField(
        max_length=_length("category"), blank=True, choices=list(CATEGORY_LABELS.items())
    )
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    service = models.ForeignKey(
        CareService, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    name = models.CharField(max_length=_length("name"))
    function = models.CharField(max_length=_length("function"), blank=True)
    phone = models.CharField(max_length=_length("phone"))
    phone_alt = models.CharField(max_length=_length("phone_alt"), blank=True)
    email = models.CharField(max_length=_length("email"), blank=True)
    available = models.CharField(max_length=_length("available"), blank=True)
    notes = models.TextField(max_length=_length("notes"), blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name", "id"]
        verbose_name = _("contact")
        permissions = [
            ("edit_directory", "Can add, change, delete and import directory contacts"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="internal") | Q(site__isnull=False),
                name="internal_contact_has_site",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def phone_tel(self) -> str:
        """The direct line as a ``tel:`` link dials it (digits and a leading +)."""
        return _tel(self.phone)

    @property
    def phone_alt_tel(self) -> str:
        return _tel(self.phone_alt)

    def as_record(self) -> spec.Contact:
        """The contact as the CSV file and the checks know it (codes, not rows)."""
        return spec.Contact(
            code=self.code,
            kind=self.kind,
            category=self.category,
            site=self.site.code if self.site_id else "",
            service=self.service.code if self.service_id else "",
            name=self.name,
            function=self.function,
            phone=self.phone,
            phone_alt=self.phone_alt,
            email=self.email,
            available=self.available,
            notes=self.notes,
            position=self.position,
        )
