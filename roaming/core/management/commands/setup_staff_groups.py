"""``python manage.py setup_staff_groups``: create the staff groups and grant their permissions (idempotent).

``migrate`` already does this; run it after adding permissions by hand went wrong, or to see what each group gets.
"""

from django.core.management.base import BaseCommand

from roaming.core.staff_groups import ensure_staff_groups


class Command(BaseCommand):
    help = "Create the staff groups (partner management, operations, finance, read-only) with their permissions."

    def handle(self, *args, **options):
        for name, count in ensure_staff_groups().items():
            self.stdout.write(f"{name}: {count} permissions")
