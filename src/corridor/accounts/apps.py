from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "corridor.accounts"
    verbose_name = "Accounts"
