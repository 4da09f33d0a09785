"""The one door for the cell's tasks, decisions and objectives.

Each action checks the user's role, validates everything, writes in one transaction and
appends its own entry to the crisis log (``action`` for tasks, ``decision`` for decisions
and objectives), worded in the log's language. They know nothing of HTTP: the pages and the
JSON API call them alike.

Errors, all with a translated message:
- ``PermissionDenied``: the user's role does not allow the change;
- ``ValidationError``: bad input, a closed crisis, or a stale status change;
- ``Crisis.DoesNotExist`` / ``Task.DoesNotExist`` / ``Objective.DoesNotExist``: an id that
  names nothing (a 404 for a page or a route).
Nothing is written when an action raises.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crisiscell.inventory.group_time import group_timezone
from crisiscell.inventory.models import Site

from . import log
from .actions import _author, _require, _text, log_text
from .models import (
    TASK_STATUS_LABELS,
    TASK_STATUSES,
    Crisis,
    Decision,
    Objective,
    Task,
)
from .roles import MANAGE_TASKS, ROLES, RUN_CRISIS

MAX_TITLE = 300
MAX_TEXT = 10_000
MAX_OBJECTIVE = 500
FIRST_YEAR, LAST_YEAR = 2000, 2100


# ---------------------------------------------------------------------------
# Tasks
# ---------------------------------------------------------------------------


def create_task(
    user,
    crisis_id: int,
    *,
    title: str,
    details: str = "",
    role: str = "",
    assignee: str | None = None,
    site: str | None = None,
    due_at: datetime | None = None,
) -> Task:
    """A new task of the crisis, for a role and/or a person (a username), by `due_at`."""
    _require(user, MANAGE_TASKS)
    title = _title(title, _("A task needs a title."))
    details = _long_text(details, "", _("Details hold at most %(n)d characters."))
    role, person = _owner(role, assignee)
    site_row = _site(site)
    due_at = _due(due_at)
    with transaction.atomic():
        crisis = _open_crisis(crisis_id)
        now = timezone.now()
        task = Task.objects.create(
            crisis=crisis,
            title=title,
            details=details,
            role=role,
            assignee=person,
            site=site_row,
            due_at=due_at,
            status="todo",
            created_at=now,
            created_by=user,
            updated_at=now,
        )
        sentences = [
            log_text(
                gettext_noop("New task #%(id)s: %(title)s."), id=task.pk, title=title.rstrip(".")
            ),
            log_text(gettext_noop("Assigned to %(owner)s."), owner=_OwnerText(role, person)),
        ]
        if due_at is not None:
            sentences.append(log_text(gettext_noop("Due %(due)s."), due=_log_time(due_at)))
        _append(user, crisis, "action", sentences, _task_links(task))
    return task


def set_task_status(user, task_id: int, status: str, expected_status: str | None = None) -> Task:
    """Move a task to `status`. With `expected_status` (the status the user saw), a task
    someone else changed meanwhile is refused rather than overwritten."""
    _require(user, MANAGE_TASKS)
    if status not in TASK_STATUSES:
        raise ValidationError(
            _("Unknown task status “%(status)s” (expected one of: %(statuses)s).")
            % {"status": status, "statuses": ", ".join(TASK_STATUSES)}
        )
    if expected_status is not None and expected_status not in TASK_STATUSES:
        raise ValidationError(
            _("Unknown task status “%(status)s” (expected one of: %(statuses)s).")
            % {"status": expected_status, "statuses": ", ".join(TASK_STATUSES)}
        )
    with transaction.atomic():
        task, crisis = _locked_task(task_id)
        if task.status == status:  # already there (two people clicked the same button)
            return task
        if expected_status is not None and task.status != expected_status:
            raise ValidationError(
                _(
                    "Task “%(title)s” was changed meanwhile: it is now “%(now)s”, not "
                    "“%(seen)s”. Nothing was changed; look again and decide."
                )
                % {
                    "title": task.title,
                    "now": TASK_STATUS_LABELS[task.status],
                    "seen": TASK_STATUS_LABELS[expected_status],
                }
            )
        old = task.status
        now = timezone.now()
        task.status = status
        task.updated_at = now
        task.done_at = now if status == "done" else None
        task.save(update_fields=["status", "updated_at", "done_at"])
        text = log_text(
            gettext_noop("Task #%(id)s (%(title)s): %(old)s → %(new)s."),
            id=task.pk,
            title=task.title,
            old=TASK_STATUS_LABELS[old],
            new=TASK_STATUS_LABELS[status],
        )
        _append(user, crisis, "action", [text], _task_links(task))
    return task


def reassign(user, task_id: int, *, role: str = "", assignee: str | None = None) -> Task:
    """Give a task to another role and/or person (a username)."""
    _require(user, MANAGE_TASKS)
    role, person = _owner(role, assignee)
    with transaction.atomic():
        task, crisis = _locked_task(task_id)
        if task.role == role and task.assignee_id == (person.pk if person else None):
            return task
        task.role, task.assignee = role, person
        task.updated_at = timezone.now()
        task.save(update_fields=["role", "assignee", "updated_at"])
        text = log_text(
            gettext_noop("Task #%(id)s (%(title)s) reassigned to %(owner)s."),
            id=task.pk,
            title=task.title,
            owner=_OwnerText(role, person),
        )
        _append(user, crisis, "action", [text], _task_links(task))
    return task


def set_task_due(user, task_id: int, due_at: datetime | None) -> Task:
    """Set (or remove, with None) a task's due time."""
    _require(user, MANAGE_TASKS)
    due_at = _due(due_at)
    with transaction.atomic():
        task, crisis = _locked_task(task_id)
        if task.due_at == due_at:
            return task
        task.due_at = due_at
        task.updated_at = timezone.now()
        task.save(update_fields=["due_at", "updated_at"])
        if due_at is None:
            text = log_text(
                gettext_noop("Task #%(id)s (%(title)s): due time removed."),
                id=task.pk,
                title=task.title,
            )
        else:
            text = log_text(
                gettext_noop("Task #%(id)s (%(title)s): now due %(due)s."),
                id=task.pk,
                title=task.title,
                due=_log_time(due_at),
            )
        _append(user, crisis, "action", [text], _task_links(task))
    return task


# ---------------------------------------------------------------------------
# Decisions and objectives
# ---------------------------------------------------------------------------


def record_decision(
    user, crisis_id: int, title: str, rationale: str, site: str | None = None
) -> Decision:
    """A decision of the cell, with the reason it was taken (required: the log says why)."""
    _require(user, RUN_CRISIS)
    title = _title(title, _("A decision needs a title."))
    rationale = _long_text(
        rationale,
        _("A decision needs its rationale: say why it was taken."),
        _("A rationale holds at most %(n)d characters."),
    )
    site_row = _site(site)
    with transaction.atomic():
        crisis = _open_crisis(crisis_id)
        sentences = [
            title if title.endswith((".", "!", "?", "…")) else f"{title}.",
            log_text(gettext_noop("Rationale: %(rationale)s"), rationale=rationale),
        ]
        links = []
        if site_row is not None:
            sentences.append(
                log_text(
                    gettext_noop("Site %(site)s (%(name)s)."),
                    site=site_row.code,
                    name=site_row.name,
                )
            )
            links.append(f"site:{site_row.code}")
        entry = _append(user, crisis, "decision", sentences, links)
        decision = Decision.objects.create(
            crisis=crisis,
            title=title,
            rationale=rationale,
            decided_at=timezone.now(),
            decided_by=user,
            site=site_row,
            entry=entry,
        )
    return decision


def add_objective(user, crisis_id: int, text: str) -> Objective:
    """A new objective of the operational period, after the others."""
    _require(user, MANAGE_TASKS)
    text = " ".join(_text(text).split())
    if not text:
        raise ValidationError(_("An objective needs a text."))
    if len(text) > MAX_OBJECTIVE:
        raise ValidationError(
            _("An objective holds at most %(n)d characters.") % {"n": MAX_OBJECTIVE}
        )
    with transaction.atomic():
        crisis = _open_crisis(crisis_id)
        last = crisis.objectives.aggregate(last=Max("position"))["last"] or 0
        objective = Objective.objects.create(
            crisis=crisis,
            text=text,
            position=last + 1,
            created_at=timezone.now(),
            created_by=user,
        )
        sentence = log_text(gettext_noop("New objective: %(text)s"), text=text)
        _append(user, crisis, "decision", [sentence], [f"objective:{objective.pk}"])
    return objective


def retire_objective(user, objective_id: int) -> Objective:
    """Withdraw an objective (met, or no longer the cell's aim); it stays in the record."""
    _require(user, MANAGE_TASKS)
    with transaction.atomic():
        objective = _get(Objective, objective_id, _("There is no objective with id %(id)s."))
        crisis = _open_crisis(objective.crisis_id)
        objective = Objective.objects.select_for_update().get(pk=objective.pk)
        if not objective.active:
            raise ValidationError(_("This objective was already withdrawn."))
        objective.active = False
        objective.retired_at = timezone.now()
        objective.retired_by = user
        objective.save(update_fields=["active", "retired_at", "retired_by"])
        sentence = log_text(gettext_noop("Objective withdrawn: %(text)s"), text=objective.text)
        _append(user, crisis, "decision", [sentence], [f"objective:{objective.pk}"])
    return objective


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


class _OwnerText:
    """Who a task is for, worded when the log text is (in the log's language)."""

    def __init__(self, role: str, person) -> None:
        self.role, self.person = role, person

    def __str__(self) -> str:
        from crisiscell.web.labels import ROLE  # the words for roles live with the others

        parts = []
        if self.role:
            parts.append(str(ROLE.get(self.role, self.role)))
        if self.person is not None:
            parts.append(self.person.get_username())
        return ", ".join(parts)


def _append(user, crisis: Crisis, kind: str, sentences: list[str], links: list[str]):
    return log.append_entry(
        crisis.pk, user=user, author=_author(user), kind=kind, text=" ".join(sentences), links=links
    )


def _task_links(task: Task) -> list[str]:
    links = [f"task:{task.pk}"]
    if task.site_id is not None:
        links.append(f"site:{task.site.code}")
    return links


def _get(model, pk, message: str):
    try:
        return model.objects.get(pk=int(pk))
    except (model.DoesNotExist, TypeError, ValueError):
        raise model.DoesNotExist(message % {"id": pk}) from None


def _open_crisis(crisis_id) -> Crisis:
    """The crisis row, locked for the rest of the transaction; refused when closed."""
    crisis = _get(Crisis, crisis_id, _("There is no crisis with id %(id)s."))
    crisis = Crisis.objects.select_for_update().get(pk=crisis.pk)
    if not crisis.active:
        raise ValidationError(_("This crisis is closed."))
    return crisis


def _locked_task(task_id) -> tuple[Task, Crisis]:
    # The crisis first, then the task: every writer takes the locks in that order.
    task = _get(Task, task_id, _("There is no task with id %(id)s."))
    crisis = _open_crisis(task.crisis_id)
    return Task.objects.select_for_update().get(pk=task.pk), crisis


def _title(title: str, empty: str) -> str:
    """One line of text: runs of white space (new lines too) become one space."""
    title = " ".join(_text(title).split())
    if not title:
        raise ValidationError(empty)
    if len(title) > MAX_TITLE:
        raise ValidationError(_("A title holds at most %(n)d characters.") % {"n": MAX_TITLE})
    return title


def _long_text(text: str, empty: str, too_long: str) -> str:
    """Free text; `empty` is the refusal when it is required (else "")."""
    text = _text(text).strip()
    if empty and not text:
        raise ValidationError(empty)
    if len(text) > MAX_TEXT:
        raise ValidationError(too_long % {"n": MAX_TEXT})
    return text


def _owner(role: str | None, assignee: str | None):
    role = _text(role).strip()
    if role and role not in ROLES:
        raise ValidationError(
            _("Unknown role “%(role)s” (expected one of: %(roles)s).")
            % {"role": role, "roles": ", ".join(ROLES)}
        )
    person = None
    username = _text(assignee).strip()
    if username:
        person = get_user_model().objects.filter(username=username, is_active=True).first()
        if person is None:
            raise ValidationError(_("There is no active user “%(name)s”.") % {"name": username})
    if not role and person is None:
        raise ValidationError(_("Assign the task to a role, a person, or both."))
    return role, person


def _site(code: str | None) -> Site | None:
    code = _text(code).strip()
    if not code:
        return None
    site = Site.objects.filter(code=code).first()
    if site is None:
        raise ValidationError(_("There is no site “%(site)s”.") % {"site": code})
    return site


def _due(due_at: datetime | None) -> datetime | None:
    if due_at is None:
        return None
    if not isinstance(due_at, datetime):
        raise ValidationError(_("A due time must be a date and a time."))
    if timezone.is_naive(due_at):
        # A time without its zone is a guess, and the log keeps it for good.
        raise ValidationError(_("A due time needs its time zone."))
    if not FIRST_YEAR <= due_at.year <= LAST_YEAR:
        # Year 0026 or 2206: a typing slip, not a plan.
        raise ValidationError(
            _("A due time must fall between the years %(first)d and %(last)d.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR}
        )
    return due_at.astimezone(UTC).replace(microsecond=0)


def _log_time(value: datetime) -> str:
    """A time as the log writes it: the group's local time, with its zone's abbreviation."""
    return timezone.localtime(value, group_timezone()).strftime("%d/%m/%Y %H:%M %Z")
