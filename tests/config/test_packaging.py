"""`pip install .` works outside the checkout: the wheel carries templates, static files and demo data, and the
installed code checks, collects its static files and renders the admin login from another directory."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.packaging

RENDER_LOGIN = """
import django, roaming, config
django.setup()
from django.test import Client
answer = Client().get("/admin/login/")
print(roaming.__file__)
print(answer.status_code)
print("Roaming back office" in answer.content.decode(), "/static/roaming/admin.css" in answer.content.decode())
"""


def run(args, *, cwd, env):
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_wheel_runs_outside_the_checkout(tmp_path):
    wheels, site, run_dir, static_root = (tmp_path / name for name in ("wheel", "site", "run", "static"))
    run_dir.mkdir()
    pip = [sys.executable, "-m", "pip"]
    run([*pip, "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)], cwd=tmp_path, env=os.environ)
    (wheel,) = wheels.glob("roaming-*.whl")
    run([*pip, "install", "--no-deps", "-q", "--target", str(site), str(wheel)], cwd=tmp_path, env=os.environ)
    assert (site / "roaming" / "locations" / "demo" / "demo_chargers.csv").is_file()
    assert (site / "roaming" / "core" / "templates" / "admin" / "index.html").is_file()

    # The installed copy, not the checkout: PYTHONPATH is searched before the editable install's finder.
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "true",
        "STATIC_ROOT": str(static_root),
    }
    run([sys.executable, "-m", "django", "check"], cwd=run_dir, env=env)
    run([sys.executable, "-m", "django", "collectstatic", "--noinput", "-v", "0"], cwd=run_dir, env=env)
    assert (static_root / "roaming" / "admin.css").is_file()
    assert (static_root / "unfold" / "fonts" / "inter" / "Inter-Regular.woff2").is_file()
    assert (static_root / "favicon.svg").is_file()
    location, status, texts = run([sys.executable, "-c", RENDER_LOGIN], cwd=run_dir, env=env).splitlines()
    assert location == str(site / "roaming" / "__init__.py")
    assert (status, texts) == ("200", "True True")
