from django.contrib.auth import views as auth_views
from django.urls import path

from . import two_factor, views, views_crisis, views_export, views_network

urlpatterns = [
    path("", views.board, name="board"),
    path("board/content", views.board_content, name="board-content"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("login/code", two_factor.verify, name="two-factor"),
    path("account/two-factor", two_factor.setup, name="two-factor-setup"),
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
    path("network/", views_network.network_group, name="network"),
    path("network/picture.svg", views_network.network_svg, name="network-svg"),
    path("network/<str:site>/", views_network.network_site, name="network-site"),
    path("network/<str:site>/picture.svg", views_network.network_site_svg, name="network-site-svg"),
    path("crisis/", views_crisis.crisis_page, name="crisis"),
    path("crisis/open", views_crisis.crisis_open, name="crisis-open"),
    path("crisis/<int:pk>/phase", views_crisis.crisis_phase, name="crisis-phase"),
    path("crisis/<int:pk>/close", views_crisis.crisis_close, name="crisis-close"),
    path("crisis/<int:pk>/site-mode", views_crisis.crisis_site_mode, name="crisis-site-mode"),
    path("timeline/", views_crisis.timeline, name="timeline"),
    path("timeline/entries", views_crisis.timeline_entries, name="timeline-entries"),
    path("timeline/form", views_crisis.timeline_form, name="timeline-form"),
    path("timeline/write", views_crisis.timeline_write, name="timeline-write"),
    path("timeline/export.json", views_export.log_json, name="log-export-json"),
    path("timeline/export.pdf", views_export.log_pdf_view, name="log-export-pdf"),
]
