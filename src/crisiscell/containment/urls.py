from django.urls import path

from . import views

urlpatterns = [
    path("", views.containment, name="containment"),
    path("hosts/one", views.mark_host, name="containment-host"),
    path("hosts/pattern", views.mark_pattern, name="containment-pattern"),
    path("hosts/list", views.mark_list, name="containment-list"),
    path("actions/new", views.propose, name="containment-propose"),
    path("actions/<int:pk>/", views.action_detail, name="containment-action"),
    *(
        path(
            f"actions/<int:pk>/{verb}",
            views.action_move,
            {"verb": verb},
            name=f"containment-{verb}",
        )
        for verb in ("approve", "reject", "done", "revert")
    ),
    path("plan/", views.plan, name="containment-plan"),
    path("plan/propose", views.plan_propose, name="containment-plan-propose"),
]
