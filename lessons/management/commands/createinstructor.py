"""`python manage.py createinstructor USERNAME`: an account that can sign in and run classes.

An instructor is an ordinary user (not staff, no admin access): any signed-in user runs
their own classes and sees only those. The password is asked twice, or read from an
environment variable with --password-from-env for scripts (never from the command line,
where other users of the machine could read it).
"""

import getpass
import os
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Create an instructor account (an ordinary user who can sign in and run classes)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="The name the instructor signs in with.")
        parser.add_argument("--email", default="", help="Optional e-mail address.")
        parser.add_argument(
            "--password-from-env",
            metavar="VAR",
            help="Read the password from this environment variable instead of asking.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        users = get_user_model()
        username = options["username"].strip()
        if not username:
            raise CommandError("The user name is empty.")
        if users.objects.filter(username=username).exists():
            raise CommandError(f"A user called {username!r} exists already.")
        candidate = users(username=username, email=options["email"])
        if variable := options["password_from_env"]:
            password = os.environ.get(variable, "")
            if not password:
                raise CommandError(f"The environment variable {variable} is not set or empty.")
            self._validate(password, candidate)
        else:
            password = self._ask(candidate)
        users.objects.create_user(username=username, email=options["email"], password=password)
        self.stdout.write(self.style.SUCCESS(f"Instructor {username!r} created: sign in at /accounts/login/."))  # fmt: skip

    def _validate(self, password: str, user: Any) -> None:
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None

    def _ask(self, user: Any) -> str:
        if not self.stdin_is_interactive():
            raise CommandError(
                "No terminal to ask for a password: use --password-from-env VARIABLE."
            )
        while True:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                self.stderr.write("The passwords differ. Try again.")
                continue
            try:
                validate_password(password, user)
            except ValidationError as error:
                self.stderr.write(" ".join(error.messages))
                continue
            return password

    def stdin_is_interactive(self) -> bool:
        return sys.stdin.isatty()
