"""Planning and writing an import: every create and update the good rows need, with OCPI timestamps, then the
bulk writes."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from roaming.locations.models import EVSE, Connector, Location
from roaming.locations.services import own
from roaming.locations.services.imports.matching import _BATCH, _Existing
from roaming.locations.services.imports.report import ImportReport, RowError
from roaming.locations.services.imports.rows import _Row
from roaming.locations.services.imports.values import (
    FALLBACK_TIME_ZONE,
    default_time_zone,
    diff_values,
    evse_uid_derive,
)
from roaming.ocpi.directory import directory


@dataclass
class _Plan:
    new_locations: list[Location] = field(default_factory=list)
    changed_locations: dict[int, Location] = field(default_factory=dict)
    location_fields: set[str] = field(default_factory=set)
    new_evses: list[EVSE] = field(default_factory=list)
    changed_evses: dict[int, EVSE] = field(default_factory=dict)
    evse_fields: set[str] = field(default_factory=set)
    new_connectors: list[Connector] = field(default_factory=list)
    changed_connectors: list[Connector] = field(default_factory=list)
    connector_fields: set[str] = field(default_factory=set)
    push: list[Location] = field(default_factory=list)


def _plan(good: list[_Row], existing: _Existing, targets: dict[str, EVSE | None], report: ImportReport) -> _Plan:
    """Work out, without writing, every create and update the good rows need, with OCPI timestamps: a changed
    child bumps its parents' last_updated (mod_locations.asciidoc, last_updated), an unchanged one bumps nothing."""
    now = own.now_second()
    plan = _Plan()
    touched: dict[str, Location] = {}  # location key -> location that changed or has a changed child

    locations: dict[str, Location] = {}
    for row in good:
        key = row.location_key
        if key in locations:
            continue
        values = {k: v for k, v in row.location.items() if k != "location_id"}
        location = existing.locations.get(key)
        if location is None:
            country_code, party_id = own.own_party()
            if "time_zone" not in values:
                values["time_zone"] = default_time_zone(values["country"]) or FALLBACK_TIME_ZONE
                if default_time_zone(values["country"]) is None:
                    report.warnings.append(
                        RowError(
                            row.line,
                            "time_zone",
                            f"not given and country {values['country']} has several time zones: using "
                            f"{FALLBACK_TIME_ZONE}; add a time_zone column",
                        )
                    )
            location = Location(
                country_code=country_code,
                party_id=party_id,
                location_id=row.location["location_id"],
                last_updated=now,
                **values,
            )
            plan.new_locations.append(location)
            touched[key] = location
            report.locations_created += 1
        else:
            changes = diff_values(location, values)
            if changes:
                for name, value in changes.items():
                    setattr(location, name, value)
                plan.location_fields |= set(changes)
                plan.changed_locations[location.pk] = location
                touched[key] = location
        locations[key] = location

    evse_rows: dict[str, list[_Row]] = defaultdict(list)
    for row in good:
        evse_rows[row.evse_key].append(row)
    for key, group in evse_rows.items():
        first = group[0]
        location = locations[first.location_key]
        evse = targets.get(key)
        values = {k: v for k, v in first.evse.items() if k != "uid"}
        evse_touched = False
        if evse is None:
            evse = EVSE(
                location=location,
                uid=first.evse.get("uid") or evse_uid_derive(first.evse["evse_id"]),
                last_updated=now,
                **values,
            )
            plan.new_evses.append(evse)
            report.evses_created += 1
            evse_touched = True
        else:
            # Live status belongs to the CSMS (status API); the file's status only seeds new EVSEs.
            values.pop("status", None)
            changes = diff_values(evse, values)
            if changes:
                for name, value in changes.items():
                    setattr(evse, name, value)
                plan.evse_fields |= set(changes)
                evse_touched = True
        for row in group:
            connector = existing.connectors.get((evse.pk, row.connector_key)) if evse.pk else None
            values = {k: v for k, v in row.connector.items() if k != "connector_id"}
            if connector is None:
                plan.new_connectors.append(
                    Connector(evse=evse, last_updated=now, connector_id=row.connector["connector_id"], **values)
                )
                report.connectors_created += 1
                evse_touched = True
                continue
            changes = diff_values(connector, values)
            if not changes:
                report.connectors_unchanged += 1
                continue
            for name, value in changes.items():
                setattr(connector, name, value)
            connector.last_updated = now
            plan.connector_fields |= set(changes)
            plan.changed_connectors.append(connector)
            report.connectors_updated += 1
            evse_touched = True
        if evse_touched:
            evse.last_updated = now
            if evse.pk:
                plan.changed_evses[evse.pk] = evse
                report.evses_updated += 1
            touched[first.location_key] = location

    for location in touched.values():
        location.last_updated = now
        if location.pk:  # existing, with a changed field or a changed EVSE/connector
            plan.changed_locations[location.pk] = location
            report.locations_updated += 1
    plan.push = list(touched.values())
    report.pushed_locations = [loc.location_id for loc in plan.push]
    report.receiving_partners = len(directory().receivers("locations"))
    return plan


def _apply(plan: _Plan) -> None:
    """Write the plan with bulk queries: a constant number per batch, whatever the number of rows."""
    stamp = timezone.now()
    Location.objects.bulk_create(plan.new_locations, batch_size=_BATCH)
    for objs, model, fields in (
        (plan.changed_locations.values(), Location, plan.location_fields),
        (plan.changed_evses.values(), EVSE, plan.evse_fields),
        (plan.changed_connectors, Connector, plan.connector_fields),
    ):
        if objs:
            for obj in objs:
                obj.updated_at = stamp  # bulk_update skips auto_now
            model.objects.bulk_update(list(objs), [*sorted(fields), "last_updated", "updated_at"], batch_size=_BATCH)
    # bulk_create copies each parent's new primary key into the child's foreign key (parents are created first).
    EVSE.objects.bulk_create(plan.new_evses, batch_size=_BATCH)
    Connector.objects.bulk_create(plan.new_connectors, batch_size=_BATCH)
