"""Policy variables in Resource and condition values: found in time linear in the value."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.iam.matching import Variable, parse_variables, variable_spans


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="${}a", max_size=16))
def test_variables_are_found_where_the_regex_found_them(value):
    expected = [found.span() for found in re.finditer(r"\$\{[^}]*\}", value)]
    assert list(variable_spans(value)) == expected


def test_a_long_value_of_unclosed_variables_is_read_as_text():
    value = "${" * 50_000  # the regex took seconds: every `${` looked for a `}` to the end

    assert parse_variables(value) == (value,)


def test_a_variable_runs_to_the_first_closing_brace():
    assert parse_variables("a${b${c}d}") == ("a", Variable("b${c", None), "d}")
