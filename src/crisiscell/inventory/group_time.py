"""The group's time zone: every time is stored in UTC and shown in it (the cell reads
"03:30" as the night it lived, whatever the clock of the laptop says)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings

from .models import Group


def group_timezone() -> ZoneInfo:
    """The zone of the group map, else CRISISCELL_TIME_ZONE, else UTC."""
    group = Group.objects.only("timezone").first()
    for name in (group.timezone if group else None, settings.TIME_ZONE):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")
