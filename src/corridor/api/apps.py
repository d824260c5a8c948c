from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "corridor.api"
    verbose_name = "JSON API"
