"""Editing the reflex cards: one Markdown card per kind of care service (intensive care,
emergency, dialysis, …, and the ward card every other kind gets). A kind the group did not
edit prints its default card; resetting a card goes back to the default."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisiscell.crisis.actions import log_text, record_change
from crisiscell.crisis.roles import KITS
from crisiscell.engine import reflex_cards

from .models import ReflexCard

MAX_LENGTH = 20000


def _check(user, kind: str) -> None:
    if not (user and user.is_active and user.has_perm(KITS)):
        raise PermissionDenied(_("Your role does not allow handling the downtime kits."))
    if kind not in reflex_cards.KINDS_WITH_CARDS:
        raise ValidationError(_("There is no reflex card for %(kind)s.") % {"kind": kind})


def current(kind: str, lang: str = "fr") -> tuple[str, ReflexCard | None]:
    """The card of ``kind`` as the kits print it, and its row when the group edited it."""
    row = ReflexCard.objects.select_related("updated_by").filter(kind=kind).first()
    return (row.markdown if row else reflex_cards.default_card(kind, lang)), row


def save(user, kind: str, markdown: str) -> ReflexCard:
    _check(user, kind)
    markdown = markdown.replace("\r\n", "\n").strip()
    if not markdown:
        raise ValidationError(_("The card is empty: reset it to go back to the default."))
    if len(markdown) > MAX_LENGTH:
        raise ValidationError(
            _("The card is longer than %(n)s characters.") % {"n": f"{MAX_LENGTH:,}"}
        )
    with transaction.atomic():
        row, _created = ReflexCard.objects.update_or_create(
            kind=kind,
            defaults={"markdown": markdown, "updated_by": user, "updated_at": timezone.now()},
        )
        record_change(
            user, log_text(gettext_noop("Reflex card %(kind)s edited for the kits"), kind=kind)
        )
    return row


def reset(user, kind: str) -> None:
    _check(user, kind)
    with transaction.atomic():
        ReflexCard.objects.filter(kind=kind).delete()
        record_change(
            user,
            log_text(gettext_noop("Reflex card %(kind)s back to its default"), kind=kind),
        )
