"""The policy simulator page (/simulate/, lessons.views.simulate): its form, its answer, bad input."""

import html
import json
import re
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from lessons.simulate import (
    MAX_POLICY_CHARS,
    identity_slot,
    locate,
    parse_context,
    parse_policy_text,
    run_simulation,
)
from lessons.views.simulate import WORKED_EXAMPLE
from simulator.iam import PolicyKind

URL = "/simulate/"
HTMX = {"HX-Request": "true"}
CALLER = "arn:aws:sts::111122223333:assumed-role/AppRole/i-0abc1234def567890"
PUT_ONLY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::reports-bucket/*",
            }
        ],
    },
    indent=2,
)
DENY_GET = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NoReports",
                "Effect": "Deny",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::reports-bucket/*",
            }
        ],
    },
    indent=2,
)
PUBLIC_READ = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::reports-bucket/*",
            }
        ],
    }
)


def example(**changes: str) -> dict[str, str]:
    """The worked example's form data, with some fields changed."""
    return {**WORKED_EXAMPLE, **changes}


def text_of(response: HttpResponse) -> str:
    """The response as a reader sees it: tags dropped, entities decoded, spaces collapsed."""
    content = re.sub(r"</?(a|code|span|strong|mark)\b[^>]*>", "", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", content)))


def result_of(response: HttpResponse) -> str:
    """The text of the result panel only."""
    content = response.content.decode()
    start = content.index('<div id="result"')
    return text_of(HttpResponse(content[start:]))


# --- The page -----------------------------------------------------------------------------------


def test_simulator_opens_with_the_worked_example_already_decided(client: Client) -> None:
    response = client.get(reverse("lessons:simulate"))

    assert response.status_code == 200
    assert reverse("lessons:simulate") == URL
    page = text_of(response)
    assert f'value="{CALLER}"' in response.text
    assert "s3:PutObject" in page
    assert "s3:GetObject" in page
    assert '<div id="result" class="result result--allowed">' in response.text
    result = result_of(response)
    assert "✔ Allowed" in result
    assert 'Decided by: Statement[0] ("ReadAndWriteReports") of Identity policy 1' in result


def test_the_worked_example_marks_the_statement_that_decided(client: Client) -> None:
    response = client.get(URL)

    mark = re.search(
        r'<mark class="stmt stmt--decided" id="trace-identity-policy-1-0" tabindex="-1">(.*?)</mark>',
        response.text,
        re.S,
    )
    assert mark is not None
    assert "Decided here: Allow" in mark[1]
    assert 'data-line="4"' in mark[1]  # the statement's opening brace ...
    assert 'data-line="9"' in mark[1]  # ... and its closing one
    assert '"Sid": "ReadAndWriteReports"' in html.unescape(mark[1])
    assert 'data-line="3"' not in mark[1]


def test_every_input_has_a_label_and_the_form_works_without_javascript(client: Client) -> None:
    response = client.get(URL)

    content = response.text
    assert f'<form class="simulator__form" method="post" action="{URL}#result"' in content
    assert 'enctype="multipart/form-data"' in content
    for name in ["caller", "iam_action", "resource", "resource_account", "context_keys",
                 "identity_policy_1", "resource_policy", "permissions_boundary",
                 "session_policy", "scp_1"]:  # fmt: skip
        assert f'<label for="id_{name}">' in content
        assert f'id="id_{name}"' in content
    assert 'role="status"' in content
    assert "<script>" not in content  # strict CSP: no inline scripts
    assert " style=" not in content


def test_simulator_answers_only_get_and_post(client: Client) -> None:
    assert client.put(URL).status_code == 405


def test_simulator_still_checks_csrf_on_post() -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(URL, example())

    assert response.status_code == 403


# --- Evaluating ---------------------------------------------------------------------------------


def test_put_only_policy_is_implicitly_denied_with_s3s_own_error_text(client: Client) -> None:
    response = client.post(URL, example(identity_policy_1=PUT_ONLY))

    assert response.status_code == 200
    result = result_of(response)
    assert "⊘ Implicitly denied" in result
    assert "AccessDenied" in result
    assert "403" in result
    assert (
        f"User: {CALLER} is not authorized to perform: s3:GetObject on resource: "
        '"arn:aws:s3:::reports-bucket/reports/q1.csv" '
        "because no identity-based policy allows the s3:GetObject action"
    ) in result
    assert "No statement in it matches this request." in result


def test_each_statement_says_why_it_did_not_apply(client: Client) -> None:
    response = client.post(URL, example(identity_policy_1=PUT_ONLY))

    result = result_of(response)
    assert (
        "Statement[0] does not apply: Action lists s3:PutObject, which does not cover s3:GetObject."
    ) in result
    assert "Resource matches: Resource arn:aws:s3:::reports-bucket/* fits" in result


def test_explicit_deny_names_and_marks_the_deciding_statement(client: Client) -> None:
    response = client.post(URL, example(identity_policy_2=DENY_GET))

    result = result_of(response)
    assert "✖ Explicitly denied" in result
    assert 'Decided by: Statement[0] ("NoReports") of Identity policy 2' in result
    assert "with an explicit deny in an identity-based policy" in result
    assert (
        '<mark class="stmt stmt--decided" id="trace-identity-policy-2-0" tabindex="-1">'
        in response.text
    )
    # The Allow in the first policy matched too, but did not decide.
    assert (
        '<mark class="stmt stmt--allows" id="trace-identity-policy-1-0" tabindex="-1">'
        in response.text
    )
    assert 'href="#trace-identity-policy-2-0"' in response.text


def test_an_scp_level_that_does_not_allow_denies_implicitly(client: Client) -> None:
    ec2_only = '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}}'
    full_access = '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}'

    response = client.post(URL, example(scp_1=full_access, scp_2=ec2_only))

    result = result_of(response)
    assert "⊘ Implicitly denied" in result
    assert "no service control policy at level 2 allows s3:GetObject" in result
    assert "because no service control policy allows the s3:GetObject action" in result
    assert "SCP 1 at the organization root" in result
    assert "Matched: Allow" in result  # the root's FullAWSAccess statement is still shown
    assert "No statement in it matches this request." in result  # level 2
    assert "Action lists ec2:*, which does not cover s3:GetObject." in result


def test_anonymous_caller_is_allowed_by_a_public_bucket_policy(client: Client) -> None:
    response = client.post(URL, example(caller="anonymous", resource_policy=PUBLIC_READ))

    result = result_of(response)
    assert "✔ Allowed" in result
    assert 'Decided by: Statement[0] ("PublicRead") of Resource-based policy' in result
    assert "Identity-based policies do not apply" in result


def test_policies_that_do_not_apply_to_the_caller_are_said_to_be_unused(client: Client) -> None:
    full_access = '{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}'

    response = client.post(
        URL, example(caller="anonymous", resource_policy=PUBLIC_READ, scp_1=full_access)
    )

    result = result_of(response)
    assert "Service control policies do not apply" in result
    assert result.count("Not used: this kind of policy does not apply to this caller.") == 2


def test_anonymous_caller_without_a_public_policy_is_denied_in_awss_words(client: Client) -> None:
    response = client.post(URL, example(caller="anonymous"))

    result = result_of(response)
    assert "⊘ Implicitly denied" in result
    assert "User: anonymous is not authorized to perform: s3:GetObject" in result


def test_multivalued_context_keys_reach_the_conditions(client: Client) -> None:
    tagged = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "*",
                    "Condition": {"ForAnyValue:StringEquals": {"aws:PrincipalTag/team": "b"}},
                }
            ],
        }
    )

    allowed = client.post(
        URL, example(identity_policy_1=tagged, context_keys="aws:PrincipalTag/team = [a, b]")
    )
    denied = client.post(
        URL, example(identity_policy_1=tagged, context_keys="aws:PrincipalTag/team = [a, c]")
    )

    assert "✔ Allowed" in result_of(allowed)
    assert "⊘ Implicitly denied" in result_of(denied)


def test_a_session_policy_for_an_iam_user_is_said_not_to_apply(client: Client) -> None:
    response = client.post(
        URL, example(caller="arn:aws:iam::111122223333:user/alice", session_policy=PUT_ONLY)
    )

    result = result_of(response)
    assert "✔ Allowed" in result
    assert "The session policy does not apply" in result


def test_an_action_aws_does_not_have_gets_a_suggestion(client: Client) -> None:
    response = client.post(URL, example(iam_action="s3:GetObjct"))

    assert "AWS has no action s3:GetObjct; did you mean s3:GetObject?" in result_of(response)


# --- Bad input: a clear message, never a 500 ----------------------------------------------------


def test_invalid_json_says_where_with_line_and_column(client: Client) -> None:
    broken = '{\n  "Version": "2012-10-17",\n  "Statement": [,]\n}'

    response = client.post(URL, example(identity_policy_1=broken))

    assert response.status_code == 200
    result = result_of(response)
    assert "Not evaluated yet" in result
    assert "Identity policy 1: Line 3, column 17: This is not valid JSON" in result
    assert 'href="#id_identity_policy_1"' in response.text
    findings = text_of(HttpResponse(response.text.split('id="findings-identity-policy-1"')[1]))
    assert "Cannot be evaluated line 3, column 17" in findings
    assert 'aria-invalid="true"' in response.text


def test_wrong_type_for_effect_is_explained_in_words(client: Client) -> None:
    policy = (
        '{"Version": "2012-10-17", "Statement": [{"Effect": 5, "Action": "s3:*", "Resource": "*"}]}'
    )

    response = client.post(URL, example(identity_policy_1=policy))

    assert response.status_code == 200
    assert (
        "Line 1, column 52: Statement[0].Effect: Effect must be Allow or Deny, not 5."
        in result_of(response)
    )


def test_a_megabyte_policy_gets_a_clear_message(client: Client) -> None:
    response = client.post(URL, example(identity_policy_1="a" * 1_048_576))

    assert response.status_code == 200
    assert (
        "This policy is 1,048,576 characters long; a policy here may have at most 1,000,000."
        in result_of(response)
    )


def test_deeply_nested_brackets_get_a_clear_message(client: Client) -> None:
    response = client.post(URL, example(resource_policy="[" * 100_000))

    assert response.status_code == 200
    assert "The JSON is nested too deeply (more than 64 levels" in result_of(response)


def test_a_form_too_big_to_read_gets_a_clear_page(client: Client) -> None:
    huge = "x" * MAX_POLICY_CHARS
    data = example(identity_policy_1=huge, identity_policy_2=huge, identity_policy_3=huge)

    response = client.post(URL, data)

    assert response.status_code == 413
    assert "The form was larger than the 2.5 MB this page accepts" in result_of(response)
    assert "Back button" in result_of(response)


def test_a_form_too_big_to_read_gets_a_result_fragment_with_htmx(client: Client) -> None:
    huge = "x" * MAX_POLICY_CHARS
    data = example(identity_policy_1=huge, identity_policy_2=huge, identity_policy_3=huge)

    response = client.post(URL, data, headers={**HTMX, "HX-Target": "result"})

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="result"')
    assert "The form was larger than the 2.5 MB" in text_of(response)


def test_an_as_you_type_check_too_big_to_read_answers_in_its_findings_box(
    client: Client,
) -> None:
    huge = "x" * MAX_POLICY_CHARS
    data = example(identity_policy_1=huge, identity_policy_2=huge, identity_policy_3=huge)

    response = client.post(URL, data, headers={**HTMX, "HX-Target": "findings-identity-policy-2"})

    assert response.status_code == 200
    assert response.text.lstrip().startswith(
        '<div id="findings-identity-policy-2" class="findings">'
    )
    assert "This text is over the 2.5 MB the page accepts" in text_of(response)


def test_a_bad_caller_is_explained(client: Client) -> None:
    response = client.post(URL, example(caller="bob"))

    result = result_of(response)
    assert "Caller: 'bob' is not a principal" in result
    assert "arn:aws:iam::111122223333:user/alice" in result


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("iam_action", "s3:*", "'s3:*' is not an action"),
        ("resource", "reports-bucket", "'reports-bucket' is not an ARN"),
        ("resource_account", "1234", "An AWS account ID is 12 digits"),
        ("context_keys", "aws:SourceIp 203.0.113.5", "Line 1: write one key = value per line"),
    ],
    ids=["wildcard-action", "bucket-name-not-arn", "short-account", "context-without-equals"],
)
def test_bad_request_fields_are_explained(
    client: Client, field: str, value: str, message: str
) -> None:
    response = client.post(URL, {**example(), field: value})

    assert response.status_code == 200
    assert message in result_of(response)


# --- htmx ---------------------------------------------------------------------------------------


def test_htmx_evaluate_returns_the_result_and_out_of_band_regions(client: Client) -> None:
    response = client.post(URL, example(identity_policy_1=PUT_ONLY), headers=HTMX)

    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<div id="result"')
    assert "⊘ Implicitly denied" in text_of(response)
    assert (
        '<fieldset id="request-fields" class="request-fields" hx-swap-oob="true">' in response.text
    )
    assert (
        '<div id="findings-identity-policy-1" class="findings" hx-swap-oob="true">' in response.text
    )
    assert (
        '<p id="result-status" hx-swap-oob="innerHTML">Decision: Implicitly denied.</p>'
        in response.text
    )
    assert "HX-Request" in response["Vary"]


def test_validate_returns_only_that_policys_findings(client: Client) -> None:
    policy = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObjct", "Resource": "*"}]}'

    response = client.post(
        URL,
        {"action": "validate", "field": "identity_policy_1", "identity_policy_1": policy},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith(
        '<div id="findings-identity-policy-1" class="findings">'
    )
    assert 'id="result"' not in response.text
    findings = text_of(response)
    column = policy.index('"s3:GetObjct"') + 1
    assert f"✖ Error line 1, column {column} · Statement[0].Action" in findings
    assert "The action s3:GetObjct does not exist. Did you mean s3:GetObject?" in findings


def test_validate_of_a_policy_that_cannot_be_read_says_where(client: Client) -> None:
    response = client.post(
        URL,
        {"action": "validate", "field": "scp_2", "scp_2": '{"Statement": [}'},
        headers=HTMX,
    )

    assert response.text.lstrip().startswith('<div id="findings-scp-2" class="findings">')
    assert "Cannot be evaluated line 1, column 16" in text_of(response)


def test_validate_of_an_empty_policy_says_it_is_left_out(client: Client) -> None:
    response = client.post(
        URL, {"action": "validate", "field": "session_policy", "session_policy": "  "}, headers=HTMX
    )

    assert "Empty: left out of the evaluation." in text_of(response)


def test_validate_of_an_unknown_field_is_refused(client: Client) -> None:
    response = client.post(URL, {"action": "validate", "field": "caller"}, headers=HTMX)

    assert response.status_code == 400


def test_an_unknown_action_is_refused(client: Client) -> None:
    assert client.post(URL, example(action="delete-everything")).status_code == 400


def test_findings_show_beside_each_policy_after_a_full_page_post(client: Client) -> None:
    policy = '{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}'

    response = client.post(URL, example(identity_policy_1=policy))

    findings = response.text.split('id="findings-identity-policy-1"')[1].split("</div>")[0]
    assert "Version" in html.unescape(findings)  # Access Analyzer's MISSING_VERSION advice
    assert "✔ Allowed" in result_of(response)


# --- Adding policies ----------------------------------------------------------------------------


def test_add_identity_policy_without_javascript_keeps_what_was_typed(client: Client) -> None:
    response = client.post(URL, example(identity_policy_1=PUT_ONLY, action="add-identity-policy"))

    assert response.status_code == 200
    assert "<html" in response.text
    assert response.text.count('name="identity_policy_') == 2
    first = response.text.split('name="identity_policy_1"')[1].split("</textarea>")[0]
    assert html.unescape(first).endswith(PUT_ONLY)
    second = response.text.split('name="identity_policy_2"')[1].split(">")[0]
    assert "autofocus" in second
    assert "⊘ Implicitly denied" in result_of(response)


def test_add_identity_policy_with_htmx_swaps_in_the_whole_simulator(client: Client) -> None:
    response = client.post(URL, example(action="add-identity-policy"), headers=HTMX)

    assert response["HX-Retarget"] == "#simulator"
    assert response["HX-Reswap"] == "outerHTML"
    assert response.text.lstrip().startswith('<div id="simulator" class="simulator">')
    assert response.text.count('name="identity_policy_') == 2


def test_add_scp_level_adds_the_next_level(client: Client) -> None:
    response = client.post(URL, example(scp_1="", action="add-scp-level"))

    assert response.text.count('name="scp_') == 2
    assert "SCP 2" in text_of(response)


def test_the_number_of_identity_policies_is_capped(client: Client) -> None:
    data = example(
        **{f"identity_policy_{n}": "" for n in range(1, 11)}, action="add-identity-policy"
    )

    response = client.post(URL, data)

    assert response.text.count('name="identity_policy_') == 10
    assert "Add another identity policy" not in response.text


# --- The plumbing: lessons/simulate.py ----------------------------------------------------------


def test_context_lines_become_single_and_multivalued_keys() -> None:
    context = parse_context(
        "# a comment\naws:SourceIp = 203.0.113.5\n\naws:PrincipalTag/team = [a, b]\naws:TagKeys = []\n"
    )

    assert context == {
        "aws:SourceIp": "203.0.113.5",
        "aws:PrincipalTag/team": ["a", "b"],
        "aws:TagKeys": [],
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("aws:SourceIp = 1.2.3.4\nnot a line", "Line 2: write one key = value per line"),
        ("SourceIp = 1.2.3.4", "Line 1: 'SourceIp' is not a condition key"),
        ("aws:SourceIp = 1\naws:sourceip = 2", "Line 2: aws:sourceip is already given on line 1"),
        ("aws:TagKeys = [a, b", "Line 1: a list of values must end with ]"),
    ],
    ids=["no-equals", "no-prefix", "repeated-key", "unclosed-list"],
)
def test_a_bad_context_line_is_named(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_context(text)


def test_grammar_errors_are_located_in_the_text() -> None:
    policy = (
        '{\n  "Statement": {\n    "Effect": "Allow",\n    "Action": ["s3:GetObject", 7]\n  }\n}'
    )

    with pytest.raises(ValueError, match=re.escape("Line 4, column 32: Statement.Action[1]")):
        parse_policy_text(policy, name="p", kind=PolicyKind.IDENTITY)


def test_locate_follows_keys_with_dots_and_colons() -> None:
    value: dict[str, Any] = {
        "Statement": [{"Condition": {"StringEquals": {"aws:PrincipalTag/a.b": ["x", 1]}}}]
    }

    path = locate(value, "Statement[0].Condition.StringEquals.aws:PrincipalTag/a.b[1]")

    assert path == ("Statement", 0, "Condition", "StringEquals", "aws:PrincipalTag/a.b", 1)
    assert locate(value, "Statement[3].Effect") == ("Statement",)


def test_a_decision_traces_back_to_the_lines_of_the_policy() -> None:
    parsed = parse_policy_text(
        WORKED_EXAMPLE["identity_policy_1"], name="Identity policy 1", kind=PolicyKind.IDENTITY
    )

    simulation = run_simulation(
        caller=CALLER,
        action="s3:GetObject",
        resource="arn:aws:s3:::reports-bucket/reports/q1.csv",
        resource_account="111122223333",
        context={},
        policies=[(identity_slot(1), parsed)],
    )

    (trace,) = simulation.traces
    marked = [block for block in trace.blocks if block.mark is not None]
    assert [(block.lines[0][0], block.lines[-1][0]) for block in marked] == [(4, 9)]
    assert trace.decided


def test_half_a_surrogate_pair_in_a_policy_gets_a_message_not_a_500(client: Client) -> None:
    lone = PUT_ONLY.replace('"Effect"', '"Sid": "\\ud800",\n        "Effect"')

    response = client.post(URL, example(identity_policy_1=lone))
    checked = client.post(
        URL,
        example(identity_policy_1=lone) | {"action": "validate", "field": "identity_policy_1"},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "half of a UTF-16 surrogate pair" in result_of(response)
    assert checked.status_code == 200
    assert "half of a UTF-16 surrogate pair" in text_of(checked)


def test_a_whole_surrogate_pair_is_the_character_it_names(client: Client) -> None:
    emoji = PUT_ONLY.replace('"Effect"', '"Sid": "\\ud83d\\ude80",\n        "Effect"')

    response = client.post(URL, example(identity_policy_1=emoji))

    assert response.status_code == 200
    assert "surrogate" not in result_of(response)


def test_a_policy_built_to_make_wildcards_backtrack_is_decided_at_once(client: Client) -> None:
    """`*a` fourteen times against forty a's held a worker past gunicorn's 30 s timeout when
    wildcards were regular expressions; now it is one more linear match."""
    resource = "arn:aws:s3:::b/" + "*a" * 14 + "*b"
    nasty = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": resource,
                    "Condition": {"StringLike": {"aws:username": "*a" * 20 + "*b"}},
                }
            ],
        }  # fmt: skip
    )

    response = client.post(
        URL,
        example(
            identity_policy_1=nasty,
            resource="arn:aws:s3:::b/" + "a" * 40,
            context_keys="aws:username = " + "a" * 40,
        ),
    )

    assert response.status_code == 200
    result = result_of(response)
    assert "Implicitly denied" in result
    assert "StringLike does not hold" in result
