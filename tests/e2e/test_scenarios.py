"""Every scenario completed in Chromium as a learner would: from the catalogue, through the
console's forms, Check my work on each step, then the questions.

Each step does what the scenario's reference `solution` does, but by hand in the console; a
setup "fact" (run the fleet, advance the clock, copy credentials off an instance, edit a file
on it) uses the console's buttons for it.
"""

import re

from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.e2e.helpers import CREDENTIALS, Guard, Learner, allow, deny, policy

ACCOUNT = "111122223333"


def test_keys_versus_an_instance_role(live_server: LiveServer, page: Page) -> None:
    guard = Guard(page, live_server.url)
    me = Learner(page)
    data = me.start(live_server.url, "keys-vs-role")

    # 1. Read the stored key on web-1, run the fleet, see who called. A check before acting fails.
    me.check_fails()
    web = me.open("web-1")
    me.details(web, CREDENTIALS)
    expect(web.get_by_label(f"Contents of {CREDENTIALS}")).to_have_value(
        re.compile(r"aws_access_key_id = AKIA\w+")
    )
    me.run_fleet()
    log = page.locator("#activity")
    expect(log.locator(".event", has_text="s3 PutObject").first).to_contain_text("user/app-user")
    me.check_passes(1)

    # 2. Copy the credentials off web-1 and read a customer list from outside.
    me.hint("copy an instance's credentials")
    web = me.open("web-1")
    expect(web.get_by_label("Call")).to_have_value("GetObject")
    expect(web.get_by_label("Bucket (GetObject)")).to_have_value("acme-web-data")
    web.get_by_label("Key (GetObject)").fill("customers/list.csv")
    me.press("Use this instance's credentials from outside", web)
    me.expect_status("used from 198.51.100.23 outside your network", "was allowed")
    expect(log.locator(".event").first).to_contain_text("from outside AWS")
    me.check_passes(2)

    # 3. Rotate, part 1: a second key into the credentials file; an hour later the old key's
    #    last use has stopped at the switch while the new key's moved on, and it is still active.
    user = me.open("app-user")
    old_key = user.get_by_role("rowheader").locator("code").inner_text()
    me.press("Create access key", user)
    me.expect_status("this is the only time it is shown")
    found = re.search(
        r"Created access key (AKIA\w+) for app-user\. Its secret access key is (\S+) —",
        me.status.inner_text(),
    )
    assert found, me.status.inner_text()
    new_key, new_secret = found.groups()
    web = me.open("web-1")
    box = me.details(web, CREDENTIALS)
    box.get_by_label(f"Contents of {CREDENTIALS}").fill(
        f"[default]\naws_access_key_id = {new_key}\naws_secret_access_key = {new_secret}\n"
    )
    me.press("Save file", box)
    me.expect_status(f"Saved {CREDENTIALS}")
    me.run_fleet()
    me.advance("1 hour")
    me.run_fleet()
    user = me.open("app-user")
    old_row = user.get_by_role("row").filter(has_text=old_key)
    new_row = user.get_by_role("row").filter(has_text=new_key)
    expect(old_row.get_by_role("cell").nth(0)).to_contain_text("Active")
    expect(old_row.get_by_role("cell").nth(1)).to_contain_text("09:00 UTC")  # last use: stopped
    expect(new_row.get_by_role("cell").nth(1)).to_contain_text("10:00 UTC")  # moving on
    me.check_passes(3)

    # 4. Rotate, part 2: deactivate the old key, confirm the application still works, delete.
    user = me.open("app-user")
    me.press("Make inactive", user.get_by_role("row").filter(has_text=old_key))
    me.expect_status(f"Access key {old_key} is now Inactive.")
    me.run_fleet()
    me.expect_status("2 of 2 calls allowed")
    user = me.open("app-user")
    old_row = user.get_by_role("row").filter(has_text=old_key)
    expect(old_row).to_contain_text("Inactive")
    me.press("Delete", old_row)
    me.expect_status(f"Deleted access key {old_key}.")
    me.check_passes(4)

    # 5. A role EC2 may assume, its permissions, and (made by the console) its instance profile.
    new_role = me.open("Create a role")
    new_role.get_by_label("Role name").fill("WebAppRole")
    expect(new_role.get_by_label(re.compile("AWS service EC2"))).to_be_checked()
    me.press("Create role", new_role)
    me.expect_status("Created role WebAppRole and", "the instance profile WebAppRole holding it")
    role = me.open("WebAppRole")
    inline = me.details(role, "Add an inline policy")
    inline.get_by_label("Policy name").fill("web-data")
    document = policy(allow(["s3:PutObject", "s3:GetObject"], "arn:aws:s3:::acme-web-data/*"))
    me.save_policy(inline, "New inline policy", document, "Add inline policy")
    me.expect_status("Saved inline policy web-data of WebAppRole.")
    me.check_passes(5)

    # 6. Attach the role to the running instance, delete the stored key, deactivate the last key.
    web = me.open("web-1")
    web.get_by_label("Instance profile").select_option("WebAppRole")
    me.press("Attach (associate)", web)
    me.expect_status("Associated instance profile WebAppRole with")
    me.run_fleet()
    expect(log.locator(".event").first).to_contain_text("user/app-user")  # the file still wins
    web = me.open("web-1")
    me.press("Delete file", me.details(web, CREDENTIALS))
    me.expect_status(f"Deleted {CREDENTIALS}")
    me.run_fleet()
    expect(log.locator(".event").first).to_contain_text("assumed-role/WebAppRole/")
    user = me.open("app-user")
    me.press("Make inactive", user.get_by_role("row").filter(has_text=new_key))
    me.expect_status(f"Access key {new_key} is now Inactive.")
    me.check_passes(6)

    # 7. Seven hours later the first role credentials are expired; the instance has fresh ones.
    me.advance("6 hours")
    me.advance("1 hour")
    me.run_fleet()
    me.check_passes(7)

    me.answer_questions(data["questions"])
    me.back_to_catalogue(data["title"], "Completed")
    guard.assert_clean()


FLEET = [f"fleet-{n}" for n in range(1, 11)]
PUT_ONLY = policy(allow("s3:PutObject", "arn:aws:s3:::fleet-reports/*"))


def complete_fleet_put_only(me: Learner, base_url: str) -> None:
    """Scenario 2, the same with or without JavaScript."""
    page = me.page
    data = me.start(base_url, "fleet-put-only")
    fleet = page.get_by_role("figure", name=re.compile("^The fleet"))

    # 1. Run both fleets: twenty tiles, every call allowed.
    me.run_fleet()
    me.expect_status("20 instances", "40 of 40 calls allowed")
    expect(fleet).to_contain_text("fleet-10")
    me.check_passes(1)

    # 2. One new default version of FleetS3Access makes the whole role fleet Put-only.
    managed = me.open("FleetS3Access")
    expect(managed.get_by_role("link")).to_contain_text("default v1 of 1")
    version = me.details(managed, "Create a new version")
    expect(version.get_by_label(re.compile("Set as the default version"))).to_be_checked()
    me.save_policy(version, "New version", PUT_ONLY, "Create version")
    me.expect_status("Created version v2 of FleetS3Access, now the default.")
    me.run_fleet()
    me.expect_status("30 of 40 calls allowed", "GetObject AccessDenied ×10")
    me.check_passes(2)

    # 3. The keyed fleet: the same change once per user, ten times.
    me.hint("key-1 to key-10")
    for n in range(1, 11):
        user = me.open(f"key-{n}")
        inline = me.details(user, "fleet-s3")
        me.save_policy(inline, "Inline policy fleet-s3", PUT_ONLY, "Save inline policy")
        me.expect_status(f"Saved inline policy fleet-s3 of key-{n}.")
    # With JavaScript each save brought only its own row: the log still shows the newest 30.
    rows = page.locator("#events > li")
    expect(rows).to_have_count(30)
    expect(rows.first).to_contain_text("iam PutUserPolicy UserName key-10")
    expect(rows.nth(1)).to_contain_text("iam PutUserPolicy UserName key-9")
    me.run_fleet()
    me.expect_status("20 of 40 calls allowed", "GetObject AccessDenied ×20")
    me.check_passes(3)

    # 4. A bucket policy grants reading config/ to the role's ARN.
    bucket = me.open("fleet-reports")
    editor = me.details(bucket, "Write the bucket policy")
    grant = policy(
        allow(
            "s3:GetObject",
            "arn:aws:s3:::fleet-reports/config/*",
            Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/FleetRole"},
        )
    )
    me.save_policy(editor, "Bucket policy", grant, "Save bucket policy")
    me.expect_status("Saved the bucket policy of fleet-reports.")
    me.run_fleet()
    me.expect_status("30 of 40 calls allowed", "GetObject AccessDenied ×10")
    me.check_passes(4)

    # 5. An explicit Deny in a new version beats the bucket policy's Allow.
    managed = me.open("FleetS3Access")
    version = me.details(managed, "Create a new version")
    deny_get = policy(
        allow("s3:PutObject", "arn:aws:s3:::fleet-reports/*"),
        deny("s3:GetObject", "arn:aws:s3:::fleet-reports/*"),
    )
    me.save_policy(version, "New version", deny_get, "Create version")
    me.expect_status("Created version v3 of FleetS3Access, now the default.")
    me.run_fleet()
    me.expect_status("20 of 40 calls allowed", "GetObject AccessDenied ×20")
    denied = page.locator("#activity .event--denied", has_text="assumed-role/FleetRole").first
    denied.locator("summary").click()
    expect(denied).to_contain_text("with an explicit deny in an identity-based policy")
    me.check_passes(5)

    me.answer_questions(data["questions"])
    me.back_to_catalogue(data["title"], "Completed")


def test_one_change_for_the_whole_fleet(live_server: LiveServer, page: Page) -> None:
    guard = Guard(page, live_server.url)
    complete_fleet_put_only(Learner(page), live_server.url)
    guard.assert_clean()


def test_one_change_for_the_whole_fleet_without_javascript(
    live_server: LiveServer, browser: Browser
) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    guard = Guard(page, live_server.url)
    complete_fleet_put_only(Learner(page, js=False), live_server.url)
    guard.assert_clean()
    context.close()


def test_attach_replace_and_remove_roles(live_server: LiveServer, page: Page) -> None:
    guard = Guard(page, live_server.url)
    me = Learner(page)
    data = me.start(live_server.url, "attach-replace")

    # 1. No credentials at first; attach UploadRole to the running instance.
    me.run_fleet()
    me.expect_status("0 of 2 calls allowed", "NoCredentials")
    app = me.open("app-1")
    app.get_by_label("Instance profile").select_option("UploadRole")
    me.press("Attach (associate)", app)
    me.expect_status("Associated instance profile UploadRole with")
    me.run_fleet()
    me.expect_status("1 of 2 calls allowed", "GetObject AccessDenied ×1")
    me.check_passes(1)

    # 2. Replace it with SyncRole: the instance's details show the association id.
    app = me.open("app-1")
    first = app.locator("dd", has_text="iip-assoc-").locator("code").inner_text()
    app.get_by_label("Instance profile").select_option("SyncRole")
    me.press("Replace", app)
    me.expect_status(f"Replaced association {first} with instance profile SyncRole")
    me.run_fleet()
    me.expect_status("2 of 2 calls allowed")
    me.check_passes(2)

    # 3. A second role in one instance profile is refused.
    me.hint("AddRoleToInstanceProfile")
    card = page.locator("#console li.con-card").filter(
        has=page.locator("strong", has_text=re.compile("^SyncRole$"))
    )
    card.get_by_label(re.compile("^Role to add")).select_option("UploadRole")
    me.press("Add role", card)
    me.expect_status("AddRoleToInstanceProfile failed.", "LimitExceeded")
    me.expect_status("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
    me.check_passes(3)

    # 4. Remove the role: the application finds no credentials.
    app = me.open("app-1")
    expect(app.get_by_role("link")).to_contain_text("role: SyncRole")
    me.press("Detach (disassociate)", app)
    me.expect_status("Association iip-assoc-", " is disassociat")
    me.check_passes(4)

    # 5. Let launcher pass SyncRole, and only SyncRole, to EC2.
    launcher = me.open("launcher")
    inline = me.details(launcher, "Add an inline policy")
    inline.get_by_label("Policy name").fill("pass-sync-role")
    pass_role = policy(
        allow(
            "iam:PassRole",
            f"arn:aws:iam::{ACCOUNT}:role/SyncRole",
            Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
        )
    )
    me.save_policy(inline, "New inline policy", pass_role, "Add inline policy")
    me.expect_status("Saved inline policy pass-sync-role of launcher.")
    me.check_passes(5)

    me.answer_questions(data["questions"])
    me.back_to_catalogue(data["title"], "Completed")
    guard.assert_clean()


def test_service_roles_versus_service_linked_roles(live_server: LiveServer, page: Page) -> None:
    guard = Guard(page, live_server.url)
    me = Learner(page)
    data = me.start(live_server.url, "service-linked-roles")

    # 1. Look inside the SSM service-linked role, then try to add a policy to it: refused.
    slr = me.open("AWSServiceRoleForAmazonSSM")
    expect(slr.locator(".con-arn").first).to_contain_text(
        "role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM"
    )
    expect(slr).to_contain_text('"Service": "ssm.amazonaws.com"')
    expect(slr).to_contain_text("AmazonSSMServiceRolePolicy")
    inline = me.details(slr, "Add an inline policy")
    inline.get_by_label("Policy name").fill("extra")
    extra = policy(allow("s3:ListAllMyBuckets", "*"))
    me.save_policy(inline, "New inline policy", extra, "Add inline policy")
    me.expect_status("PutRolePolicy failed.", "UnmodifiableEntity")
    me.expect_status("Cannot perform the operation on the protected role")
    me.check_passes(1)

    # 2. Delete it while in use: the deletion task fails a minute later.
    slr = me.open("AWSServiceRoleForAmazonSSM")
    me.press("Delete service-linked role", slr)
    me.expect_status("Asked AWS to delete AWSServiceRoleForAmazonSSM: deletion task")
    me.advance("1 minute")
    slr = me.open("AWSServiceRoleForAmazonSSM")
    expect(slr.get_by_role("heading", name="Deletion")).to_be_visible()
    expect(slr).to_contain_text("FAILED")
    me.check_passes(2)

    # 3. Two more service-linked roles, made on purpose.
    for service, role in (
        ("cloudtrail.amazonaws.com", "AWSServiceRoleForCloudTrail"),
        ("events.amazonaws.com", "AWSServiceRoleForCloudWatchEvents"),
    ):
        page.get_by_label("Service-linked role for").select_option(service)
        me.press("Create service-linked role")
        me.expect_status(f"Created the service-linked role {role}.")
        expect(me.toggle(role)).to_contain_text("service-linked")
    me.check_passes(3)

    # 4. A service role of one's own, with a customer managed policy; an SLR policy is refused.
    new_policy = me.open("Create a policy")
    new_policy.get_by_label("Policy name").fill("OpsLogsAccess")
    read_logs = policy(allow("s3:GetObject", "arn:aws:s3:::ops-logs/*"))
    me.save_policy(new_policy, "Policy document", read_logs, "Create policy")
    me.expect_status(f"Created policy arn:aws:iam::{ACCOUNT}:policy/OpsLogsAccess.")
    new_role = me.open("Create a role")
    new_role.get_by_label("Role name").fill("OpsLogsRole")
    me.press("Create role", new_role)
    me.expect_status("Created role OpsLogsRole")
    role = me.open("OpsLogsRole")
    role.get_by_label("Managed policy to attach").select_option(label="OpsLogsAccess")
    me.press("Attach policy", role)
    me.expect_status(f"Attached arn:aws:iam::{ACCOUNT}:policy/OpsLogsAccess to OpsLogsRole.")
    role = me.open("OpsLogsRole")
    role.get_by_label("Managed policy to attach").select_option(label="AmazonSSMServiceRolePolicy")
    me.press("Attach policy", role)
    me.expect_status("AttachRolePolicy failed.", "PolicyNotAttachable")
    me.check_passes(4)

    # 5. Change it freely: a new default version.
    managed = me.open("OpsLogsAccess")
    version = me.details(managed, "Create a new version")
    read_write = policy(allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::ops-logs/*"))
    me.save_policy(version, "New version", read_write, "Create version")
    me.expect_status("Created version v2 of OpsLogsAccess, now the default.")
    me.check_passes(5)

    me.answer_questions(data["questions"])
    me.back_to_catalogue(data["title"], "Completed")
    guard.assert_clean()


def test_the_sandbox_opens_and_its_console_acts(live_server: LiveServer, page: Page) -> None:
    guard = Guard(page, live_server.url)
    me = Learner(page)
    me.start(live_server.url, "sandbox")
    expect(page.locator("#progress")).to_contain_text("Sandbox: no steps, act freely")
    expect(page.get_by_role("button", name="Check my work")).to_have_count(0)

    me.run_fleet()
    me.expect_status("2 instances", "3 of 4 calls allowed", "GetObject AccessDenied ×1")
    bucket = me.open("sandbox-data")
    me.press("Get", bucket.get_by_role("row").filter(has_text="private/salaries.csv"))
    me.expect_status("Got private/salaries.csv from sandbox-data")
    expect(page.locator("#activity .event").first).to_contain_text("s3 GetObject")
    guard.assert_clean()
