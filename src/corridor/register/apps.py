from django.apps import AppConfig


class RegisterConfig(AppConfig):
    name = "corridor.register"
    verbose_name = "Register"

    def ready(self) -> None:
        # The ledger seals entries' texts under people's keys, which only the register holds.
        from corridor.ledger import sealing
        from corridor.register.ledger_texts import RegisterKeeper

        sealing.register_keeper(RegisterKeeper())
        # A correction of a death changes the patient's and their referrals' rows (ledger.consequences).
        from corridor.register import corrections  # noqa: F401
