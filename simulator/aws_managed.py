"""The catalogue of AWS managed policies the simulated account offers: real documents.

AWS managed policies (`arn:aws:iam::aws:policy/...`) belong to AWS, not to the account: every
world shares this one read-only catalogue, and a world's state records only which users, groups
and roles they are attached to. Each entry is the policy's *current default version* as AWS
publishes it, with the source it was copied from (`source`) and the version id and dates AWS
shows. `get(arn)` builds the `ManagedPolicy` lazily, once per process.

Not included: `ReadOnlyAccess`. Its document is over 70,000 characters and changes every few
weeks; a trimmed copy would teach the wrong thing, so it is left out rather than trimmed.

Policy ids (`ANPA...`) are AWS's where they are publicly known; for the three service-linked
role policies AWS's ids were not found, so `_derived_id` makes a stable one (marked below).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from simulator.model import ManagedPolicy, PolicyVersion

__all__ = [
    "ADMINISTRATOR_ACCESS",
    "AwsManagedEntry",
    "all_policies",
    "entries",
    "get",
    "is_service_role_policy",
]

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
"""Full access to everything: what the new account's `admin` user holds."""

SERVICE_ROLE_PATH = "/aws-service-role/"
"""The path of service-linked role policies: attachable only to their service-linked role."""


@dataclass(frozen=True, slots=True)
class AwsManagedEntry:
    """One AWS managed policy as the catalogue keeps it (plain data; parsed on demand)."""

    name: str
    policy_id: str
    path: str
    description: str
    version_id: str
    created: str  # ISO 8601, UTC: the policy's creation time
    updated: str  # ISO 8601, UTC: when its current default version was made
    document: dict[str, Any]
    source: str  # where the document, version and dates were read

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::aws:policy{self.path}{self.name}"


def _derived_id(name: str) -> str:
    """A stable ANPA id for a policy whose real id is not published (see module docstring)."""
    digest = hashlib.sha256(f"aws-managed:{name}".encode()).digest()
    return "ANPA" + base64.b32encode(digest).decode()[:17]


_REFERENCE = "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/{}.html"
_MAMIP = "https://github.com/zoph-io/MAMIP/blob/main/policies/{}"

_ENTRIES: tuple[AwsManagedEntry, ...] = (
    AwsManagedEntry(
        name="AdministratorAccess",
        policy_id="ANPAIWMBCKSKIEE64ZLYK",
        path="/",
        description="Provides full access to AWS services and resources.",
        version_id="v1",
        created="2015-02-06T18:39:46Z",
        updated="2015-02-06T18:39:46Z",
        document={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        },
        source=_REFERENCE.format("AdministratorAccess")
        + " ; "
        + _MAMIP.format("AdministratorAccess"),
    ),
    AwsManagedEntry(
        name="PowerUserAccess",
        policy_id="ANPAJYRXTHIB4FOVS3ZXS",
        path="/",
        description=(
            "Provides full access to AWS services and resources, but does not allow management "
            "of Users and groups."
        ),
        version_id="v12",
        created="2015-02-06T18:39:00Z",  # the reference gives the minute only
        updated="2026-02-12T17:59:14Z",
        document={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "NotAction": ["iam:*", "organizations:*", "account:*"],
                    "Resource": "*",
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "account:GetAccountInformation",
                        "account:GetGovCloudAccountInformation",
                        "account:GetPrimaryEmail",
                        "account:ListRegions",
                        "iam:CreateServiceLinkedRole",
                        "iam:DeleteServiceLinkedRole",
                        "iam:ListRoles",
                        "organizations:DescribeEffectivePolicy",
                        "organizations:DescribeOrganization",
                    ],
                    "Resource": "*",
                },
            ],
        },
        source=_REFERENCE.format("PowerUserAccess") + " ; " + _MAMIP.format("PowerUserAccess"),
    ),
    AwsManagedEntry(
        name="AmazonS3FullAccess",
        policy_id="ANPAIFIR6V6BVTRAHWINE",
        path="/",
        description="Provides full access to all buckets via the AWS Management Console.",
        version_id="v2",
        created="2015-02-06T18:40:00Z",  # minute only
        updated="2021-09-27T20:16:37Z",
        document={
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["s3:*", "s3-object-lambda:*"], "Resource": "*"}
            ],
        },
        source=_REFERENCE.format("AmazonS3FullAccess")
        + " ; "
        + _MAMIP.format("AmazonS3FullAccess"),
    ),
    AwsManagedEntry(
        name="AmazonS3ReadOnlyAccess",
        policy_id="ANPAIZTJ4DXE7G6AGAE6M",
        path="/",
        description="Provides read only access to all buckets via the AWS Management Console.",
        version_id="v3",
        created="2015-02-06T18:40:00Z",  # minute only
        updated="2023-08-10T21:31:39Z",
        document={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "s3:Get*",
                        "s3:List*",
                        "s3:Describe*",
                        "s3-object-lambda:Get*",
                        "s3-object-lambda:List*",
                    ],
                    "Resource": "*",
                }
            ],
        },
        source=_REFERENCE.format("AmazonS3ReadOnlyAccess")
        + " ; "
        + _MAMIP.format("AmazonS3ReadOnlyAccess"),
    ),
    AwsManagedEntry(
        name="AmazonEC2ReadOnlyAccess",
        policy_id="ANPAIGDT4SV4GSETWTBZK",
        path="/",
        description="Provides read only access to Amazon EC2 via the AWS Management Console.",
        version_id="v5",
        created="2015-02-06T18:40:00Z",  # minute only
        updated="2026-02-12T18:03:00Z",  # minute only
        document={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["ec2:Describe*", "ec2:GetSecurityGroupsForVpc"],
                    "Resource": "*",
                },
                {"Effect": "Allow", "Action": "elasticloadbalancing:Describe*", "Resource": "*"},
                {
                    "Effect": "Allow",
                    "Action": [
                        "cloudwatch:ListMetrics",
                        "cloudwatch:GetMetricStatistics",
                        "cloudwatch:Describe*",
                    ],
                    "Resource": "*",
                },
                {"Effect": "Allow", "Action": "autoscaling:Describe*", "Resource": "*"},
            ],
        },
        source=_REFERENCE.format("AmazonEC2ReadOnlyAccess"),
    ),
    AwsManagedEntry(
        name="IAMReadOnlyAccess",
        policy_id="ANPAJKSO7NDY4T57MWDSQ",
        path="/",
        description="Provides read only access to IAM via the AWS Management Console.",
        version_id="v4",
        created="2015-02-06T18:40:00Z",  # minute only
        updated="2018-01-25T19:11:27Z",
        document={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "iam:GenerateCredentialReport",
                        "iam:GenerateServiceLastAccessedDetails",
                        "iam:Get*",
                        "iam:List*",
                        "iam:SimulateCustomPolicy",
                        "iam:SimulatePrincipalPolicy",
                    ],
                    "Resource": "*",
                }
            ],
        },
        source=_REFERENCE.format("IAMReadOnlyAccess") + " ; " + _MAMIP.format("IAMReadOnlyAccess"),
    ),
    AwsManagedEntry(
        name="AmazonSSMManagedInstanceCore",
        policy_id="ANPAIXSHM2BNB2D3AXXRU",
        path="/",
        description=(
            "The policy for Amazon EC2 Role to enable AWS Systems Manager service core "
            "functionality."
        ),
        version_id="v2",
        created="2019-03-15T17:22:00Z",  # minute only
        updated="2019-05-23T16:54:21Z",
        document={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "ssm:DescribeAssociation",
                        "ssm:GetDeployablePatchSnapshotForInstance",
                        "ssm:GetDocument",
                        "ssm:DescribeDocument",
                        "ssm:GetManifest",
                        "ssm:GetParameter",
                        "ssm:GetParameters",
                        "ssm:ListAssociations",
                        "ssm:ListInstanceAssociations",
                        "ssm:PutInventory",
                        "ssm:PutComplianceItems",
                        "ssm:PutConfigurePackageResult",
                        "ssm:UpdateAssociationStatus",
                        "ssm:UpdateInstanceAssociationStatus",
                        "ssm:UpdateInstanceInformation",
                    ],
                    "Resource": "*",
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "ssmmessages:CreateControlChannel",
                        "ssmmessages:CreateDataChannel",
                        "ssmmessages:OpenControlChannel",
                        "ssmmessages:OpenDataChannel",
                    ],
                    "Resource": "*",
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "ec2messages:AcknowledgeMessage",
                        "ec2messages:DeleteMessage",
                        "ec2messages:FailMessage",
                        "ec2messages:GetEndpoint",
                        "ec2messages:GetMessages",
                        "ec2messages:SendReply",
                    ],
                    "Resource": "*",
                },
            ],
        },
        source=_REFERENCE.format("AmazonSSMManagedInstanceCore")
        + " ; "
        + _MAMIP.format("AmazonSSMManagedInstanceCore"),
    ),
    # Service-linked role policies: path /aws-service-role/, attachable to their SLR only.
    AwsManagedEntry(
        name="AmazonSSMServiceRolePolicy",
        policy_id=_derived_id("AmazonSSMServiceRolePolicy"),  # real id not found
        path=SERVICE_ROLE_PATH,
        description="Provides access to AWS Resources managed or used by Amazon SSM.",
        version_id="v14",  # the newest version found; not confirmed against the reference
        created="2022-09-14T19:46:49Z",  # creation time not found: the v14 date stands in
        updated="2022-09-14T19:46:49Z",
        document={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "ssm:CancelCommand",
                        "ssm:GetCommandInvocation",
                        "ssm:ListCommandInvocations",
                        "ssm:ListCommands",
                        "ssm:SendCommand",
                        "ssm:GetAutomationExecution",
                        "ssm:GetParameters",
                        "ssm:StartAutomationExecution",
                        "ssm:StopAutomationExecution",
                        "ssm:ListTagsForResource",
                        "ssm:GetCalendarState",
                    ],
                    "Resource": ["*"],
                },
                {
                    "Effect": "Allow",
                    "Action": ["ssm:UpdateServiceSetting", "ssm:GetServiceSetting"],
                    "Resource": [
                        "arn:aws:ssm:*:*:servicesetting/ssm/opsitem/*",
                        "arn:aws:ssm:*:*:servicesetting/ssm/opsdata/*",
                    ],
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "ec2:DescribeInstanceAttribute",
                        "ec2:DescribeInstanceStatus",
                        "ec2:DescribeInstances",
                    ],
                    "Resource": ["*"],
                },
                {
                    "Effect": "Allow",
                    "Action": ["lambda:InvokeFunction"],
                    "Resource": [
                        "arn:aws:lambda:*:*:function:SSM*",
                        "arn:aws:lambda:*:*:function:*:SSM*",
                    ],
                },
                {
                    "Effect": "Allow",
                    "Action": ["states:DescribeExecution", "states:StartExecution"],
                    "Resource": [
                        "arn:aws:states:*:*:stateMachine:SSM*",
                        "arn:aws:states:*:*:execution:SSM*",
                    ],
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "resource-groups:ListGroups",
                        "resource-groups:ListGroupResources",
                        "resource-groups:GetGroupQuery",
                    ],
                    "Resource": ["*"],
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "cloudformation:DescribeStacks",
                        "cloudformation:ListStackResources",
                    ],
                    "Resource": ["*"],
                },
                {"Effect": "Allow", "Action": ["tag:GetResources"], "Resource": ["*"]},
                {"Effect": "Allow", "Action": ["config:SelectResourceConfig"], "Resource": ["*"]},
                {
                    "Effect": "Allow",
                    "Action": [
                        "compute-optimizer:GetEC2InstanceRecommendations",
                        "compute-optimizer:GetEnrollmentStatus",
                    ],
                    "Resource": ["*"],
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "support:DescribeTrustedAdvisorChecks",
                        "support:DescribeTrustedAdvisorCheckSummaries",
                        "support:DescribeTrustedAdvisorCheckResult",
                        "support:DescribeCases",
                    ],
                    "Resource": ["*"],
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "config:DescribeComplianceByConfigRule",
                        "config:DescribeComplianceByResource",
                        "config:DescribeRemediationConfigurations",
                        "config:DescribeConfigurationRecorders",
                    ],
                    "Resource": ["*"],
                },
                {"Effect": "Allow", "Action": "cloudwatch:DescribeAlarms", "Resource": "*"},
                {
                    "Effect": "Allow",
                    "Action": "iam:PassRole",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"iam:PassedToService": ["ssm.amazonaws.com"]}},
                },
                {
                    "Effect": "Allow",
                    "Action": "organizations:DescribeOrganization",
                    "Resource": "*",
                },
                {"Effect": "Allow", "Action": "cloudformation:ListStackSets", "Resource": "*"},
                {
                    "Effect": "Allow",
                    "Action": [
                        "cloudformation:ListStackInstances",
                        "cloudformation:DescribeStackSetOperation",
                        "cloudformation:DeleteStackSet",
                    ],
                    "Resource": "arn:aws:cloudformation:*:*:stackset/AWS-QuickSetup-SSM*:*",
                },
                {
                    "Effect": "Allow",
                    "Action": "cloudformation:DeleteStackInstances",
                    "Resource": [
                        "arn:aws:cloudformation:*:*:stackset/AWS-QuickSetup-SSM*:*",
                        "arn:aws:cloudformation:*:*:stackset-target/AWS-QuickSetup-SSM*:*",
                        "arn:aws:cloudformation:*:*:type/resource/*",
                    ],
                },
                {
                    "Effect": "Allow",
                    "Action": ["events:PutRule", "events:PutTargets"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"events:ManagedBy": "ssm.amazonaws.com"}},
                },
                {
                    "Effect": "Allow",
                    "Action": ["events:RemoveTargets", "events:DeleteRule"],
                    "Resource": ["arn:aws:events:*:*:rule/SSMExplorerManagedRule"],
                },
                {"Effect": "Allow", "Action": "events:DescribeRule", "Resource": "*"},
                {"Effect": "Allow", "Action": "securityhub:DescribeHub", "Resource": "*"},
            ],
        },
        source=_MAMIP.format("AmazonSSMServiceRolePolicy")
        + " ; https://docs.aws.amazon.com/systems-manager/latest/userguide/security-iam-awsmanpol.html",
    ),
    AwsManagedEntry(
        name="CloudTrailServiceRolePolicy",
        policy_id=_derived_id("CloudTrailServiceRolePolicy"),  # real id not found
        path=SERVICE_ROLE_PATH,
        description="Permission policy for CloudTrail ServiceLinkedRole",
        version_id="v3",
        created="2018-10-24T21:21:44Z",
        updated="2023-11-27T01:18:00Z",  # minute only
        document={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "CloudTrailFullAccess",
                    "Effect": "Allow",
                    "Action": ["cloudtrail:*"],
                    "Resource": "*",
                },
                {
                    "Sid": "AwsOrgsAccess",
                    "Effect": "Allow",
                    "Action": [
                        "organizations:DescribeAccount",
                        "organizations:DescribeOrganization",
                        "organizations:ListAccounts",
                        "organizations:ListAWSServiceAccessForOrganization",
                    ],
                    "Resource": ["*"],
                },
                {
                    "Sid": "AwsOrgsDelegatedAdminAccess",
                    "Effect": "Allow",
                    "Action": "organizations:ListDelegatedAdministrators",
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            "organizations:ServicePrincipal": ["cloudtrail.amazonaws.com"]
                        }
                    },
                },
                {
                    "Sid": "DeleteTableAccess",
                    "Effect": "Allow",
                    "Action": "glue:DeleteTable",
                    "Resource": [
                        "arn:*:glue:*:*:catalog",
                        "arn:*:glue:*:*:database/aws:cloudtrail",
                        "arn:*:glue:*:*:table/aws:cloudtrail/*",
                    ],
                    "Condition": {
                        "StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}
                    },
                },
                {
                    "Sid": "DeregisterResourceAccess",
                    "Effect": "Allow",
                    "Action": "lakeformation:DeregisterResource",
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}
                    },
                },
            ],
        },
        source=_REFERENCE.format("CloudTrailServiceRolePolicy"),
    ),
    AwsManagedEntry(
        name="CloudWatchEventsServiceRolePolicy",
        policy_id=_derived_id("CloudWatchEventsServiceRolePolicy"),  # real id not found
        path=SERVICE_ROLE_PATH,
        description=(
            "Allow AWS CloudWatch to execute actions on your behalf configured through alarms "
            "and events."
        ),
        version_id="v1",
        created="2017-11-17T00:42:00Z",  # minute only
        updated="2017-11-17T00:42:00Z",
        document={
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": [
                        "cloudwatch:DescribeAlarms",
                        "ec2:DescribeInstanceStatus",
                        "ec2:DescribeInstances",
                        "ec2:DescribeSnapshots",
                        "ec2:DescribeVolumeStatus",
                        "ec2:DescribeVolumes",
                        "ec2:RebootInstances",
                        "ec2:StopInstances",
                        "ec2:TerminateInstances",
                        "ec2:CreateSnapshot",
                    ],
                    "Resource": "*",
                }
            ],
        },
        source=_REFERENCE.format("CloudWatchEventsServiceRolePolicy"),
    ),
)

_BY_ARN: dict[str, AwsManagedEntry] = {entry.arn: entry for entry in _ENTRIES}


def entries() -> tuple[AwsManagedEntry, ...]:
    """Every catalogue entry, in catalogue order."""
    return _ENTRIES


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@cache
def _build(arn: str) -> ManagedPolicy | None:
    entry = _BY_ARN.get(arn)
    if entry is None:
        return None
    updated = _time(entry.updated)
    document = json.dumps(entry.document, indent=4)
    return ManagedPolicy(
        name=entry.name,
        policy_id=entry.policy_id,
        arn=arn,
        path=entry.path,
        created=_time(entry.created),
        updated=updated,
        versions=[PolicyVersion(version_id=entry.version_id, document=document, created=updated)],
        default_version_id=entry.version_id,
        next_version=int(entry.version_id[1:]) + 1,
        description=entry.description,
        aws_managed=True,
    )


def get(arn: str) -> ManagedPolicy | None:
    """The AWS managed policy with this ARN, or None. Shared by all worlds: never change it."""
    if not arn.startswith("arn:aws:iam::aws:policy/"):
        return None
    return _build(arn)


def all_policies() -> list[ManagedPolicy]:
    """Every AWS managed policy of the catalogue."""
    found = [_build(entry.arn) for entry in _ENTRIES]
    return [policy for policy in found if policy is not None]


def is_service_role_policy(arn: str) -> bool:
    """A service-linked role policy (`.../policy/aws-service-role/...`): not attachable by you."""
    return arn.startswith("arn:aws:iam::aws:policy" + SERVICE_ROLE_PATH)
