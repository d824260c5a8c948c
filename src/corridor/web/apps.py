from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "corridor.web"
    verbose_name = "Web workspace"

    def ready(self) -> None:
        # Signal receivers: login throttling and the user's language at sign-in.
        from corridor.web import middleware, throttle  # noqa: F401
