from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "roaming.core"
    label = "core"
    verbose_name = "Core"
