from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "corridor.accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from corridor.accounts import signins  # noqa: F401  (connects the sign-in audit's receivers)
