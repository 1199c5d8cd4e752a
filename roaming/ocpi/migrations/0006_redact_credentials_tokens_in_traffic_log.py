"""Purge the tokens that credentials calls left in clear in the traffic log (credentials.asciidoc tokens B and C):
from now on ``traffic_record`` redacts them before storing."""

import re

from django.db import migrations

_TOKEN = re.compile(r'("token"\s*:\s*")((?:[^"\\]|\\.)*)("?)')


def redact(apps, schema_editor):
    TrafficLog = apps.get_model("ocpi", "TrafficLog")
    rows = TrafficLog.objects.filter(module="credentials").only("pk", "request_body", "response_body")
    for row in rows.iterator(chunk_size=500):
        request_body = _TOKEN.sub(r"\1<redacted>\3", row.request_body or "")
        response_body = _TOKEN.sub(r"\1<redacted>\3", row.response_body or "")
        if request_body != row.request_body or response_body != row.response_body:
            TrafficLog.objects.filter(pk=row.pk).update(request_body=request_body, response_body=response_body)


class Migration(migrations.Migration):
    dependencies = [("ocpi", "0005_outbox_after_keys")]

    operations = [migrations.RunPython(redact, migrations.RunPython.noop)]
