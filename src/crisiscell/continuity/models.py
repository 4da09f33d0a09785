"""Care continuity: the appointments the services had planned, the reprogramming plans
computed for a crisis, and the messages that tell each patient.

Appointments are imported all or nothing (`crisiscell.continuity.importer`); a plan is
computed by `crisiscell.engine.reprogram` from them and the services' capacity, reviewed,
and approved by a scheduler; once approved, each moved appointment gets one notification
(SMS, e-mail, or a line on the printed call list), whose status is kept so that a retry
never sends twice. Patient data stays in the database; what leaves the server is the
message itself, and call lists are printed as encrypted PDFs.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy

PLAN_STATUSES = ("computing", "ready", "failed", "approved", "superseded")
#: "plan status": a plan's state, agreeing with the word "plan" where the language wants it
PLAN_STATUS_LABELS = {
    "computing": pgettext_lazy("plan status", "Computing"),
    "ready": pgettext_lazy("plan status", "To review"),
    "failed": pgettext_lazy("plan status", "Failed"),
    "approved": pgettext_lazy("plan status", "Approved"),
    "superseded": pgettext_lazy("plan status", "Superseded"),
}
DECISIONS = ("kept", "moved", "unplaced")
CHANNELS = ("sms", "email", "phone", "letter")
NOTIFICATION_STATUSES = ("queued", "sending", "sent", "failed", "reached", "unreached")


def _user():
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


class AppointmentImport(models.Model):
    """One file imported: who, when, what."""

    at = models.DateTimeField()
    by = _user()
    source = models.CharField(max_length=255)
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ["-at"]
        permissions = [
            ("manage_appointments", "Can import appointments and compute reprogramming plans"),
            ("approve_plan", "Can approve a reprogramming plan and send its messages"),
        ]

    def __str__(self) -> str:
        return f"{self.source} ({self.count})"


class Appointment(models.Model):
    code = models.CharField(max_length=100, unique=True)
    patient_id = models.CharField(max_length=100)
    patient_name = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    email = models.CharField(max_length=254, blank=True)
    language = models.CharField(max_length=2, default="fr")
    service = models.CharField(max_length=100, db_index=True)  # a care service code of the map
    kind = models.CharField(max_length=20)
    start = models.DateTimeField(db_index=True)
    duration_min = models.PositiveIntegerField()
    urgency = models.PositiveSmallIntegerField()
    max_delay_days = models.PositiveIntegerField(null=True, blank=True)
    surgeon = models.CharField(max_length=200, blank=True)
    depends_on = models.CharField(max_length=100, blank=True)
    imported = models.ForeignKey(AppointmentImport, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["start", "code"]

    def __str__(self) -> str:
        return self.code


class Plan(models.Model):
    crisis = models.ForeignKey(
        "crisis.Crisis", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20,
        choices=[(s, PLAN_STATUS_LABELS[s]) for s in PLAN_STATUSES],
        default="computing",
    )
    #: the inputs: first crisis day, last crisis day, services down / degraded, horizon...
    today = models.DateField()
    crisis_until = models.DateField()
    down = models.JSONField(default=list)
    degraded = models.JSONField(default=list)
    horizon_weeks = models.PositiveSmallIntegerField(default=8)
    notice_days = models.PositiveSmallIntegerField(default=2)
    extra_share = models.FloatField(default=0.0)  # e.g. 0.2: +20 % capacity after recovery
    extra_weeks = models.PositiveSmallIntegerField(default=0)
    #: the outcome
    objective = models.BigIntegerField(null=True, blank=True)
    bound = models.FloatField(null=True, blank=True)
    greedy_objective = models.BigIntegerField(null=True, blank=True)
    stats = models.JSONField(default=dict, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)  # percent, while computing
    message = models.CharField(max_length=500, blank=True)  # the step under way, or the error
    created_by = _user()
    created_at = models.DateTimeField()
    approved_by = _user()
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"plan #{self.pk} ({self.status})"

    @property
    def gap(self) -> float | None:
        if self.objective is None or self.bound is None:
            return None
        if self.objective <= 0:
            return 0.0
        return max(0.0, (self.objective - self.bound) / self.objective)

    @property
    def status_label(self) -> str:
        return str(PLAN_STATUS_LABELS[self.status])


class PlanRow(models.Model):
    """One appointment's line of a plan (FORMATS.md §3)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="rows")
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=10, choices=[(d, d) for d in DECISIONS])
    original_start = models.DateTimeField()
    new_start = models.DateTimeField(null=True, blank=True)
    delay_days = models.IntegerField(null=True, blank=True)
    notified_by = models.CharField(max_length=10)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["plan", "new_start", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "appointment"], name="plan_row_once")
        ]

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.decision}"


class Notification(models.Model):
    """What one patient is told about one moved appointment. Sent at most once: a worker
    claims it (queued/failed → sending) on the locked row before sending, and only a
    claimed message is sent."""

    row = models.OneToOneField(PlanRow, on_delete=models.CASCADE, related_name="notification")
    channel = models.CharField(max_length=10, choices=[(c, c) for c in CHANNELS])
    status = models.CharField(
        max_length=10, choices=[(s, s) for s in NOTIFICATION_STATUSES], default="queued"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    #: the text as it was sent (SMS, or the e-mail's subject and body)
    message = models.TextField(blank=True)
    #: when a sender claimed it (status "sending"): a claim this old was interrupted
    claimed_at = models.DateTimeField(null=True, blank=True)
    #: the sender was interrupted: it may or may not have reached the patient, so it is
    #: not sent again blindly; it goes on the call list instead
    needs_review = models.BooleanField(default=False)
    #: for the call list: who reached the patient (or tried), when
    reached_by = _user()
    reached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.channel} {self.status}"


DECISION_KINDS = ("keep", "postpone", "pin")


class SchedulerDecision(models.Model):
    """What a scheduler decided for one appointment, over the optimiser: keep it on its day
    whatever the capacity, postpone it, or pin it to a given day. Every plan computed after
    it applies it (`crisiscell.engine.reprogram.deprogram`), until it is removed."""

    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="scheduler_decision"
    )
    kind = models.CharField(max_length=10, choices=[(k, k) for k in DECISION_KINDS])
    day = models.DateField(null=True, blank=True)  # for a pin: the new day
    note = models.CharField(max_length=300, blank=True)
    by = _user()
    at = models.DateTimeField()

    class Meta:
        ordering = ["appointment__start", "appointment__code"]

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.kind}"
