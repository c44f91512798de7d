"""Deploy settings: `check --deploy` is clean, and a missing secret key stops the start."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy_without_warnings() -> None:
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="rolecall.example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key() -> None:
    result = run_manage("check", DJANGO_DEBUG="0", DJANGO_ALLOWED_HOSTS="rolecall.example.com")

    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY is not set" in result.stderr


def test_development_settings_need_no_environment() -> None:
    result = run_manage("check")

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_wsgi_entry_point_starts_warm_and_frozen_and_serves(tmp_path: Path) -> None:
    """gunicorn imports config.wsgi in every worker: it must start (the warm-up loads every
    scenario and service model) and serve (the catalogue: no database needed for a first
    visit), with what it loaded frozen out of the GC's scans."""
    script = (
        "import gc, io\n"
        "from config.wsgi import application\n"
        "assert gc.get_freeze_count() > 50_000, gc.get_freeze_count()\n"
        # No collectstatic here: static files without its manifest, as in tests/conftest.py.
        "from django.conf import settings\n"
        "settings.STORAGES = {**settings.STORAGES, 'staticfiles': {'BACKEND':\n"
        "    'django.contrib.staticfiles.storage.StaticFilesStorage'}}\n"
        "statuses = []\n"
        "environ = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/', 'SERVER_NAME': '127.0.0.1',\n"
        "           'SERVER_PORT': '80', 'wsgi.url_scheme': 'http', 'wsgi.input': io.BytesIO()}\n"
        "body = b''.join(application(environ, lambda status, headers: statuses.append(status)))\n"
        "print(statuses[0], 'Keys in the code versus an instance role' in body.decode())\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env = {
        **clean,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_PATH": str(tmp_path / "db.sqlite3"),
        # Not the checkout's staticfiles/: a manifest left there by an older collectstatic
        # would miss a file added since.
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
    }

    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "200 OK True"


def test_a_time_zone_that_does_not_exist_stops_the_start_saying_what_is_wanted() -> None:
    result = run_manage("check", DJANGO_TIME_ZONE="Europe/Atlantis")

    assert result.returncode != 0
    assert "DJANGO_TIME_ZONE must be an IANA time zone such as Europe/Berlin" in result.stderr
