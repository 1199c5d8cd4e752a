"""Schedule the daily prune of delivered pushes and finished pulls in django-celery-beat (ops can change it)."""

from django.db import migrations


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="37", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.get_or_create(
        name="OCPI outbox and pull history: prune old entries",
        defaults={"task": "ocpi.housekeeping_prune", "crontab": crontab, "enabled": True},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task="ocpi.housekeeping_prune").delete()


class Migration(migrations.Migration):
    dependencies = [("ocpi", "0006_redact_credentials_tokens_in_traffic_log")]

    operations = [migrations.RunPython(schedule, unschedule)]
