"""Making the kits again every N minutes (`settings.KIT_EVERY_MINUTES`, 15 by default) into
the export folders (`settings.KIT_FOLDERS`), and how fresh each kit is.

Several processes may run the schedule (the web server's thread, `crisiscell kits watch`):
a round starts only for the one that takes the lease on the single `KitRound` row, on the
row locked for update, so a round is never run twice at once.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from crisiscell.engine.groupmap import GroupMap
from crisiscell.inventory.snapshot import load_map

from .build import build
from .models import Kit, KitRound

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=30)  # a round that has not finished by then is taken over


def _claim(holder: str, every: timedelta, now: datetime) -> bool:
    with transaction.atomic():
        KitRound.objects.get_or_create(pk=1)
        r = KitRound.objects.select_for_update().get(pk=1)
        if r.lease_until and r.lease_until > now:
            return False  # a round is under way elsewhere
        if r.started_at and now - r.started_at < every:
            return False  # not due yet
        r.holder, r.lease_until, r.started_at = holder[:100], now + LEASE, now
        r.save()
    return True


def run_if_due(every_minutes: int | None = None, holder: str = "") -> str | None:
    """Run a round into the export folders if one is due and no one else runs it; a line
    saying what was done, or None."""
    every = timedelta(minutes=every_minutes or settings.KIT_EVERY_MINUTES or 15)
    holder = holder or f"pid {os.getpid()}"
    if not _claim(holder, every, timezone.now()):
        return None
    t0 = time.perf_counter()
    error, made = "", 0
    try:
        result = build(settings.KIT_FOLDERS)
        made = len(result.made)
    except Exception as exc:  # the round must be recorded as failed, whatever went wrong
        log.exception("kit round failed")
        error = f"{type(exc).__name__}: {exc}"[:500]
    seconds = time.perf_counter() - t0
    KitRound.objects.filter(pk=1).update(
        lease_until=None,
        finished_at=timezone.now(),
        kits=made,
        seconds=seconds,
        error=error,
    )
    if error:
        return f"kits: round failed after {seconds:.1f} s: {error}"
    return f"kits: {made} kits written in {seconds:.1f} s"


def start_thread() -> threading.Thread | None:
    """The schedule in a background thread of the web server (none when the period is 0)."""
    if not settings.KIT_EVERY_MINUTES:
        return None

    def loop() -> None:
        while True:
            try:
                close_old_connections()
                line = run_if_due(holder=f"server pid {os.getpid()}")
                if line:
                    log.info(line)
            except Exception:  # the schedule must outlive one bad round
                log.exception("kit schedule")
            finally:
                close_old_connections()
            time.sleep(30)

    thread = threading.Thread(target=loop, name="kits", daemon=True)
    thread.start()
    return thread


@dataclass(frozen=True)
class Freshness:
    site: str
    unit: str
    unit_name: str
    generated_at: datetime | None
    age_minutes: int | None
    stale: bool  # older than twice the period, or never made
    kit: Kit | None


def stale_before(now: datetime) -> datetime:
    """A kit made before this is stale: older than twice the period."""
    return now - 2 * timedelta(minutes=settings.KIT_EVERY_MINUTES or 15)


def freshness(gm: GroupMap | None = None, now: datetime | None = None) -> list[Freshness]:
    """Every unit of the map (``gm``, or the database's) with the age of its kit; stale when
    older than twice the period (or never made)."""
    now = now or timezone.now()
    gm = gm or load_map()
    limit = stale_before(now)
    kits = {(k.site, k.unit): k for k in Kit.objects.all()}
    out = []
    for s in sorted(gm.services, key=lambda s: (s.site, s.id)):
        k = kits.get((s.site, s.id))
        age = None if k is None else now - k.generated_at
        out.append(
            Freshness(
                site=s.site,
                unit=s.id,
                unit_name=s.name,
                generated_at=k.generated_at if k else None,
                age_minutes=None if age is None else int(age.total_seconds() // 60),
                stale=k is None or k.generated_at < limit,
                kit=k,
            )
        )
    return out


def last_round() -> KitRound | None:
    return KitRound.objects.filter(pk=1).first()
