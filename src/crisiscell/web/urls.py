from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("", views.board, name="board"),
    path("board/content", views.board_content, name="board-content"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("zones/", views.zone_list, name="zones"),
    path("zones/isolation", views.zone_isolation, name="zone-isolation-any"),
    path("zones/<int:pk>/isolation", views.zone_isolation, name="zone-isolation"),
    path("flows/", views.flow_list, name="flows"),
    path("flows/<int:pk>/blocking", views.flow_blocking, name="flow-blocking"),
    path("hosts/", views.host_list, name="hosts"),
    path("hosts/<int:pk>/state", views.host_state, name="host-state"),
    path("applications/", views.application_list, name="applications"),
    path("internet", views.internet, name="internet"),
]
