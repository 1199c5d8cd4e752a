"""The charger import in a real browser: template download, preview, then import of the same file without choosing
it again; each summary said once, in agreeing words."""

import csv
import io
from pathlib import Path

from roaming.locations.models import EVSE, Location


def test_preview_then_import_the_same_file(staff_page, superuser, tmp_path):
    page = staff_page(superuser)
    page.goto("/admin/locations/evse/import/")

    with page.expect_download() as download:
        page.click("#import-template")
    template = Path(download.value.path()).read_text(encoding="utf-8")
    example = next(csv.DictReader(io.StringIO(template)))
    assert (example["internal_id"], example["evse_id"]) == ("CP-0001", "NL*EXA*E0001*1")

    rows = [example, {**example, "internal_id": "CP-0002", "evse_id": "NL*EXA*E0002*1"}]
    rows.append({**example, "internal_id": "CP-0003", "evse_id": "NL*EXA*E0003*1", "max_voltage": "lots"})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(example), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    file = tmp_path / "chargers.csv"
    file.write_text(out.getvalue(), encoding="utf-8")

    page.set_input_files("input[name=file]", str(file))
    submit(page, "preview")
    refused = "Nothing imported: 1 of 3 rows is invalid. Fix it, or import the good rows only."
    assert messages(page) == [refused]
    assert page.inner_text("#kept-file") == (
        "Previewed file: chargers.csv. Import uses it; choose another file to replace it."
    )
    assert page.locator("#import-errors tbody tr").count() == 1
    assert page.locator("#import-errors tbody td").first.inner_text() == "4"  # the bad row, the header being line 1

    page.check("input[name=good_rows_only]")
    submit(page, "preview")  # no file chosen again: the kept one is used
    preview = (
        "Dry run, nothing written: 2 good rows. 1 bad row skipped. Would create 1 location, 2 EVSEs, 2 connectors; "
        "update 0 locations, 0 EVSEs, 0 connectors; no partner receives locations yet, so nothing is pushed."
    )
    assert messages(page) == [preview]
    assert page.content().count("Would create 1 location,") == 1  # said once
    assert not EVSE.objects.exists()

    submit(page, "import")
    assert messages(page) == [
        "2 good rows. 1 bad row skipped. Did create 1 location, 2 EVSEs, 2 connectors; update 0 locations, 0 EVSEs, "
        "0 connectors; no partner receives locations yet, so nothing is pushed."
    ]
    assert sorted(EVSE.objects.values_list("internal_id", flat=True)) == ["CP-0001", "CP-0002"]
    assert Location.objects.count() == 1

    submit(page, "import")  # the file is no longer kept once imported
    assert "The previewed file is no longer kept (imported already, or kept over an hour): choose it again." in (
        page.inner_text("#import-form")
    )
    assert EVSE.objects.count() == 2


def submit(page, action: str) -> None:
    """Press Preview or Import and wait for the answer page (a loaded machine is slow to answer)."""
    with page.expect_navigation():
        page.click(f"button[value={action}]")


def messages(page) -> list[str]:
    return [text.strip() for text in page.locator(".messagelist li").all_inner_texts()]
