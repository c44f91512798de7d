"""The World: a simulated AWS account with every way in that the outside uses.

    world = World.new(seed=0)
    world.call(credentials, "s3", "GetObject", {"Bucket": "b", "Key": "k"})
    world.session().client("iam")          # a real botocore client answered in-process
    world.instance_session("i-...")        # AWS as software on that instance sees it
    world.imds("i-...", "GET", "/latest/meta-data/iam/security-credentials/", headers={})
    world.add_account("444455556666", name="vendor")   # a second account, with its own admin
    world.session(account="vendor")        # boto3 as that account's admin

`Account` (account.py) is the account itself and the one path every call takes; it knows no
service. `World` is where the account meets the services (importing this module registers
every operation of services/*.py), boto3 (boto.py) and the metadata service (services/imds.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from simulator import boto
from simulator.account import CONSOLE_IP, OUTSIDE_IP, Account
from simulator.authenticate import Credentials
from simulator.events import MAX_LOGGED_TEXT
from simulator.services import imds

if TYPE_CHECKING:
    import boto3

__all__ = ["CONSOLE_IP", "MAX_LOGGED_TEXT", "OUTSIDE_IP", "Credentials", "World"]


class World(Account):
    """A simulated AWS account, reachable through boto3, its instances and their metadata."""

    def session(
        self,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        session_token: str | None = None,
        *,
        source_ip: str | None = None,
        account: str | None = None,
    ) -> boto3.Session:
        """A real boto3.Session whose clients are answered by this world, in-process.

        With no access key id, the session acts as the `admin` user of `account` (an account
        id or name, `add_account`), or of the world's first account. Each call runs in the
        account its credentials belong to.
        """
        target = self if account is None else self.account(account)
        return boto.session(
            target, access_key_id, secret_access_key, session_token, source_ip=source_ip
        )

    def instance_session(self, instance_id: str) -> boto3.Session:
        """AWS as software on that instance sees it: the SDK's default credential chain there."""
        return boto.instance_session(self, instance_id)

    def imds(
        self, instance_id: str, method: str, path: str, headers: Mapping[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        """One HTTP request from software on the instance to 169.254.169.254: its answer."""
        return imds.request(self, instance_id, method, path, dict(headers or {}))
