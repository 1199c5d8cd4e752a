"""The tariff editor in a real browser: elements, price components and restrictions as form fields, the JSON view
still there, and the tariff in words after saving."""

import json

from roaming.tariffs.models import Tariff


def save_and_continue(page) -> None:
    """Press "Save and continue editing" and wait for the answer page (the URL alone may not change)."""
    with page.expect_navigation():
        page.click("button[name=_continue]")


def in_words(page) -> str:
    return page.locator(".field-line", has_text="Tariff in words").first.inner_text()


def test_tariff_built_from_form_fields_then_edited_as_json(staff_page, superuser):
    page = staff_page(superuser)
    page.goto("/admin/tariffs/tariff/add/")
    page.fill("#id_tariff_id", "EDITOR-1")
    page.fill("#id_currency", "EUR")
    page.select_option("#id_elements-0-pc-0-type", "ENERGY")
    page.fill("#id_elements-0-pc-0-price", "0.40")
    page.fill("#id_elements-0-pc-0-vat", "21")
    page.fill("#id_elements-0-pc-0-step_size", "1")
    page.fill("#id_elements-0-r-start_time", "17:00")
    page.fill("#id_elements-0-r-end_time", "20:00")
    page.check("#id_elements-0-r-day_of_week_0")  # Monday
    page.check("#id_elements-0-r-day_of_week_1")  # Tuesday
    page.fill("#id_tariff_alt_text-0-language", "en")
    page.fill("#id_tariff_alt_text-0-text", "€0.40/kWh on weekday evenings")
    save_and_continue(page)
    assert "was added successfully" in page.inner_text(".messagelist")

    # Saved, a blank element is offered after the first: the fallback price.
    page.select_option("#id_elements-1-pc-0-type", "ENERGY")
    page.fill("#id_elements-1-pc-0-price", "0.25")
    page.fill("#id_elements-1-pc-0-vat", "21")
    page.fill("#id_elements-1-pc-0-step_size", "1")
    save_and_continue(page)

    tariff = Tariff.objects.get(tariff_id="EDITOR-1")
    elements = json.loads(json.dumps(tariff.elements))
    assert elements == [
        {
            "price_components": [{"type": "ENERGY", "price": "0.4", "vat": "21", "step_size": 1}],
            "restrictions": {"start_time": "17:00", "end_time": "20:00", "day_of_week": ["MONDAY", "TUESDAY"]},
        },
        {"price_components": [{"type": "ENERGY", "price": "0.25", "vat": "21", "step_size": 1}]},
    ]
    words = in_words(page)
    assert "17:00–20:00 Mon, Tue €0.40/kWh, otherwise €0.25/kWh (excl. VAT)" in words
    assert tariff.tariff_alt_text == [{"language": "en", "text": "€0.40/kWh on weekday evenings"}]

    # The JSON view shows what is sent; editing it instead of the fields wins.
    page.click("#structured-elements summary")
    shown = json.loads(page.input_value("#id_elements__json"))
    assert [c["price"] for e in shown for c in e["price_components"]] == [0.4, 0.25]
    shown[1]["price_components"][0]["price"] = 0.3
    page.fill("#id_elements__json", json.dumps(shown))
    save_and_continue(page)
    assert "otherwise €0.30/kWh (excl. VAT)" in in_words(page)


def test_a_wrong_price_is_named_and_nothing_is_saved(staff_page, superuser):
    page = staff_page(superuser)
    page.goto("/admin/tariffs/tariff/add/")
    page.fill("#id_tariff_id", "EDITOR-2")
    page.fill("#id_currency", "EUR")
    page.select_option("#id_elements-0-pc-0-type", "ENERGY")
    page.fill("#id_elements-0-pc-0-price", "cheap")
    page.fill("#id_elements-0-pc-0-step_size", "1")
    save_and_continue(page)
    assert "elements[0].price_components[0].price" in page.inner_text("#content")
    assert page.input_value("#id_elements-0-pc-0-price") == "cheap"  # what staff typed is kept
    assert not Tariff.objects.filter(tariff_id="EDITOR-2").exists()
