from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "crisiscell.web"
    verbose_name = "Web"
