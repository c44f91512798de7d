"""Whom the console acts as: the account's admin (as AWS's console signs you in), or any
credentials a place holds (`simulator.terminal.held_credentials`): an instance's role, a key in
a laptop's credentials file, what was exported in a shell. The same experiments as in the
terminal, from the forms.

The choice is a page setting (`?as=<key>`, kept by every console link and form), not stored:
each console form sends it as its `as` field, and the call is made, through `World.call`, with
those credentials, from the address of the place that holds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from simulator import World, terminal
from simulator.account import ADMIN, Account
from simulator.authenticate import Credentials

__all__ = ["Acting", "Choice", "acting", "choices", "find", "key_of"]

MAX_KEY_CHARS = 300
NOT_HELD = "Nothing was sent: no place holds those credentials any more (a file was changed, an instance stopped, or the scenario was started again). Choose whom to act as again, above the console."  # fmt: skip


@dataclass(frozen=True, slots=True)
class Choice:
    """One set of credentials the console can act as."""

    key: str  # "<place id> <source>": the same credentials again after a rotation
    label: str  # where they are: "web-1 (i-…): ~/.aws/credentials [default]"
    who: str  # whose they are, as the account knows them: "user app-user", "role WebAppRole"
    where: str  # the place's label
    source: str  # environment | ~/.aws/credentials [profile] | instance profile | ...
    source_ip: str
    access_key_id: str

    @property
    def text(self) -> str:
        return f"{self.who} — {self.label}"


@dataclass(frozen=True, slots=True)
class Acting:
    """The console's choice: `chosen` None is the admin; `asked_for` a key no place holds
    any more (a file deleted, a page from before a reset), for the console to say so."""

    choices: Sequence[Choice]
    chosen: Choice | None
    asked_for: str

    @property
    def key(self) -> str:
        return self.chosen.key if self.chosen else ""


def key_of(held: terminal.Held) -> str:
    return f"{held.place_id} {held.source}"


def choices(world: World) -> list[Choice]:
    """Every set of credentials a place holds, in the terminal's order of places."""
    return [choice for choice, _ in _held(world)]


def _held(world: World) -> list[tuple[Choice, Credentials]]:
    places = {place.place_id: place for place in terminal.places(world)}
    found = []
    for held in terminal.held_credentials(world):
        place = places.get(held.place_id)
        if place is None:
            continue
        choice = Choice(
            key=key_of(held),
            label=held.label,
            who=_whose(world, held.credentials.access_key_id),
            where=place.label,
            source=held.source,
            source_ip=place.source_ip,
            access_key_id=held.credentials.access_key_id,
        )
        found.append((choice, held.credentials))
    return found


def _whose(world: World, access_key_id: str) -> str:
    """Whose an access key is, in words (a made-up or deleted key is nobody's); in another
    account of the world, which one: "the admin of account vendor (444455556666)"."""
    for account in world.accounts:
        state = account.state
        where = "" if account is world else " of " + _account_words(account)
        key = state.access_keys.get(access_key_id)
        if key is not None:
            if where and key.user_name == ADMIN:
                return "the admin" + where
            return f"user {key.user_name}{where}"
        session = state.sessions.get(access_key_id)
        if session is not None:
            return f"role {session.role_name}{where}"
    return f"key {access_key_id or '(empty)'}, which the account does not know"


def _account_words(account: Account) -> str:
    name, account_id = account.state.name, account.account_id
    return f"account {name} ({account_id})" if name else f"account {account_id}"


def acting(world: World, key: str) -> Acting:
    """What the console shows of the choice `key` ("" for the admin)."""
    options = choices(world)
    chosen = next((choice for choice in options if choice.key == key), None) if key else None
    return Acting(options, chosen, key[:MAX_KEY_CHARS] if key and chosen is None else "")


def find(world: World, key: str) -> tuple[Choice, Credentials] | None:
    """The choice `key` names in this world and its credentials, or None (no place holds
    them now)."""
    return next((found for found in _held(world) if found[0].key == key), None)
