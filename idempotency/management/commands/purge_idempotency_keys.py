from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from idempotency.services import purge_expired_keys


class Command(BaseCommand):
    help = "Delete Idempotency-Key records past their lifetime (run it hourly)."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = purge_expired_keys()
        self.stdout.write(f"purged {deleted} expired idempotency keys")
