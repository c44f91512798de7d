"""Checking a step: it runs on a copy of the learner's world; conditions read the world — what
the learner did (the event log, the application's log) and the state they left."""

import pytest
from django.conf import settings

from lessons.scenario.checks import CONDITIONS, DENIAL_CODES, check_step, probe_chains
from lessons.scenario.loader import load_scenario
from lessons.scenario.model import Condition, Probe, Step
from lessons.scenario.run import build_world, instance_id_of, run_actions, substitute
from simulator import AwsError, World
from simulator.services import instances
from simulator.world import CONSOLE_IP, OUTSIDE_IP, Credentials
from tests.factories import (
    BUCKET,
    EC2_TRUST,
    admin_client,
    allow,
    bucket_world,
    instance_role,
    launch,
    user_key,
)
from tests.lessons.workspace_scenarios import MINI

KEYS_VS_ROLE = settings.ROLECALL_SCENARIO_DIR / "keys-vs-role.yaml"
event = CONDITIONS["event"]
app_call = CONDITIONS["app_call"]


def _keys_vs_role(*, until: str) -> tuple:
    """keys-vs-role's world with the steps before `until` done (the fleet runs, no terminal)."""
    scenario = load_scenario(KEYS_VS_ROLE)
    world, variables = build_world(scenario)
    instances.tick(world)
    return scenario, world, variables, scenario.step(until)


def _key(variables: dict, name: str) -> Credentials:
    saved = variables[name]
    return Credentials(saved["AccessKeyId"], saved["SecretAccessKey"])


def test_a_check_runs_on_a_copy_of_the_world():
    scenario = load_scenario(MINI)
    world, variables = build_world(scenario)
    events_before = len(world.events)
    result = check_step(world, variables, scenario.steps[0])
    assert not result.passed
    assert [item.passed for item in result.items] == [False, False]
    assert result.first_failure.detail == "got NoCredentials"
    assert len(world.events) == events_before, "checking must not change the learner's world"


def test_copied_key_step_fails_until_the_learner_uses_the_key_from_outside():
    _, world, variables, step = _keys_vs_role(until="copied-key")
    key, read = _key(variables, "app_key"), {"Bucket": "acme-web-data", "Key": "customers/list.csv"}
    assert not check_step(world, variables, step).passed, "nobody has used the copied key yet"
    web_1 = instance_id_of(world, "web-1")
    world.call(key, "s3", "GetObject", read, source_ip=instances.source_ip(world, web_1))
    assert not check_step(world, variables, step).passed, "on web-1 itself it is not a theft"
    world.call(key, "s3", "GetObject", read, source_ip=CONSOLE_IP)
    assert not check_step(world, variables, step).passed, "the admin's console is not outside"
    world.call(key, "s3", "GetObject", read, source_ip=OUTSIDE_IP)
    result = check_step(world, variables, step)
    assert result.passed, result.first_failure
    assert "from 198.51.100.23" in result.items[0].detail


def test_copied_key_step_makes_no_call_of_its_own():
    _, world, variables, step = _keys_vs_role(until="copied-key")
    copy = world.copy()
    check_step(copy, variables, step, scratch=True)
    assert len(copy.events) == len(world.events), "the check performed an experiment"


def test_expiry_step_passes_on_the_role_credentials_the_learner_copied_and_met_expired():
    world = bucket_world()
    instance_role(world, "AppRole", "s3:GetObject")
    (instance_id,) = launch(world, profile="AppRole")
    variables = {"_last_setup_event": world.events[-1]["eventID"]}
    copied, _ = instances.resolve_credentials(world, instance_id)
    read = {"Bucket": BUCKET, "Key": "config/app.json"}
    worked = {"delivered_to": instance_id, "role": "AppRole", "from": "outside", "error": None}
    expired = {**worked, "error": "ExpiredToken"}
    assert not event(world, worked, variables)[0]
    world.call(copied, "s3", "GetObject", read, source_ip=OUTSIDE_IP)
    assert event(world, worked, variables)[0]
    assert not event(world, expired, variables)[0]
    world.advance(7 * 3600)
    with pytest.raises(AwsError, match="ExpiredToken"):
        world.call(copied, "s3", "GetObject", read, source_ip=OUTSIDE_IP)
    passed, detail = event(world, expired, variables)
    assert passed, detail
    assert "got ExpiredToken" in detail
    assert not event(world, {**expired, "role": "OtherRole"}, variables)[0]
    assert not event(world, {**expired, "from": "instance"}, variables)[0]


def test_event_tells_outside_the_console_and_an_instance_apart():
    world = bucket_world()
    (instance_id,) = launch(world)
    key = user_key(world, "dev", "s3:GetObject")
    variables = {"_last_setup_event": world.events[-1]["eventID"]}
    address = instances.source_ip(world, instance_id)
    world.call(key, "s3", "GetObject", {"Bucket": BUCKET, "Key": "config/app.json"},
               source_ip=address)  # fmt: skip
    world.call(key, "sts", "GetCallerIdentity", {}, source_ip=CONSOLE_IP)
    name = world.state.instances[instance_id].tags.get("Name") or instance_id
    assert event(world, {"operation": "GetObject", "from": "instance"}, variables)[0]
    assert event(world, {"operation": "GetObject", "from": name}, variables)[0]
    assert not event(world, {"operation": "GetObject", "from": "outside"}, variables)[0]
    assert event(world, {"operation": "GetCallerIdentity", "from": "console"}, variables)[0]
    assert not event(world, {"operation": "GetCallerIdentity", "from": "outside"}, variables)[0]
    assert event(world, {"user": "dev", "error": None}, variables)[0]
    assert not event(world, {"user": "admin"}, variables)[0]


def test_event_matches_the_request_parameters_the_learner_sent():
    world = World.new()
    variables: dict = {}
    params = {"ImageId": "ami-0abcdef1234567890", "InstanceType": "t3.micro",
              "MinCount": 1, "MaxCount": 1, "IamInstanceProfile": {"Name": "SyncRole"}}  # fmt: skip
    with pytest.raises(AwsError, match="InvalidParameterValue|NoSuchEntity|profile"):
        world.call(world.admin_credentials(), "ec2", "RunInstances", params)
    wanted = {"operation": "RunInstances", "params": {"IamInstanceProfile": {"Name": "SyncRole"}}}
    assert event(world, wanted, variables)[0]
    other = {**wanted, "params": {"IamInstanceProfile": {"Name": "UploadRole"}}}
    passed, detail = event(world, other, variables)
    assert not passed
    assert detail == "No RunInstances call yet"


def test_event_user_agent_tells_the_cli_from_the_console():
    world = World.new()
    admin = world.admin_credentials()
    world.call(admin, "sts", "GetCallerIdentity", {}, user_agent="aws-cli/1.46.0 Python/3.13")
    world.call(admin, "iam", "ListRoles", {})
    assert event(world, {"operation": "GetCallerIdentity", "user_agent": "aws-cli"}, {})[0]
    assert not event(world, {"operation": "ListRoles", "user_agent": "aws-cli"}, {})[0]


def test_event_invoked_by_finds_the_service_linked_role_a_service_created_not_the_learners():
    world = World.new()
    ssm = admin_client(world, "ssm")
    window = ssm.create_maintenance_window(
        Name="nightly", Schedule="cron(0 2 ? * * *)", Duration=2, Cutoff=1,
        AllowUnassociatedTargets=False,
    )["WindowId"]  # fmt: skip
    args = {
        "operation": "CreateServiceLinkedRole",
        "invoked_by": "ssm.amazonaws.com",
        "error": None,
    }
    admin_client(world, "iam").create_service_linked_role(AWSServiceName="events.amazonaws.com")
    passed, detail = event(world, args, {})
    assert not passed  # the learner's own CreateServiceLinkedRole was invoked by nobody
    assert detail == (
        "No CreateServiceLinkedRole call made by ssm.amazonaws.com on your behalf that succeeded yet"
    )

    ssm.register_task_with_maintenance_window(
        WindowId=window, TaskArn="AWS-RunPatchBaseline", TaskType="RUN_COMMAND"
    )
    assert event(world, args, {})[0]


def test_decision_answers_from_the_policies_without_making_a_call():
    world = World.new()
    iam = admin_client(world, "iam")
    iam.create_user(UserName="launcher")
    iam.put_user_policy(
        UserName="launcher",
        PolicyName="pass",
        PolicyDocument='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
        '"Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/SyncRole"}]}',
    )
    decision = CONDITIONS["decision"]
    events = len(world.events)
    args = {"user": "launcher", "action": "iam:PassRole",
            "context": {"iam:PassedToService": "ec2.amazonaws.com"}}  # fmt: skip
    passed, detail = decision(world, {**args, "resource": "arn:aws:iam::111122223333:role/UploadRole", "result": "denied"}, {})  # fmt: skip
    assert passed, detail
    passed, detail = decision(world, {**args, "resource": "arn:aws:iam::111122223333:role/SyncRole", "result": "denied"}, {})  # fmt: skip
    assert not passed
    assert (
        detail
        == "iam:PassRole on arn:aws:iam::111122223333:role/SyncRole is allowed for user launcher"
    )
    assert len(world.events) == events


def test_decision_counts_the_bucket_policy_of_an_s3_resource():
    world = bucket_world()
    instance_role(world, "FleetRole", "s3:PutObject")
    admin_client(world, "s3").put_bucket_policy(
        Bucket=BUCKET,
        Policy='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": '
        '"arn:aws:iam::111122223333:role/FleetRole"}, "Action": "s3:GetObject", '
        f'"Resource": "arn:aws:s3:::{BUCKET}/config/*"}}]}}',
    )
    decision = CONDITIONS["decision"]
    args = {"role": "FleetRole", "action": "s3:GetObject", "result": "allowed"}
    assert decision(world, {**args, "resource": f"arn:aws:s3:::{BUCKET}/config/app.json"}, {})[0]
    assert not decision(world, {**args, "resource": f"arn:aws:s3:::{BUCKET}/reports/x.csv"}, {})[0]


def test_app_call_reads_the_application_log_not_the_learners_commands_on_the_instance():
    scenario, world, variables, _ = _keys_vs_role(until="see-it-work")
    args = {"instance": "web-1", "operation": "GetObject", "key": "app_key"}
    assert app_call(world, args, variables)[0]
    web_1 = instance_id_of(world, "web-1")
    other = user_key(world, "someone", "s3:ListAllMyBuckets")
    with pytest.raises(AwsError, match="AccessDenied"):  # the learner's own try, on web-1
        world.call(other, "s3", "GetObject", {"Bucket": "acme-web-data", "Key": "config/app.json"},
                   source_ip=instances.source_ip(world, web_1))  # fmt: skip
    passed, detail = app_call(world, args, variables)
    assert passed, detail
    assert "as user app-user" in detail


def test_app_call_sees_no_credentials_though_no_call_reached_aws():
    world = bucket_world()
    (instance_id,) = launch(world)
    instances.set_app(world, instance_id, _writer())
    events = len(world.events)
    instances.tick(world)
    assert len(world.events) == events, "the SDK found no credentials: nothing reached AWS"
    args = {"instance": instance_id, "operation": "PutObject", "result": "NoCredentials"}
    passed, detail = app_call(world, args, {})
    assert passed, detail
    assert detail.endswith("was NoCredentials, with no credentials at all")


def _writer():
    from simulator.model import AppSpec

    return AppSpec(name="writer", calls=[{"service": "s3", "operation": "PutObject",
                   "params": {"Bucket": BUCKET, "Key": "r.csv", "Body": "x"}}])  # fmt: skip


def test_app_call_not_key_passes_once_the_application_signs_with_another_key():
    scenario = load_scenario(KEYS_VS_ROLE)
    world, variables = build_world(scenario)
    args = {"instance": "web-1", "operation": "PutObject", "not_key": "app_key"}
    run_actions(
        world, variables, [a for a in scenario.solution["see-it-work"] if a.kind != "terminal"]
    )
    passed, detail = app_call(world, args, variables)
    assert not passed
    assert "still made with the access key saved as app_key" in detail
    new_key = world.session().client("iam").create_access_key(UserName="app-user")["AccessKey"]
    instance_id = substitute("{instance:web-1}", world, variables)
    world.write_file(
        instance_id,
        "/home/ec2-user/.aws/credentials",
        f"[default]\naws_access_key_id = {new_key['AccessKeyId']}\n"
        f"aws_secret_access_key = {new_key['SecretAccessKey']}\n",
    )
    instances.tick(world)
    passed, detail = app_call(world, args, variables)
    assert passed, detail


# --- Probes: expect lists and Denied, save, and how probes share the world --------------------


def _probe(operation: str, params: dict, *expect: str, actor="admin", service="s3", **more):
    return Probe(actor, service, operation, params, expect, 1, more.get("says", ""),
                 more.get("save", {}))  # fmt: skip


def _step(*probes: Probe) -> Step:
    return Step("probe", "Probe", "", (), probes, (), "", 1)


def _dev(world: World) -> dict:
    """Saved values holding the access key of `dev`, who may only put objects."""
    key = user_key(world, "dev", "s3:PutObject")
    return {"dev": {"AccessKeyId": key.access_key_id, "SecretAccessKey": key.secret_access_key}}


def test_expect_denied_passes_for_each_services_denial_code_and_says_which():
    world = bucket_world()
    variables = _dev(world)
    dev = {"key": "dev"}
    window = {"Name": "w", "Schedule": "cron(0 2 ? * * *)", "Duration": 2, "Cutoff": 1,
              "AllowUnassociatedTargets": False}  # fmt: skip
    step = _step(
        _probe("GetObject", {"Bucket": BUCKET, "Key": "config/app.json"}, "Denied", actor=dev),
        _probe("ListRoles", {}, "Denied", actor=dev, service="iam"),
        _probe("DescribeInstances", {}, "Denied", actor=dev, service="ec2"),
        _probe("CreateMaintenanceWindow", window, "Denied", actor=dev, service="ssm"),
    )
    result = check_step(world, variables, step)
    assert [item.detail for item in result.items] == [
        "AccessDenied (a denial), as expected",
        "AccessDenied (a denial), as expected",
        "UnauthorizedOperation (a denial), as expected",
        "AccessDeniedException (a denial), as expected",
    ]
    assert result.items[0].says == (
        "With the access key saved as dev, s3 GetObject config/app.json gives Denied"
    )
    assert {"AccessDenied", "UnauthorizedOperation", "AccessDeniedException"} <= DENIAL_CODES


def test_expect_denied_fails_for_an_error_that_is_not_a_denial_and_says_so():
    world = bucket_world()
    missing = _probe("GetObject", {"Bucket": BUCKET, "Key": "nothing-here"}, "Denied")
    allowed = _probe("GetObject", {"Bucket": BUCKET, "Key": "config/app.json"}, "Denied")
    result = check_step(world, {}, _step(missing, allowed))
    assert [(item.passed, item.detail) for item in result.items] == [
        (False, "got NoSuchKey, which is not a denial"),
        (False, "got Allowed"),
    ]


def test_expect_a_list_passes_for_any_outcome_in_it():
    world = bucket_world()
    probe = _probe("GetObject", {"Bucket": BUCKET, "Key": "nothing-here"}, "NoSuchKey", "Denied")
    result = check_step(world, {}, _step(probe))
    assert result.passed, result.first_failure
    assert result.items[0].says.endswith("gives NoSuchKey or Denied")


def _assumable_reader(world: World) -> None:
    """ReportReader, which the account's principals may assume, may read BUCKET's objects."""
    iam = admin_client(world, "iam")
    trust = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": '
             '{"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}]}')  # fmt: skip
    iam.create_role(RoleName="ReportReader", AssumeRolePolicyDocument=trust)
    iam.put_role_policy(RoleName="ReportReader", PolicyName="read",
                        PolicyDocument=allow("s3:GetObject", resource=f"arn:aws:s3:::{BUCKET}/*"))  # fmt: skip


ASSUME = {"RoleArn": "arn:aws:iam::111122223333:role/ReportReader", "RoleSessionName": "check"}
READ = {"Bucket": BUCKET, "Key": "config/app.json"}


def test_a_probe_uses_the_credentials_an_earlier_probe_saved_and_the_learner_keeps_none():
    world = bucket_world()
    _assumable_reader(world)
    variables = {"mine": "kept"}
    assume = _probe("AssumeRole", ASSUME, "Allowed", service="sts", save={"creds": "Credentials"})
    read = _probe("GetObject", READ, "Allowed", actor={"key": "creds"})
    put = _probe("PutObject", {**READ, "Body": "x"}, "Denied", actor={"key": "creds"})
    result = check_step(world, variables, _step(assume, read, put))
    assert result.passed, result.first_failure
    assert variables == {"mine": "kept"}, "a check never changes the learner's saved values"


def test_a_probe_needing_what_a_refused_probe_would_have_saved_says_why_it_cannot_run():
    world = bucket_world()  # no role ReportReader: AssumeRole is refused
    variables = {"creds": {"AccessKeyId": "AKIAOLD", "SecretAccessKey": "x"}}
    assume = Probe("admin", "sts", "AssumeRole", ASSUME, ("Allowed",), 7, "",
                   {"creds": "Credentials"})  # fmt: skip
    read = _probe("GetObject", READ, "Allowed", actor={"key": "creds"})
    result = check_step(world, variables, _step(assume, read))
    assert [item.passed for item in result.items] == [False, False]
    assert result.items[1].detail == (
        "Could not run: it needs creds, which the probe at line 7 saves only when it is allowed"
    )


def test_a_save_path_missing_from_the_response_fails_the_probe_with_the_path():
    world = bucket_world()
    _assumable_reader(world)
    assume = _probe("AssumeRole", ASSUME, "Allowed", service="sts", save={"creds": "Creds"})
    item = check_step(world, {}, _step(assume)).items[0]
    assert not item.passed
    assert item.detail == "Could not save: the response has no 'Creds'"


def test_each_probe_sees_the_learners_world_not_what_another_probe_made():
    world = World.new()
    trust = ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": '
             '{"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}')  # fmt: skip
    create = _probe("CreateRole", {"RoleName": "Probe", "AssumeRolePolicyDocument": trust},
                    "Allowed", service="iam")  # fmt: skip
    read = _probe("GetRole", {"RoleName": "Probe"}, "NoSuchEntity", service="iam")
    for scratch in (False, True):
        checked = world.copy()
        result = check_step(checked, {}, _step(create, create, read), scratch=scratch)
        assert result.passed, result.first_failure  # not EntityAlreadyExists, not found
    assert "Probe" not in world.state.roles


def test_probes_chain_only_through_saved_values():
    creds = {"key": "creds"}
    probes = (
        _probe("GetObject", READ, "Allowed"),
        _probe("AssumeRole", ASSUME, "Allowed", service="sts", save={"creds": "Credentials"}),
        _probe("GetObject", READ, "Allowed", actor=creds),
        _probe("PutObject", {**READ, "Body": "{var:creds.AccessKeyId}"}, "Allowed"),
        _probe("ListBuckets", {}, "Allowed"),
    )
    assert probe_chains(probes) == [[0], [1, 2, 3], [4]]


# --- Conditions: boundaries, policies not attached, managed policies, trust --------------------


def _boundary_world() -> World:
    """Role Dev and user dev; policy Boundary (s3 only) is Dev's boundary; dev has none."""
    world = World.new()
    iam = admin_client(world, "iam")
    iam.create_role(RoleName="Dev", AssumeRolePolicyDocument=EC2_TRUST)
    iam.create_user(UserName="dev")
    arn = iam.create_policy(PolicyName="Boundary", PolicyDocument=allow("s3:*"))["Policy"]["Arn"]
    iam.put_role_permissions_boundary(RoleName="Dev", PermissionsBoundary=arn)
    return world


def test_permissions_boundary_names_the_boundary_or_none():
    world = _boundary_world()
    boundary = CONDITIONS["permissions_boundary"]
    arn = "arn:aws:iam::111122223333:policy/Boundary"
    assert boundary(world, {"role": "Dev", "policy": "Boundary"}, {}) == (
        True,
        "Role Dev has Boundary as its permissions boundary",
    )
    assert boundary(world, {"role": "Dev", "policy": arn}, {})[0]
    assert boundary(world, {"role": "Dev", "policy": None}, {}) == (
        False,
        "Role Dev has Boundary as its permissions boundary; it should have none",
    )
    assert boundary(world, {"user": "dev", "policy": "Boundary"}, {}) == (
        False,
        "User dev has no permissions boundary; it should have Boundary",
    )
    assert boundary(world, {"user": "dev", "policy": None}, {})[0]


def test_a_condition_naming_nothing_that_exists_says_so_plainly():
    step = Step("s", "s", "", (), (), (Condition("permissions_boundary", {"role": "Nope"}, 3),),
                "", 1)  # fmt: skip
    (item,) = check_step(_boundary_world(), {}, step).items
    assert (item.passed, item.detail) == (False, "There is no role Nope")


def test_policy_not_attached_fails_while_it_is_attached_or_inline():
    world = _boundary_world()
    iam = admin_client(world, "iam")
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    iam.attach_user_policy(UserName="dev", PolicyArn=admin)
    not_attached = CONDITIONS["policy_not_attached"]
    args = {"user": "dev", "policy": "AdministratorAccess"}
    assert not_attached(world, args, {}) == (
        False,
        "Policy AdministratorAccess is still attached to user dev",
    )
    iam.detach_user_policy(UserName="dev", PolicyArn=admin)
    assert not_attached(world, args, {}) == (
        True,
        "Policy AdministratorAccess is not attached to user dev",
    )
    iam.put_role_policy(RoleName="Dev", PolicyName="extra", PolicyDocument=allow("s3:GetObject"))
    assert not_attached(world, {"role": "Dev", "policy": "extra"}, {}) == (
        False,
        "Role Dev still has an inline policy extra",
    )
    assert not_attached(world, {"role": "Dev", "policy": admin}, {})[0]


def test_managed_policy_exists_and_allows_what_its_default_version_allows():
    world = _boundary_world()
    managed = CONDITIONS["managed_policy"]
    reports = f"arn:aws:s3:::{BUCKET}/reports/*"
    admin_client(world, "iam").create_policy(
        PolicyName="ReadReports", PolicyDocument=allow("s3:GetObject", resource=reports)
    )
    assert managed(world, {"policy": "ReadReports"}, {}) == (True, "Policy ReadReports (v1) exists")
    key = f"arn:aws:s3:::{BUCKET}/reports/q1.csv"
    args = {"policy": "ReadReports", "resource": key}
    assert managed(world, {**args, "allows": "s3:GetObject", "denies": ["s3:PutObject"]}, {}) == (
        True,
        f"Policy ReadReports (v1) exists and allows s3:GetObject, does not allow s3:PutObject "
        f"on {key}",
    )
    assert managed(world, {**args, "allows": ["s3:GetObject", "s3:PutObject"]}, {}) == (
        False,
        f"Policy ReadReports (v1) does not allow s3:PutObject on {key}",
    )
    assert managed(world, {"policy": "ReadOnly"}, {}) == (
        False,
        "There is no customer managed policy ReadOnly",
    )
    assert managed(world, {"policy": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, {})[0]


VENDOR_TRUST = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": '
    '"444455556666"}, "Action": "sts:AssumeRole"%s}]}'
)
EXTERNAL_ID = ', "Condition": {"StringEquals": {"sts:ExternalId": "Unicorn-7"}}'


def _vendor_role(world: World, trust: str) -> None:
    admin_client(world, "iam").create_role(RoleName="VendorAccess", AssumeRolePolicyDocument=trust)


def test_role_trust_says_who_may_assume_the_role_and_with_which_condition_keys():
    world = World.new()
    _vendor_role(world, VENDOR_TRUST % EXTERNAL_ID)
    trust = CONDITIONS["role_trust"]
    vendor = {"role": "VendorAccess", "principal": "444455556666"}
    assert trust(world, {**vendor, "requires": {"sts:ExternalId": "Unicorn-7"}}, {}) == (
        True,
        "Role VendorAccess trusts account 444455556666 only with sts:ExternalId Unicorn-7",
    )
    assert trust(world, {**vendor, "requires": {"sts:ExternalId": None}}, {})[0]
    assert trust(world, {**vendor, "only": True}, {}) == (
        True,
        "Role VendorAccess trusts only account 444455556666",
    )
    assert trust(world, {**vendor, "requires": {"sts:ExternalId": "other"}}, {}) == (
        False,
        "Role VendorAccess trusts account 444455556666 only with sts:ExternalId other: "
        "no, it wants sts:ExternalId Unicorn-7, not other",
    )
    assert trust(world, {"role": "VendorAccess", "principal": "999988887777"}, {}) == (
        False,
        "Role VendorAccess does not trust account 999988887777; it trusts account 444455556666",
    )


def test_role_trust_fails_a_trust_that_lets_the_vendor_in_without_an_external_id():
    world = World.new()
    _vendor_role(world, VENDOR_TRUST % "")
    trust = CONDITIONS["role_trust"]
    args = {"role": "VendorAccess", "principal": "444455556666",
            "requires": {"sts:ExternalId": "Unicorn-7"}}  # fmt: skip
    passed, detail = trust(world, args, {})
    assert not passed
    assert detail.endswith("no, it lets account 444455556666 in without sts:ExternalId")
    iam = admin_client(world, "iam")
    iam.update_assume_role_policy(
        RoleName="VendorAccess",
        PolicyDocument=(
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": '
            '"arn:aws:iam::444455556666:root", "Service": "ec2.amazonaws.com"}, '
            f'"Action": "sts:AssumeRole"{EXTERNAL_ID}}}]}}'
        ),
    )
    assert trust(world, args, {})[0]
    passed, detail = trust(world, {**args, "only": True}, {})
    assert not passed
    assert detail.endswith("no, it also trusts service ec2.amazonaws.com")


VENDOR_SETUP = """
slug: vendor-log
title: A vendor's log
summary: Another account's calls, in its log and in yours.
minutes: 5
level: Advanced
order: 1
setup:
  - add_account: {id: "444455556666", name: vendor}
  - service: iam
    operation: CreateRole
    params:
      RoleName: VendorAccess
      AssumeRolePolicyDocument: >-
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"}]}
  - as: {account: vendor}
    service: iam
    operation: CreateUser
    params: {UserName: vendor-app}
steps:
  - id: look
    title: Look
    text: Look.
    hints: [Look.]
    check:
      conditions:
        - clock_advanced: {seconds: 0}
questions:
  - prompt: Which?
    options:
      - {text: This, correct: true, explanation: Yes.}
      - {text: That, correct: false, explanation: No.}
solution:
  look:
    - advance: 1
"""


def _vendor_world(tmp_path) -> tuple[World, dict]:
    path = tmp_path / "vendor-log.yaml"
    path.write_text(VENDOR_SETUP)
    return build_world(load_scenario(path))


def _vendor_assumes(world: World) -> None:
    world.call(world.account("vendor").admin_credentials(), "sts", "AssumeRole", {
        "RoleArn": "arn:aws:iam::111122223333:role/VendorAccess", "RoleSessionName": "vendor"})  # fmt: skip


def test_event_caller_account_finds_another_accounts_assume_role_in_the_role_owners_log(tmp_path):
    world, variables = _vendor_world(tmp_path)
    by_vendor = {"operation": "AssumeRole", "caller_account": "vendor", "error": None}
    assert event(world, by_vendor, variables) == (
        False, "No AssumeRole call by account vendor that succeeded yet")  # fmt: skip
    with pytest.raises(AwsError, match="AccessDenied"):  # your own admin, not trusted
        world.call(world.admin_credentials(), "sts", "AssumeRole", {
            "RoleArn": "arn:aws:iam::111122223333:role/VendorAccess", "RoleSessionName": "me"})  # fmt: skip
    assert not event(world, {**by_vendor, "error": "any"}, variables)[0], "your own admin's call"

    _vendor_assumes(world)

    passed, detail = event(world, by_vendor, variables)
    assert passed, detail
    assert detail.startswith("AssumeRole was called by account 444455556666 from ")
    assert event(world, {**by_vendor, "caller_account": "444455556666"}, variables)[0]
    assert not event(world, {**by_vendor, "caller_account": "111122223333"}, variables)[0]


def test_event_account_searches_that_accounts_log_since_setup(tmp_path):
    world, variables = _vendor_world(tmp_path)
    in_vendor = {"account": "vendor", "operation": "CreateUser"}
    assert not event(world, in_vendor, variables)[0], "setup's CreateUser in the vendor's log"
    assert not event(world, {"account": "vendor", "operation": "AssumeRole"}, variables)[0]

    _vendor_assumes(world)
    world.call(world.account("vendor").admin_credentials(), "iam", "CreateUser",
               {"UserName": "auditor"})  # fmt: skip

    assert event(world, in_vendor, variables)[0]
    assert not event(world, {"operation": "CreateUser"}, variables)[0], "not in your log"
    passed, detail = event(world, {**in_vendor, "user": "admin", "error": None}, variables)
    assert passed, detail
    assert "arn:aws:iam::444455556666:user/admin" in detail
    # The vendor's own record of its AssumeRole carries its key and ARN, yours does not.
    variables["vendor_key"] = world.account("vendor").admin_credentials().access_key_id
    by_key = {"operation": "AssumeRole", "key": "vendor_key"}
    assert event(world, {**by_key, "account": "vendor"}, variables)[0]
    assert not event(world, by_key, variables)[0]


def test_event_naming_an_account_the_world_lacks_fails_saying_so(tmp_path):
    world, variables = _vendor_world(tmp_path)
    args = {"account": "partner", "operation": "AssumeRole"}
    condition = Condition("event", args, 1)
    step = Step("look", "Look", "Look.", (), (), (condition,), "", 1)
    result = check_step(world, variables, step)
    assert not result.passed
    assert result.items[0].detail == (
        "There is no account partner: name one the setup adds (add_account), or its id"
    )


key_idle = CONDITIONS["key_idle"]


def test_key_idle_needs_the_other_key_used_that_long_after_the_saved_keys_last_use():
    """keys-vs-role's rotation: switch to the new key, wait an hour, use it again."""
    world = bucket_world()
    old = user_key(world, "app-user", "s3:GetObject")
    created = admin_client(world, "iam").create_access_key(UserName="app-user")["AccessKey"]
    new = Credentials(created["AccessKeyId"], created["SecretAccessKey"])
    variables = {"app_key": {"AccessKeyId": old.access_key_id}}
    args = {"key": "app_key", "seconds": 3600}
    read = {"Bucket": BUCKET, "Key": "config/app.json"}

    world.call(old, "s3", "GetObject", read)
    assert key_idle(world, args, variables) == (
        False, "No other access key of app-user has been used yet"
    )  # fmt: skip
    world.call(new, "s3", "GetObject", read)  # the switch
    world.advance(3600)
    passed, detail = key_idle(world, args, variables)
    assert not passed, "an hour passed, but nothing used the new key after it"
    assert detail.endswith(": 0 min later (needs 60 min)"), detail
    world.call(new, "s3", "GetObject", read)  # the fleet runs again
    passed, detail = key_idle(world, args, variables)
    assert passed, detail
    assert detail.endswith(": 60 min later (needs 60 min)"), detail


def test_key_idle_is_not_fooled_by_moving_the_clock_before_the_switch():
    world = bucket_world()
    old = user_key(world, "app-user", "s3:GetObject")
    created = admin_client(world, "iam").create_access_key(UserName="app-user")["AccessKey"]
    new = Credentials(created["AccessKeyId"], created["SecretAccessKey"])
    variables = {"app_key": old.access_key_id}
    read = {"Bucket": BUCKET, "Key": "config/app.json"}

    world.advance(3600)  # the hour spent early, while the old key is still in use
    world.call(old, "s3", "GetObject", read)
    world.call(new, "s3", "GetObject", read)

    passed, detail = key_idle(world, {"key": "app_key", "seconds": 3600}, variables)
    assert not passed, detail


def test_a_fleet_check_names_every_instance_that_falls_short():
    """The first two in full, the others by name: a typo on the tenth instance is not hidden
    behind "and 8 more"."""
    scenario = load_scenario(settings.ROLECALL_SCENARIO_DIR / "fleet-put-only.yaml")
    world, variables = build_world(scenario)
    fleet = [f"fleet-{n}" for n in range(1, 11)]

    passed, detail = app_call(world, {"instances": fleet, "operation": "GetObject"}, variables)

    assert not passed
    assert detail.startswith("10 of 10 instances fall short: fleet-1's application has made no ")
    assert detail.endswith(
        "; and fleet-3, fleet-4, fleet-5, fleet-6, fleet-7, fleet-8, fleet-9, fleet-10 too"
    )
