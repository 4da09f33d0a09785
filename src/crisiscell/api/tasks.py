"""Tasks, decisions and objectives of a crisis over JSON, through `crisiscell.crisis.tasks`
(the same role checks and log entries as the pages)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from crisiscell.crisis import tasks as actions
from crisiscell.crisis.models import TASK_STATUSES, Crisis, Decision, Objective, Task
from crisiscell.crisis.roles import ROLES

from .schemas import Id, Problem, text

router = Router(tags=["tasks and decisions"])
ERRORS = {400: Problem, 401: Problem, 403: Problem, 404: Problem}
TaskStatus = Literal[TASK_STATUSES]  # type: ignore[valid-type]
Role = Literal[tuple(ROLES)]  # type: ignore[valid-type]


class TaskOut(Schema):
    id: int
    crisis: int = Field(validation_alias="crisis_id")
    title: str
    details: str
    role: str
    assignee: str | None
    site: str | None
    due_at: datetime | None
    status: TaskStatus
    created_at: datetime
    updated_at: datetime
    done_at: datetime | None

    @staticmethod
    def resolve_assignee(obj: Task) -> str | None:
        return obj.assignee.get_username() if obj.assignee_id else None

    @staticmethod
    def resolve_site(obj: Task) -> str | None:
        return obj.site.code if obj.site_id else None


class TaskIn(Schema):
    title: text(300, 1)
    details: text(5000) = ""
    role: Role | Literal[""] = ""
    assignee: text(150, 1) | None = Field(None, description="a user name")
    site: text(50, 1) | None = None
    due_at: datetime | None = None


class StatusIn(Schema):
    status: TaskStatus
    expected_status: TaskStatus | None = Field(
        None, description="the status you saw: refused (400) if someone changed it meanwhile"
    )


class AssignIn(Schema):
    role: Role | Literal[""] = ""
    assignee: text(150, 1) | None = None


class TaskQuery(Schema):
    status: TaskStatus | None = None
    role: Role | None = None


class DecisionOut(Schema):
    id: int
    crisis: int = Field(validation_alias="crisis_id")
    title: str
    rationale: str
    decided_at: datetime
    decided_by: str | None
    site: str | None
    entry_hash: str

    @staticmethod
    def resolve_decided_by(obj: Decision) -> str | None:
        return obj.decided_by.get_username() if obj.decided_by_id else None

    @staticmethod
    def resolve_site(obj: Decision) -> str | None:
        return obj.site.code if obj.site_id else None

    @staticmethod
    def resolve_entry_hash(obj: Decision) -> str:
        return obj.entry.hash


class DecisionIn(Schema):
    title: text(300, 1)
    rationale: text(5000, 1)
    site: text(50, 1) | None = None


class ObjectiveOut(Schema):
    id: int
    text: str
    position: int
    active: bool


class ObjectiveIn(Schema):
    text: text(500, 1)


@router.get("/crises/{crisis_id}/tasks", response={200: list[TaskOut], **ERRORS})
def list_tasks(request, crisis_id: Id, q: Query[TaskQuery]):
    crisis = get_object_or_404(Crisis, pk=crisis_id)
    rows = Task.objects.filter(crisis=crisis).select_related("assignee", "site")
    if q.status:
        rows = rows.filter(status=q.status)
    if q.role:
        rows = rows.filter(role=q.role)
    return rows.order_by("id")


@router.post("/crises/{crisis_id}/tasks", response={201: TaskOut, **ERRORS})
def create_task(request, crisis_id: Id, body: TaskIn):
    get_object_or_404(Crisis, pk=crisis_id)
    task = actions.create_task(request.user, crisis_id, **body.dict())
    return Status(201, task)


@router.get("/tasks/{task_id}", response={200: TaskOut, **ERRORS})
def get_task(request, task_id: Id):
    return get_object_or_404(Task, pk=task_id)


@router.post("/tasks/{task_id}/status", response={200: TaskOut, **ERRORS})
def set_status(request, task_id: Id, body: StatusIn):
    get_object_or_404(Task, pk=task_id)
    actions.set_task_status(request.user, task_id, body.status, body.expected_status)
    return Task.objects.get(pk=task_id)


@router.post("/tasks/{task_id}/assign", response={200: TaskOut, **ERRORS})
def assign(request, task_id: Id, body: AssignIn):
    get_object_or_404(Task, pk=task_id)
    actions.reassign(request.user, task_id, role=body.role, assignee=body.assignee)
    return Task.objects.get(pk=task_id)


@router.get("/crises/{crisis_id}/decisions", response={200: list[DecisionOut], **ERRORS})
def list_decisions(request, crisis_id: Id):
    crisis = get_object_or_404(Crisis, pk=crisis_id)
    return Decision.objects.filter(crisis=crisis).select_related("decided_by", "site", "entry")


@router.post("/crises/{crisis_id}/decisions", response={201: DecisionOut, **ERRORS})
def record_decision(request, crisis_id: Id, body: DecisionIn):
    get_object_or_404(Crisis, pk=crisis_id)
    decision = actions.record_decision(
        request.user, crisis_id, body.title, body.rationale, site=body.site
    )
    return Status(201, decision)


@router.get("/crises/{crisis_id}/objectives", response={200: list[ObjectiveOut], **ERRORS})
def list_objectives(request, crisis_id: Id):
    crisis = get_object_or_404(Crisis, pk=crisis_id)
    return Objective.objects.filter(crisis=crisis)


@router.post("/crises/{crisis_id}/objectives", response={201: ObjectiveOut, **ERRORS})
def add_objective(request, crisis_id: Id, body: ObjectiveIn):
    get_object_or_404(Crisis, pk=crisis_id)
    return Status(201, actions.add_objective(request.user, crisis_id, body.text))
