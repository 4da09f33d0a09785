"""A crisis, its phases, each site's operating mode, and its log (the main courante).

Log entries are append-only and hash-chained (`crisiscell.engine.ledger`): rows are only
ever inserted, through `crisiscell.crisis.actions.append_entry`; a correction is a new
entry pointing at the one it corrects. The crisis row keeps the chain's tip (`head`,
`entry_count`) so that appending reads one row, locked for update.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crisiscell.engine import ledger

PHASES = ("detection", "containment", "investigation", "eradication", "recovery", "closed")
PHASE_LABELS = {
    "detection": _("Detection"),
    "containment": _("Containment"),
    "investigation": _("Investigation"),
    "eradication": _("Eradication"),
    "recovery": _("Recovery"),
    "closed": _("Closed"),
}
SITE_MODES = ("normal", "preventive", "degraded", "plan_blanc")
SITE_MODE_LABELS = {
    "normal": _("Normal"),
    "preventive": _("Preventive degraded mode"),
    "degraded": _("Degraded mode"),
    "plan_blanc": _("Plan blanc activated"),
}
KIND_LABELS = {
    "event": _("Event"),
    "decision": _("Decision"),
    "action": _("Action"),
    "message_in": _("Message in"),
    "message_out": _("Message out"),
    "meeting": _("Meeting"),
}


def _uid() -> str:
    return uuid.uuid4().hex


class Crisis(models.Model):
    uid = models.CharField(max_length=32, unique=True, default=_uid, editable=False)
    title = models.CharField(max_length=300)
    phase = models.CharField(max_length=20, choices=[(p, PHASE_LABELS[p]) for p in PHASES])
    opened_at = models.DateTimeField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    #: True for the one crisis under way (a partial unique index keeps it to one).
    active = models.BooleanField(default=True)
    head = models.CharField(max_length=64, default=ledger.GENESIS)
    entry_count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("crisis")
        verbose_name_plural = _("crises")
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="one_active_crisis"
            )
        ]
        permissions = [
            ("run_crisis", "Can open and close crises, change phases and site modes"),
            ("write_log", "Can write in the crisis log"),
        ]

    def __str__(self) -> str:
        return self.title


class PhaseChange(models.Model):
    crisis = models.ForeignKey(Crisis, on_delete=models.PROTECT, related_name="phase_changes")
    phase = models.CharField(max_length=20, choices=[(p, PHASE_LABELS[p]) for p in PHASES])
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["crisis", "at", "id"]

    def __str__(self) -> str:
        return f"{self.crisis_id}: {self.phase}"


class SiteMode(models.Model):
    """One change of a site's operating mode during a crisis; the latest one holds."""

    crisis = models.ForeignKey(Crisis, on_delete=models.PROTECT, related_name="site_modes")
    site = models.ForeignKey("inventory.Site", on_delete=models.PROTECT, related_name="+")
    mode = models.CharField(max_length=20, choices=[(m, SITE_MODE_LABELS[m]) for m in SITE_MODES])
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["crisis", "site", "at", "id"]

    def __str__(self) -> str:
        return f"{self.site_id}: {self.mode}"


class LogEntry(models.Model):
    """One entry of the main courante: inserted once, never updated nor deleted."""

    crisis = models.ForeignKey(Crisis, on_delete=models.PROTECT, related_name="entries")
    seq = models.PositiveBigIntegerField()
    at = models.CharField(max_length=32)  # the exact UTC text that was hashed
    author = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=50, blank=True)
    kind = models.CharField(max_length=20, choices=[(k, KIND_LABELS[k]) for k in ledger.KINDS])
    text = models.TextField()
    links = models.JSONField(default=list)
    # None (no correction) is hashed as null, distinct from any text: keep NULL.
    corrects = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["crisis", "seq"]
        verbose_name = _("log entry")
        verbose_name_plural = _("log entries")
        constraints = [models.UniqueConstraint(fields=["crisis", "seq"], name="log_seq_once")]
        indexes = [models.Index(fields=["crisis", "kind"], name="log_kind")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.kind}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("a log entry is never edited: append a correction instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("a log entry is never deleted")


# ---------------------------------------------------------------------------
# Tasks, decisions and objectives (changed only through `crisiscell.crisis.tasks`)
# ---------------------------------------------------------------------------

TASK_STATUSES = ("todo", "in_progress", "done", "cancelled")
TASK_STATUS_LABELS = {
    "todo": _("To do"),
    "in_progress": _("In progress"),
    "done": _("Done"),
    "cancelled": _("Cancelled"),
}
#: The statuses of a task still to be done: only these can be overdue.
OPEN_STATUSES = ("todo", "in_progress")


class Task(models.Model):
    """Something the cell asked a role and/or a person to do, by a due time."""

    crisis = models.ForeignKey(Crisis, on_delete=models.PROTECT, related_name="tasks")
    title = models.CharField(max_length=300)
    details = models.TextField(blank=True)
    #: One of `crisis.roles.ROLES`, or "" when the task is a person's only.
    role = models.CharField(max_length=50, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    site = models.ForeignKey(
        "inventory.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20,
        choices=[(s, TASK_STATUS_LABELS[s]) for s in TASK_STATUSES],
        default="todo",
    )
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["crisis", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [models.Index(fields=["crisis", "status"], name="task_status")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=TASK_STATUSES), name="task_known_status"),
        ]
        permissions = [("manage_tasks", "Can create and update tasks and objectives")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now) -> bool:
        return self.is_open and self.due_at is not None and self.due_at < now


class Decision(models.Model):
    """A decision of the cell and why it was taken; its log entry holds it for good."""

    crisis = models.ForeignKey(Crisis, on_delete=models.PROTECT, related_name="decisions")
    title = models.CharField(max_length=300)
    rationale = models.TextField()
    decided_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    site = models.ForeignKey(
        "inventory.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    entry = models.OneToOneField(LogEntry, on_delete=models.PROTECT, related_name="decision")

    class Meta:
        ordering = ["crisis", "-decided_at", "-id"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self) -> str:
        return self.title


class Objective(models.Model):
    """One of the incident objectives of the operational period (HICS 202)."""

    crisis = models.ForeignKey(Crisis, on_delete=models.PROTECT, related_name="objectives")
    text = models.CharField(max_length=500)
    position = models.PositiveIntegerField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["crisis", "position", "id"]
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")

    def __str__(self) -> str:
        return self.text
