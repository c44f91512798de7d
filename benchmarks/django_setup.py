"""Django for the in-process benchmarks (workspace.py, dashboard.py), imported before anything
of the project's: production settings (DEBUG off), quiet logs, and `test_databases()`, a
throwaway SQLite file database made and removed around the measuring."""

import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ["DJANGO_TEST_DATABASE_PATH"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")
os.environ.update(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="bench-" + "x" * 50,
                  DJANGO_SECURE_SSL_REDIRECT="0", DJANGO_LOG_LEVEL="WARNING")  # fmt: skip

import django  # noqa: E402

warnings.filterwarnings("ignore", message="No directory at")
django.setup()

from django.conf import settings  # noqa: E402
from django.test.runner import DiscoverRunner  # noqa: E402


@contextmanager
def test_databases() -> Iterator[None]:
    """The test client's host allowed, static files without the manifest, a fresh database."""
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # fmt: skip
    settings.ALLOWED_HOSTS = ["testserver"]
    runner = DiscoverRunner(verbosity=0, interactive=False)
    databases = runner.setup_databases()
    try:
        yield
    finally:
        runner.teardown_databases(databases)
