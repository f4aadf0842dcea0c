from django.apps import AppConfig


class HubConfig(AppConfig):
    name = "hub"
    verbose_name = "Fasting hub"

    def ready(self):
        from bahk.sentry import log_sentry_status

        log_sentry_status()
