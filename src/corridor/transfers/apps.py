from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "corridor.transfers"
    verbose_name = "Transfers"
