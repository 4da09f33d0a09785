from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import include, path

from crisiscell.api.main import urls as api_urls


@login_not_required
def health(request):
    """Liveness for a reverse proxy or a monitor: no login, no data."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("health", health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", api_urls()),
    path("directory/", include("crisiscell.directory.urls")),
    path("tasks/", include("crisiscell.web.urls_tasks")),
    path("containment/", include("crisiscell.containment.urls")),
    path("reopening/", include("crisiscell.reopening.urls")),
    path("continuity/", include("crisiscell.continuity.urls")),
    path("kits/", include("crisiscell.kits.urls")),
    path("", include("crisiscell.web.urls")),
]

handler404 = "crisiscell.web.views.not_found"
