"""Celery application.

With ``REDIS_URL`` unset the broker is in-memory and ``task_always_eager`` is on (see settings), so tasks run
in-process: one command gives a working back office. With ``REDIS_URL`` set, real workers consume from Redis.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("roaming")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
