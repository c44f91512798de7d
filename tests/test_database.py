"""The database: SQLite by default, PostgreSQL from DATABASE_URL; the schema and progress on
whichever one the suite runs against (CI runs it on both)."""

import importlib.util
import json
import os
from io import StringIO
from pathlib import Path
from types import ModuleType

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from lessons.models import Attempt, Learner, Owner, catalogue

ROOT = Path(__file__).resolve().parent.parent


def load_settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    """A fresh copy of config/settings.py read under `env` (the running settings untouched)."""
    for name in ("DATABASE_URL", "DATABASE_PATH", "DJANGO_CONN_MAX_AGE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location(
        "settings_under_test", ROOT / "config/settings.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_database_url_selects_postgresql_with_persistent_checked_connections(monkeypatch):
    settings = load_settings(
        monkeypatch, DATABASE_URL="postgres://teacher:s3cret@db.example.org:6543/rolecall_class"
    )

    database = settings.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["USER"], database["PASSWORD"]) == (
        "rolecall_class",
        "teacher",
        "s3cret",
    )
    assert (database["HOST"], database["PORT"]) == ("db.example.org", 6543)
    assert database["CONN_MAX_AGE"] > 0
    assert database["CONN_HEALTH_CHECKS"] is True


def test_the_password_in_database_url_is_not_kept_as_a_setting(monkeypatch):
    # Django's debug pages list UPPER-case settings; a URL with a password must not be one.
    settings = load_settings(monkeypatch, DATABASE_URL="postgres://u:s3cret@localhost/rolecall")

    exposed = {name: getattr(settings, name) for name in dir(settings) if name.isupper()}
    assert "s3cret" not in json.dumps(
        {name: value for name, value in exposed.items() if name != "DATABASES"}, default=str
    )


def test_connection_lifetime_can_be_set_from_the_environment(monkeypatch):
    settings = load_settings(
        monkeypatch, DATABASE_URL="postgres://u:p@localhost/rolecall", DJANGO_CONN_MAX_AGE="0"
    )

    assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0


def test_without_database_url_sqlite_is_the_default_with_its_locking_options(monkeypatch, tmp_path):
    settings = load_settings(monkeypatch, DATABASE_PATH=str(tmp_path / "class.sqlite3"))

    database = settings.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == tmp_path / "class.sqlite3"
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert database["TEST"]["NAME"].endswith(".sqlite3")


def test_a_sqlite_database_url_keeps_the_sqlite_locking_options(monkeypatch, tmp_path):
    settings = load_settings(monkeypatch, DATABASE_URL=f"sqlite:///{tmp_path}/class.sqlite3")

    database = settings.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert str(database["NAME"]) == f"{tmp_path}/class.sqlite3"
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.django_db
def test_every_migration_is_applied_and_the_models_need_no_new_one():
    executor = MigrationExecutor(connection)
    targets = executor.loader.graph.leaf_nodes()

    assert executor.migration_plan(targets) == []
    tables = set(connection.introspection.table_names())
    assert {
        "lessons_learner",
        "lessons_attempt",
        "lessons_classroom",
        "lessons_membership",
    } <= tables
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # exits 1 if one is due


@pytest.mark.django_db
def test_an_attempt_round_trips_through_the_configured_database():
    learner = Learner.objects.create(key="Zoë 🚀 " + "k" * 20)
    attempt = Attempt.start(Owner(learner_key=learner.key), catalogue()["fleet-put-only"])
    arn = "arn:aws:iam::111122223333:policy/FleetS3Access"
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:PutObject",
                    "Resource": "arn:aws:s3:::fleet-reports/*",
                }
            ],
        }
    )
    attempt.act(
        "iam",
        "CreatePolicyVersion",
        {"PolicyArn": arn, "PolicyDocument": document, "SetAsDefault": True},
    )
    attempt.reveal_hint()

    saved = Attempt.objects.get(pk=attempt.pk)
    world = saved.load_world()
    assert saved.learner.key.startswith("Zoë 🚀")
    assert saved.hints == {"watch": 1}
    assert world.state.policies[arn].default_version_id == "v2"
    assert world.events[-1]["eventName"] == "CreatePolicyVersion"
    assert world.to_dict() == saved.world


def test_the_suite_runs_on_the_database_that_database_url_names():
    # CI runs the suite twice; this says which database the second run really used.
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres:", "postgresql:")) else "sqlite"
    assert connection.vendor == expected
