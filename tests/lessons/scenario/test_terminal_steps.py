"""Steps done in the terminal, as a learner would: the check passes on the learner's commands
(run through the real AWS CLI), by who ran them, from where, and what AWS answered."""

import json

import pytest
from django.conf import settings

from lessons.scenario.checks import CONDITIONS, check_step
from lessons.scenario.loader import load_scenario
from lessons.scenario.model import Action, Scenario
from lessons.scenario.run import build_world, place_id_of, run_actions, substitute
from simulator import World, terminal
from simulator.services import instances

SCENARIOS = settings.ROLECALL_SCENARIO_DIR
READ_LIST = "aws s3 cp s3://acme-web-data/customers/list.csv -"
PASS_SYNC_ROLE = """cat > pass-role.json <<'EOF'
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:PassRole",
  "Resource": "arn:aws:iam::{account}:role/SyncRole",
  "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}}]}
EOF"""


def _before(name: str, step_id: str) -> tuple[Scenario, World, dict]:
    """The scenario's world with every step before `step_id` solved."""
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    world, variables = build_world(scenario)
    for step in scenario.steps[: scenario.step_index(step_id)]:
        run_actions(world, variables, scenario.solution[step.id])
    return scenario, world, variables


def _type(world: World, variables: dict, place: str, *commands: str) -> list[terminal.Ran]:
    """Type command lines in a place, placeholders filled in as a solution's are."""
    where = place_id_of(world, place)
    return [terminal.run(world, where, substitute(line, world, variables)) for line in commands]


def _export_app_key(world: World, variables: dict, place: str) -> None:
    _type(world, variables, place, "export AWS_ACCESS_KEY_ID={var:app_key.AccessKeyId} "
          "AWS_SECRET_ACCESS_KEY={var:app_key.SecretAccessKey}")  # fmt: skip


def test_copied_key_used_in_a_shell_on_web_1_is_no_theft_but_from_the_laptop_it_is():
    scenario, world, variables = _before("keys-vs-role", "copied-key")
    step = scenario.step("copied-key")
    (ran,) = _type(world, variables, "web-1", READ_LIST)
    assert ran.status == 0, ran.output
    assert not check_step(world, variables, step).passed, "web-1 reading its own data"
    _export_app_key(world, variables, "laptop")
    (ran,) = _type(world, variables, "laptop", READ_LIST)
    assert "Ana,ana@example.com" in ran.output
    result = check_step(world, variables, step)
    assert result.passed, result.first_failure


def test_expiry_step_fails_until_the_copied_role_credentials_are_refused_as_expired():
    scenario, world, variables = _before("keys-vs-role", "expiry")
    step = scenario.step("expiry")
    (ran,) = _type(world, variables, "web-1",
                   "curl http://169.254.169.254/latest/meta-data/iam/security-credentials/WebAppRole")  # fmt: skip
    assert '"AccessKeyId" : "ASIA' in ran.output
    stolen = json.loads(ran.output)
    _type(world, variables, "laptop", f"export AWS_ACCESS_KEY_ID={stolen['AccessKeyId']} "
          f"AWS_SECRET_ACCESS_KEY={stolen['SecretAccessKey']} AWS_SESSION_TOKEN={stolen['Token']}")  # fmt: skip
    (ran,) = _type(world, variables, "laptop", READ_LIST)
    assert ran.status == 0, ran.output
    result = check_step(world, variables, step)
    assert [item.passed for item in result.items] == [True, False, True]
    world.advance(7 * 3600)
    (ran,) = _type(world, variables, "laptop", READ_LIST)
    assert ran.status != 0
    assert "(400) when calling the HeadObject operation: Bad Request" in ran.output
    result = check_step(world, variables, step)
    assert result.passed, result.first_failure  # the log names what the CLI could not


def test_pass_role_step_needs_launchers_refusal_the_fix_and_a_launch_as_launcher_seen_working():
    scenario, world, variables = _before("attach-replace", "pass-role")
    step = scenario.step("pass-role")
    launch = ("aws ec2 run-instances --image-id ami-0abcdef1234567890 --instance-type t3.micro "
              "--count 1 --iam-instance-profile Name=SyncRole")  # fmt: skip
    (who, refused) = _type(world, variables, "launchers-laptop", "aws sts get-caller-identity",
                           launch)  # fmt: skip
    assert ":user/launcher" in who.output
    assert "(UnauthorizedOperation)" in refused.output
    assert "Encoded authorization failure message: " in refused.output
    encoded = refused.output.split("Encoded authorization failure message: ")[1].split()[0]
    (decoded,) = _type(world, variables, "launchers-laptop",
                       f"aws sts decode-authorization-message --encoded-message {encoded}")  # fmt: skip
    assert "iam:PassRole" in decoded.output
    passed = [item.passed for item in check_step(world, variables, step).items]
    assert passed == [True, False, False, False, True]
    _type(world, variables, "cloudshell", PASS_SYNC_ROLE, "aws iam put-user-policy --user-name "
          "launcher --policy-name pass-sync-role --policy-document file://pass-role.json")  # fmt: skip
    (ran,) = _type(world, variables, "cloudshell", launch)
    assert ran.status == 0
    assert not check_step(world, variables, step).passed, "the admin's launch is not launcher's"
    tagged = launch + " --tag-specifications 'ResourceType=instance,Tags=[{Key=Name,Value=app-2}]'"
    (ran,) = _type(world, variables, "launchers-laptop", tagged)
    assert ran.status == 0, ran.output
    assert not check_step(world, variables, step).passed, "app-2 has not run yet"
    instances.tick(world)
    result = check_step(world, variables, step)
    assert result.passed, result.first_failure


def test_a_scenarios_places_are_created_at_setup_holding_what_setup_saved():
    scenario = load_scenario(SCENARIOS / "attach-replace.yaml")
    world, variables = build_world(scenario)
    labels = {place.place_id: place.label for place in terminal.places(world)}
    assert labels["launchers-laptop"] == "launcher's laptop"
    (ran,) = _type(world, variables, "launchers-laptop", "cat ~/.aws/credentials")
    assert variables["launcher_key"]["AccessKeyId"] in ran.output
    assert "{var:" not in ran.output


def test_a_solution_command_must_succeed_unless_it_expects_an_error():
    world = World.new()
    with pytest.raises(ValueError, match="exited 255"):
        run_actions(world, {}, [Action("terminal", {"place": "laptop",
                                                    "command": "aws iam list-users"}, 1)])  # fmt: skip
    with pytest.raises(ValueError, match="should fail with AccessDenied"):
        run_actions(world, {}, [Action("terminal", {"place": "cloudshell", "expect": "AccessDenied",
                                                    "command": "aws iam list-users"}, 1)])  # fmt: skip


def test_a_solution_keeps_values_from_a_commands_json_and_text():
    world, variables = World.new(), {}
    run_actions(world, variables, [
        Action("terminal", {"place": "cloudshell", "command": "aws sts get-caller-identity",
                            "save": {"me": "Arn"}, "match": {"account": r"\"Account\": \"(\d+)\""}}, 1),
    ])  # fmt: skip
    assert variables == {"me": "arn:aws:iam::111122223333:user/admin", "account": "111122223333"}


def test_cloudshell_is_the_console_address_with_the_clis_user_agent():
    world = World.new()
    event = CONDITIONS["event"]
    terminal.run(world, "cloudshell", "aws sts get-caller-identity")
    world.call(world.admin_credentials(), "iam", "ListRoles", {})
    assert event(world, {"operation": "GetCallerIdentity", "from": "cloudshell"}, {})[0]
    assert event(world, {"operation": "ListRoles", "from": "console"}, {})[0]
    assert not event(world, {"operation": "ListRoles", "from": "cloudshell"}, {})[0]


def test_keys_vs_roles_suggested_deny_spares_web_1_and_refuses_its_copied_credentials():
    """The expiry step's explanation recommends AWS's Deny on aws:Ec2InstanceSourceVpc: in the
    scenario itself it must leave web-1's own S3 calls working (they go through the S3 gateway
    endpoint) and refuse the same role's credentials used from the laptop."""
    from tests.simulator.test_context_keys import PIN_TO_INSTANCE

    scenario, world, variables = _before("keys-vs-role", "expiry")
    run_actions(world, variables, scenario.solution["expiry"])
    world.call(world.admin_credentials(), "iam", "PutRolePolicy", {
        "RoleName": "WebAppRole", "PolicyName": "pin-to-instance",
        "PolicyDocument": json.dumps(PIN_TO_INSTANCE),
    })  # fmt: skip
    web_1 = place_id_of(world, "web-1")

    results = instances.tick(world)
    (stolen,) = _type(world, variables, "web-1",
                      "curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/WebAppRole")  # fmt: skip
    credentials = json.loads(stolen.output)
    laptop = terminal.run(world, "laptop",
                          f"AWS_ACCESS_KEY_ID={credentials['AccessKeyId']} "
                          f"AWS_SECRET_ACCESS_KEY={credentials['SecretAccessKey']} "
                          f"AWS_SESSION_TOKEN={credentials['Token']} "
                          f"aws s3api get-object --bucket acme-web-data --key config/app.json -")  # fmt: skip

    app_results = [r for r in results if r.get("instance") == web_1]
    assert app_results
    assert [r["error"] for r in app_results] == [None] * len(app_results)
    assert "AccessDenied" in laptop.output
    assert "with an explicit deny" in laptop.output
