from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "corridor.ledger"
    verbose_name = "Ledger"
