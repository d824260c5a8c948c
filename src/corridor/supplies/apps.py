from django.apps import AppConfig


class SuppliesConfig(AppConfig):
    name = "corridor.supplies"
    verbose_name = "Supplies and blockade"
