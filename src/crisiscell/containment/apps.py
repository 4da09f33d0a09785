from django.apps import AppConfig


class ContainmentConfig(AppConfig):
    name = "crisiscell.containment"
    default_auto_field = "django.db.models.BigAutoField"
