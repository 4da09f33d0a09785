"""The one door for every change to a crisis: open, phase, site mode, close, log entries.

Each action checks the user's right, validates, writes in one transaction, and appends
its own entry to the crisis log, so the main courante holds every change made.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext as _

from crisiscell.engine import ledger
from crisiscell.inventory.models import Site

from . import log
from .models import (
    PHASE_LABELS,
    PHASES,
    SITE_MODE_LABELS,
    SITE_MODES,
    Crisis,
    LogEntry,
    PhaseChange,
    SiteMode,
)
from .roles import RUN_CRISIS, WRITE_LOG


def _require(user, perm: str) -> None:
    # user None is the system itself (a command run by the operator of the machine)
    if user is not None and not (user.is_active and user.has_perm(perm)):
        raise PermissionDenied(_("Your role does not allow this change."))


def _text(value) -> str:
    """A text as given (None: empty), refused when it is not text or holds control
    characters (a NUL byte, an escape sequence) that no one typed on purpose."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(_("Expected a text, got %(value)r.") % {"value": value})
    if any(ord(c) < 32 and c not in "\t\n\r" or ord(c) == 127 for c in value):
        raise ValidationError(_("The text holds control characters: type it again."))
    return value


def open_crisis(user, title: str) -> Crisis:
    _require(user, RUN_CRISIS)
    title = _text(title).strip()
    if not title:
        raise ValidationError(_("A crisis needs a title."))
    now = timezone.now()
    try:
        with transaction.atomic():
            crisis = Crisis.objects.create(
                title=title, phase="detection", opened_at=now, opened_by=user
            )
            PhaseChange.objects.create(crisis=crisis, phase="detection", at=now, by=user)
            log.append_entry(
                crisis.pk,
                user=user,
                author=_author(user),
                kind="event",
                text=log_text(gettext_noop("Crisis opened: %(title)s"), title=title),
            )
    except IntegrityError:
        active = log.active_crisis()
        raise ValidationError(
            _("Crisis %(id)s (%(title)s) is still under way: close it first.")
            % {"id": active.pk if active else "?", "title": active.title if active else ""}
        ) from None
    return crisis


def set_phase(user, crisis_id: int, phase: str) -> Crisis:
    _require(user, RUN_CRISIS)
    if phase not in PHASES:
        raise ValidationError(
            _("Unknown phase “%(phase)s” (expected one of: %(phases)s).")
            % {"phase": phase, "phases": ", ".join(PHASES)}
        )
    with transaction.atomic():
        crisis = Crisis.objects.select_for_update().get(pk=crisis_id)
        if not crisis.active:
            raise ValidationError(_("This crisis is closed."))
        if crisis.phase == phase:
            return crisis
        now = timezone.now()
        crisis.phase = phase
        fields = ["phase"]
        if phase == "closed":
            crisis.closed_at, crisis.active = now, False
            fields += ["closed_at", "active"]
        crisis.save(update_fields=fields)
        PhaseChange.objects.create(crisis=crisis, phase=phase, at=now, by=user)
        log.append_entry(
            crisis.pk,
            user=user,
            author=_author(user),
            kind="decision",
            text=log_text(gettext_noop("Phase: %(phase)s"), phase=PHASE_LABELS[phase]),
        )
    return crisis


def close_crisis(user, crisis_id: int) -> Crisis:
    return set_phase(user, crisis_id, "closed")


def set_site_mode(user, crisis_id: int, site_code: str, mode: str) -> SiteMode:
    _require(user, RUN_CRISIS)
    if mode not in SITE_MODES:
        raise ValidationError(
            _("Unknown site mode “%(mode)s” (expected one of: %(modes)s).")
            % {"mode": mode, "modes": ", ".join(SITE_MODES)}
        )
    site = Site.objects.filter(code=site_code).first()
    if site is None:
        raise ValidationError(_("There is no site “%(site)s”.") % {"site": site_code})
    with transaction.atomic():
        crisis = Crisis.objects.select_for_update().get(pk=crisis_id)
        if not crisis.active:
            raise ValidationError(_("This crisis is closed."))
        change = SiteMode.objects.create(
            crisis=crisis, site=site, mode=mode, at=timezone.now(), by=user
        )
        log.append_entry(
            crisis.pk,
            user=user,
            author=_author(user),
            kind="decision",
            text=log_text(
                gettext_noop("Site %(site)s (%(name)s): %(mode)s"),
                site=site.code,
                name=site.name,
                mode=SITE_MODE_LABELS[mode],
            ),
            links=[f"site:{site.code}"],
        )
    return change


def write_entry(
    user,
    *,
    kind: str,
    text: str,
    links: Iterable[str] = (),
    corrects: str | None = None,
    crisis_id: int | None = None,
) -> LogEntry:
    """A person writes in the log (or corrects an entry: a new entry pointing at it)."""
    _require(user, WRITE_LOG)
    if kind not in ledger.KINDS:
        raise ValidationError(_("Unknown kind of entry %(kind)r.") % {"kind": kind})
    if not (text or "").strip():
        raise ValidationError(_("An entry needs a text."))
    crisis = _crisis(crisis_id)
    try:
        return log.append_entry(
            crisis.pk,
            user=user,
            author=_author(user),
            kind=kind,
            text=text.strip(),
            links=links,
            corrects=corrects,
        )
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def log_text(message: str, **params) -> str:
    """A sentence the system writes in the log, in the log's language (settings.LOG_LANGUAGE,
    French by default): entries are hashed as written, so they are worded once, for good."""
    with translation.override(settings.LOG_LANGUAGE):
        return gettext(message) % {k: str(v) for k, v in params.items()}


def record_change(user, text: str, links: Iterable[str] = ()) -> LogEntry | None:
    """What every other action calls after a change: an `action` entry in the active
    crisis's log, in the caller's transaction. No crisis under way, nothing to log."""
    crisis = log.active_crisis()
    if crisis is None:
        return None
    return log.append_entry(
        crisis.pk, user=user, author=_author(user), kind="action", text=text, links=links
    )


def _crisis(crisis_id: int | None) -> Crisis:
    if crisis_id is None:
        crisis = log.active_crisis()
        if crisis is None:
            raise ValidationError(_("No crisis is under way."))
        return crisis
    crisis = Crisis.objects.filter(pk=crisis_id).first()
    if crisis is None:
        raise ValidationError(_("Unknown crisis %(id)s.") % {"id": crisis_id})
    return crisis


def _author(user) -> str:
    return getattr(user, "username", "") if user is not None else "system"
