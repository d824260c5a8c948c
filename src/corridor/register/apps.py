from django.apps import AppConfig


class RegisterConfig(AppConfig):
    name = "corridor.register"
    verbose_name = "Register"
