"""Containment actions: each cut goes through proposed → approved → done → reverted.

An action names what it cuts (`kind`, `target`); the network's state changes only when it
is marked done, through `crisiscell.inventory.actions`, and `applied` keeps exactly what
that changed (a flow already blocked by someone else is not in it), so that reverting gives
back only what the action took. Every move is made by `crisiscell.containment.actions`,
on the row locked for update and only from the status the person saw on their page.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

KINDS = ("internet", "zone", "site", "flow", "host")
KIND_LABELS = {
    "internet": _("Cut the internet"),
    "zone": _("Isolate a zone"),
    "site": _("Isolate a site"),
    "flow": _("Block a flow"),
    "host": _("Shut a host down"),
}
STATUSES = ("proposed", "approved", "done", "reverted", "rejected")
STATUS_LABELS = {
    "proposed": _("Proposed"),
    "approved": _("Approved"),
    "done": _("Done"),
    "reverted": _("Reverted"),
    "rejected": _("Rejected"),
}


def _user():
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


class Action(models.Model):
    crisis = models.ForeignKey(
        "crisis.Crisis", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=[(k, KIND_LABELS[k]) for k in KINDS])
    #: zone or site or host code, "FROM->TO" for a flow, "" for the internet
    target = models.CharField(max_length=250, blank=True)
    rationale = models.TextField(blank=True)
    #: one-click preventive isolation of a sister site (seed 004)
    preventive = models.BooleanField(default=False)
    status = models.CharField(
        max_length=20, choices=[(s, STATUS_LABELS[s]) for s in STATUSES], default="proposed"
    )
    proposed_by = _user()
    proposed_at = models.DateTimeField()
    approved_by = _user()
    approved_at = models.DateTimeField(null=True, blank=True)
    done_by = _user()
    done_at = models.DateTimeField(null=True, blank=True)
    reverted_by = _user()
    reverted_at = models.DateTimeField(null=True, blank=True)
    rejected_by = _user()
    rejected_at = models.DateTimeField(null=True, blank=True)
    #: what marking it done changed (`crisiscell.engine.cuts.Cut.to_json`), and the states
    #: the hosts it shut had before
    applied = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("containment action")
        permissions = [
            ("approve_containment", "Can approve containment actions and reopening steps"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.target}".strip()

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])
