"""Reading policies: AWS's grammar, errors that name the place, and a lossless round trip."""

import json

import pytest

from simulator.iam import Policy, PolicyGrammarError, parse_policy
from tests.factories import document, statement


def _error(doc) -> PolicyGrammarError:
    with pytest.raises(PolicyGrammarError) as caught:
        parse_policy(doc)
    return caught.value


def test_statement_may_be_a_single_object():
    parsed = parse_policy({"Version": "2012-10-17", "Statement": statement()})
    assert len(parsed.statements) == 1
    assert not parsed.statement_is_list


def test_bad_effect_names_its_path():
    error = _error(document(statement(), statement(effect="allow")))
    assert error.path == "Statement[1].Effect"
    assert "Allow or Deny" in error.message


def test_effect_of_wrong_type_is_explained():
    error = _error(document(statement(effect=5)))
    assert error.path == "Statement[0].Effect"
    assert "5" in error.message


def test_action_and_not_action_together_are_refused():
    error = _error(document(statement(NotAction="s3:PutObject")))
    assert error.path == "Statement[0].NotAction"
    assert "not both" in error.message


def test_missing_action_is_refused():
    raw = statement()
    del raw["Action"]
    assert _error(document(raw)).path == "Statement[0].Action"


def test_action_list_with_a_number_names_the_item():
    error = _error(document(statement(action=["s3:GetObject", 7])))
    assert error.path == "Statement[0].Action[1]"


def test_unknown_statement_element_is_refused():
    error = _error(document(statement(Actions="s3:GetObject")))
    assert error.path == "Statement[0].Actions"


def test_unknown_condition_operator_is_refused():
    error = _error(document(statement(Condition={"StringEqualz": {"aws:username": "a"}})))
    assert error.path == "Statement[0].Condition.StringEqualz"


def test_null_with_if_exists_is_refused():
    error = _error(document(statement(Condition={"NullIfExists": {"aws:TokenIssueTime": "true"}})))
    assert "not a condition operator" in error.message


def test_invalid_version_is_refused():
    assert _error({"Version": "2020-01-01", "Statement": [statement()]}).path == "Version"


def test_policy_must_be_an_object():
    assert "JSON object" in _error([statement()]).message


def test_json_syntax_error_reports_line_and_column():
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow",}\n  ]\n}'
    with pytest.raises(PolicyGrammarError) as caught:
        Policy.from_json(text)
    assert "line 4" in caught.value.message
    assert "column" in caught.value.message


def test_deeply_nested_json_gets_a_clear_error():
    with pytest.raises(PolicyGrammarError) as caught:
        Policy.from_json("[" * 100_000 + "]" * 100_000)
    assert "nested too deeply" in caught.value.message or "JSON object" in caught.value.message


def test_a_megabyte_of_text_is_refused_quickly_and_clearly():
    with pytest.raises(PolicyGrammarError) as caught:
        Policy.from_json("x" * 1_000_000)
    assert "not valid JSON" in caught.value.message


def test_to_dict_gives_back_the_document():
    raw = {
        "Version": "2012-10-17",
        "Id": "example",
        "Statement": {
            "Sid": "One",
            "Effect": "Deny",
            "NotAction": ["iam:*", "sts:*"],
            "NotResource": "arn:aws:s3:::b/*",
            "Condition": {
                "Bool": {"aws:SecureTransport": False},
                "NumericLessThan": {"s3:max-keys": 10},
            },
        },
    }
    assert parse_policy(json.loads(json.dumps(raw))).to_dict() == raw


def test_principal_as_a_bare_string_reads_as_aws():
    parsed = parse_policy(document(statement(Principal="arn:aws:iam::111122223333:root")))
    assert parsed.statements[0].principal is not None
