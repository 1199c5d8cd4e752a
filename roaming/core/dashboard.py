"""The admin's home page: a dashboard of panels that apps contribute.

An app adds a panel with a ``dashboard.py`` module (found like ``admin.py``, on the first dashboard request):

    @register_panel("pushes", order=20, permission="ocpi.view_outboxmessage")
    def pushes_panel(request) -> Panel | None: ...

A panel is data, not HTML: figures (a number with its label and a link to the list behind it), charts (drawn by
the theme's Chart.js, served from our static files) and tables; one template draws every panel. A panel's function
reads through selectors that cost a constant number of queries whatever the data (tests assert it), and may
return ``None`` when it has nothing to say. Panels a user lacks the ``permission`` for are left out, so each staff
group sees the figures of its sections.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.module_loading import autodiscover_modules

#: series colours (the theme's primary, then distinct hues readable in light and dark mode)
PALETTE = ("#9333ea", "#0ea5e9", "#f59e0b", "#10b981", "#ef4444", "#6366f1", "#ec4899", "#84cc16", "#64748b")


@dataclass(frozen=True)
class Figure:
    """One number on the dashboard, with what it counts and where the rows behind it are."""

    label: str
    value: Any
    link: str = ""
    tone: str = ""  # "bad" draws attention (failures, disputes), "good" reassures
    key: str = ""  # a stable id for the page (tests, scripts)


@dataclass(frozen=True)
class Chart:
    """A bar or line chart: ``labels`` along the x axis, one series per (name, values)."""

    title: str
    labels: Sequence[str]
    series: Sequence[tuple[str, Sequence[float | int | Decimal]]]
    kind: str = "bar"
    stacked: bool = False
    key: str = ""

    def data_json(self) -> str:
        datasets = []
        for index, (name, values) in enumerate(self.series):
            colour = PALETTE[index % len(PALETTE)]
            datasets.append(
                {
                    "label": name,
                    "data": [float(value) for value in values],
                    "backgroundColor": colour,
                    "borderColor": colour,
                    **({"fill": False, "tension": 0.2} if self.kind == "line" else {}),
                }
            )
        return json.dumps({"labels": list(self.labels), "datasets": datasets})

    def options_json(self) -> str:
        axis = {"stacked": self.stacked, "grid": {"display": False}}
        return json.dumps(
            {
                "responsive": True,
                "maintainAspectRatio": False,
                "animation": False,
                "plugins": {"legend": {"display": len(self.series) > 1, "position": "bottom", "align": "start"}},
                "scales": {"x": axis, "y": {**axis, "beginAtZero": True}},
            }
        )


@dataclass(frozen=True)
class Cell:
    text: Any
    link: str = ""
    tone: str = ""
    key: str = ""


@dataclass(frozen=True)
class Table:
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]
    key: str = ""
    empty: str = "Nothing yet."


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    figures: Sequence[Figure] = ()
    charts: Sequence[Chart] = ()
    tables: Sequence[Table] = ()
    note: str = ""
    wide: bool = True


@dataclass(frozen=True)
class _PanelSpec:
    key: str
    order: int
    build: Callable[[Any], Panel | None]
    permission: str | None = None


_registry: dict[str, _PanelSpec] = {}
_discovered = {"done": False}


def register_panel(key: str, *, order: int = 100, permission: str | None = None):
    """Decorator: add ``build(request) -> Panel | None`` to the dashboard (a later registration of ``key`` wins)."""

    def decorator(build: Callable[[Any], Panel | None]):
        _registry[key] = _PanelSpec(key=key, order=order, build=build, permission=permission)
        return build

    return decorator


def _discover() -> None:
    if not _discovered["done"]:
        autodiscover_modules("dashboard")
        _discovered["done"] = True


def dashboard_panels(request) -> list[Panel]:
    """The panels ``request.user`` may see, in their order."""
    _discover()
    panels = []
    for spec in sorted(_registry.values(), key=lambda spec: (spec.order, spec.key)):
        if spec.permission and not request.user.has_perm(spec.permission):
            continue
        panel = spec.build(request)
        if panel is not None:
            panels.append(panel)
    return panels


def dashboard_callback(request, context: dict) -> dict:
    """settings.UNFOLD["DASHBOARD_CALLBACK"]: the admin index's extra context."""
    context["panels"] = dashboard_panels(request)
    return context


@dataclass
class DaySeries:
    """Values per day over a window, per series name (built from grouped query rows)."""

    days: Sequence
    values: dict[str, dict] = field(default_factory=dict)

    def add(self, name: str, day, value) -> None:
        per_day = self.values.setdefault(name, {})
        per_day[day] = per_day.get(day, 0) + value

    def series(self) -> list[tuple[str, list]]:
        return [(name, [per_day.get(day, 0) for day in self.days]) for name, per_day in sorted(self.values.items())]
