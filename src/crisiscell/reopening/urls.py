from django.urls import path

from . import views

urlpatterns = [
    path("", views.plan_page, name="reopening"),
    path("new", views.step_new, name="reopening-new"),
    path("<int:pk>/edit", views.step_edit, name="reopening-edit"),
    path("<int:pk>/approve", views.step_approve, name="reopening-approve"),
    path("<int:pk>/done", views.step_done, name="reopening-done"),
    path("<int:pk>/rollback", views.step_rollback, name="reopening-rollback"),
    path("<int:pk>/delete", views.step_delete, name="reopening-delete"),
    path("checks/<int:pk>/tick", views.check_tick, name="reopening-check"),
]
