from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "corridor.intake"
    verbose_name = "Field intake (ODK, KoBoToolbox)"
