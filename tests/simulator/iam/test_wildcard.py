"""Wildcards without backtracking: the same answers as the regular expressions they replace,
in time bounded by the text's length times the pattern's (issue 9)."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.iam import evaluate, parse_policy
from simulator.iam.wildcard import action_glob, arn_glob, glob, glob_from_chunks
from tests.factories import request

# --- The regular expressions the engine used before, kept as the reference ------------------


def regex_glob(chunks, *, ignore_case=False):
    body = "".join(
        ((".*" if c == "*" else "." if c == "?" else re.escape(c)) if active else re.escape(c))
        for text, active in chunks
        for c in text
    )
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def regex_action(pattern):
    body = "".join("[^:]*" if c == "*" else "[^:]" if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body)


def regex_arn(chunks):
    text = "".join(chunk for chunk, _ in chunks)
    segments_total = text.count(":") + 1
    out = []
    colons = position = 0
    for chunk, active in chunks:
        for char in chunk:
            if char == ":":
                colons += 1
                out.append(":")
            elif active and char == "*":
                reaches = colons >= 5 or (segments_total < 6 and position == len(text) - 1)
                out.append(".*" if reaches else "[^:]*")
            elif active and char == "?":
                out.append("." if colons >= 5 else "[^:]")
            else:
                out.append(re.escape(char))
            position += 1
    return re.compile("".join(out), re.DOTALL)


# --- Generated patterns over small alphabets ----------------------------------------------------
# Half the texts are drawn freely, half by filling in the pattern's wildcards (then perhaps
# changing one character), so that both answers come up often.


@st.composite
def with_text(draw, chunks, alphabet):
    chunks = draw(chunks)
    if draw(st.booleans()):
        return chunks, draw(st.text(alphabet=alphabet, max_size=12))
    filled = "".join(
        draw(st.text(alphabet=alphabet, max_size=3))
        if active and char == "*"
        else draw(st.sampled_from(alphabet))
        if active and char == "?"
        else char
        for text, active in chunks
        for char in text
    )
    if filled and draw(st.booleans()):
        index = draw(st.integers(0, len(filled) - 1))
        filled = filled[:index] + draw(st.sampled_from(alphabet)) + filled[index + 1 :]
    return chunks, filled


def active(patterns):
    return patterns.map(lambda pattern: ((pattern, True),))


patterns = st.text(alphabet="ab:/*?", max_size=10)
chunk_lists = st.lists(st.tuples(patterns, st.booleans()), min_size=1, max_size=4).map(tuple)
arn_chunk_lists = st.lists(
    st.tuples(
        st.lists(st.text(alphabet="ab/*?", max_size=3), min_size=1, max_size=8).map(":".join),
        st.booleans(),
    ),
    min_size=1,
    max_size=3,
).map(tuple)


@settings(max_examples=1000, deadline=None)
@given(with_text(active(patterns), "ab:/\n"))
def test_glob_matches_as_the_regex_did(case):
    chunks, text = case
    expected = regex_glob(chunks).fullmatch(text) is not None
    assert glob(chunks[0][0]).matches(text) == expected


@settings(max_examples=1000, deadline=None)
@given(with_text(chunk_lists, "ab:/\n"))
def test_glob_keeps_variable_text_literal_as_the_regex_did(case):
    chunks, text = case
    expected = regex_glob(chunks).fullmatch(text) is not None
    assert glob_from_chunks(chunks).matches(text) == expected


@settings(max_examples=1000, deadline=None)
@given(with_text(active(st.text(alphabet="aAbBſK1-*?", max_size=8)), "aAbBsSkK1-"))
def test_glob_ignores_case_as_re_ignorecase_does(case):
    chunks, text = case
    expected = regex_glob(chunks, ignore_case=True).fullmatch(text) is not None
    assert glob(chunks[0][0], ignore_case=True).matches(text) == expected


@settings(max_examples=1000, deadline=None)
@given(with_text(active(st.text(alphabet="ab:*?", max_size=10)), "ab:"))
def test_action_wildcards_stop_at_colons_as_the_regex_did(case):
    chunks, action = case
    pattern = chunks[0][0]
    expected = regex_action(pattern).fullmatch(action) is not None
    assert action_glob(pattern).matches(action) == expected


@settings(max_examples=2000, deadline=None)
@given(with_text(arn_chunk_lists, "ab/:"))
def test_arn_wildcards_follow_segments_as_the_regex_did(case):
    chunks, arn = case
    expected = regex_arn(chunks).fullmatch(arn) is not None
    assert arn_glob(chunks).matches(arn) == expected


def test_arn_wildcard_stays_in_its_segment_before_the_resource():
    assert not arn_glob((("arn:aws:s3:*:::b", True),)).matches("arn:aws:s3:x:y:::b")
    assert arn_glob((("arn:aws:s3:::b/*", True),)).matches("arn:aws:s3:::b/c:d:e")


def test_arn_pattern_with_fewer_segments_ending_in_a_star_reaches_across_the_rest():
    assert arn_glob((("arn:aws:s*", True),)).matches("arn:aws:s3:::b/k")
    assert not arn_glob((("arn:aws:s?", True),)).matches("arn:aws:s3:::b/k")


def test_star_from_a_variable_is_literal():
    chunks = (("arn:aws:s3:::b/", True), ("*", False))
    assert arn_glob(chunks).matches("arn:aws:s3:::b/*")
    assert not arn_glob(chunks).matches("arn:aws:s3:::b/k")


# --- The patterns of issue 9, which took seconds to minutes as regular expressions ------------


def test_resource_with_fifteen_wildcards_against_forty_characters_finishes():
    pattern = "arn:aws:s3:::b/" + "*a" * 14 + "*b"
    assert not arn_glob(((pattern, True),)).matches("arn:aws:s3:::b/" + "a" * 40)
    assert arn_glob(((pattern, True),)).matches("arn:aws:s3:::b/" + "a" * 40 + "b")


def test_string_like_with_twenty_wildcards_finishes():
    assert not glob("*a" * 19 + "*b").matches("a" * 60)
    assert glob("*a" * 19 + "*b").matches("a" * 60 + "b")


def test_action_with_many_stars_finishes():
    assert not action_glob("s3:" + "*g" * 20 + "*x").matches("s3:" + "g" * 60)


def test_policy_with_pathological_wildcards_is_evaluated_correctly():
    policy = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Allow",
                "Action": ["s3:" + "*t" * 20 + "*x", "s3:Get*"],
                "Resource": "arn:aws:s3:::b/" + "*a" * 14 + "*b",
                "Condition": {"StringLike": {"aws:username": "*a" * 11 + "*b"}},
            },
        }
    )

    def allowed(*, key, username):
        found = request(resource=f"arn:aws:s3:::b/{key}", context={"aws:username": username})
        return evaluate(found, identity_policies=[policy]).allowed

    assert allowed(key="a" * 40 + "b", username="a" * 40 + "b")
    assert not allowed(key="a" * 40, username="a" * 40 + "b")
    assert not allowed(key="a" * 40 + "b", username="a" * 40)
