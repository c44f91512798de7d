"""Counting what strangers may do, per client address, in the cache every server worker shares.

settings.CACHES is a table in the database (migration 0006), so the four gunicorn workers of a
class server share one count: a limit of 10 means 10, not 10 per worker. Counts live in fixed
windows (a minute, an hour): a refused client waits at most one window. The table is capped:
past MAX_ENTRIES Django's database cache deletes expired entries and then a third of the rest
(the first third in key order), so no one can grow it without bound. An IPv6 client is counted
by its /64 network, which one subscriber usually holds whole.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """Who is asking: the peer's address, or behind a trusted proxy the one it appended; for
    IPv6, its /64 network."""
    address = request.META.get("REMOTE_ADDR", "") or "unknown"
    if settings.ROLECALL_TRUST_X_FORWARDED_FOR:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if hops:
            address = hops[-1][:64]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:  # ::ffff:a.b.c.d is an IPv4 client
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `setting`'s number of `name` events per address in each `window` seconds."""

    name: str
    setting: str
    window: int

    @property
    def allowed(self) -> int:
        return int(getattr(settings, self.setting))

    def _key(self, request: HttpRequest) -> str:
        number = int(time.time() // self.window)
        return f"rolecall:{self.name}:{number}:{client_address(request)}"

    def reached(self, request: HttpRequest) -> bool:
        return int(cache.get(self._key(request), 0)) >= self.allowed

    def count(self, request: HttpRequest) -> None:
        key = self._key(request)
        timeout = self.window * 2
        if not cache.add(key, 1, timeout=timeout):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=timeout)
            else:
                # The database cache's incr writes the value back with the default timeout
                # (5 minutes): an hour's count would be forgotten after a 5-minute pause.
                cache.touch(key, timeout=timeout)


# Wrong class or resume codes: past the limit a wrong code gets 429, a right one still works.
WRONG_CODES = Limit("wrong-codes", "ROLECALL_JOIN_FAILURES_PER_MINUTE", 60)
# People joining classes (new memberships), whatever the class.
JOINS = Limit("joins", "ROLECALL_JOINS_PER_ADDRESS_PER_MINUTE", 60)
# Self-paced learners' first changes, each of which stores a learner and a world.
NEW_LEARNERS = Limit("new-learners", "ROLECALL_NEW_LEARNERS_PER_ADDRESS_PER_HOUR", 3600)
