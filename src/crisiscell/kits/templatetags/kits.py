"""``{% kits_freshness %}``: on the board, whether every unit's downtime kit is fresh."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.conf import settings
from django.utils import timezone

from crisiscell.inventory.models import CareService
from crisiscell.kits.models import Kit

register = template.Library()


@register.inclusion_tag("kits/_freshness.html")
def kits_freshness() -> dict:
    """How many units have no kit younger than twice the period (two cheap counts)."""
    period = timedelta(minutes=settings.KIT_EVERY_MINUTES or 15)
    units = CareService.objects.count()
    fresh = Kit.objects.filter(generated_at__gte=timezone.now() - 2 * period).count()
    oldest = Kit.objects.order_by("generated_at").values_list("generated_at", flat=True).first()
    return {"units": units, "stale": max(0, units - fresh), "oldest": oldest}
