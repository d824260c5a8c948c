from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "corridor.transfers"
    verbose_name = "Transfers"

    def ready(self) -> None:
        # A correction of a trip's status entry changes the trip's row (ledger.consequences).
        from corridor.transfers import corrections  # noqa: F401
