"""Every scenario completed in Chromium as a learner would: from the catalogue, Check my work
on each step, then the questions.

Each step does what the scenario's reference `solution` does, by hand: keys-vs-role through
the terminal alone (web-1's shell, your laptop, CloudShell), the others with a mix of the
terminal and the console's forms. Only what no command can do (run the fleet, advance the
clock) is always a console button. A command that succeeds silently is asserted to print
nothing: an error would be printed.
"""

import json
import re

from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from tests.e2e.helpers import Guard, Learner, allow, deny, policy

ACCOUNT = "111122223333"


def credentials_in(text: str) -> tuple[str, str]:
    """The access key id and secret a credentials file holds (`cat ~/.aws/credentials`)."""
    key = re.search(r"aws_access_key_id = (\S+)", text)
    secret = re.search(r"aws_secret_access_key = (\S+)", text)
    assert key, text
    assert secret, text
    return key.group(1), secret.group(1)


def test_keys_versus_an_instance_role(live_server: LiveServer, page: Page) -> None:
    """Every AWS action in the terminal: web-1's shell, your laptop, CloudShell. Only the
    fleet and the clock, which no command can move, are the console's buttons."""
    guard = Guard(page, live_server.url)
    me = Learner(page)
    data = me.start(live_server.url, "keys-vs-role")
    log = page.locator("#activity")

    # 1. On web-1, the stored key and who it makes you; then the application runs with it.
    me.check_fails()
    stored = me.sh("web-1", "cat ~/.aws/credentials")
    old_key, old_secret = credentials_in(stored)
    assert old_key.startswith("AKIA")
    assert f'"Arn": "arn:aws:iam::{ACCOUNT}:user/app-user"' in me.sh(
        "web-1", "aws sts get-caller-identity"
    )
    me.run_fleet()
    expect(log.locator(".event", has_text="s3 PutObject").first).to_contain_text("user/app-user")
    me.check_passes(1)

    # 2. The thief: web-1's key, copied to a laptop outside AWS, reads the customer list and
    #    could overwrite web-1's reports.
    me.quiet(
        "your laptop", f"export AWS_ACCESS_KEY_ID={old_key} AWS_SECRET_ACCESS_KEY={old_secret}"
    )
    assert "user/app-user" in me.sh("your laptop", "aws sts get-caller-identity")
    assert "Ana,ana@example.com" in me.sh(
        "your laptop", "aws s3 cp s3://acme-web-data/customers/list.csv -"
    )
    stolen = log.locator(".event", has_text="s3 GetObject").first
    expect(stolen).to_contain_text("user/app-user")
    expect(stolen).to_contain_text("198.51.100.23")
    me.quiet("your laptop", "echo 'run,total' > report.csv")
    assert "upload: ./report.csv to s3://acme-web-data/reports/web-1.csv" in me.sh(
        "your laptop", "aws s3 cp report.csv s3://acme-web-data/reports/web-1.csv"
    )
    me.check_passes(2)

    # 3. Rotate, part 1: a second key from CloudShell, into web-1's file with `aws configure
    #    set`; an hour later the old key's last use has stopped while the new key's moved on.
    created = json.loads(me.sh("CloudShell", "aws iam create-access-key --user-name app-user"))
    new_key = created["AccessKey"]["AccessKeyId"]
    new_secret = created["AccessKey"]["SecretAccessKey"]
    me.quiet("web-1", f"aws configure set aws_access_key_id {new_key}")
    me.quiet("web-1", f"aws configure set aws_secret_access_key {new_secret}")
    assert credentials_in(me.sh("web-1", "cat ~/.aws/credentials")) == (new_key, new_secret)
    me.run_fleet()
    me.advance("1 hour")
    me.run_fleet()

    def last_used(key: str) -> str:
        answer = me.sh("CloudShell", f"aws iam get-access-key-last-used --access-key-id {key}")
        return json.loads(answer)["AccessKeyLastUsed"]["LastUsedDate"]

    assert last_used(old_key) < last_used(new_key), "the old key's last use stopped"
    assert "Active" in me.sh(
        "CloudShell",
        "aws iam list-access-keys --user-name app-user --query "
        f"\"AccessKeyMetadata[?AccessKeyId=='{old_key}'].Status\" --output text",
    )
    me.check_passes(3)

    # 4. Rotate, part 2: deactivate the old key, confirm the application still works, delete.
    me.quiet(
        "CloudShell",
        f"aws iam update-access-key --user-name app-user --access-key-id {old_key} "
        "--status Inactive",
    )
    me.run_fleet()
    me.expect_status("2 of 2 calls allowed")
    me.quiet(
        "CloudShell",
        f"aws iam delete-access-key --user-name app-user --access-key-id {old_key}",
    )
    keys = me.sh("CloudShell", "aws iam list-access-keys --user-name app-user --output text")
    assert new_key in keys
    assert old_key not in keys
    me.check_passes(4)

    # 5. A role EC2 may assume, its permissions, and an instance profile holding it.
    me.quiet("CloudShell", TRUST_EC2)
    me.quiet("CloudShell", WEB_DATA)
    role = json.loads(
        me.sh(
            "CloudShell",
            "aws iam create-role --role-name WebAppRole "
            "--assume-role-policy-document file://trust.json",
        )
    )
    assert role["Role"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/WebAppRole"
    me.quiet(
        "CloudShell",
        "aws iam put-role-policy --role-name WebAppRole --policy-name web-data "
        "--policy-document file://web-data.json",
    )
    me.sh("CloudShell", "aws iam create-instance-profile --instance-profile-name WebAppRole")
    me.quiet(
        "CloudShell",
        "aws iam add-role-to-instance-profile --instance-profile-name WebAppRole "
        "--role-name WebAppRole",
    )
    me.check_passes(5)

    # 6. Attach the role to the running web-1: the stored key still wins until the file goes.
    web_1 = me.sh(
        "CloudShell",
        "aws ec2 describe-instances --filters Name=tag:Name,Values=web-1 "
        "--query Reservations[].Instances[].InstanceId --output text",
    )
    assert re.fullmatch(r"i-\w+", web_1), web_1
    me.sh(
        "CloudShell",
        f"aws ec2 associate-iam-instance-profile --instance-id {web_1} "
        "--iam-instance-profile Name=WebAppRole",
    )
    me.run_fleet()
    expect(log.locator(".event", has_text="s3 PutObject").first).to_contain_text("user/app-user")
    assert "user/app-user" in me.sh("web-1", "aws sts get-caller-identity")  # the file wins
    me.quiet("web-1", "rm ~/.aws/credentials")
    assert f"assumed-role/WebAppRole/{web_1}" in me.sh("web-1", "aws sts get-caller-identity")
    me.run_fleet()
    expect(log.locator(".event", has_text="s3 PutObject").first).to_contain_text(
        "assumed-role/WebAppRole/"
    )
    me.quiet(
        "CloudShell",
        f"aws iam update-access-key --user-name app-user --access-key-id {new_key} "
        "--status Inactive",
    )
    me.check_passes(6)

    # 7. The thief again, through the metadata service: the role's credentials work from the
    #    laptop until they expire (ExpiredToken); web-1 itself goes on with fresh ones.
    metadata = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
    assert me.sh("web-1", f"curl {metadata}") == "WebAppRole"
    session = json.loads(me.sh("web-1", f"curl {metadata}WebAppRole"))
    assert session["AccessKeyId"].startswith("ASIA")
    me.quiet(
        "your laptop",
        f"export AWS_ACCESS_KEY_ID={session['AccessKeyId']} "
        f"AWS_SECRET_ACCESS_KEY={session['SecretAccessKey']} "
        f"AWS_SESSION_TOKEN={session['Token']}",
    )
    assert "Ana,ana@example.com" in me.sh(
        "your laptop", "aws s3 cp s3://acme-web-data/customers/list.csv -"
    )
    me.advance("6 hours")
    me.advance("1 hour")
    # `aws s3 cp` asks HeadObject first, whose answer has no body to name the error.
    vague = me.sh("your laptop", "aws s3 cp s3://acme-web-data/customers/list.csv -")
    assert "An error occurred (400) when calling the HeadObject operation: Bad Request" in vague
    refused = me.sh(
        "your laptop",
        "aws s3api get-object --bucket acme-web-data --key customers/list.csv list.csv",
    )
    assert "An error occurred (ExpiredToken) when calling the GetObject operation" in refused
    me.run_fleet()
    me.expect_status("2 of 2 calls allowed")
    fresh = json.loads(me.sh("web-1", f"curl {metadata}WebAppRole"))
    assert fresh["AccessKeyId"] != session["AccessKeyId"]
    assert fresh["Expiration"] > session["Expiration"]
    me.check_passes(7)

    count = len(data["questions"])
    me.answer_questions(data["questions"], wrong=1)
    me.retry_questions(count - 1, count)
    me.answer_questions(data["questions"])
    me.back_to_catalogue(data["title"], f"Completed — quiz {count}/{count}")
    guard.assert_clean()


# The policies of keys-vs-role step 5, written in CloudShell as heredocs.
TRUST_EC2 = """cat > trust.json <<'EOF'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
EOF"""
WEB_DATA = """cat > web-data.json <<'EOF'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
  "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::acme-web-data/*"}]}
EOF"""


FLEET = [f"fleet-{n}" for n in range(1, 11)]
KEYED = [f"keyed-{n}" for n in range(1, 11)]
PUT_ONLY = policy(allow("s3:PutObject", "arn:aws:s3:::fleet-reports/*"))


def complete_fleet_put_only(me: Learner, base_url: str) -> None:
    """Scenario 2, the same with or without JavaScript: the role fleet changed from CloudShell,
    the keyed fleet and the explicit Deny in the console's forms."""
    page = me.page
    data = me.start(base_url, "fleet-put-only")
    fleet = page.get_by_role("figure", name=re.compile("^The fleet"))

    # 1. In CloudShell, the fleet and what each instance was given; then run both fleets.
    table = me.sh(
        "CloudShell",
        "aws ec2 describe-instances --output table --query "
        "\"Reservations[].Instances[].[Tags[?Key=='Name']|[0].Value, IamInstanceProfile.Arn]\"",
    )
    # One row per instance: its name, then its instance profile's ARN or None.
    given = dict(re.findall(r"\|\s*((?:fleet|keyed)-\d+)\s*\|\s*(\S+)\s*\|", table))
    profile = f"arn:aws:iam::{ACCOUNT}:instance-profile/FleetRole"
    assert given == {**dict.fromkeys(FLEET, profile), **dict.fromkeys(KEYED, "None")}, table
    me.run_fleet()
    me.expect_status("20 instances", "40 of 40 calls allowed")
    expect(fleet).to_contain_text("fleet-10")
    me.check_passes(1)

    # 2. One new default version of FleetS3Access, from CloudShell, makes the whole role fleet
    #    Put-only.
    me.quiet("CloudShell", f"cat > put-only.json <<'EOF'\n{PUT_ONLY}\nEOF")
    created = me.sh(
        "CloudShell",
        f"aws iam create-policy-version --policy-arn arn:aws:iam::{ACCOUNT}:policy/FleetS3Access "
        "--policy-document file://put-only.json --set-as-default",
    )
    version = json.loads(created)["PolicyVersion"]
    assert version["VersionId"] == "v2"
    assert version["IsDefaultVersion"] is True
    me.run_fleet()
    me.expect_status("30 of 40 calls allowed", "GetObject AccessDenied ×10")
    me.check_passes(2)

    # 3. The keyed fleet: the same change once per user, ten times, in the console.
    me.hint("key-1 to key-10")
    for n in range(1, 11):
        user = me.open(f"key-{n}")
        inline = me.details(user, "fleet-s3")
        me.save_policy(inline, "Inline policy fleet-s3", PUT_ONLY, "Save inline policy")
        me.expect_status(f"Saved inline policy fleet-s3 of key-{n}.")
    # With JavaScript each save brought only its own row: the log still shows the newest 30.
    rows_shown = page.locator("#events > li")
    expect(rows_shown).to_have_count(30)
    expect(rows_shown.first).to_contain_text("iam PutUserPolicy UserName key-10")
    expect(rows_shown.nth(1)).to_contain_text("iam PutUserPolicy UserName key-9")
    me.run_fleet()
    me.expect_status("20 of 40 calls allowed", "GetObject AccessDenied ×20")
    me.check_passes(3)

    # 4. A bucket policy, put from CloudShell, grants reading config/ to the role's ARN; on
    #    fleet-1 the role reads config/ again, and still not reports/.
    grant = policy(
        allow(
            "s3:GetObject",
            "arn:aws:s3:::fleet-reports/config/*",
            Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/FleetRole"},
        )
    )
    me.quiet("CloudShell", f"cat > grant.json <<'EOF'\n{grant}\nEOF")
    me.quiet(
        "CloudShell",
        "aws s3api put-bucket-policy --bucket fleet-reports --policy file://grant.json",
    )
    me.run_fleet()
    me.expect_status("30 of 40 calls allowed", "GetObject AccessDenied ×10")
    assert me.sh("fleet-1", "aws s3 cp s3://fleet-reports/config/app.json -") == '{"interval": 60}'
    denied = me.sh("fleet-1", "aws s3 cp s3://fleet-reports/reports/summary.csv -")
    assert "An error occurred (403) when calling the HeadObject operation: Forbidden" in denied
    me.check_passes(4)

    # 5. An explicit Deny in a new version (console) beats the bucket policy's Allow.
    managed = me.open("FleetS3Access")
    expect(managed.get_by_role("link")).to_contain_text("default v2 of 2")
    version = me.details(managed, "Create a new version")
    expect(version.get_by_label(re.compile("Set as the default version"))).to_be_checked()
    deny_get = policy(
        allow("s3:PutObject", "arn:aws:s3:::fleet-reports/*"),
        deny("s3:GetObject", "arn:aws:s3:::fleet-reports/*"),
    )
    me.save_policy(version, "New version", deny_get, "Create version")
    me.expect_status("Created version v3 of FleetS3Access, now the default.")
    me.run_fleet()
    me.expect_status("20 of 40 calls allowed", "GetObject AccessDenied ×20")
    denied_row = page.locator("#activity .event--denied", has_text="assumed-role/FleetRole").first
    denied_row.locator("summary").click()
    expect(denied_row).to_contain_text("with an explicit deny in an identity-based policy")
    me.check_passes(5)

    me.answer_questions(data["questions"])
    count = len(data["questions"])
    me.back_to_catalogue(data["title"], f"Completed — quiz {count}/{count}")


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
    """The console's forms attach and replace; the terminal shows what app-1 sees, meets the
    one-role quota, removes the role, and is launcher on launcher's laptop for iam:PassRole."""
    guard = Guard(page, live_server.url)
    me = Learner(page)
    data = me.start(live_server.url, "attach-replace")

    # 1. No credentials at first; attach UploadRole to the running instance in the console.
    me.run_fleet()
    me.expect_status("0 of 2 calls allowed", "NoCredentials")
    app = me.open("app-1")
    app.get_by_label("Instance profile").select_option("UploadRole")
    me.press("Attach (associate)", app)
    me.expect_status("Associated instance profile UploadRole with")
    assert "instance-profile/UploadRole" in me.sh(
        "app-1", "curl http://169.254.169.254/latest/meta-data/iam/info"
    )
    assert "assumed-role/UploadRole/i-" in me.sh("app-1", "aws sts get-caller-identity")
    me.run_fleet()
    me.expect_status("1 of 2 calls allowed", "GetObject AccessDenied ×1")
    me.check_passes(1)

    # 2. Associating again is refused; replace the association in the console.
    instance_id = me.sh(
        "CloudShell",
        "aws ec2 describe-instances --filters Name=tag:Name,Values=app-1 "
        "--query Reservations[].Instances[].InstanceId --output text",
    )
    refused = me.sh(
        "CloudShell",
        f"aws ec2 associate-iam-instance-profile --instance-id {instance_id} "
        "--iam-instance-profile Name=SyncRole",
    )
    assert "(IncorrectState)" in refused
    assert f"There is an existing association for instance {instance_id}" in refused
    first = me.sh(
        "CloudShell",
        "aws ec2 describe-iam-instance-profile-associations "
        "--query IamInstanceProfileAssociations[0].AssociationId --output text",
    )
    app = me.open("app-1")
    expect(app.locator("dd", has_text="iip-assoc-")).to_contain_text(first)
    app.get_by_label("Instance profile").select_option("SyncRole")
    me.press("Replace", app)
    me.expect_status(f"Replaced association {first} with instance profile SyncRole")
    me.run_fleet()  # the application's SDK still holds UploadRole's cached credentials
    me.expect_status("1 of 2 calls allowed", "AccessDenied")
    me.advance("6 hours")  # past their refresh, 15 minutes before they expire
    me.run_fleet()
    me.expect_status("2 of 2 calls allowed")
    me.check_passes(2)

    # 3. A second role in one instance profile is refused (in CloudShell).
    me.hint("AddRoleToInstanceProfile")
    refused = me.sh(
        "CloudShell",
        "aws iam add-role-to-instance-profile --instance-profile-name SyncRole "
        "--role-name UploadRole",
    )
    assert "(LimitExceeded)" in refused
    assert "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1" in refused
    me.check_passes(3)

    # 4. Remove the role in CloudShell: a new process on app-1 finds no credentials; the
    #    application goes on with its cached ones until they are due for refresh.
    second = me.sh(
        "CloudShell",
        "aws ec2 describe-iam-instance-profile-associations "
        "--query IamInstanceProfileAssociations[0].AssociationId --output text",
    )
    assert second != first
    me.sh("CloudShell", f"aws ec2 disassociate-iam-instance-profile --association-id {second}")
    me.run_fleet()
    me.expect_status("2 of 2 calls allowed")
    assert "404 - Not Found" in me.sh(
        "app-1", "curl http://169.254.169.254/latest/meta-data/iam/security-credentials/"
    )
    assert "Unable to locate credentials" in me.sh("app-1", "aws sts get-caller-identity")
    me.advance("6 hours")
    me.run_fleet()
    me.expect_status("0 of 2 calls allowed", "CredentialRetrievalError")
    me.check_passes(4)

    # 5. As launcher, on launcher's laptop: the launch with a role is refused for iam:PassRole,
    #    the decoded message says why; the admin's fix, in the console; the launch again.
    assert "user/launcher" in me.sh("launcher's laptop", "aws sts get-caller-identity")
    launch = (
        "aws ec2 run-instances --image-id ami-0abcdef1234567890 --instance-type t3.micro "
        "--count 1 --iam-instance-profile Name=SyncRole"
    )
    refused = me.sh("launcher's laptop", launch)
    assert "(UnauthorizedOperation)" in refused
    assert f"iam:PassRole on resource: arn:aws:iam::{ACCOUNT}:role/SyncRole" in refused
    encoded = re.search(r"Encoded authorization failure message: (\S+)", refused)
    assert encoded, refused
    story = json.loads(
        me.sh(
            "launcher's laptop",
            f"aws sts decode-authorization-message --encoded-message {encoded.group(1)} "
            "--query DecodedMessage --output text",
        )
    )
    assert story["allowed"] is False
    assert story["context"]["action"] == "iam:PassRole"
    assert story["context"]["resource"] == f"arn:aws:iam::{ACCOUNT}:role/SyncRole"

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

    app_2 = " --tag-specifications 'ResourceType=instance,Tags=[{Key=Name,Value=app-2}]'"
    launched = json.loads(me.sh("launcher's laptop", launch + app_2))
    profile = launched["Instances"][0]["IamInstanceProfile"]["Arn"]
    assert profile == f"arn:aws:iam::{ACCOUNT}:instance-profile/SyncRole"
    other = me.sh("launcher's laptop", launch.replace("Name=SyncRole", "Name=UploadRole"))
    assert f"iam:PassRole on resource: arn:aws:iam::{ACCOUNT}:role/UploadRole" in other
    me.run_fleet()  # app-2 runs the team's application from launch, as SyncRole; app-1 has none
    me.expect_status("2 of 4 calls allowed")
    me.check_passes(5)

    me.answer_questions(data["questions"])
    count = len(data["questions"])
    me.back_to_catalogue(data["title"], f"Completed — quiz {count}/{count}")
    guard.assert_clean()


def test_service_roles_versus_service_linked_roles(live_server: LiveServer, page: Page) -> None:
    """Systems Manager creating its service-linked role when a maintenance window task first
    needs it (CloudShell), seen in the console and the log; the role read in the console and in
    CloudShell, changed (refused) from CloudShell; deleted in the console, its task read in
    CloudShell; two more made in CloudShell; a service role of one's own built and changed in
    the console's forms."""
    guard = Guard(page, live_server.url)
    me = Learner(page)
    data = me.start(live_server.url, "service-linked-roles")
    slr_name = "AWSServiceRoleForAmazonSSM"
    log = page.locator("#activity")

    # 1. ops-node-1 is a managed node, and there is no service-linked role yet; a maintenance
    #    window task without a service role makes Systems Manager create it on the admin's behalf.
    expect(me.toggle("SSMInstanceRole")).to_be_visible()
    expect(me.toggle(slr_name)).to_have_count(0)
    nodes = json.loads(me.sh("CloudShell", "aws ssm describe-instance-information"))
    assert [node["PingStatus"] for node in nodes["InstanceInformationList"]] == ["Online"]
    me.check_fails()
    window = json.loads(
        me.sh(
            "CloudShell",
            'aws ssm create-maintenance-window --name nightly-patch --schedule "cron(0 2 ? * * *)" '
            "--duration 2 --cutoff 1 --no-allow-unassociated-targets",
        )
    )["WindowId"]
    assert window.startswith("mw-")
    me.sh(
        "CloudShell",
        f"aws ssm register-task-with-maintenance-window --window-id {window} "
        "--task-arn AWS-RunPatchBaseline --task-type RUN_COMMAND",
    )
    created = log.locator(".event", has_text="iam CreateServiceLinkedRole").first
    expect(created).to_contain_text("user/admin")
    expect(created).to_contain_text("invoked by ssm.amazonaws.com")
    expect(me.toggle(slr_name)).to_contain_text("service-linked")
    me.check_passes(1)

    # 2. Look inside the SSM service-linked role (console and CLI), then try to change it.
    slr = me.open(slr_name)
    expect(slr.locator(".con-arn").first).to_contain_text(
        f"role/aws-service-role/ssm.amazonaws.com/{slr_name}"
    )
    expect(slr).to_contain_text('"Service": "ssm.amazonaws.com"')
    expect(slr).to_contain_text("AmazonSSMServiceRolePolicy")
    role = json.loads(me.sh("CloudShell", f"aws iam get-role --role-name {slr_name}"))["Role"]
    assert role["Path"] == "/aws-service-role/ssm.amazonaws.com/"
    trusted = role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"]
    assert trusted == "ssm.amazonaws.com"
    attached = me.sh("CloudShell", f"aws iam list-attached-role-policies --role-name {slr_name}")
    assert "arn:aws:iam::aws:policy/aws-service-role/AmazonSSMServiceRolePolicy" in attached
    refused = me.sh(
        "CloudShell",
        f"aws iam attach-role-policy --role-name {slr_name} "
        "--policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    )
    assert "An error occurred (UnmodifiableEntity) when calling the AttachRolePolicy" in refused
    assert f"Cannot perform the operation on the protected role '{slr_name}'" in refused
    me.check_passes(2)

    # 3. Delete it while in use (console); a minute later the task has failed (CloudShell).
    slr = me.open(slr_name)
    me.press("Delete service-linked role", slr)
    me.expect_status(f"Asked AWS to delete {slr_name}: deletion task")
    task = re.search(r"deletion task (task/\S+?)\.?(\s|$)", me.status.inner_text())
    assert task, me.status.inner_text()
    me.advance("1 minute")
    status = json.loads(
        me.sh(
            "CloudShell",
            f"aws iam get-service-linked-role-deletion-status --deletion-task-id {task.group(1)}",
        )
    )
    assert status["Status"] == "FAILED"
    slr = me.open(slr_name)
    expect(slr.get_by_role("heading", name="Deletion")).to_be_visible()
    expect(slr).to_contain_text("FAILED")
    me.check_passes(3)

    # 4. Two more service-linked roles, made in CloudShell; the console lists them as such.
    for service, name in (
        ("cloudtrail.amazonaws.com", "AWSServiceRoleForCloudTrail"),
        ("events.amazonaws.com", "AWSServiceRoleForCloudWatchEvents"),
    ):
        made = me.sh(
            "CloudShell", f"aws iam create-service-linked-role --aws-service-name {service}"
        )
        assert json.loads(made)["Role"]["Path"] == f"/aws-service-role/{service}/"
        expect(me.toggle(name)).to_contain_text("service-linked")
    me.check_passes(4)

    # 5. A service role of one's own, with a customer managed policy; an SLR policy is refused.
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
    me.check_passes(5)

    # 6. Change it freely: a new default version (console), seen from CloudShell.
    managed = me.open("OpsLogsAccess")
    version = me.details(managed, "Create a new version")
    read_write = policy(allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::ops-logs/*"))
    me.save_policy(version, "New version", read_write, "Create version")
    me.expect_status("Created version v2 of OpsLogsAccess, now the default.")
    versions = me.sh(
        "CloudShell",
        f"aws iam list-policy-versions --policy-arn arn:aws:iam::{ACCOUNT}:policy/OpsLogsAccess "
        '--query "Versions[?IsDefaultVersion].VersionId" --output text',
    )
    assert versions == "v2"
    me.check_passes(6)

    me.answer_questions(data["questions"])
    count = len(data["questions"])
    me.back_to_catalogue(data["title"], f"Completed — quiz {count}/{count}")
    guard.assert_clean()


VENDOR = "444455556666"
VENDOR_SHELL = f"vendor's CloudShell ({VENDOR})"


def test_a_vendors_role_with_an_external_id(live_server: LiveServer, page: Page) -> None:
    """Two accounts: the role made in your console's forms, assumed from the vendor's
    CloudShell (as ExampleCorp, for you and then for another customer), its trust policy
    fixed in the console, and the three requests tried again as the vendor; each AssumeRole
    seen in your activity log, made by the vendor's account."""
    guard = Guard(page, live_server.url)
    me = Learner(page)
    data = me.start(live_server.url, "vendor-external-id")
    log = page.locator("#activity")
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/ExampleCorpMonitoring"
    vendor_trust = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"},
                    "Action": "sts:AssumeRole"}  # fmt: skip

    # 1. The role, in the console's forms: a custom trust policy, then an inline policy.
    me.check_fails()
    new_role = me.open("Create a role")
    new_role.get_by_label("Role name").fill("ExampleCorpMonitoring")
    new_role.get_by_label("Custom trust policy: the one below").check()
    label = "Trust policy (used when you choose a custom trust policy)"
    me.save_policy(new_role, label, policy(vendor_trust), "Create role")
    me.expect_status("Created role ExampleCorpMonitoring.")
    role = me.open("ExampleCorpMonitoring")
    inline = me.details(role, "Add an inline policy")
    inline.get_by_label("Policy name").fill("read-billing")
    read = policy(allow("s3:GetObject", "arn:aws:s3:::acme-billing-data/*"))
    me.save_policy(inline, "New inline policy", read, "Add inline policy")
    me.expect_status("Saved inline policy read-billing of ExampleCorpMonitoring.")
    me.check_passes(1)

    # 2. As ExampleCorp, in its own account's CloudShell (the console may act as its admin too).
    expect(page.locator("#act-as-choice option", has_text=f"the admin of account vendor ({VENDOR})")).to_have_count(1)  # fmt: skip
    me.check_fails()
    who = json.loads(me.sh(VENDOR_SHELL, "aws sts get-caller-identity"))
    assert who["Arn"] == f"arn:aws:iam::{VENDOR}:user/admin"
    assumed = json.loads(
        me.sh(VENDOR_SHELL, f"aws sts assume-role --role-arn {role_arn} --role-session-name examplecorp")
    )  # fmt: skip
    assert assumed["Credentials"]["AccessKeyId"].startswith("ASIA")
    assert assumed["AssumedRoleUser"]["Arn"] == (
        f"arn:aws:sts::{ACCOUNT}:assumed-role/ExampleCorpMonitoring/examplecorp"
    )
    expect(log.locator(".event", has_text="sts AssumeRole").first).to_contain_text(VENDOR)
    me.check_passes(2)

    # 3. The confused deputy: for another customer, with that customer's ID, it still works.
    me.check_fails()
    tricked = me.sh(
        VENDOR_SHELL,
        f"aws sts assume-role --role-arn {role_arn} --role-session-name for-777788889999 "
        "--external-id ec-cust-67890",
    )
    assert json.loads(tricked)["Credentials"]["AccessKeyId"].startswith("ASIA")
    me.check_passes(3)

    # 4. Require your external ID: the trust policy edited in the console.
    me.check_fails()
    role = me.open("ExampleCorpMonitoring")
    editor = me.details(role, "Edit the trust policy")
    with_id = {**vendor_trust, "Condition": {"StringEquals": {"sts:ExternalId": "ec-cust-12345"}}}
    me.save_policy(editor, "Trust policy", policy(with_id), "Update trust policy")
    me.expect_status("Updated the trust policy of ExampleCorpMonitoring.")
    me.check_passes(4)

    # 5. As ExampleCorp again: your ID opens the role; the other customer's, or none, does not.
    me.check_fails()
    command = f"aws sts assume-role --role-arn {role_arn} --role-session-name examplecorp"
    mine = me.sh(VENDOR_SHELL, f"{command} --external-id ec-cust-12345")
    assert json.loads(mine)["Credentials"]["AccessKeyId"].startswith("ASIA")
    refusal = (
        "An error occurred (AccessDenied) when calling the AssumeRole operation: User: "
        f"arn:aws:iam::{VENDOR}:user/admin is not authorized to perform: sts:AssumeRole on "
        f"resource: {role_arn}"
    )
    assert refusal in me.sh(VENDOR_SHELL, f"{command} --external-id ec-cust-67890")
    assert refusal in me.sh(VENDOR_SHELL, command)
    denied = log.locator(".event", has_text="sts AssumeRole").first
    expect(denied).to_contain_text(VENDOR)
    expect(denied).to_contain_text("AccessDenied")
    me.check_passes(5)

    me.answer_questions(data["questions"])
    count = len(data["questions"])
    me.back_to_catalogue(data["title"], f"Completed — quiz {count}/{count}")
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
