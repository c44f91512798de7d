"""config/middleware.py: HEAD works wherever GET does (uptime checks, link checkers); a body
larger than any form is refused unread; files posted anyway are dropped."""

import pytest
from django.contrib.auth.models import User
from django.core.files import uploadhandler
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from lessons.models import Attempt, Classroom, Learner
from tests.lessons.workspace_scenarios import scenarios  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scenarios")]


@pytest.mark.parametrize(
    "path",
    ["/", "/simulate/", "/join/", "/resume/", "/s/two-steps/", "/s/sandbox/", "/accounts/login/"],
)
def test_head_answers_as_get_with_no_body(client: Client, path: str) -> None:
    get = Client().get(path)

    head = client.head(path)

    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head["Content-Type"] == get["Content-Type"]
    assert Learner.objects.count() == 0
    assert Attempt.objects.count() == 0


def test_head_of_an_instructor_page_redirects_as_get_does(client: Client) -> None:
    assert client.head("/teach/").status_code == 302


def test_head_of_the_dashboard_and_its_csv_for_the_instructor(client: Client) -> None:
    teacher = User.objects.create_user("ada", password="a long classroom password")
    room = Classroom.start(instructor=teacher, title="T", scenarios=["two-steps"])
    client.force_login(teacher)

    assert client.head(f"/teach/{room.join_code}/").status_code == 200
    assert client.head(f"/teach/{room.join_code}/results.csv").status_code == 200


def test_head_never_runs_a_post_action(client: Client) -> None:
    response = client.generic("HEAD", "/s/two-steps/", "action=hint")

    assert response.status_code == 200
    assert Attempt.objects.count() == 0


def test_a_body_larger_than_any_form_is_refused_unread_with_the_sites_page(client: Client) -> None:
    answer = client.generic(
        "POST", "/join/", b"x", content_type="application/octet-stream", CONTENT_LENGTH="60000000"
    )

    assert answer.status_code == 413
    assert "<h1>That request could not be read</h1>" in answer.text


def test_a_file_posted_to_a_form_is_dropped_not_stored(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No form takes files: with no upload handlers a file part is read past, never kept in
    memory or written to the temporary folder."""
    kept: list[str] = []
    for handler in (
        uploadhandler.MemoryFileUploadHandler,
        uploadhandler.TemporaryFileUploadHandler,
    ):
        monkeypatch.setattr(handler, "new_file", lambda self, *args, **kw: kept.append(args[1]))
    upload = SimpleUploadedFile("big.bin", b"x" * 100_000)

    answer = client.post("/simulate/", {"action": "evaluate", "file": upload})

    assert answer.status_code == 200
    assert kept == []
