"""Admin flows in a real headless browser: Playwright for Python driving Debian's ``chromium`` package (Playwright's
own browser download is not available on our machines; ``.ci/run`` installs the package).

Fixtures:

* ``browser``: one Chromium for the whole run (``CHROMIUM_PATH`` or ``chromium`` on PATH);
* ``page``: a fresh context and page per test; any JavaScript error or failed console message fails the test, and so
  does any request leaving the machine (back offices run on closed networks: every script, style sheet and font
  must come from our own server);
* ``staff_page(user)``: a page logged in to the admin of pytest-django's ``live_server`` as ``user``.

Pages are served by pytest-django's ``live_server`` (a real HTTP server on loopback over the test database), so
these tests run on ``transactional_db``.
"""

import os
import shutil
from urllib.parse import urlsplit

import pytest


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread with a running
    # loop unless told the calls are deliberate (they are: the test thread sets up data between page actions).
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable:
        pytest.fail("browser tests need Chromium: apt-get install chromium (or set CHROMIUM_PATH)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def _refuse_outside_requests(request, errors: list[str]) -> None:
    url = urlsplit(request.url)
    if url.scheme in ("data", "blob", "about"):
        return
    if url.hostname not in LOOPBACK_HOSTS:
        errors.append(f"request leaving the machine: {request.method} {request.url}")


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("request", lambda request: _refuse_outside_requests(request, errors))
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("console", lambda msg: errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)
    yield page
    context.close()
    assert not errors, "JavaScript errors in the browser:\n" + "\n".join(errors)


@pytest.fixture
def staff_page(page, transactional_db):
    """Log ``user`` in through the admin's login form and return the page."""

    def login(user, password: str = "secret-pass-123"):
        user.set_password(password)
        user.save(update_fields=["password"])
        page.goto("/admin/login/?next=/admin/")
        page.fill("#id_username", user.get_username())
        page.fill("#id_password", password)
        page.click("#login-form button[type=submit]")
        page.wait_for_url("**/admin/")
        return page

    return login


@pytest.fixture
def superuser(transactional_db, django_user_model):
    return django_user_model.objects.create_superuser("boss", "boss@example.com", "secret-pass-123")
