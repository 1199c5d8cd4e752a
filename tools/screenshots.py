"""Screenshots of the admin for the README and reviews: the dashboard, a partner's page and the tariff editor.

Run against a served back office with demo data (``make run``, then in another shell)::

    .venv/bin/python tools/screenshots.py --base-url http://127.0.0.1:8000 --out docs/screenshots

It logs in (``admin``/``admin`` by default, as ``make run`` creates), opens each page at 1,400 px and saves a
full-page PNG. Like the browser tests it drives Debian's ``chromium`` (``CHROMIUM_PATH`` to use another) and
fails when a page loads anything from outside the server or raises a JavaScript error.
"""

import argparse
import os
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

PAGES = {
    "dashboard.png": "/admin/",
    "partner.png": "first:/admin/partners/partner/",
    "tariff-editor.png": "first:/admin/tariffs/tariff/?data=own",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--out", default="docs/screenshots", type=Path)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    host = urlsplit(args.base_url).hostname
    problems: list[str] = []
    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(base_url=args.base_url, viewport={"width": 1400, "height": 900})
        page.on("pageerror", lambda exc: problems.append(f"JavaScript error: {exc}"))
        page.on(
            "request",
            lambda r: (
                problems.append(f"outside request: {r.url}") if urlsplit(r.url).hostname not in (host, None) else None
            ),
        )
        page.goto("/admin/login/?next=/admin/")
        page.fill("#id_username", args.user)
        page.fill("#id_password", args.password)
        page.click("#login-form button[type=submit]")
        page.wait_for_url("**/admin/")
        for name, target in PAGES.items():
            if target.startswith("first:"):
                page.goto(target.removeprefix("first:"))
                link = page.locator("#result_list tbody tr th a, #result_list tbody tr td a").first
                if not link.count():
                    problems.append(f"{name}: nothing listed at {target}")
                    continue
                link.click()
            else:
                page.goto(target)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(args.out / name), full_page=True)
            print(f"{args.out / name}: {page.url}")
        browser.close()
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
