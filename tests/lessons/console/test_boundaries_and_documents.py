"""A user's or role's permissions boundary, and a managed policy's document, in the console: as a
learner uses them, posting the console's forms to the workspace and reading the page."""

import re
from html import unescape

import pytest
from django.test import Client

from lessons.console.panels import dom_id
from lessons.models import Attempt
from simulator import AwsError
from simulator.services import instances
from tests.factories import allow, started
from tests.lessons.workspace_scenarios import scenarios  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scenarios")]

URL = "/s/two-steps/"
HTMX = {"HX-Request": "true"}
ROLE = dom_id("role", "AppRole")
READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def _text(html: str) -> str:
    """The page as a reader hears it: tags gone, entities read, spaces folded."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _world(attempt: Attempt):  # noqa: ANN202 -- a World
    return Attempt.objects.get(pk=attempt.pk).load_world()


def _give_web_1_its_role(client: Client, attempt: Attempt) -> None:
    instance_id = next(iter(_world(attempt).state.instances))
    response = client.post(
        URL, {"action": "console-associate", "instance_id": instance_id, "profile": "AppRole"}
    )
    assert response.status_code == 302, _text(response.text)


def _set_boundary(client: Client, **fields: str) -> str:
    """Post the role's boundary form without JavaScript; the page shown afterwards, as text."""
    data = {"action": "console-role-boundary-put", "form": f"{ROLE}--boundary",
            "role_name": "AppRole", "policy_arn": "", "aws_policy": "", **fields}  # fmt: skip
    response = client.post(URL, data, follow=True)
    assert response.status_code == 200
    return _text(response.content.decode())


def _check(client: Client) -> str:
    client.post(URL, {"action": "check"})
    return _text(client.get(URL).content.decode())


def test_a_boundary_set_from_the_console_shows_on_the_role_and_then_limits_what_it_may_do(
    client: Client,
) -> None:
    attempt = started(client, "two-steps")
    _give_web_1_its_role(client, attempt)

    page = _set_boundary(client, aws_policy="AmazonS3ReadOnlyAccess")

    assert "AmazonS3ReadOnlyAccess is now the permissions boundary of AppRole" in page
    assert _world(attempt).state.roles["AppRole"].permissions_boundary == READ_ONLY
    role = _text(client.get(URL, {"open": ROLE}).content.decode())
    assert "Permissions boundary Set to AmazonS3ReadOnlyAccess (AWS managed)" in role
    assert "Remove the boundary" in role
    # Its inline policy still allows PutObject; the boundary does not, so web-1 may not put.
    checked = _check(client)
    assert (
        "Not passed: Software on web-1 can put a report What happened: got AccessDenied" in checked
    )
    assert Attempt.objects.get(pk=attempt.pk).step_index == 0
    # And AWS says why, to software on web-1 (the world's one call path).
    world = _world(attempt)
    instance_id = next(iter(world.state.instances))
    found = instances.resolve_credentials(world, instance_id)
    assert found is not None
    with pytest.raises(AwsError) as refused:
        world.call(found[0], "s3", "PutObject", {"Bucket": "reports-bucket", "Key": "r.csv"})
    assert refused.value.code == "AccessDenied"
    assert "because no permissions boundary allows the s3:PutObject action" in refused.value.message


def test_removing_the_boundary_gives_the_role_back_what_its_policies_allow(
    client: Client,
) -> None:
    attempt = started(client, "two-steps")
    _give_web_1_its_role(client, attempt)
    _set_boundary(client, aws_policy="AmazonS3ReadOnlyAccess")

    response = client.post(
        URL,
        {"action": "console-role-boundary-delete", "form": f"{ROLE}--boundary",
         "role_name": "AppRole"},
        headers=HTMX,
    )  # fmt: skip

    assert "Removed the permissions boundary of AppRole" in _text(response.text)
    assert _world(attempt).state.roles["AppRole"].permissions_boundary is None
    role = _text(client.get(URL, {"open": ROLE}).content.decode())
    assert "None: this role's policies alone decide what it may do." in role
    _check(client)
    assert Attempt.objects.get(pk=attempt.pk).step_index == 1


def test_a_customer_managed_boundary_is_chosen_from_the_list_and_linked_to_the_policy(
    client: Client,
) -> None:
    attempt = started(client, "two-steps")
    attempt.act("iam", "CreatePolicy", {"PolicyName": "ReportsCap",
                                        "PolicyDocument": allow("s3:*")})  # fmt: skip
    arn = next(iter(_world(attempt).state.policies))
    page = client.get(URL, {"open": ROLE}).content.decode()
    assert f'<option value="{arn}">ReportsCap</option>' in page  # offered in the boundary list

    _set_boundary(client, policy_arn=arn)

    page = client.get(URL, {"open": ROLE}).content.decode()
    policy = dom_id("policy", "ReportsCap")
    assert f'href="?open={policy}#{policy}"' in page  # the boundary links to the policy
    assert "ReportsCap in the customer managed policies" in _text(page)
    listed = _text(client.get(URL, {"open": policy}).content.decode())
    assert "The permissions boundary of role AppRole." in listed


def test_a_boundary_that_does_not_exist_gets_aws_no_such_entity_and_changes_nothing(
    client: Client,
) -> None:
    attempt = started(client, "two-steps")
    _set_boundary(client, aws_policy="AmazonS3ReadOnlyAccess")
    missing = "arn:aws:iam::111122223333:policy/NoSuchPolicy"

    page = _set_boundary(client, policy_arn=missing)

    assert "PutRolePermissionsBoundary failed." in page
    assert "NoSuchEntity" in page
    assert f"Policy {missing} does not exist or is not attachable." in page
    assert _world(attempt).state.roles["AppRole"].permissions_boundary == READ_ONLY
    assert "Set to AmazonS3ReadOnlyAccess" in page  # the role's boundary, still shown


def test_a_typed_aws_policy_name_aws_does_not_have_is_kept_in_the_form(client: Client) -> None:
    started(client, "two-steps")

    response = client.post(
        URL,
        {"action": "console-role-boundary-put", "form": f"{ROLE}--boundary",
         "role_name": "AppRole", "policy_arn": "", "aws_policy": "NoSuchPolicyAnywhere"},
    )  # fmt: skip

    assert response.status_code == 200  # shown again at once, with what was typed
    page = response.content.decode()
    assert "NoSuchEntity" in page
    assert 'name="aws_policy" value="NoSuchPolicyAnywhere"' in page


def test_a_users_boundary_is_set_and_removed_the_same_way(client: Client) -> None:
    attempt = started(client, "two-steps")
    client.post(URL, {"action": "console-user-create", "user_name": "bob"})
    user = dom_id("user", "bob")
    form = {"form": f"{user}--boundary", "user_name": "bob"}

    client.post(URL, {"action": "console-user-boundary-put", **form, "policy_arn": READ_ONLY})

    assert _world(attempt).state.users["bob"].permissions_boundary == READ_ONLY
    shown = _text(client.get(URL, {"open": user}).content.decode())
    assert "Set to AmazonS3ReadOnlyAccess (AWS managed)" in shown
    client.post(URL, {"action": "console-user-boundary-delete", **form})
    assert _world(attempt).state.users["bob"].permissions_boundary is None


def test_previewing_a_boundary_says_which_recent_calls_it_would_deny_and_saves_nothing(
    client: Client,
) -> None:
    attempt = started(client, "two-steps")
    _give_web_1_its_role(client, attempt)
    client.post(URL, {"action": "check"})  # web-1 puts a report: a recent call to replay
    attempt.refresh_from_db()
    response = client.post(
        URL,
        {"action": "console-preview", "save": "console-role-boundary-put",
         "form": f"{ROLE}--boundary", "role_name": "AppRole", "policy_arn": READ_ONLY},
        headers=HTMX,
    )  # fmt: skip

    text = _text(response.text)
    assert "Preview, nothing saved" in text
    assert "PutObject" in text
    assert _world(attempt).state.roles["AppRole"].permissions_boundary is None


# --- A managed policy's document -----------------------------------------------------------------


def test_a_customer_managed_policys_default_document_is_shown_with_its_version(
    client: Client,
) -> None:
    attempt = started(client, "two-steps")
    attempt.act("iam", "CreatePolicy", {"PolicyName": "ReportsCap",
                                        "PolicyDocument": allow("s3:GetObject")})  # fmt: skip
    arn = next(iter(_world(attempt).state.policies))
    attempt.act("iam", "CreatePolicyVersion", {"PolicyArn": arn, "SetAsDefault": True,
                                               "PolicyDocument": allow("s3:ListBucket")})  # fmt: skip
    attempt.act("iam", "AttachRolePolicy", {"RoleName": "AppRole", "PolicyArn": arn})

    listed = client.get(URL, {"open": dom_id("policy", "ReportsCap")}).content.decode()
    on_role = client.get(URL, {"open": ROLE}).content.decode()

    assert "Policy document (default version v2)" in _text(listed)
    document = '"Action": [\n        "s3:ListBucket"\n      ]'  # pretty-printed, as AWS shows it
    assert document in unescape(listed)
    assert "ReportsCap (customer managed, default version v2)" in _text(on_role)
    assert document in unescape(on_role)


def test_an_aws_managed_policys_document_comes_from_the_catalogue_where_it_is_attached(
    client: Client,
) -> None:
    started(client, "two-steps")
    client.post(URL, {"action": "console-role-attach", "role_name": "AppRole",
                      "policy_arn": READ_ONLY})  # fmt: skip

    page = client.get(URL, {"open": ROLE}).content.decode()

    assert "AmazonS3ReadOnlyAccess (AWS managed, default version v" in _text(page)
    assert '"s3:Get*"' in unescape(page)
    # In a <details> (no JavaScript needed), scrolling inside its own box, named for a reader.
    summary = page.index("<summary><code>AmazonS3ReadOnlyAccess")
    details = page[page.rindex("<details", 0, summary) : page.index("</details>", summary)]
    assert details.startswith('<details class="con-sub">')
    assert re.search(r'<pre class="con-doc" tabindex="0" role="region" aria-label="Document of AmazonS3ReadOnlyAccess, version v\d+">', details)  # fmt: skip


def test_a_closed_item_reads_no_aws_managed_document(client: Client) -> None:
    started(client, "two-steps")
    client.post(URL, {"action": "console-role-attach", "role_name": "AppRole",
                      "policy_arn": READ_ONLY})  # fmt: skip

    page = client.get(URL).content.decode()

    assert "s3:Get*" not in unescape(page)


# --- User groups ---------------------------------------------------------------------------------


def _bobs_key(client: Client, attempt: Attempt) -> tuple[str, str]:
    client.post(URL, {"action": "console-user-create", "user_name": "bob"})
    client.post(URL, {"action": "console-key-create", "user_name": "bob"})
    key = next(k for k in _world(attempt).state.access_keys.values() if k.user_name == "bob")
    return key.access_key_id, key.secret_access_key


def _bob_may_list_buckets(attempt: Attempt, key: tuple[str, str]) -> bool:
    try:
        _world(attempt).call(key, "s3", "ListBuckets", {})
    except AwsError as error:
        if error.code != "AccessDenied":
            raise
        return False
    return True


def test_a_groups_policy_applies_to_the_users_added_to_it_from_the_console(
    client: Client,
) -> None:
    attempt = started(client, "two-steps")
    key = _bobs_key(client, attempt)
    group = dom_id("group", "readers")
    assert not _bob_may_list_buckets(attempt, key)

    client.post(
        URL, {"action": "console-group-create", "form": "group-new", "group_name": "readers"}
    )
    client.post(URL, {"action": "console-group-attach", "form": group, "group_name": "readers",
                      "policy_arn": READ_ONLY})  # fmt: skip
    added = client.post(URL, {"action": "console-group-add-user", "form": group,
                              "group_name": "readers", "user_name": "bob"}, follow=True)  # fmt: skip

    assert "Added bob to readers: the group's policies now apply to bob too." in _text(
        added.content.decode()
    )
    assert _bob_may_list_buckets(attempt, key)
    shown = _text(client.get(URL, {"open": group}).content.decode())
    assert "readers · 1 user · 1 policy" in shown
    assert "Remove bob from readers" in shown
    assert "AmazonS3ReadOnlyAccess (AWS managed, default version v" in shown
    assert "Permissions boundary" not in shown  # a group has none
    user = _text(client.get(URL, {"open": dom_id("user", "bob")}).content.decode())
    assert "Groups: readers (their policies apply to bob too)" in user

    client.post(URL, {"action": "console-group-remove-user", "form": group,
                      "group_name": "readers", "user_name": "bob"})  # fmt: skip
    assert not _bob_may_list_buckets(attempt, key)


def test_a_group_with_a_policy_is_not_deleted_and_aws_says_why(client: Client) -> None:
    attempt = started(client, "two-steps")
    group = dom_id("group", "readers")
    client.post(
        URL, {"action": "console-group-create", "form": "group-new", "group_name": "readers"}
    )
    client.post(URL, {"action": "console-group-policy-put", "form": f"{group}--inline-new",
                      "group_name": "readers", "policy_name": "list",
                      "document": allow("s3:ListAllMyBuckets")})  # fmt: skip

    response = client.post(
        URL, {"action": "console-group-delete", "form": group, "group_name": "readers"}
    )

    assert response.status_code == 200  # shown again at once
    page = _text(response.content.decode())
    assert "DeleteGroup failed." in page
    assert "DeleteConflict" in page
    assert "readers" in _world(attempt).state.groups


def test_any_aws_managed_policys_document_is_read_by_name_and_the_get_stores_nothing(
    client: Client,
) -> None:
    page = client.get(URL, {"read_policy": "AmazonS3ReadOnlyAccess"}).content.decode()

    assert "AmazonS3ReadOnlyAccess (AWS managed, default version v" in _text(page)
    assert f"<code>{READ_ONLY}</code>" in page
    assert '"s3:Get*"' in unescape(page)
    assert not Attempt.objects.exists()  # a GET stores nothing
    missing = _text(client.get(URL, {"read_policy": "NoSuchPolicyAnywhere"}).content.decode())
    assert "AWS has no managed policy “NoSuchPolicyAnywhere”" in missing


def test_reading_an_aws_managed_policy_with_htmx_answers_with_the_console(client: Client) -> None:
    response = client.get(
        URL, {"read_policy": "ReadOnlyAccess"}, headers={**HTMX, "HX-Target": "console"}
    )

    assert response.text.lstrip().startswith('<section id="console"')
    assert "arn:aws:iam::aws:policy/ReadOnlyAccess" in response.text
