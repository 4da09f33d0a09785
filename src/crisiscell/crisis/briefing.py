"""The situation briefing: what the cell reads at the start of a crisis meeting.

In the spirit of the HICS 201 (incident briefing) and 202 (incident objectives) forms: the
crisis and its phase, each site's operating mode and care status, the objectives, the
decisions taken and why, the actions under way, the open tasks (overdue ones flagged), and
what the log recorded since the previous meeting.

`build` turns the database into plain data — strings already translated into the active
language and times already in the group's time zone — for ``documents/typst/briefing.typ``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from crisiscell.inventory import models as inv
from crisiscell.web import labels
from crisiscell.web.impact_cache import Now

from .log import verify_crisis
from .models import (
    KIND_LABELS,
    OPEN_STATUSES,
    PHASE_LABELS,
    SITE_MODE_LABELS,
    Crisis,
    Decision,
    LogEntry,
    Objective,
    SiteMode,
    Task,
)

#: Log entries printed since the previous meeting; older ones are counted, not printed.
LAST_ENTRIES = 40
#: Decisions printed, latest first; older ones are counted.
LAST_DECISIONS = 40
STATUSES = ("normal", "degraded", "down")
NOT_SERVING = ("compromised", "isolated", "off")


@dataclass(frozen=True)
class Clock:
    """How times read on the briefing: the group's zone, day and time."""

    tz: tzinfo

    def short(self, value: datetime | None) -> str:
        return timezone.localtime(value, self.tz).strftime("%d/%m %H:%M") if value else ""

    def full(self, value: datetime | None) -> str:
        return timezone.localtime(value, self.tz).strftime("%d/%m/%Y %H:%M") if value else ""


def owner_text(role: str, person) -> str:
    """Who a task is for: the role's name, the person's user name, or both."""
    parts = []
    if role:
        parts.append(labels.label(labels.ROLE, role))
    if person is not None:
        parts.append(person.get_username())
    return " · ".join(parts)


def build(
    crisis: Crisis,
    *,
    tz: tzinfo,
    impact: Now,
    prepared_by: str = "",
    at: datetime | None = None,
) -> dict:
    """The briefing of `crisis` as of `at` (now by default), for `briefing.typ`."""
    at = at or timezone.now()
    clock = Clock(tz)
    meeting = (
        LogEntry.objects.filter(crisis=crisis, kind="meeting").order_by("-seq").only("seq", "at")
    ).first()
    since = _entry_time(meeting.at) if meeting else None
    tz_name = getattr(tz, "key", str(tz))
    return {
        "lang": (get_language() or "fr").split("-")[0],
        "labels": _labels(),
        "generated": f"{clock.full(at)} ({tz_name})",
        "briefing_time": clock.full(at),
        "prepared_by": prepared_by,
        "crisis": {
            "id": crisis.pk,
            "title": crisis.title,
            "phase": str(PHASE_LABELS.get(crisis.phase, crisis.phase)),
            "opened": clock.full(crisis.opened_at),
            "opened_by": crisis.opened_by.get_username() if crisis.opened_by else "",
            "closed": clock.full(crisis.closed_at) if crisis.closed_at else "",
            "since_meeting": clock.full(since) if since else "",
        },
        "situation": _situation(impact),
        **_care(crisis, impact, clock),
        "objectives": [
            {"n": i, "text": o.text}
            for i, o in enumerate(Objective.objects.filter(crisis=crisis, active=True), 1)
        ],
        **_decisions(crisis, clock),
        **_tasks(crisis, clock, at, since),
        **_events(crisis, clock, meeting.seq if meeting else None),
        "chain": _chain(crisis),
    }


def _labels() -> dict[str, str]:
    """Every fixed word of the document, in the active language."""
    return {
        "title": _("Situation briefing"),
        "page": _("Page"),
        "confidential": _("Confidential — for the crisis cell"),
        "phase": _("Phase"),
        "opened": _("Opened"),
        "log_entry": _("log entry"),
        "closed": _("Closed"),
        "briefing_time": _("Briefing time"),
        "prepared_by": _("Prepared by"),
        "period": _("Period covered"),
        "period_since": _("since the previous meeting"),
        "period_all": _("since the crisis opened (no meeting recorded yet)"),
        "situation": _("Situation"),
        "sites": _("Sites: operating mode and care status"),
        "site": _("Site"),
        "mode": _("Operating mode"),
        "normal": "✓ " + _("Normal"),
        "degraded": "▲ " + _("Degraded"),
        "down": "✕ " + _("Down"),
        "vital_hit": _("Vital hit"),
        "no_services": _("no care service"),
        "no_sites": _("No site: the group map has not been imported."),
        "vital": _("Vital services down or degraded"),
        "no_vital": _("No vital service is down or degraded."),
        "objectives": _("Objectives of the operational period"),
        "no_objectives": _("No objective has been set."),
        "decisions": _("Decisions taken (latest first)"),
        "no_decisions": _("No decision recorded yet."),
        "rationale": _("Why:"),
        "under_way": _("Actions under way"),
        "no_under_way": _("No task is in progress."),
        "open": _("Open tasks"),
        "no_open": _("No task is waiting."),
        "done": _("Done since the previous meeting"),
        "task": _("Task"),
        "owner": _("For"),
        "due": _("Due"),
        "overdue": _("OVERDUE"),
        "events": _("What the log recorded since the previous meeting"),
        "events_all": _("Latest entries of the log"),
        "no_events": _("Nothing was recorded since the previous meeting."),
        "time": _("Time"),
        "author": _("Author"),
        "entry": _("Entry"),
        "notes": _("Notes"),
    }


def _situation(impact: Now) -> list[str]:
    """The technical situation in a few short sentences."""
    s = impact.situation
    states = list(s.host_states.values())
    out = [
        _("Internet is cut.") if s.internet_cut else _("Internet is open."),
        ngettext("%(n)d zone isolated.", "%(n)d zones isolated.", len(s.isolated_zones))
        % {"n": len(s.isolated_zones)},
        ngettext("%(n)d flow blocked.", "%(n)d flows blocked.", len(s.blocked_flows))
        % {"n": len(s.blocked_flows)},
    ]
    down = sum(1 for state in states if state in NOT_SERVING)
    suspected = sum(1 for state in states if state == "suspected")
    out.append(
        ngettext("%(n)d host out of service", "%(n)d hosts out of service", down) % {"n": down}
        + ", "
        + ngettext("%(n)d suspected.", "%(n)d suspected.", suspected) % {"n": suspected}
    )
    counts = impact.impact.counts()
    out.append(
        _("Care services: %(normal)d normal, %(degraded)d degraded, %(down)d down.") % counts
    )
    return out


def _care(crisis: Crisis, impact: Now, clock: Clock) -> dict:
    latest: dict[str, SiteMode] = {}
    changes = SiteMode.objects.filter(crisis=crisis).select_related("site").order_by("at", "id")
    for change in changes:
        latest[change.site.code] = change
    names = dict(inv.Site.objects.values_list("code", "name"))
    sites, vital = [], []
    for site in impact.map.sites:
        services = impact.map.services_by_site.get(site.id, ())
        counts = dict.fromkeys(STATUSES, 0)
        vital_hit = 0
        for service in services:
            status = impact.impact.services[service.id].status
            counts[status] += 1
            if status != "normal" and service.criticality == "vital":
                vital_hit += 1
                vital.append(
                    {
                        "site": site.name,
                        "service": service.name,
                        "code": service.id,
                        "status": status,
                        "status_label": labels.STATUS_SYMBOL[status]
                        + " "
                        + labels.label(labels.STATUS, status),
                    }
                )
        change = latest.get(site.id)
        mode = change.mode if change else "normal"
        sites.append(
            {
                "code": site.id,
                "name": names.get(site.id, site.name),
                "kind": labels.label(labels.SITE_KIND, site.kind),
                "mode": mode,
                "mode_label": str(SITE_MODE_LABELS.get(mode, mode)),
                "since": clock.short(change.at) if change else "",
                "services": len(services),
                **counts,
                "vital_hit": vital_hit,
            }
        )
    # Down before degraded, then by site: what the meeting must hear first.
    vital.sort(key=lambda v: (v["status"] != "down", v["site"], v["service"]))
    # A region has hundreds of sites: those with nothing to report go on one line.
    shown = [s for s in sites if s["mode"] != "normal" or s["degraded"] or s["down"]]
    quiet = [s["name"] for s in sites if s not in shown]
    quiet_label = ngettext(
        "%(n)d site with nothing to report (normal mode, every care service normal):",
        "%(n)d sites with nothing to report (normal mode, every care service normal):",
        len(quiet),
    ) % {"n": len(quiet)}
    return {
        "sites": shown,
        "site_count": len(sites),
        "quiet_sites": ", ".join(quiet),
        "quiet_label": quiet_label if quiet else "",
        "vital": vital,
    }


def _decisions(crisis: Crisis, clock: Clock) -> dict:
    qs = (
        Decision.objects.filter(crisis=crisis)
        .select_related("decided_by", "site", "entry")
        .order_by("-decided_at", "-id")
    )
    total = qs.count()
    rows = [
        {
            "at": clock.short(d.decided_at),
            "title": d.title,
            "rationale": d.rationale,
            "by": d.decided_by.get_username() if d.decided_by else d.entry.author,
            "site": d.site.name if d.site else "",
            "seq": d.entry.seq,
        }
        for d in qs[:LAST_DECISIONS]
    ]
    more = total - len(rows)
    return {
        "decisions": rows,
        "decisions_more": (
            ngettext(
                "%(n)d earlier decision is in the log.",
                "%(n)d earlier decisions are in the log.",
                more,
            )
            % {"n": more}
            if more > 0
            else ""
        ),
    }


def _task_row(task: Task, clock: Clock, at: datetime) -> dict:
    overdue = task.is_overdue(at)
    return {
        "id": task.pk,
        "title": task.title,
        "details": task.details,
        "owner": owner_text(task.role, task.assignee),
        "site": task.site.name if task.site else "",
        "due": clock.short(task.due_at),
        "overdue": overdue,
        "done": clock.short(task.done_at),
    }


def _tasks(crisis: Crisis, clock: Clock, at: datetime, since: datetime | None) -> dict:
    qs = Task.objects.filter(crisis=crisis).select_related("assignee", "site")
    open_tasks = list(qs.filter(status__in=OPEN_STATUSES))
    open_tasks.sort(key=lambda t: due_order(t, at))
    done = qs.filter(status="done")
    if since is not None:
        done = done.filter(done_at__gte=since)
    return {
        "in_progress": [_task_row(t, clock, at) for t in open_tasks if t.status == "in_progress"],
        "todo": [_task_row(t, clock, at) for t in open_tasks if t.status == "todo"],
        "overdue_count": sum(1 for t in open_tasks if t.is_overdue(at)),
        "done": [_task_row(t, clock, at) for t in done.order_by("-done_at", "-id")[:50]],
    }


def due_order(task: Task, at: datetime) -> tuple:
    """Overdue first, then by due time, then the tasks with none, oldest first."""
    if task.due_at is None:
        return (2, 0.0, task.pk)
    return (0 if task.due_at < at else 1, task.due_at.timestamp(), task.pk)


def _events(crisis: Crisis, clock: Clock, after_seq: int | None) -> dict:
    qs = LogEntry.objects.filter(crisis=crisis)
    if after_seq is not None:
        qs = qs.filter(seq__gt=after_seq)
    total = qs.count()
    entries = list(qs.order_by("-seq")[:LAST_ENTRIES])
    entries.reverse()  # read in the order it happened
    more = total - len(entries)
    return {
        "events_since_meeting": after_seq is not None,
        "events": [
            {
                "seq": e.seq,
                "at": clock.short(_entry_time(e.at)) or e.at,
                "author": e.author,
                "role": labels.label(labels.ROLE, e.role) if e.role else "",
                "kind": str(KIND_LABELS.get(e.kind, e.kind)),
                "text": e.text,
            }
            for e in entries
        ],
        "events_more": (
            ngettext(
                "%(n)d earlier entry is not printed here: see the log.",
                "%(n)d earlier entries are not printed here: see the log.",
                more,
            )
            % {"n": more}
            if more > 0
            else ""
        ),
    }


def _chain(crisis: Crisis) -> str:
    result = verify_crisis(crisis)
    if result.ok:
        return _(
            "Crisis log: %(n)d entries, chain verified; fingerprint of the last entry %(head)s."
        ) % {"n": result.count, "head": result.head[:16]}
    return _("Crisis log: %(n)d entries — THE CHAIN DOES NOT VERIFY: see the crisis log.") % {
        "n": result.count
    }


def _entry_time(at: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return value if value.tzinfo else None
