"""Admin list filters shared by the module apps."""

from django.contrib import admin


class OwnDataFilter(admin.SimpleListFilter):
    """Our own data (we are its owner, e.g. the CPO of a location) or data received from partners.

    "Own" is the default, since that is what staff edit. Models mark received rows with ``source_partner``;
    subclasses may point ``source_field`` elsewhere (e.g. ``evse__location__source_partner``).
    """

    title = "data"
    parameter_name = "data"
    source_field = "source_partner"

    def lookups(self, request, model_admin):
        return [("own", "Own (we are the CPO)"), ("received", "Received from partners"), ("all", "All")]

    def choices(self, changelist):
        current = self.value() or "own"
        for value, title in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "own"
        if value == "all":
            return queryset
        return queryset.filter(**{f"{self.source_field}__isnull": value == "own"})
