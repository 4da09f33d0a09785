from django.apps import AppConfig


class ReopeningConfig(AppConfig):
    name = "crisiscell.reopening"
    default_auto_field = "django.db.models.BigAutoField"
