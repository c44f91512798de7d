"""Scenario files for the catalogue and workspace tests: the runner's mini scenario, a
two-step one (with Markdown to render, questions, and HTML that must stay text) and a sandbox."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from lessons import models

MINI = Path(__file__).resolve().parent / "scenario" / "mini.yaml"
PROFILE = "AppRole"
CREDENTIALS_FILE = "/home/ec2-user/.aws/credentials"

TWO_STEPS = """
slug: two-steps
title: Role in, keys out
summary: Give the instance a role, then remove the stored key.
outcomes: [Attach an instance profile to a running instance, Remove a stored access key]
minutes: 10
level: Intermediate
order: 2
setup:
  - service: s3
    operation: CreateBucket
    params: {Bucket: reports-bucket}
  - service: iam
    operation: CreateRole
    params:
      RoleName: AppRole
      AssumeRolePolicyDocument: >-
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
  - service: iam
    operation: PutRolePolicy
    params:
      RoleName: AppRole
      PolicyName: put-reports
      PolicyDocument: >-
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": "s3:PutObject", "Resource": "arn:aws:s3:::reports-bucket/*"}]}
  - service: iam
    operation: CreateInstanceProfile
    params: {InstanceProfileName: AppRole}
  - service: iam
    operation: AddRoleToInstanceProfile
    params: {InstanceProfileName: AppRole, RoleName: AppRole}
  - service: ec2
    operation: RunInstances
    params:
      ImageId: ami-0abcdef1234567890
      InstanceType: t3.micro
      MinCount: 1
      MaxCount: 1
      TagSpecifications:
        - ResourceType: instance
          Tags: [{Key: Name, Value: web-1}]
  - write_file:
      instance: web-1
      path: /home/ec2-user/.aws/credentials
      text: "[default]"
steps:
  - id: attach
    title: Give web-1 a role
    text: |
      Attach the **AppRole** instance profile to web-1.

      <script>alert("step")</script>
    hints: [Use `AssociateIamInstanceProfile`., The profile is called AppRole., Pick web-1.]
    check:
      probes:
        - as: {instance: web-1}
          service: s3
          operation: PutObject
          params: {Bucket: reports-bucket, Key: "from/{instance:web-1}.txt", Body: "x"}
          expect: Allowed
          says: Software on web-1 can put a report
      conditions:
        - instance_role: {instance: web-1, role: AppRole}
    explanation: The instance now gets the role's *temporary* credentials.
  - id: keys-out
    title: Remove the stored key
    text: Delete `~/.aws/credentials` on web-1.
    check:
      conditions:
        - file_absent: {instance: web-1, path: /home/ec2-user/.aws/credentials}
    explanation: Nothing long-lived is left on the instance.
questions:
  - id: profile-roles
    prompt: How many roles can an instance profile hold?
    options:
      - {text: One, correct: true, explanation: An instance profile holds one role; not adjustable.}
      - {text: Ten, correct: false, explanation: Ten is the default quota of managed policies on a role.}
  - id: rotation
    prompt: Which credentials does the metadata service hand out?
    options:
      - {text: Long-term access keys, correct: false, explanation: Those belong to IAM users.}
      - {text: Temporary role credentials, correct: true, explanation: They expire and are rotated.}
solution:
  attach:
    - service: ec2
      operation: AssociateIamInstanceProfile
      params:
        IamInstanceProfile: {Name: AppRole}
        InstanceId: "{instance:web-1}"
  keys-out:
    - delete_file: {instance: web-1, path: /home/ec2-user/.aws/credentials}
"""

SANDBOX = """
slug: sandbox
title: Sandbox
summary: A small account to try anything on.
sandbox: true
order: 100
setup:
  - service: s3
    operation: CreateBucket
    params: {Bucket: sandbox-bucket}
steps: []
"""


@pytest.fixture
def scenarios(tmp_path: Path, settings: Settings) -> Iterator[Path]:
    """The catalogue holds mini, two-steps and sandbox (not whatever lessons/scenarios holds)."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    shutil.copy(MINI, folder / "mini.yaml")
    (folder / "two-steps.yaml").write_text(TWO_STEPS, encoding="utf-8")
    (folder / "sandbox.yaml").write_text(SANDBOX, encoding="utf-8")
    settings.ROLECALL_SCENARIO_DIR = folder
    models.catalogue.cache_clear()
    yield folder
    models.catalogue.cache_clear()
