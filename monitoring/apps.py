from __future__ import annotations

from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from monitoring.database import count_queries_of

        # Every connection of every process (web, worker, commands) counts its queries.
        connection_created.connect(count_queries_of, dispatch_uid="monitoring_count_queries")
