"""Schedule the outbox re-queue every minute in django-celery-beat (ops can change it in the admin)."""

from django.db import migrations


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="OCPI push: re-queue due outbox messages",
        defaults={"task": "ocpi.outbox_requeue_due", "interval": every_minute, "enabled": True},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task="ocpi.outbox_requeue_due").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ocpi", "0003_outbox_and_sync_runs"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
