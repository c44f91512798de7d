"""How each service words a denial: the error code, HTTP status and AWS's message text."""

from simulator.iam import Response, evaluate
from simulator.iam.denials import denied_error
from tests.factories import ACCOUNT, OBJECT, ROLE, SESSION, USER, policy, request, statement


def test_put_only_policy_denies_get_with_aws_s3_message():
    put_only = policy(statement(action="s3:PutObject", resource="arn:aws:s3:::reports-bucket/*"))
    decision = evaluate(request(principal=SESSION), identity_policies=[put_only])
    error = denied_error(decision)
    assert decision.response is Response.IMPLICITLY_DENIED
    assert error is not None
    assert (error.code, error.status) == ("AccessDenied", 403)
    assert error.message == (
        f"User: {SESSION} is not authorized to perform: s3:GetObject on resource: "
        f'"{OBJECT}" because no identity-based policy allows the s3:GetObject action'
    )


def test_s3_tells_a_caller_of_another_account_only_access_denied():
    """S3 explains a denial to its own account (or organization) only: the world's calls and
    the policy simulator's page share this one wording (iam-facts §2)."""
    stranger = "arn:aws:sts::444455556666:assumed-role/Reader/s"

    error = denied_error(evaluate(request(principal=stranger)))

    assert (error.code, error.status, error.message) == ("AccessDenied", 403, "Access Denied")


def test_iam_denial_names_the_role_not_its_arn():
    decision = evaluate(request(action="iam:GetRole", resource=ROLE))
    assert denied_error(decision).message == (
        f"User: {USER} is not authorized to perform: iam:GetRole on resource: role AppRole "
        "because no identity-based policy allows the iam:GetRole action"
    )


def test_ec2_denial_is_unauthorized_operation():
    resource = f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/*"
    error = denied_error(
        evaluate(request(action="ec2:RunInstances", resource=resource)), encoded_message="blob"
    )
    assert (error.code, error.status) == ("UnauthorizedOperation", 403)
    assert error.message.startswith("You are not authorized to perform this operation. User: ")
    assert error.message.endswith("Encoded authorization failure message: blob")


def test_ssm_denial_is_access_denied_exception_with_400():
    resource = f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/app"
    error = denied_error(evaluate(request(action="ssm:GetParameter", resource=resource)))
    assert (error.code, error.status) == ("AccessDeniedException", 400)
