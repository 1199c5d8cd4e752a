"""Form widgets for structured JSON values: rows of inputs instead of a JSON text box, with the JSON still there.

Business fields stored as JSON (a location's directions and images, an EVSE's status schedule, a tariff's
elements...) are edited as rows of typed inputs: one row per list item, one input per key (a text, a number read
as ``Decimal``, a choice, several choices). A few blank rows are offered; "Save and continue editing" offers more.
Below the rows a "JSON" view shows the value as it is stored and sent; editing that text instead of the rows wins
(the widget compares it with the JSON it showed), so a partner's example can still be pasted.

The widgets return Python values (lists, dicts); :class:`StructuredJsonField` accepts them, and validation stays
where it was (the module's OCPI serializers).
"""

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from roaming.core.admin import style_widget

TEXT, NUMBER, INTEGER, CHOICE, MULTI, BOOL = "text", "number", "integer", "choice", "multi", "bool"


@dataclass(frozen=True)
class Column:
    """One key of a row: ``kind`` is text, number (Decimal), integer, choice, multi (a list of choices) or bool."""

    key: str
    label: str
    kind: str = TEXT
    choices: tuple[tuple[str, str], ...] = ()
    size: int = 12

    def read(self, data, name: str):
        """The posted value, typed; ``None`` when left blank. Unreadable numbers come back as typed, for the
        validation to name them."""
        if self.kind == MULTI:
            return [value for value in data.getlist(name) if value] or None
        if self.kind == BOOL:
            return bool(data.get(name))
        raw = (data.get(name) or "").strip()
        if not raw:
            return None
        if self.kind == NUMBER:
            try:
                number = Decimal(raw.replace(",", "."))
            except InvalidOperation:
                return raw
            return number if number.is_finite() else raw
        if self.kind == INTEGER:
            try:
                return int(raw)
            except ValueError:
                return raw
        return raw

    def widget(self) -> forms.Widget:
        if self.kind == CHOICE:
            widget = forms.Select(choices=[("", "—"), *self.choices])
        elif self.kind == MULTI:
            widget = forms.CheckboxSelectMultiple(choices=self.choices)
        elif self.kind == BOOL:
            widget = forms.CheckboxInput()
        else:
            widget = forms.TextInput(attrs={"size": self.size, "inputmode": "decimal" if self.kind == NUMBER else None})
        return style_widget(widget)

    def render(self, name: str, value) -> str:
        if self.kind not in (MULTI, BOOL) and value is not None:
            value = _plain(value)
        return self.widget().render(name, value, attrs={"id": f"id_{name}", "aria-label": self.label})


def _plain(value) -> str:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return "" if value is None else str(value)


def read_row(data, prefix: str, columns) -> dict:
    """One row's posted values, blanks left out (a bool is kept only when true)."""
    row = {}
    for column in columns:
        value = column.read(data, f"{prefix}-{column.key}")
        if value not in (None, False, []):
            row[column.key] = value
    return row


def read_rows(data, prefix: str, columns) -> list[dict]:
    try:
        count = int(data.get(f"{prefix}-count") or 0)
    except ValueError:
        count = 0
    rows = [read_row(data, f"{prefix}-{index}", columns) for index in range(min(count, 500))]
    return [row for row in rows if row]


def row_cells(prefix: str, columns, values: dict) -> list[dict]:
    return [
        {"label": column.label, "html": mark_safe(column.render(f"{prefix}-{column.key}", values.get(column.key)))}  # noqa: S308
        for column in columns
    ]


def rows_context(prefix: str, columns, rows: list, extra: int) -> dict:
    rows = [row for row in rows if isinstance(row, dict)]
    shown = [*rows, *({} for _ in range(extra))]
    return {
        "prefix": prefix,
        "headers": [column.label for column in columns],
        "count": len(shown),
        "rows": [row_cells(f"{prefix}-{index}", columns, row) for index, row in enumerate(shown)],
    }


# --- the JSON view -----------------------------------------------------------------------------------------------


class _NumberEncoder(json.JSONEncoder):
    def default(self, o):
        if isinstance(o, Decimal):
            return int(o) if o == o.to_integral_value() and "." not in str(o) else float(o)
        return super().default(o)


def to_json_text(value) -> str:
    return json.dumps(value, cls=_NumberEncoder, indent=2, ensure_ascii=False) if value not in (None, "") else ""


def parse_json_text(text):
    return json.loads(text, parse_float=Decimal) if text and text.strip() else None


def json_override(data, name: str):
    """The JSON view's text when staff edited it (it differs from what was shown), else ``None``."""
    text = data.get(f"{name}__json")
    if text is None:
        return None
    shown = data.get(f"{name}__json_shown", "")
    try:
        if parse_json_text(text) == parse_json_text(shown):
            return None
    except ValueError:
        pass  # unreadable JSON typed by staff: hand it on for the field to refuse
    return text if text.strip() else ""


def current_value(value):
    """The value a widget is given (the field's prepared JSON text, or already Python) as Python, and whether it
    was unreadable text (shown in the JSON view only)."""
    if isinstance(value, str):
        try:
            return parse_json_text(value), None
        except ValueError:
            return None, value
    return value, None


class StructuredWidget(forms.Widget):
    """Base of the structured widgets: subclasses give ``editor_context(name, value)`` and ``read(data, name)``."""

    template_name = "admin/widgets/structured.html"
    editor_template = ""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        python, unreadable = current_value(value)
        json_text = unreadable if unreadable is not None else to_json_text(python)
        editor = self.editor_context(name, python)
        context["structured"] = {
            "editor": render_to_string(self.editor_template, {"name": name, **editor}),
            "json_text": json_text,
            "json_shown": to_json_text(python),
            "json_open": unreadable is not None,
        }
        return context

    def value_from_datadict(self, data, files, name):
        if name in data:  # the whole value as JSON text under the field's own name (scripts, older forms)
            return data.get(name)
        override = json_override(data, name)
        if override is not None:
            return override
        return self.read(data, name)

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}__json" not in data

    def editor_context(self, name, value) -> dict:
        raise NotImplementedError

    def read(self, data, name):
        raise NotImplementedError


class RowsWidget(StructuredWidget):
    """A list of flat objects, one row of inputs each (e.g. DisplayText: language, text)."""

    editor_template = "admin/widgets/rows.html"

    def __init__(self, columns, *, extra: int = 2, attrs=None):
        super().__init__(attrs)
        self.columns = tuple(columns)
        self.extra = extra

    def editor_context(self, name, value) -> dict:
        return rows_context(name, self.columns, value if isinstance(value, list) else [], self.extra)

    def read(self, data, name):
        return read_rows(data, name, self.columns)


class StructuredJsonField(forms.JSONField):
    """A JSON form field fed by a structured widget (Python values) or by its JSON view (text, numbers read as
    ``Decimal``)."""

    def __init__(self, *, widget: StructuredWidget, empty=None, **kwargs):
        kwargs.setdefault("required", False)
        self.empty = empty
        super().__init__(widget=widget, **kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            if not value.strip():
                return self.empty
            try:
                return parse_json_text(value)
            except ValueError:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid", params={"value": value})
        if value in ([], {}, None):
            return self.empty
        return value

    def bound_data(self, data, initial):
        if self.disabled:
            return initial
        if isinstance(data, str):
            try:
                return parse_json_text(data)
            except ValueError:
                return forms.fields.InvalidJSONInput(data)
        return data

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return to_json_text(value)

    def has_changed(self, initial, data) -> bool:
        try:
            return to_json_text(self.to_python(data)) != to_json_text(initial)
        except forms.ValidationError:
            return True


def structured_value(value: Any) -> Any:
    """``value`` ready for a JSON model field (Decimals as numbers)."""
    return json.loads(to_json_text(value)) if value not in (None, "") else value
