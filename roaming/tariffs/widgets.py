"""The tariff editor's elements (mod_tariffs.asciidoc §TariffElement): each element a block with its price
components as rows (type, price excl. VAT as Decimal, VAT %, step size) and its restrictions as one row of inputs.
One blank element and two blank component rows are offered; "Save and continue editing" offers more."""

from roaming.core.structured import (
    CHOICE,
    INTEGER,
    MULTI,
    NUMBER,
    Column,
    StructuredWidget,
    read_row,
    read_rows,
    row_cells,
    rows_context,
)
from roaming.tariffs.choices import DayOfWeek, ReservationRestrictionType, TariffDimensionType

PRICE_COMPONENT = (
    Column("type", "Dimension", CHOICE, choices=tuple(TariffDimensionType.choices)),
    Column("price", "Price excl. VAT", NUMBER, size=8),
    Column("vat", "VAT %", NUMBER, size=5),
    Column("step_size", "Step size (Wh / s)", INTEGER, size=6),
)
RESTRICTIONS_TIME = (
    Column("start_time", "From (HH:MM)", size=5),
    Column("end_time", "Until (HH:MM)", size=5),
    Column("start_date", "From date", size=10),
    Column("end_date", "Until date", size=10),
    Column("min_duration", "Min duration (s)", INTEGER, size=6),
    Column("max_duration", "Max duration (s)", INTEGER, size=6),
    Column("reservation", "Reservation", CHOICE, choices=tuple(ReservationRestrictionType.choices)),
)
RESTRICTIONS_POWER = (
    Column("min_kwh", "Min kWh", NUMBER, size=6),
    Column("max_kwh", "Max kWh", NUMBER, size=6),
    Column("min_current", "Min A", NUMBER, size=6),
    Column("max_current", "Max A", NUMBER, size=6),
    Column("min_power", "Min kW", NUMBER, size=6),
    Column("max_power", "Max kW", NUMBER, size=6),
)
RESTRICTIONS_DAYS = (Column("day_of_week", "Days", MULTI, choices=tuple(DayOfWeek.choices)),)
RESTRICTION_GROUPS = (RESTRICTIONS_TIME, RESTRICTIONS_POWER, RESTRICTIONS_DAYS)


class TariffElementsWidget(StructuredWidget):
    editor_template = "admin/widgets/tariff_elements.html"

    def editor_context(self, name, value) -> dict:
        elements = (
            [element for element in (value or []) if isinstance(element, dict)] if isinstance(value, list) else []
        )
        blocks = []
        for index, element in enumerate([*elements, {}]):
            prefix = f"{name}-{index}"
            restrictions = element.get("restrictions") or {}
            blocks.append(
                {
                    "number": index + 1,
                    "new": not element,
                    "components": rows_context(
                        f"{prefix}-pc", PRICE_COMPONENT, element.get("price_components") or [], 2
                    ),
                    "restrictions": [row_cells(f"{prefix}-r", group, restrictions) for group in RESTRICTION_GROUPS],
                }
            )
        return {"count": len(blocks), "elements": blocks}

    def read(self, data, name):
        try:
            count = int(data.get(f"{name}-count") or 0)
        except ValueError:
            count = 0
        elements = []
        for index in range(min(count, 100)):
            prefix = f"{name}-{index}"
            components = read_rows(data, f"{prefix}-pc", PRICE_COMPONENT)
            restrictions = {}
            for group in RESTRICTION_GROUPS:
                restrictions.update(read_row(data, f"{prefix}-r", group))
            if not components and not restrictions:
                continue
            element = {"price_components": components}
            if restrictions:
                element["restrictions"] = restrictions
            elements.append(element)
        return elements
