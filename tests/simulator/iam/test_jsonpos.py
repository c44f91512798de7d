"""The position-keeping JSON reader: same values as json.loads, plus where each one sits."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.iam.jsonpos import (
    MAX_DEPTH,
    JsonSyntaxError,
    Span,
    parse_document,
    parse_with_positions,
    path_to_str,
)
from tests.simulator.iam.strategies import json_values

POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:PutObject"],
      "Resource": "arn:aws:s3:::reports/*"
    }
  ]
}"""


def error_for(text: str) -> JsonSyntaxError:
    with pytest.raises(JsonSyntaxError) as caught:
        parse_with_positions(text)
    return caught.value


@pytest.mark.parametrize(
    "text",
    [
        POLICY,
        "[]",
        "{}",
        '"just a string"',
        "-12.5e3",
        "true",
        '{"a": [1, {"b": null}], "c": "\\u00e9\\n\\"q\\""}',
        '  {"nested": [[[]]]}  \n',
    ],
    ids=[
        "policy",
        "empty-list",
        "empty-object",
        "string",
        "number",
        "literal",
        "escapes",
        "spaces",
    ],
)
def test_values_are_the_same_as_json_loads(text: str) -> None:
    value, _ = parse_with_positions(text)

    assert value == json.loads(text)


def test_spans_point_at_values_with_one_based_lines_and_columns() -> None:
    _, spans = parse_with_positions(POLICY)

    effect = spans[("Statement", 0, "Effect")]

    assert (effect.line, effect.column, effect.end_line, effect.end_column) == (5, 17, 5, 24)
    assert POLICY[effect.offset : effect.end_offset] == '"Allow"'


def test_a_member_span_carries_its_key_span() -> None:
    _, spans = parse_with_positions(POLICY)

    key = spans[("Statement", 0, "Resource")].key

    assert key is not None
    assert (key.line, key.column) == (7, 7)
    assert POLICY[key.offset : key.end_offset] == '"Resource"'


def test_list_items_and_containers_have_spans() -> None:
    _, spans = parse_with_positions(POLICY)

    second = spans[("Statement", 0, "Action", 1)]
    statement = spans[("Statement", 0)]

    assert POLICY[second.offset : second.end_offset] == '"s3:PutObject"'
    assert (statement.line, statement.end_line) == (4, 8)
    assert spans[()].offset == 0
    assert spans[()].end_offset == len(POLICY)


def test_spans_behave_as_a_read_only_mapping() -> None:
    _, spans = parse_with_positions('{"a": [1, 2], "b": {"c": true}}')

    assert set(spans) == {(), ("a",), ("a", 0), ("a", 1), ("b",), ("b", "c")}
    assert len(spans) == 6
    assert ("a", 1) in spans
    assert ("a", 2) not in spans
    assert ("nope",) not in spans
    assert ("a", "x") not in spans
    with pytest.raises(KeyError):
        spans[("b", "missing")]


def test_a_byte_order_mark_at_the_start_is_ignored() -> None:
    value, spans = parse_with_positions('\ufeff{"a": 1}')

    assert value == {"a": 1}
    assert spans[("a",)].column == 8


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("Statement", 1, "Effect"), "Statement[1].Effect"),
        (("Statement", "Action", 0), "Statement.Action[0]"),
        (("Statement", 0, "Condition", "StringEquals", "aws:SourceIp"),
         "Statement[0].Condition.StringEquals.aws:SourceIp"),
        (("weird key",), '["weird key"]'),
        ((), ""),
    ],
)  # fmt: skip
def test_paths_are_written_as_access_analyzer_writes_them(path: tuple, expected: str) -> None:
    assert path_to_str(path) == expected


def test_json_syntax_error_reports_line_and_column() -> None:
    text = '{\n  "Version": "2012-10-17"\n  "Statement": []\n}'

    error = error_for(text)

    assert (error.line, error.column) == (3, 3)
    assert error.message.startswith("Expected ',' or '}' after a value")


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ('{"Action": ["s3:GetObject",]}', "Trailing comma before ]", 28),
        ('{"Effect": "Allow",}', "Trailing comma before }", 20),
        ('{"a": [1, 2 3]}', "Expected ',' or ']' after a value in a list", 13),
        ("{'Effect': 'Allow'}", "Keys need double quotes", 2),
        ("{\"Effect\": 'Allow'}", "Strings need double quotes", 12),
        ('{"Effect" "Allow"}', "Expected ':' after the key \"Effect\"", 11),
        ('{"a": True}', "Write true in lower case", 7),
        ('{"a": tru}', "did you mean true?", 7),
        ('{"a": Allow}', "text values need double quotes", 7),
        ('{"a": 01}', "leading zeros", 7),
        ('{"a": 1.2.3}', "unexpected '.' in a number", 10),
        ('{"a": NaN}', "NaN is not a JSON value", 7),
        ('{"a": "x\\q"}', "Invalid escape", 9),
        ('{"a": "line\nbreak"}', "cannot run over the end of a line", 7),
        ('{"a": 1}}', "Unexpected text after the end of the JSON value", 9),
        ('{"a": 1} {"b": 2}', "only one top-level value is allowed", 10),
        ("// note\n{}", "JSON does not allow comments", 1),
        ('{"a": [1}', "a [ was closed with }", 9),
    ],
    ids=lambda item: item if isinstance(item, str) and len(item) < 30 else None,
)
def test_syntax_errors_are_explained_in_plain_words(text: str, message: str, column: int) -> None:
    error = error_for(text)

    assert message in error.message
    assert error.column == column


def test_unexpected_end_names_the_bracket_that_is_never_closed() -> None:
    error = error_for('{\n  "Statement": [\n    {"Effect": "Allow"}\n')

    assert error.message.startswith("Unexpected end of text")
    assert "the [ on line 2, column 16 is never closed" in error.message


@pytest.mark.parametrize("text", ["", "   \n\t  "], ids=["empty", "whitespace"])
def test_empty_text_is_explained(text: str) -> None:
    assert "The text is empty" in error_for(text).message


def test_deeply_nested_input_gets_a_clear_error() -> None:
    error = error_for("[" * 10_000)

    assert "nested too deeply" in error.message
    assert (error.line, error.column) == (1, MAX_DEPTH + 1)


def test_valid_json_nested_past_the_limit_is_refused_where_it_gets_too_deep() -> None:
    text = '{"a": ' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}"

    error = error_for(text)

    assert "nested too deeply" in error.message
    assert error.column == 7 + MAX_DEPTH - 1


def test_nesting_up_to_the_limit_is_accepted() -> None:
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH

    value, spans = parse_with_positions(text)

    assert spans[(0,) * (MAX_DEPTH - 1)].column == MAX_DEPTH
    assert value == json.loads(text)


def test_duplicate_keys_are_reported_and_the_last_one_counts() -> None:
    text = '{"Statement": {"Action": "s3:GetObject",\n "Action": "s3:PutObject"}}'

    parsed = parse_document(text)

    assert parsed.value == {"Statement": {"Action": "s3:PutObject"}}
    [duplicate] = parsed.duplicate_keys
    assert duplicate.path == ("Statement", "Action")
    assert (duplicate.first.line, duplicate.first.column) == (1, 16)
    assert (duplicate.repeated.line, duplicate.repeated.column) == (2, 2)
    assert parsed.spans[("Statement", "Action")].line == 2


def test_documents_without_repeated_keys_report_none() -> None:
    assert parse_document(POLICY).duplicate_keys == ()


@pytest.mark.parametrize(
    "text",
    [
        "[" + ",".join(["1"] * 500_000) + "]",
        "[" + ",".join(['"arn:aws:s3:::b/k"'] * 50_000) + "]",
        json.dumps({"Statement": [json.loads(POLICY)["Statement"][0]] * 6_000}, indent=2),
        json.dumps("x" * 1_000_000),
    ],
    ids=["numbers", "strings", "statements", "one-string"],
)
def test_a_megabyte_of_json_is_read(text: str) -> None:
    value, spans = parse_with_positions(text)

    assert value == json.loads(text)
    assert spans[()].end_offset == len(text)


def test_a_megabyte_with_an_error_at_the_end_is_explained() -> None:
    text = "[" + ",".join(["1"] * 500_000) + ",]"

    error = error_for(text)

    assert "Trailing comma before ]" in error.message
    assert error.column == len(text)


@settings(max_examples=300, deadline=None)
@given(json_values, st.booleans())
def test_every_span_slices_back_to_its_value(value: object, indent: bool) -> None:
    text = json.dumps(value, indent=2 if indent else None)

    parsed, spans = parse_with_positions(text)

    assert parsed == json.loads(text)
    for path in spans:
        span: Span = spans[path]
        expected = parsed
        for part in path:
            expected = expected[part]  # type: ignore[index]
        assert json.loads(text[span.offset : span.end_offset]) == expected


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("{}[]\",:0123456789-.eEtrufalsn \n\\/ab'x")), max_size=40)
)
def test_accepts_exactly_what_json_loads_accepts(text: str) -> None:
    try:
        expected = json.loads(text)
    except (ValueError, RecursionError):
        error = error_for(text)
        assert error.line >= 1
        assert error.column >= 1
        assert error.offset <= len(text)
    else:
        assert parse_with_positions(text)[0] == expected
