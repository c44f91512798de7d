"""Service handlers: one function per AWS operation, registered by service and name.

A handler takes the `Call` in progress and returns the response dict in botocore's shape, or
raises `AwsError`. It must ask `call.authorize(action, resource, ...)` for every IAM action the
operation needs, in the order AWS checks them, before it changes anything.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.world import Call, World

__all__ = ["Handler", "handler_for", "operation", "operations", "settle"]

Handler = Callable[["Call"], dict[str, Any]]

_HANDLERS: dict[tuple[str, str], Handler] = {}
_SETTLERS: list[Callable[[World], None]] = []
_MODULES = ("iam", "sts", "ec2", "s3", "instances", "imds")
_loaded = False


def operation(service: str, name: str) -> Callable[[Handler], Handler]:
    """Register `handler` for `service` (botocore's service name) and `name` (its operation)."""

    def register(handler: Handler) -> Handler:
        _HANDLERS[(service, name)] = handler
        return handler

    return register


def settles(function: Callable[[World], None]) -> Callable[[World], None]:
    """Register work the clock drives (`World.advance` runs it after moving the clock)."""
    _SETTLERS.append(function)
    return function


def _load() -> None:
    global _loaded
    if not _loaded:
        for module in _MODULES:
            importlib.import_module(f"simulator.services.{module}")
        _loaded = True


def handler_for(service: str, name: str) -> Handler | None:
    _load()
    return _HANDLERS.get((service, name))


def operations() -> list[tuple[str, str]]:
    _load()
    return sorted(_HANDLERS)


def settle(world: World) -> None:
    _load()
    for function in _SETTLERS:
        function(world)
