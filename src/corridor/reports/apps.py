from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "corridor.reports"
    verbose_name = "Indicators, reports and exports"

    def ready(self) -> None:
        # Every installed app's ``indicators`` module registers its indicators in the catalogue,
        # so that another module (the blockade's days of autonomy) can add one without editing this app.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("indicators")
