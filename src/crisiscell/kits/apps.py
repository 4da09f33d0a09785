from django.apps import AppConfig


class KitsConfig(AppConfig):
    name = "crisiscell.kits"
    default_auto_field = "django.db.models.BigAutoField"
