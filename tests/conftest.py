from collections.abc import Iterator

import pytest
from django.test import override_settings
from pytest_django.fixtures import Settings


@pytest.fixture(autouse=True)
def fast_test_settings(settings: Settings) -> None:
    """Static files without a collectstatic manifest; passwords hashed cheaply."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def whitenoise_serves_source_folders(django_test_environment: None) -> Iterator[None]:
    """Tests run with DEBUG off and no collectstatic: let whitenoise find files as in dev.

    Session-scoped because the live server builds its middleware once, at its start.
    """
    with override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True):
        yield
