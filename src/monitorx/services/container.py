"""The services of one server process, built from the settings at start-up."""

from __future__ import annotations

from monitorx.config import Settings
from monitorx.services.alerting import AlertingService
from monitorx.services.bootstrap import Bootstrap, bootstrap
from monitorx.services.drift import DriftService
from monitorx.services.exposition import Exposition
from monitorx.services.ingest import IngestService
from monitorx.services.keys import KeyStore, RateLimiter
from monitorx.services.maintenance import Maintenance
from monitorx.services.monitoring import MonitoringService
from monitorx.services.quality import QualityService
from monitorx.services.query import QueryService
from monitorx.services.registry import Registry
from monitorx.services.users import UserStore
from monitorx.store import migrate
from monitorx.store.database import Database


class Services:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        if not settings.database_url:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.db = Database.from_url(settings.resolved_database_url)
        self.registry = Registry(self.db)
        self.keys = KeyStore(self.db)
        self.users = UserStore(self.db, settings.session_ttl_s)
        self.limiter = RateLimiter(settings.rate_limit_per_s, settings.rate_limit_burst)
        self.ingest = IngestService(self.db, self.registry, settings.max_batch_events)
        self.query = QueryService(self.db, self.registry, settings.rollup_minute_days)
        self.maintenance = Maintenance(self.db, settings)
        self.drift = DriftService(self.db, self.registry, settings.rollup_minute_days)
        self.quality = QualityService(self.db, self.registry, settings.max_batch_events)
        self.monitoring = MonitoringService(self.db, self.registry, self.drift, self.quality)
        self.exposition = Exposition(self.db, self.registry, self.query)
        self.alerting = AlertingService(self.db, self.registry, self.query, settings)
        self.boot: Bootstrap | None = None

    def start(self) -> Bootstrap:
        """Migrate (or check the schema), then make sure a project and an admin key exist."""
        with self.db.starting():  # server processes sharing a SQLite file start one at a time
            if self.settings.migrate_on_start:
                migrate.upgrade(self.db.engine)
            else:
                migrate.check(self.db.engine)
            self.boot = bootstrap(self.db, self.registry, self.keys, self.settings, self.users)
        return self.boot

    def close(self) -> None:
        self.alerting.close()
        self.db.dispose()
