from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "corridor.intake"
    verbose_name = "Field intake (ODK, KoBoToolbox)"

    def ready(self) -> None:
        # A submission naming several patients is sealed under one's key: erasing another shreds it too.
        from corridor.intake.shredding import shred_person
        from corridor.register.erasure import on_confirmed

        on_confirmed(shred_person)
