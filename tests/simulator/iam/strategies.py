"""Hypothesis strategies for the engine's tests: any JSON value, policy documents, requests."""

from hypothesis import strategies as st

from tests.factories import request

ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "iam:PassRole", "ec2:RunInstances"]
PATTERNS = [*ACTIONS, "s3:*", "s3:Get*", "*", "s3:?etObject", "iam:*"]
RESOURCES = ["arn:aws:s3:::b/k", "arn:aws:s3:::b", "arn:aws:iam::111122223333:role/R", "*"]
RESOURCE_PATTERNS = [*RESOURCES, "arn:aws:s3:::b/*", "arn:aws:s3:::*", "arn:aws:iam::*:role/*"]

conditions = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {"StringEquals": st.fixed_dictionaries({"aws:username": st.sampled_from(["alice", "bob"])})}
    ),
    st.fixed_dictionaries({"Bool": st.fixed_dictionaries({"aws:SecureTransport": st.booleans()})}),
)


@st.composite
def statements(draw, effect=None):
    found = {
        "Effect": effect or draw(st.sampled_from(["Allow", "Deny"])),
        draw(st.sampled_from(["Action", "NotAction"])): draw(
            st.one_of(
                st.sampled_from(PATTERNS),
                st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=3),
            )
        ),
        draw(st.sampled_from(["Resource", "NotResource"])): draw(
            st.sampled_from(RESOURCE_PATTERNS)
        ),
    }
    condition = draw(conditions)
    if condition:
        found["Condition"] = condition
    return found


documents = st.builds(
    lambda body, as_list: {"Version": "2012-10-17", "Statement": body if as_list else body[0]},
    st.lists(statements(), min_size=1, max_size=4),
    st.booleans(),
)
requests = st.builds(
    lambda action, resource, secure: request(
        action=action, resource=resource, context={"aws:SecureTransport": secure}
    ),
    st.sampled_from(ACTIONS),
    st.sampled_from(RESOURCES),
    st.sampled_from(["true", "false"]),
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=30,
)
