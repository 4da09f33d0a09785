"""The task board, decisions, objectives and the situation briefing, under /tasks/."""

from django.urls import path

from . import views_tasks

urlpatterns = [
    path("", views_tasks.tasks_page, name="tasks"),
    path("create", views_tasks.task_create, name="task-create"),
    path("<int:pk>/status", views_tasks.task_status, name="task-status"),
    path("<int:pk>/assign", views_tasks.task_assign, name="task-assign"),
    path("objectives/add", views_tasks.objective_add, name="objective-add"),
    path("objectives/<int:pk>/retire", views_tasks.objective_retire, name="objective-retire"),
    path("decisions/", views_tasks.decisions_page, name="decisions"),
    path("decisions/record", views_tasks.decision_record, name="decision-record"),
    path("briefing.pdf", views_tasks.briefing_pdf, name="briefing-pdf"),
]
