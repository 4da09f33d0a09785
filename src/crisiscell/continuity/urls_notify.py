"""Patient notification routes, under /continuity/notify/."""

from django.urls import path

from . import views_notify as views

urlpatterns = [
    path("plans/<int:pk>/", views.notify_page, name="continuity-notify"),
    path("plans/<int:pk>/send", views.send, name="continuity-send"),
    path(
        "plans/<int:pk>/call-list/<str:service>",
        views.call_list_page,
        name="continuity-call-list",
    ),
    path("messages/<int:pk>/reached", views.reached, name="continuity-reached"),
]
