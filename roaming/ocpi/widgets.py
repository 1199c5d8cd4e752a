"""Admin editors for OCPI classes stored as JSON (mod_locations.asciidoc "Data types": DisplayText, Image,
EnergyMix), built on roaming.core.structured; the module apps add their own (StatusSchedule, TariffElement)."""

from roaming.core.structured import (
    BOOL,
    CHOICE,
    INTEGER,
    NUMBER,
    Column,
    RowsWidget,
    StructuredWidget,
    read_row,
    read_rows,
    row_cells,
    rows_context,
)
from roaming.ocpi import choices

DISPLAY_TEXT = (Column("language", "Language (ISO 639-1)", size=4), Column("text", "Text", size=60))
IMAGE = (
    Column("url", "URL", size=40),
    Column("thumbnail", "Thumbnail URL", size=30),
    Column("category", "Category", CHOICE, choices=tuple(choices.ImageCategory.choices)),
    Column("type", "Type (e.g. png)", size=5),
    Column("width", "Width (px)", INTEGER, size=6),
    Column("height", "Height (px)", INTEGER, size=6),
)
ENERGY_MIX = (
    Column("is_green_energy", "Green energy only", BOOL),
    Column("supplier_name", "Supplier", size=30),
    Column("energy_product_name", "Product", size=30),
)
ENERGY_SOURCE = (
    Column("source", "Source", CHOICE, choices=tuple(choices.EnergySourceCategory.choices)),
    Column("percentage", "Share (%)", NUMBER, size=6),
)
ENVIRON_IMPACT = (
    Column("category", "Impact", CHOICE, choices=tuple(choices.EnvironmentalImpactCategory.choices)),
    Column("amount", "Amount (g/kWh)", NUMBER, size=8),
)


def display_text_widget() -> RowsWidget:
    return RowsWidget(DISPLAY_TEXT, extra=2)


def image_widget() -> RowsWidget:
    return RowsWidget(IMAGE, extra=1)


class EnergyMixWidget(StructuredWidget):
    """EnergyMix: whether it is green, supplier and product, then its sources and environmental impact as rows.
    Left blank (not green, nothing filled): no energy mix."""

    editor_template = "admin/widgets/energy_mix.html"

    def editor_context(self, name, value) -> dict:
        value = value if isinstance(value, dict) else {}
        return {
            "top": row_cells(f"{name}-mix", ENERGY_MIX, value),
            "sources": rows_context(f"{name}-sources", ENERGY_SOURCE, value.get("energy_sources") or [], 2),
            "impact": rows_context(f"{name}-impact", ENVIRON_IMPACT, value.get("environ_impact") or [], 1),
        }

    def read(self, data, name):
        mix = read_row(data, f"{name}-mix", ENERGY_MIX)
        sources = read_rows(data, f"{name}-sources", ENERGY_SOURCE)
        impact = read_rows(data, f"{name}-impact", ENVIRON_IMPACT)
        if not (mix or sources or impact):
            return None
        mix["is_green_energy"] = bool(mix.get("is_green_energy"))
        if sources:
            mix["energy_sources"] = sources
        if impact:
            mix["environ_impact"] = impact
        return mix
