"""Admin list filters shared by the module apps."""

from django.contrib import admin


class OwnDataFilter(admin.SimpleListFilter):
    """Our own data (we are its owner, e.g. the CPO of a location) or data received from partners.

    "Own" is the default, since that is what staff edit; a list whose users mostly read what partners sent (our
    drivers' sessions) sets ``default = "received"`` and its own words. Models mark received rows with
    ``source_partner``; subclasses may point ``source_field`` elsewhere (e.g. ``evse__location__source_partner``).
    """

    title = "data"
    parameter_name = "data"
    source_field = "source_partner"
    default = "own"
    own_label = "Own (we are the CPO)"
    received_label = "Received from partners"

    def lookups(self, request, model_admin):
        sides = [("own", self.own_label), ("received", self.received_label)]
        return [*sorted(sides, key=lambda side: side[0] != self.default), ("all", "All")]

    def choices(self, changelist):
        current = self.value() or self.default
        for value, title in self.lookup_choices:
            yield {
                "selected": current == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or self.default
        if value == "all":
            return queryset
        return queryset.filter(**{f"{self.source_field}__isnull": value == "own"})
