from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _refresh_roles(sender, using="default", **kwargs) -> None:
    """After every migration, give each role exactly its permissions: an upgrade that
    brings a new permission (approving containment, appointments…) reaches the roles
    without anyone re-creating them. Permissions are created app by app as each one's
    migrations end: until the last app's, some are missing, and this waits for them."""
    from django.contrib.auth.models import Permission

    from .roles import ensure_roles

    try:
        ensure_roles()
    except Permission.DoesNotExist:
        return


class CrisisConfig(AppConfig):
    name = "crisiscell.crisis"
    verbose_name = _("Crisis")

    def ready(self) -> None:
        post_migrate.connect(_refresh_roles, dispatch_uid="crisiscell-refresh-roles")
