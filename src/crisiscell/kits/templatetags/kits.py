"""``{% kits_freshness %}``: on the board, whether every unit's downtime kit is fresh."""

from __future__ import annotations

from django import template
from django.utils import timezone

from crisiscell.inventory.models import CareService
from crisiscell.kits import schedule
from crisiscell.kits.models import Kit

register = template.Library()


@register.inclusion_tag("kits/_freshness.html")
def kits_freshness() -> dict:
    """How many units have no kit younger than twice the period (two cheap counts)."""
    units = CareService.objects.count()
    fresh = Kit.objects.filter(generated_at__gte=schedule.stale_before(timezone.now())).count()
    oldest = Kit.objects.order_by("generated_at").values_list("generated_at", flat=True).first()
    return {"units": units, "stale": max(0, units - fresh), "oldest": oldest}
