"""Operations: the health endpoint containers poll, the healthcheck command, the compose file, API docs offline."""

import subprocess
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
@override_settings(ALLOWED_HOSTS=["roaming.example.com"])
def test_health_answers_whatever_the_host_header(client):
    # A container healthcheck calls 127.0.0.1: it must not be refused as a disallowed host.
    response = client.get("/health", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    # ...while every other page still validates the host.
    assert client.get("/admin/login/", HTTP_HOST="127.0.0.1:8000").status_code == 400


def test_health_reports_a_lost_database_as_503(client):
    # Without database access (pytest-django blocks it here) the check fails: 503, an answer and not a crash.
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_api_docs_load_swagger_ui_from_our_static_files(admin_client):
    page = admin_client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn." not in page and "jsdelivr" not in page


@pytest.mark.django_db
def test_beat_healthcheck_needs_a_recent_run(capsys):
    from django.utils import timezone
    from django_celery_beat.models import PeriodicTask

    PeriodicTask.objects.update(last_run_at=None)
    with pytest.raises(SystemExit) as stale:
        call_command("healthcheck", "beat")
    assert stale.value.code == 1
    task = PeriodicTask.objects.filter(enabled=True).first()
    task.last_run_at = timezone.now()
    task.save(update_fields=["last_run_at"])
    call_command("healthcheck", "beat")  # no SystemExit: healthy
    assert "beat: last scheduled run" in capsys.readouterr().out


def test_compose_services_restart_and_report_health():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        if name == "migrate":
            assert service["restart"] == "no"
            continue
        assert service.get("restart") == "unless-stopped", name
        assert "healthcheck" in service, name


def test_dockerfile_installs_dependencies_before_copying_the_code():
    joined = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")  # one line per instruction
    lines = [line for line in joined.splitlines() if line.startswith(("COPY", "RUN"))]
    install_deps = next(i for i, line in enumerate(lines) if "requirements" in line and "pip install" in line)
    copy_code = next(i for i, line in enumerate(lines) if line.startswith("COPY") and "roaming" in line)
    assert install_deps < copy_code
    assert (ROOT / ".dockerignore").read_text().count(".venv") == 1


def make_run_plan(**env) -> str:
    """What ``make run PORT=8765`` would execute (``make -n``), with ``env`` as the environment."""
    return subprocess.run(
        ["make", "-n", "run", "PORT=8765"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", **env},
    ).stdout


def test_make_run_tells_partners_the_served_address():
    assert "OCPI_BASE_URL=http://127.0.0.1:8765" in make_run_plan()
    assert "OCPI_BASE_URL=https://ocpi.example.com" in make_run_plan(OCPI_BASE_URL="https://ocpi.example.com")
