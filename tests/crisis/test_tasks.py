"""Tasks, decisions and objectives through their one door (`crisiscell.crisis.tasks`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from crisiscell.crisis import actions, tasks
from crisiscell.crisis.log import verify_crisis
from crisiscell.crisis.models import Crisis, Decision, LogEntry, Objective, Task
from crisiscell.inventory.models import Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(db) -> Site:
    return Site.objects.create(code="ARL", name="Hôpital d'Arlon", kind="hospital")


@pytest.fixture
def crisis(cast) -> Crisis:
    return actions.open_crisis(cast.director, "Rançongiciel — nuit du 23 mai")


@pytest.fixture
def task(cast, crisis, site) -> Task:
    return tasks.create_task(
        cast.director,
        crisis.pk,
        title="Appeler l'ARS",
        role="crisis_director",
        assignee="it_lead",
        site="ARL",
        due_at=timezone.now() + timedelta(hours=1),
    )


def count(crisis: Crisis) -> int:
    crisis.refresh_from_db()
    return crisis.entry_count


def last_entry(crisis: Crisis) -> LogEntry:
    return LogEntry.objects.filter(crisis=crisis).order_by("-seq").first()


def assert_chain_ok(crisis: Crisis) -> None:
    crisis.refresh_from_db()
    result = verify_crisis(crisis)
    assert result.ok, result.faults
    assert result.count == crisis.entry_count


# --- each action writes exactly one chained entry --------------------------


def test_each_action_writes_exactly_one_chained_entry(cast, crisis, site):
    director = cast.director
    steps = [
        (
            "action",
            lambda: tasks.create_task(
                director, crisis.pk, title="Imprimer les listes", role="care_manager", site="ARL"
            ),
        ),
        ("action", lambda: tasks.set_task_status(director, _task().pk, "in_progress", "todo")),
        ("action", lambda: tasks.reassign(director, _task().pk, role="", assignee="it_lead")),
        (
            "action",
            lambda: tasks.set_task_due(
                director, _task().pk, datetime(2026, 5, 24, 6, 0, tzinfo=UTC)
            ),
        ),
        ("action", lambda: tasks.set_task_status(director, _task().pk, "done")),
        ("decision", lambda: tasks.record_decision(director, crisis.pk, "Couper internet", "Why")),
        ("decision", lambda: tasks.add_objective(director, crisis.pk, "Garder les urgences")),
        ("decision", lambda: tasks.retire_objective(director, Objective.objects.get().pk)),
    ]
    for kind, step in steps:
        before = count(crisis)
        step()
        assert count(crisis) == before + 1, kind
        assert last_entry(crisis).kind == kind
        assert_chain_ok(crisis)


def _task() -> Task:
    return Task.objects.get()


def test_a_new_task_is_recorded_with_its_owner_due_time_and_links(cast, crisis, site, settings):
    settings.LOG_LANGUAGE = "en"
    due = datetime(2026, 5, 24, 6, 0, tzinfo=UTC)  # 08:00 in Brussels (summer time)
    task = tasks.create_task(
        cast.director,
        crisis.pk,
        title="  Appeler   l'ARS\net le CERT  ",
        details="  numéro direct au tableau  ",
        role="crisis_director",
        assignee="it_lead",
        site="ARL",
        due_at=due,
    )
    task.refresh_from_db()
    assert task.title == "Appeler l'ARS et le CERT"  # one line, spaces tidied
    assert task.details == "numéro direct au tableau"
    assert (task.role, task.assignee, task.site, task.status) == (
        "crisis_director",
        cast.it_lead,
        site,
        "todo",
    )
    assert task.due_at == due and task.created_by == cast.director and task.done_at is None
    entry = last_entry(crisis)
    assert entry.kind == "action" and entry.author == "director" and entry.role == "crisis_director"
    assert sorted(entry.links) == ["site:ARL", f"task:{task.pk}"]
    assert entry.text == (
        f"New task #{task.pk}: Appeler l'ARS et le CERT. "
        "Assigned to crisis director, it_lead. Due 24/05/2026 08:00 CEST."
    )


def test_the_log_speaks_french_by_default(cast, crisis):
    tasks.create_task(cast.director, crisis.pk, title="Appeler l'ARS", role="crisis_director")
    # The sentence is worded in the log's language (French unless configured), for good.
    assert "Appeler l'ARS" in last_entry(crisis).text


# --- bad input: a clear error, nothing written -----------------------------


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"title": "   "}, "titre"),  # French first
        ({"title": "x" * 301}, "300"),
        ({"role": "janitor"}, "janitor"),
        ({"role": "", "assignee": ""}, ""),
        ({"assignee": "ghost"}, "ghost"),
        ({"assignee": "sleeper"}, "sleeper"),
        ({"site": "NOPE"}, "NOPE"),
        ({"due_at": datetime(2026, 5, 24, 8, 0)}, ""),  # naive on purpose
        ({"due_at": "tomorrow"}, ""),
        ({"details": "x" * 10_001}, "10000"),
        ({"title": "Appeler\x00 l'ARS"}, ""),  # PostgreSQL keeps no NUL byte
        ({"details": "\x1b[2J"}, ""),
        ({"title": 42}, "42"),
        ({"role": ["it_lead"]}, ""),
        ({"due_at": datetime(26, 5, 24, 8, 0, tzinfo=UTC)}, "2000"),  # a typing slip
        ({"due_at": datetime(9999, 12, 31, 23, 0, tzinfo=UTC)}, "2100"),
    ],
)
def test_bad_task_input_is_refused_and_nothing_is_written(cast, crisis, site, changes, words):
    get_user_model().objects.create_user("sleeper", is_active=False)
    kwargs = {"title": "Appeler l'ARS", "role": "crisis_director", **changes}
    before = count(crisis)
    with pytest.raises(ValidationError) as caught:
        tasks.create_task(cast.director, crisis.pk, **kwargs)
    assert words in " ".join(caught.value.messages)
    assert not Task.objects.exists() and count(crisis) == before


def test_a_decision_needs_a_title_and_its_rationale(cast, crisis):
    before = count(crisis)
    for title, rationale in [("", "parce que"), ("Couper internet", "  "), ("x" * 301, "ok")]:
        with pytest.raises(ValidationError):
            tasks.record_decision(cast.director, crisis.pk, title, rationale)
    with pytest.raises(ValidationError):
        tasks.record_decision(cast.director, crisis.pk, "Plan blanc", "Because", site="NOPE")
    assert not Decision.objects.exists() and count(crisis) == before


def test_an_objective_needs_a_text(cast, crisis):
    for text in ("", "  \n ", "x" * 501):
        with pytest.raises(ValidationError):
            tasks.add_objective(cast.director, crisis.pk, text)
    assert not Objective.objects.exists() and count(crisis) == 1


def test_unknown_statuses_and_ids_are_refused(cast, crisis, task):
    before = count(crisis)
    with pytest.raises(ValidationError):
        tasks.set_task_status(cast.director, task.pk, "finished")
    with pytest.raises(ValidationError):
        tasks.set_task_status(cast.director, task.pk, "done", expected_status="whatever")
    with pytest.raises(Task.DoesNotExist, match="999"):
        tasks.set_task_status(cast.director, 999, "done")
    with pytest.raises(Task.DoesNotExist):
        tasks.reassign(cast.director, 999, role="it_lead")
    with pytest.raises(Crisis.DoesNotExist, match="999"):
        tasks.create_task(cast.director, 999, title="x", role="it_lead")
    with pytest.raises(Objective.DoesNotExist):
        tasks.retire_objective(cast.director, 999)
    task.refresh_from_db()
    assert task.status == "todo" and count(crisis) == before


# --- who may do what -------------------------------------------------------


def test_observers_and_people_without_a_role_change_nothing(cast, crisis, task):
    objective = tasks.add_objective(cast.director, crisis.pk, "Garder les urgences")
    before = count(crisis)
    for user in (cast.observer, cast.nobody):
        calls = [
            lambda u=user: tasks.create_task(u, crisis.pk, title="x", role="it_lead"),
            lambda u=user: tasks.set_task_status(u, task.pk, "done"),
            lambda u=user: tasks.reassign(u, task.pk, role="it_lead"),
            lambda u=user: tasks.set_task_due(u, task.pk, None),
            lambda u=user: tasks.record_decision(u, crisis.pk, "x", "y"),
            lambda u=user: tasks.add_objective(u, crisis.pk, "x"),
            lambda u=user: tasks.retire_objective(u, objective.pk),
        ]
        for call in calls:
            with pytest.raises(PermissionDenied):
                call()
    task.refresh_from_db()
    assert task.status == "todo" and count(crisis) == before
    assert Task.objects.count() == 1 and not Decision.objects.exists()


def test_the_it_lead_manages_tasks_but_does_not_decide(cast, crisis, task):
    tasks.set_task_status(cast.it_lead, task.pk, "in_progress")
    tasks.create_task(cast.it_lead, crisis.pk, title="Isoler les DC", role="it_lead")
    with pytest.raises(PermissionDenied):
        tasks.record_decision(cast.it_lead, crisis.pk, "Couper internet", "Propagation")
    assert Task.objects.count() == 2 and not Decision.objects.exists()


def test_every_role_but_the_observer_manages_tasks(cast, crisis):
    from crisiscell.crisis.roles import MANAGE_TASKS, ROLES, ensure_roles

    groups = ensure_roles()
    for role in ROLES:
        user = get_user_model().objects.create_user(f"u-{role}")
        user.groups.add(groups[role])
        user = get_user_model().objects.get(pk=user.pk)  # fresh permission cache
        assert user.has_perm(MANAGE_TASKS) == (role != "observer"), role


def test_the_system_itself_may_act(crisis):
    task = tasks.create_task(None, crisis.pk, title="Relancer la sauvegarde", role="it_lead")
    assert last_entry(crisis).author == "system"
    assert task.created_by is None


# --- a closed crisis is read-only ------------------------------------------


def test_a_closed_crisis_refuses_every_change(cast, crisis, task):
    objective = tasks.add_objective(cast.director, crisis.pk, "Garder les urgences")
    actions.close_crisis(cast.director, crisis.pk)
    before = count(crisis)
    calls = [
        lambda: tasks.create_task(cast.director, crisis.pk, title="x", role="it_lead"),
        lambda: tasks.set_task_status(cast.director, task.pk, "done"),
        lambda: tasks.reassign(cast.director, task.pk, role="it_lead"),
        lambda: tasks.set_task_due(cast.director, task.pk, None),
        lambda: tasks.record_decision(cast.director, crisis.pk, "x", "y"),
        lambda: tasks.add_objective(cast.director, crisis.pk, "x"),
        lambda: tasks.retire_objective(cast.director, objective.pk),
    ]
    for call in calls:
        with pytest.raises(ValidationError):
            call()
    task.refresh_from_db()
    objective.refresh_from_db()
    assert task.status == "todo" and objective.active and count(crisis) == before
    assert_chain_ok(crisis)


# --- statuses --------------------------------------------------------------


def test_a_stale_status_change_is_refused(cast, crisis, task):
    # Two people look at the same card; the first starts it, the second clicks "Done".
    tasks.set_task_status(cast.it_lead, task.pk, "in_progress", expected_status="todo")
    before = count(crisis)
    with pytest.raises(ValidationError) as caught:
        tasks.set_task_status(cast.director, task.pk, "done", expected_status="todo")
    assert task.title in caught.value.messages[0]
    task.refresh_from_db()
    assert task.status == "in_progress" and count(crisis) == before


def test_done_is_stamped_and_a_reopened_task_loses_the_stamp(cast, crisis, task):
    done = tasks.set_task_status(cast.director, task.pk, "done")
    assert done.done_at is not None and done.updated_at >= done.created_at
    before = count(crisis)
    again = tasks.set_task_status(cast.director, task.pk, "done")  # a double click
    assert again.status == "done" and count(crisis) == before  # nothing to log
    reopened = tasks.set_task_status(cast.director, task.pk, "todo", expected_status="done")
    assert reopened.done_at is None and reopened.status == "todo"


def test_overdue_is_an_open_task_past_its_due_time(cast, crisis, task):
    later = task.due_at + timedelta(minutes=1)
    assert not task.is_overdue(task.due_at - timedelta(minutes=1))
    assert task.is_overdue(later)
    task = tasks.set_task_status(cast.director, task.pk, "done")
    assert not task.is_overdue(later)


# --- owners, due times, decisions, objectives --------------------------------


def test_reassign_and_due_changes(cast, crisis, task, settings):
    settings.LOG_LANGUAGE = "en"
    before = count(crisis)
    same = tasks.reassign(cast.director, task.pk, role="crisis_director", assignee="it_lead")
    assert same.pk == task.pk and count(crisis) == before  # nothing changed, nothing logged
    moved = tasks.reassign(cast.director, task.pk, role="it_lead")
    assert (moved.role, moved.assignee) == ("it_lead", None)
    assert last_entry(crisis).text.endswith("reassigned to IT lead.")
    with pytest.raises(ValidationError):
        tasks.reassign(cast.director, task.pk, role="", assignee="")
    removed = tasks.set_task_due(cast.director, task.pk, None)
    assert removed.due_at is None and last_entry(crisis).text.endswith("due time removed.")
    assert count(crisis) == before + 2


def test_a_decision_keeps_its_log_entry(cast, crisis, site, settings):
    settings.LOG_LANGUAGE = "en"
    decision = tasks.record_decision(
        cast.director,
        crisis.pk,
        "Plan blanc à Arlon",
        "Dossier patient indisponible.\nLaboratoire à l'arrêt.",
        site="ARL",
    )
    entry = last_entry(crisis)
    assert decision.entry == entry and entry.kind == "decision"
    assert entry.links == ["site:ARL"]
    assert entry.text.startswith("Plan blanc à Arlon. Rationale: Dossier patient indisponible.")
    assert decision.site == site and decision.decided_by == cast.director
    assert decision.rationale == "Dossier patient indisponible.\nLaboratoire à l'arrêt."


def test_objectives_are_numbered_and_withdrawn(cast, crisis):
    first = tasks.add_objective(cast.director, crisis.pk, "Garder les urgences ouvertes")
    second = tasks.add_objective(cast.it_lead, crisis.pk, "Aucune nouvelle machine compromise")
    assert (first.position, second.position) == (1, 2)
    retired = tasks.retire_objective(cast.director, first.pk)
    assert not retired.active and retired.retired_by == cast.director
    with pytest.raises(ValidationError):
        tasks.retire_objective(cast.director, first.pk)
    third = tasks.add_objective(cast.director, crisis.pk, "Informer les patients")
    assert third.position == 3
    assert list(Objective.objects.filter(active=True)) == [second, third]
    assert last_entry(crisis).links == [f"objective:{third.pk}"]
