"""Staged reopening: a plan of steps that give the network back, one filtered step at a time.

A step names what it reopens (zones to reconnect, flows to unblock, the internet), the
narrowed filter its flows reopen with (``443`` rather than all their mapped ports), and
its prerequisites: hosts that must be back in state ``ok`` (cleaned or rebuilt) and checks
that someone ticks. It goes planned → approved → done, and may be rolled back:

- ``planned``: written, editable; ``approved`` needs every prerequisite met;
- ``approved``: editing it sends it back to planned (the approval was for what it said);
- ``done``: its changes are in force; `applied` keeps exactly what marking it done changed
  (a zone already connected, a flow already open is not in it) and each flow's filter
  before, so that rolling back takes back only that;
- ``rolled_back``: approved again and done again, edited (back to planned) or removed.

Steps are done in the plan's order and rolled back from the last done one. The plan is the
steps of the crisis under way, with those written while no crisis was under way. Every
move goes through `crisiscell.reopening.actions`, on rows locked for update and only from
the status the person saw on their page.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

STATUSES = ("planned", "approved", "done", "rolled_back")
STATUS_LABELS = {
    "planned": _("Planned"),
    "approved": _("Approved"),
    "done": _("Done"),
    "rolled_back": _("Rolled back"),
}


def _user():
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


class Step(models.Model):
    #: The crisis under way when the step was written (none: a plan drafted beforehand).
    crisis = models.ForeignKey(
        "crisis.Crisis", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    notes = models.TextField(blank=True)
    #: zone codes to reconnect
    zones = models.JSONField(default=list, blank=True)
    #: flows to unblock, as "FROM->TO"
    flows = models.JSONField(default=list, blank=True)
    internet = models.BooleanField(default=False)
    #: the filter the step's flows reopen with ("" = all their mapped ports)
    ports = models.CharField(max_length=200, blank=True)
    #: host codes that must be in state "ok" before approval
    hosts = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=20, choices=[(s, STATUS_LABELS[s]) for s in STATUSES], default="planned"
    )
    created_by = _user()
    created_at = models.DateTimeField()
    #: who moved or edited the step last, and when: what a stale page is told
    changed_by = _user()
    changed_at = models.DateTimeField()
    approved_by = _user()
    approved_at = models.DateTimeField(null=True, blank=True)
    done_by = _user()
    done_at = models.DateTimeField(null=True, blank=True)
    rolled_back_by = _user()
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    #: {"zones": [...], "flows": [...], "internet": bool, "filters": {"A->B": "previous"}}
    applied = models.JSONField(null=True, blank=True)
    #: goes up with every change: an edit form opened on an older revision is refused
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("reopening step")

    def __str__(self) -> str:
        return self.title

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


class Check(models.Model):
    """A check to make before the step is approved, ticked by the person who made it."""

    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="checks")
    position = models.PositiveIntegerField()
    text = models.CharField(max_length=300)
    done_by = _user()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["step", "position", "id"]
        verbose_name = _("reopening check")

    def __str__(self) -> str:
        return self.text

    @property
    def done(self) -> bool:
        return self.done_at is not None
