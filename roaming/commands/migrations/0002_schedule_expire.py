"""Schedule the commands timeout sweep every minute in django-celery-beat (ops can change it in the admin). Each
command also schedules its own check for when it falls due; the sweep covers tasks lost to an outage."""

from django.db import migrations


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Commands: time out commands without a result",
        defaults={"task": "commands.expire", "interval": every_minute, "enabled": True},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task="commands.expire").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("commands", "0001_commands"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
