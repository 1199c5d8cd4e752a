from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "roaming.core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        # After every migrate: keep the staff groups complete, new modules' models included.
        post_migrate.connect(_staff_groups_after_migrate, sender=self, dispatch_uid="roaming.core.staff_groups")


def _staff_groups_after_migrate(sender, using="default", **kwargs):
    from django.contrib.auth.management import create_permissions

    from roaming.core.staff_groups import ensure_staff_groups

    # post_migrate fires per app in INSTALLED_APPS order, so apps after core have no permissions yet: create them.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    ensure_staff_groups()
