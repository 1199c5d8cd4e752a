"""List filters of the locations admin."""

from django.contrib import admin
from django.db import connection

from roaming.ocpi.admin_filters import OwnDataFilter

# --- list filters ---------------------------------------------------------------------------------------------


class EvseOwnershipFilter(OwnDataFilter):
    source_field = "location__source_partner"


class ConnectorOwnershipFilter(OwnDataFilter):
    source_field = "evse__location__source_partner"


class TariffIdFilter(admin.SimpleListFilter):
    """Connectors by one of their ``tariff_ids`` (a JSON list), or those without any."""

    title = "tariff id"
    parameter_name = "tariff_id"
    NONE = "-"
    MAX_CHOICES = 200

    def lookups(self, request, model_admin):
        ids: set[str] = set()
        for tariff_ids in model_admin.get_queryset(request).order_by().values_list("tariff_ids", flat=True).distinct():
            ids.update(tariff_ids or [])
        return [(self.NONE, "(none)"), *((t, t) for t in sorted(ids)[: self.MAX_CHOICES])]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == self.NONE:
            return queryset.filter(tariff_ids=[])
        if connection.features.supports_json_field_contains:
            return queryset.filter(tariff_ids__contains=[value])
        # SQLite has no JSON containment: match in Python on (pk, tariff_ids) pairs only.
        pks = [pk for pk, ids in queryset.values_list("pk", "tariff_ids") if value in (ids or [])]
        return queryset.filter(pk__in=pks)
