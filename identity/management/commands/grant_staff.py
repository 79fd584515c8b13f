"""Admin access for a user who has logged in at least once, found by subject or email."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from identity.services import StaffGrantError, grant_staff


class Command(BaseCommand):
    help = "Make a user staff (admin access), by provider subject (--sub) or --email."

    def add_arguments(self, parser: CommandParser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--sub", default="", help="the user's `sub` at the provider")
        who.add_argument("--email", default="", help="the email the user logged in with")
        parser.add_argument("--superuser", action="store_true", help="all admin permissions")

    def handle(self, *args: Any, sub: str, email: str, superuser: bool, **options: Any) -> None:
        try:
            user = grant_staff(subject=sub, email=email, superuser=superuser)
        except StaffGrantError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"User {user.pk} is now staff{' and superuser' if superuser else ''}.")
