"""``{% reopening_progress %}``: the step of the reopening plan the group is on, for the board."""

from __future__ import annotations

from django import template

from crisiscell.reopening import plan

register = template.Library()


@register.inclusion_tag("reopening/_progress.html")
def reopening_progress() -> dict:
    """Nothing when the plan has no step; else "step k of n — title (status)" and a link."""
    return {"progress": plan.progress(plan.plan_steps())}
