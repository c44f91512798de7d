"""A scenario for the terminal's tests: web-1 holds app-user's key in its credentials file (as
keys-vs-role's does), and a sandbox; not whatever lessons/scenarios holds today."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from lessons import models
from tests.lessons.workspace_scenarios import SANDBOX

KEYS_ON_WEB = """
slug: keys-on-web
title: A key on web-1
summary: web-1 keeps app-user's access key in a file.
outcomes: [See who the key is]
minutes: 5
level: Foundational
order: 1
setup:
  - service: s3
    operation: CreateBucket
    params: {Bucket: web-data}
  - service: iam
    operation: CreateUser
    params: {UserName: app-user}
  - service: iam
    operation: PutUserPolicy
    params:
      UserName: app-user
      PolicyName: web-data
      PolicyDocument: >-
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::web-data/*"}]}
  - service: iam
    operation: CreateAccessKey
    params: {UserName: app-user}
    save: {app_key: AccessKey}
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
      text: |
        [default]
        aws_access_key_id = {var:app_key.AccessKeyId}
        aws_secret_access_key = {var:app_key.SecretAccessKey}
steps:
  - id: look
    title: Look at web-1's key
    text: Open a terminal on web-1.
    check:
      conditions:
        - file_absent: {instance: web-1, path: /home/ec2-user/.aws/credentials}
    explanation: That was the key.
solution:
  look:
    - delete_file: {instance: web-1, path: /home/ec2-user/.aws/credentials}
"""


@pytest.fixture(autouse=True)
def scenarios(tmp_path: Path, settings: Settings) -> Iterator[Path]:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "keys-on-web.yaml").write_text(KEYS_ON_WEB, encoding="utf-8")
    (folder / "sandbox.yaml").write_text(SANDBOX, encoding="utf-8")
    settings.ROLECALL_SCENARIO_DIR = folder
    models.catalogue.cache_clear()
    yield folder
    models.catalogue.cache_clear()
