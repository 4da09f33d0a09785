from django.apps import AppConfig


class ContinuityConfig(AppConfig):
    name = "crisiscell.continuity"
    default_auto_field = "django.db.models.BigAutoField"
