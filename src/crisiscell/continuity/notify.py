"""Telling patients: one notification per moved appointment of an approved plan, sent at
most once, and the ticks of the call list.

The life of a notification::

    queued ──claim──▶ sending ──▶ sent
      ▲                  │
      └── next run ◀── failed ──(call list)──▶ reached / unreached

* **Claim, then send.** `send_pending` claims one notification at a time in a short
  transaction, on the locked row: only a ``queued`` or ``failed`` one is claimed, and the
  claim makes it ``sending`` (attempts + 1). The message goes out through Apprise after
  that transaction, and a second short one marks it ``sent`` or ``failed``. Two senders
  (two people pressing the button, two server processes) never claim the same row, so a
  message is never sent twice; a ``sent`` one is never claimed again.
* **Retries are explicit.** A failed message (SMTP server down, gateway refusing) keeps its
  error and is retried by the next send run only: nothing retries on its own. A message
  that cannot be sent at all (no mobile number, no e-mail address) is marked failed
  without being claimed, and goes on the call list.
* **An interrupted send is not resent blindly.** A notification still ``sending``
  `STALE_AFTER` after its claim belongs to a sender that died (server killed, machine
  asleep) between the claim and the mark: the message may or may not have gone. It is
  flagged ``needs_review`` and put on the service's call list, where a person phones the
  patient; it is never sent again automatically.
* **The call list** (`crisiscell.continuity.call_list`) holds the phone-only patients and
  the sms/e-mail ones that failed or were interrupted; `mark_reached` records the call.

Where messages go is configured, never written here: ``CRISISCELL_NOTIFY_URLS`` holds one
Apprise URL per channel, ``{to}`` standing for the patient's number or address
(``settings.NOTIFY_URLS``). The crisis log gets one entry per send run, with counts only:
no patient data.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

import apprise
from apprise.attachment.memory import AttachMemory
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisiscell.crisis.actions import log_text, record_change
from crisiscell.crisis.roles import APPOINTMENTS, APPROVE_PLAN
from crisiscell.inventory.group_time import group_timezone

from . import messages
from .models import Notification, Plan, PlanRow

#: A claim older than this belongs to a sender that died: flagged for review, not resent.
STALE_AFTER = timedelta(minutes=10)
#: The channels sent through Apprise; "phone" is the printed call list, "letter" the post.
SENT_CHANNELS = ("sms", "email")
#: What may be claimed for sending.
CLAIMABLE = ("queued", "failed")
MAX_ERROR = 500

log = logging.getLogger(__name__)


class SendError(Exception):
    """The gateway or the mail server refused the message, or could not be reached."""


# ---------------------------------------------------------------------------
# Queueing
# ---------------------------------------------------------------------------


def queue_notifications(plan: Plan) -> int:
    """One notification per moved row of an approved `plan`, on the row's channel.
    Idempotent: rows that have one keep it. Returns how many were added."""
    if plan.status != "approved":
        raise ValidationError(
            _("Plan #%(id)s is not approved: its patients are not told.") % {"id": plan.pk}
        )
    missing = PlanRow.objects.filter(plan=plan, decision="moved", notification__isnull=True)
    fresh = [
        Notification(row_id=pk, channel=channel if channel in _CHANNELS else "phone")
        for pk, channel in missing.values_list("pk", "notified_by")
    ]
    # ignore_conflicts: a row queued meanwhile by another request keeps its notification
    Notification.objects.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh)


_CHANNELS = ("sms", "email", "phone", "letter")


# ---------------------------------------------------------------------------
# Channels
# ---------------------------------------------------------------------------

_NATIONAL_PREFIX = {"BE": "32", "FR": "33", "LU": "352", "NL": "31", "DE": "49", "CH": "41"}


def sms_number(phone: str, country: str = "BE") -> str:
    """The number as SMS gateways want it (E.164, ``+32470123456``) when it can be told,
    else its digits. ``0470 12 34 56`` in Belgium is ``+32470123456``."""
    raw = phone.strip()
    digits = re.sub(r"\D", "", raw)
    if not digits:
        return ""
    if raw.startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    prefix = _NATIONAL_PREFIX.get(country.upper())
    if prefix and digits.startswith("0"):
        return f"+{prefix}{digits[1:]}"
    return digits


@dataclass(frozen=True)
class Content:
    """What one channel sends: a body, maybe a subject and attachments."""

    body: str
    title: str = ""
    attachments: tuple[tuple[str, str, bytes], ...] = ()  # (file name, MIME type, data)

    @property
    def record(self) -> str:
        """The text kept on the notification: what the patient read."""
        return f"{self.title}\n\n{self.body}" if self.title else self.body


class Channel:
    """A way to reach a patient. `address` gives where to send ("" when the patient has
    none: a permanent failure, never claimed); `content` what to send; `deliver` sends it
    through the channel's Apprise URL or raises `SendError` (a temporary failure, retried
    by the next run)."""

    name = ""

    def address(self, appointment, country: str) -> str:
        raise NotImplementedError

    def content(self, letter: messages.Letter) -> Content:
        raise NotImplementedError

    def deliver(self, url_template: str, address: str, content: Content) -> None:
        url = url_template.replace("{to}", quote(address, safe="@"))
        with _apprise_errors() as errors:
            plugin = apprise.Apprise.instantiate(url)
            if not plugin:
                raise SendError(
                    _apprise_error(errors, f"the {self.name} URL is not one Apprise knows")
                )
            attach = None
            if content.attachments:
                attach = apprise.AppriseAttachment(
                    [_Attachment(data, name, mime) for name, mime, data in content.attachments]
                )
            ok = plugin.notify(body=content.body, title=content.title, attach=attach)
        if not ok:
            raise SendError(_apprise_error(errors, "refused, without a reason"))


class _Attachment(AttachMemory):
    """A file sent from memory. Its MIME type may carry parameters (``charset=utf-8``):
    Apprise checks only the bare type, and the e-mail gets the whole."""

    def __init__(self, data: bytes, name: str, mime: str) -> None:
        super().__init__(content=data, name=name, mimetype=mime.split(";")[0].strip())
        self._full_mimetype = mime

    @property
    def mimetype(self) -> str:
        return self._full_mimetype


class Sms(Channel):
    name = "sms"

    def address(self, appointment, country: str) -> str:
        return sms_number(appointment.phone, country)

    def content(self, letter: messages.Letter) -> Content:
        return Content(body=messages.sms(letter))


class Email(Channel):
    name = "email"

    def address(self, appointment, country: str) -> str:
        address = appointment.email.strip()
        try:
            validate_email(address)
        except ValidationError:
            return ""
        return address

    def content(self, letter: messages.Letter) -> Content:
        subject, body = messages.email(letter)
        ics = messages.calendar(letter)
        name = {"fr": "rendez-vous.ics", "nl": "afspraak.ics", "de": "termin.ics"}.get(
            letter.language, "appointment.ics"
        )
        # RFC 5545 text is UTF-8: said in the MIME type too, or a reader may take it for ASCII
        mime = "text/calendar; charset=utf-8; method=PUBLISH"
        return Content(body=body, title=subject, attachments=((name, mime, ics),))


CHANNELS: dict[str, Channel] = {c.name: c for c in (Sms(), Email())}


class _ThreadErrors(logging.Handler):
    """Apprise tells why a send failed only in its log: keep this thread's warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.lines.append(record.getMessage())


@contextmanager
def _apprise_errors() -> Iterator[list[str]]:
    handler = _ThreadErrors()
    logger = logging.getLogger("apprise")
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)


def _apprise_error(lines: list[str], default: str) -> str:
    text = " / ".join(dict.fromkeys(line.strip() for line in lines if line.strip())) or default
    # Apprise hides credentials in its log already; a URL's user:password never gets stored
    return _CREDENTIALS.sub("://***@", text)


_CREDENTIALS = re.compile(r"://[^/@\s]*@")


# ---------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------


@dataclass
class SendReport:
    """What one send run did. `skipped`: claimed by someone else, or already handled."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    review: int = 0  # interrupted sends found and flagged for review in this run

    @property
    def attempted(self) -> int:
        return self.sent + self.failed


def _require(user, perm: str, refusal: str) -> None:
    # user None is the system itself (a command run by the operator of the machine)
    if user is not None and not (user.is_active and user.has_perm(perm)):
        raise PermissionDenied(refusal)


def flag_interrupted(plan: Plan, now=None) -> int:
    """Flag the plan's notifications stuck in ``sending`` past `STALE_AFTER` for review:
    they may have reached the patient, so they are never resent automatically; the call
    list shows them."""
    now = now or timezone.now()
    return Notification.objects.filter(
        row__plan=plan, status="sending", needs_review=False, claimed_at__lt=now - STALE_AFTER
    ).update(
        needs_review=True,
        last_error=_("Interrupted while sending: it may have reached the patient. Call them."),
    )


def send_pending(user, plan: Plan | int, urls: Mapping[str, str] | None = None) -> SendReport:
    """Send every queued or failed SMS and e-mail of the approved `plan`, each at most once.

    `urls` maps a channel to its Apprise URL (``{to}`` for the patient's number or
    address); by default ``settings.NOTIFY_URLS``. Safe to run twice, or twice at once:
    the second run sends nothing that the first sent or is sending."""
    _require(user, APPROVE_PLAN, _("Your role does not allow sending the patients' messages."))
    plan = Plan.objects.get(pk=plan) if isinstance(plan, int) else plan
    plan.refresh_from_db(fields=["status"])
    queue_notifications(plan)
    urls = settings.NOTIFY_URLS if urls is None else urls
    report = SendReport(review=flag_interrupted(plan))
    context = _Context.for_plan(plan)
    pending = Notification.objects.filter(
        row__plan=plan, channel__in=SENT_CHANNELS, status__in=CLAIMABLE
    ).order_by("pk")
    for pk in list(pending.values_list("pk", flat=True)):
        outcome = _send_one(pk, urls, context)
        setattr(report, outcome, getattr(report, outcome) + 1)
    if report.attempted or report.review:
        with transaction.atomic():
            record_change(
                user,
                log_text(
                    gettext_noop(
                        "Patient messages of reprogramming plan #%(id)s: %(sent)s sent, "
                        "%(failed)s failed, %(review)s interrupted (to call)"
                    ),
                    id=plan.pk,
                    sent=report.sent,
                    failed=report.failed,
                    review=report.review,
                ),
            )
    return report


@dataclass
class _Context:
    """What every message of one run shares, read once."""

    places: dict[str, messages.Place]
    sender: str
    country: str
    tz: object

    @classmethod
    def for_plan(cls, plan: Plan) -> _Context:
        from crisiscell.inventory.models import Group

        services = PlanRow.objects.filter(plan=plan, decision="moved").values_list(
            "appointment__service", flat=True
        )
        group = Group.objects.only("country").first()
        return cls(
            places=messages.places(set(services)),
            sender=messages.sender_name(),
            country=group.country if group else "BE",
            tz=group_timezone(),
        )


def _send_one(pk: int, urls: Mapping[str, str], ctx: _Context) -> str:
    """Claim, send, mark one notification; returns "sent", "failed" or "skipped"."""
    n = Notification.objects.select_related("row__appointment").filter(pk=pk).first()
    if n is None or n.status not in CLAIMABLE:
        return "skipped"
    channel = CHANNELS[n.channel]
    row, appointment = n.row, n.row.appointment
    address = channel.address(appointment, ctx.country)
    url = urls.get(n.channel, "")
    problem = ""
    if not address:
        problem = (
            _("No mobile number to send an SMS to.")
            if n.channel == "sms"
            else _("No valid e-mail address.")
        )
    elif not url:
        problem = (
            _("No SMS gateway is configured (CRISISCELL_NOTIFY_URLS).")
            if n.channel == "sms"
            else _("No mail server is configured (CRISISCELL_NOTIFY_URLS).")
        )
    content = None
    if not problem:
        letter = messages.letter(
            row, place=ctx.places.get(appointment.service), sender=ctx.sender, tz=ctx.tz
        )
        content = channel.content(letter)

    # 1. the claim, on the locked row: only one sender gets past this
    with transaction.atomic():
        locked = Notification.objects.select_for_update().filter(pk=pk).first()
        if locked is None or locked.status not in CLAIMABLE:
            return "skipped"
        if problem:
            # nothing can be sent: failed at once, no attempt counted, on the call list
            locked.status, locked.last_error = "failed", problem[:MAX_ERROR]
            locked.save(update_fields=["status", "last_error"])
            return "failed"
        claimed_at = timezone.now()
        locked.status = "sending"
        locked.attempts += 1
        locked.claimed_at = claimed_at
        locked.needs_review = False
        locked.message = content.record
        locked.save(update_fields=["status", "attempts", "claimed_at", "needs_review", "message"])

    # 2. the send, outside any transaction: a slow gateway holds no lock
    error = ""
    try:
        channel.deliver(url, address, content)
    except SendError as exc:
        error = str(exc)
    except Exception as exc:  # a bug in a plugin must not leave it "sending" for ever
        log.exception("notification %s: unexpected error while sending", pk)
        error = f"{type(exc).__name__}: {exc}"

    # 3. the mark, only on our own claim (a reviewer may have dealt with it meanwhile)
    mine = Notification.objects.filter(pk=pk, status="sending", claimed_at=claimed_at)
    if error:
        mine.update(status="failed", last_error=error[:MAX_ERROR], needs_review=False)
        return "failed"
    mine.update(status="sent", sent_at=timezone.now(), last_error="", needs_review=False)
    return "sent"


# ---------------------------------------------------------------------------
# The call list's ticks
# ---------------------------------------------------------------------------

#: The notifications a person has to phone for: phone-only patients, messages that could
#: not be sent, and interrupted sends. Those already reached stay listed, ticked.
ON_CALL_LIST = (
    Q(channel="phone")
    | Q(channel__in=SENT_CHANNELS, status__in=("failed", "reached", "unreached"))
    | Q(status="sending", needs_review=True)
)
#: Still to call: the printed list.
TO_CALL = ON_CALL_LIST & ~Q(status="reached")


def mark_reached(user, notification_id: int, reached: bool) -> Notification:
    """Record the outcome of a call from the call list: the patient was reached, or not
    (tried, no answer, message left). A later call may change an "unreached" to "reached".
    Not logged in the crisis log one by one: the notification keeps who and when."""
    _require(user, APPOINTMENTS, _("Your role does not allow recording calls to patients."))
    with transaction.atomic():
        n = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if n is None:
            raise ValidationError(_("There is no message #%(id)s.") % {"id": notification_id})
        if not Notification.objects.filter(ON_CALL_LIST, pk=n.pk).exists():
            raise ValidationError(
                _("Message #%(id)s is not on a call list (it is %(status)s).")
                % {"id": n.pk, "status": n.status}
            )
        n.status = "reached" if reached else "unreached"
        n.reached_by = user
        n.reached_at = timezone.now()
        n.needs_review = False
        n.save(update_fields=["status", "reached_by", "reached_at", "needs_review"])
    return n
