"""Care continuity, under /continuity/."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.backlog_page, name="continuity"),
    path("import", views.import_view, name="continuity-import"),
    path("plans/new", views.plan_new, name="continuity-plan-new"),
    path("plans/start", views.plan_start, name="continuity-plan-start"),
    path("decisions/add", views.decision_add, name="continuity-decision-add"),
    path(
        "decisions/<int:pk>/withdraw",
        views.decision_withdraw,
        name="continuity-decision-withdraw",
    ),
    path("plans/<int:pk>/", views.plan_page, name="continuity-plan"),
    path("plans/<int:pk>/progress", views.plan_progress, name="continuity-plan-progress"),
    path("plans/<int:pk>/approve", views.plan_approve, name="continuity-plan-approve"),
    path("plans/<int:pk>/plan.csv", views.plan_csv, name="continuity-plan-csv"),
    path(
        "plans/<int:pk>/schedule/<str:service>",
        views.schedule_page,
        name="continuity-schedule",
    ),
    path("notify/", include("crisiscell.continuity.urls_notify")),
]
