"""Another account of the world (a scenario's `add_account`) is somewhere the learner can be:
its CloudShell in the terminal, as that account's admin, and its admin in the console's
"act as"; what is done there happens in that account, and its calls are its admin's."""

import html
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from django.test import Client

from lessons import models
from lessons.console import acting
from lessons.models import Attempt, Learner
from simulator import World, terminal
from simulator.terminal.places import find
from tests.factories import learner_key

VENDOR_SHELL = "cloudshell@444455556666"
URL = "/s/two-accounts/"
HTMX = {"HX-Request": "true"}

TWO_ACCOUNTS = """
slug: two-accounts
title: A vendor's account
summary: Your account and a vendor's.
outcomes: [Act in the vendor's account]
minutes: 5
setup:
  - add_account: {id: "444455556666", name: vendor}
  - service: s3
    operation: CreateBucket
    params: {Bucket: vendor-bucket}
    as: {account: vendor}
steps:
  - id: look
    title: Look around
    text: Open the vendor's CloudShell.
    check:
      conditions:
        - bucket_policy: {bucket: vendor-bucket}
    explanation: That was the vendor's account.
solution:
  look:
    - service: s3
      operation: PutBucketPolicy
      as: {account: vendor}
      params:
        Bucket: vendor-bucket
        Policy: >-
          {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
          "Action": "s3:DeleteBucket", "Resource": "arn:aws:s3:::vendor-bucket"}]}
"""


@pytest.fixture
def world() -> World:
    world = World.new()
    world.add_account("444455556666", name="vendor")
    return world


@pytest.fixture
def two_accounts(scenarios: Path) -> None:
    (scenarios / "two-accounts.yaml").write_text(TWO_ACCOUNTS, encoding="utf-8")
    models.catalogue.cache_clear()


# --- The place, in the simulator ----------------------------------------------------------------


def test_each_other_account_has_a_cloudshell_listed_after_your_own(world: World) -> None:
    found = [(place.place_id, place.label) for place in terminal.places(world)]

    assert found[:2] == [("cloudshell", "CloudShell"),
                         (VENDOR_SHELL, "vendor's CloudShell (444455556666)")]  # fmt: skip
    assert [p.place_id for p in terminal.places(World.new())] == ["cloudshell", "laptop"]


def test_in_the_vendors_cloudshell_you_are_the_vendor_accounts_admin(world: World) -> None:
    ran = terminal.run(world, VENDOR_SHELL, "aws sts get-caller-identity")

    assert ran.status == 0
    assert '"Account": "444455556666"' in ran.output
    assert '"Arn": "arn:aws:iam::444455556666:user/admin"' in ran.output
    assert terminal.transcript(world, VENDOR_SHELL).prompt == "~ $ "


def test_what_is_done_in_the_vendors_cloudshell_happens_in_the_vendors_account(
    world: World,
) -> None:
    ran = terminal.run(world, VENDOR_SHELL, "aws iam create-user --user-name reporter")

    assert ran.status == 0
    assert "reporter" in world.account("vendor").state.users
    assert "reporter" not in world.state.users
    assert world.account("vendor").events[-1]["eventName"] == "CreateUser"


def test_the_vendors_shell_keeps_its_own_transcript_across_saving(world: World) -> None:
    terminal.run(world, VENDOR_SHELL, "echo vendor")
    again = World.from_dict(world.to_dict())

    assert "vendor" in terminal.transcript(again, VENDOR_SHELL).lines
    assert terminal.transcript(again, "cloudshell").lines == []


@pytest.mark.parametrize("place_id", ["cloudshell@111122223333", "cloudshell@999999999999"])
def test_no_cloudshell_for_your_own_account_id_or_an_account_the_world_lacks(
    world: World, place_id: str
) -> None:
    assert find(world, place_id) is None
    assert terminal.run(world, place_id, "whoami").status == 1


def test_a_scenario_place_cannot_take_an_accounts_cloudshell_id(world: World) -> None:
    with pytest.raises(ValueError, match="A place id is"):
        terminal.add_place(world, VENDOR_SHELL, "fake")


def test_the_console_may_act_as_the_other_accounts_admin(world: World) -> None:
    [choice] = acting.choices(world)

    assert choice.who == "the admin of account vendor (444455556666)"
    assert choice.where == "vendor's CloudShell (444455556666)"
    assert choice.access_key_id == world.account("vendor").admin_credentials().access_key_id


def test_a_role_session_in_another_account_is_named_with_its_account(world: World) -> None:
    vendor = world.account("vendor")
    vendor.call(vendor.admin_credentials(), "iam", "CreateRole", {
        "RoleName": "Reader", "AssumeRolePolicyDocument": '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"}]}',
    })  # fmt: skip
    created = vendor.call(vendor.admin_credentials(), "sts", "AssumeRole",
                          {"RoleArn": "arn:aws:iam::444455556666:role/Reader", "RoleSessionName": "me"})  # fmt: skip
    key = created["Credentials"]["AccessKeyId"]

    assert acting._whose(world, key) == "role Reader of account vendor (444455556666)"


# --- Through the page -----------------------------------------------------------------------------


def _attempt(client: Client) -> Attempt:
    return Attempt.objects.get(learner=Learner.objects.get(key=learner_key(client)), scenario="two-accounts")  # fmt: skip


@pytest.mark.django_db
@pytest.mark.usefixtures("two_accounts")
def test_the_terminal_offers_the_vendors_cloudshell_and_runs_there(client: Client) -> None:
    page = client.get(URL).text
    assert (
        f'<option value="{VENDOR_SHELL}">vendor&#x27;s CloudShell (444455556666)</option>' in page
    )

    data = {"action": "terminal-run", "place": VENDOR_SHELL, "command": "aws s3 ls"}
    response = client.post(URL, data, headers=HTMX)

    assert response.status_code == 200
    assert "vendor-bucket" in html.unescape(response.text)
    event = _attempt(client).load_world().account("vendor").events[-1]
    assert event["eventName"] == "ListBuckets"
    assert event["userIdentity"]["arn"] == "arn:aws:iam::444455556666:user/admin"


@pytest.mark.django_db
@pytest.mark.usefixtures("two_accounts")
def test_the_console_acting_as_the_vendors_admin_calls_in_the_vendors_account(
    client: Client,
) -> None:
    page = client.get(URL).text
    select = page[page.index('<select id="act-as-choice"') :]
    select = select[: select.index("</select>")]
    found = re.search(r'<option value="([^"]*)"[^>]*>the admin of account vendor \(444455556666\)', select)  # fmt: skip
    assert found, select
    key = html.unescape(found.group(1))

    data = {"action": "console-bucket-create", "bucket": "made-by-vendor", "as": key}
    client.post(f"{URL}?as={quote(key)}", data)

    world = _attempt(client).load_world()
    assert "made-by-vendor" in world.account("vendor").state.buckets
    assert "made-by-vendor" not in world.state.buckets
    page = client.get(f"{URL}?as={quote(key)}").text
    assert "calls are made as the admin of account vendor (444455556666)</strong>" in page
