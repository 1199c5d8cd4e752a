"""Keys issued before API keys were hashed (DRF's ``authtoken``, which stores keys in clear) become ``ApiKey`` rows
holding only the digest, so the CSMS keeps calling with the key it has; the clear-text rows are then deleted."""

import hashlib

from django.db import migrations

NAME = "API token (from before keys were hashed)"


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return
    ApiKey = apps.get_model("core", "ApiKey")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id FROM authtoken_token")
        rows = cursor.fetchall()
        for key, user_id in rows:
            digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
            ApiKey.objects.get_or_create(digest=digest, defaults={"user_id": user_id, "name": NAME, "prefix": key[:8]})
        cursor.execute("DELETE FROM authtoken_token")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
