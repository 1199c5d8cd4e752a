"""The dashboard in a real browser: charts drawn by Chart.js from real data, figures exact, no JavaScript error."""

from tests.core.dashboard_data import dashboard_world


def figure(page, key) -> str:
    return page.inner_text(f"#figure-{key} .dashboard-figure-value").strip()


def test_dashboard_draws_its_charts_from_the_data(staff_page, superuser):
    world = dashboard_world()
    page = staff_page(superuser)  # lands on /admin/: the dashboard
    page.wait_for_load_state("networkidle")

    charts = page.evaluate(
        """() => [...document.querySelectorAll('#dashboard canvas.chart')].map(canvas => {
            const chart = Chart.getChart(canvas);
            return chart && {
                id: canvas.closest('figure').id,
                series: Object.fromEntries(chart.data.datasets.map(d => [d.label, d.data.reduce((a, b) => a + b, 0)])),
                points: chart.data.labels.length,
                drawn: canvas.width > 0 && canvas.height > 0,
            };
        })"""
    )
    by_id = {chart["id"]: chart for chart in charts}
    assert set(by_id) == {
        "push-backlog-chart",
        "evse-status-chart",
        "cdr-sessions-chart",
        "cdr-energy-chart",
        "cdr-received-eur-chart",
        "cdr-received-gbp-chart",
    }
    assert all(chart["drawn"] for chart in charts)
    assert by_id["cdr-sessions-chart"]["series"] == {"Alpha CPO": 3, "Beta CPO": 1}
    assert by_id["cdr-sessions-chart"]["points"] == 30
    assert by_id["cdr-energy-chart"]["series"] == {"Alpha CPO": 22.5, "Beta CPO": 20}
    assert by_id["cdr-received-eur-chart"]["series"] == {"Alpha CPO": 9.25}
    assert by_id["evse-status-chart"]["series"] == {"EVSEs": 4}
    assert by_id["push-backlog-chart"]["series"] == {"Waiting": 3, "Given up": 1}

    assert figure(page, "push-pending") == "3"
    assert figure(page, "push-failed") == "1"
    assert figure(page, "push-rate") == "25.0 %"
    assert figure(page, "evse-available") == "3"
    assert figure(page, "sessions-active-own") == "1"
    assert figure(page, "sessions-active-received") == "2"
    assert figure(page, "partners-registered") == "2"
    rows = page.locator("#cdr-totals-table tbody tr").all_inner_texts()
    assert [row.split("\t") for row in rows] == [
        ["Alpha CPO", "Received (from a CPO)", "EUR", "3", "22.500", "9.25"],
        ["Beta CPO", "Received (from a CPO)", "GBP", "1", "20.000", "8.00"],
    ]
    assert page.inner_text(f"#push-{world['alpha'].pk}-rate").strip() == "25.0 %"

    page.click("#figure-push-failed")  # a figure opens the rows behind it
    page.wait_for_url("**/admin/ocpi/outboxmessage/?status__exact=failed")
    assert page.locator("#result_list tbody tr").count() == 1
