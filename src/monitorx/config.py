"""Server settings: one object, built at start-up from ``MONITORX_*`` variables and CLI flags."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the server. Defaults work on a laptop."""

    model_config = SettingsConfigDict(env_prefix="MONITORX_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    data_dir: Path = Path("monitorx-data")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; default is a SQLite file in data_dir. postgresql://… for production.",
    )
    migrate_on_start: bool = True
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="Server processes sharing the port and the database; more use more cores for ingest.",
    )

    auth: bool = Field(True, description="Off is allowed only on a loopback address.")
    admin_key: str | None = Field(
        None, description="Bootstrap admin key used on first start instead of a random one (automation)."
    )
    default_project: str = "default"
    admin_user: str = Field("admin", min_length=1, max_length=100, description="The first dashboard admin's name.")
    admin_password: str | None = Field(
        None, description="The first dashboard admin's password; random (and printed once) if unset."
    )
    session_ttl_s: float = Field(12 * 3600.0, gt=0, description="A dashboard sign-in lasts this long unused.")
    demo_user: str | None = Field(
        None, description="Sign browsers in as this user without a password (loopback only; `monitorx demo`)."
    )
    stream_interval_s: float = Field(5.0, gt=0, description="Seconds between live updates pushed to the dashboard.")

    max_body_bytes: int = Field(20 * 1024 * 1024, ge=1024, description="Largest request body, decompressed.")
    max_batch_events: int = Field(10_000, ge=1)
    max_reference_bytes: int = Field(1024 * 1024 * 1024, ge=1024, description="Largest reference upload.")
    rate_limit_per_s: float = Field(500.0, gt=0, description="Sustained requests per second per API key.")
    rate_limit_burst: int = Field(1000, ge=1)
    cors_origins: list[str] = Field(default_factory=list)

    raw_retention_days: float = Field(7.0, gt=0)
    rollup_minute_days: float = Field(30.0, gt=0, description="Minute rollups older than this become hourly.")
    rollup_retention_days: float = Field(400.0, gt=0)
    prediction_retention_days: float = Field(
        35.0, gt=0, description="How long predictions wait for late ground truth (and labels are kept)."
    )
    maintenance_interval_s: float = Field(60.0, gt=0)

    alert_interval_s: float = Field(15.0, gt=0, description="How often alert rules are evaluated.")
    alert_allow_hosts: str = Field(
        "",
        description="Comma-separated IPs, CIDRs or host names that notification channels may reach even though "
        "they are private, loopback or link-local (refused by default against SSRF).",
    )
    alert_external_url: str | None = Field(None, description="This server's URL as receivers should link to it.")
    alert_send_timeout_s: float = Field(10.0, gt=0, le=60, description="Timeout of one delivery attempt.")
    alert_max_attempts: int = Field(4, ge=1, le=10, description="Delivery attempts on 5xx, 429 and timeouts.")
    alert_retry_base_s: float = Field(1.0, ge=0, le=60, description="First retry delay; doubles per attempt.")
    secret_key: str | None = Field(
        None,
        description="Encrypts notification secrets (any string; a Fernet key is used as is). Default: a key "
        "file created in data_dir. Replicas must share it.",
    )

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, url: str | None) -> str | None:
        if url and url.startswith(("postgresql://", "postgres://")):
            # psycopg 3 is the driver we ship; SQLAlchemy would otherwise look for psycopg2.
            return "postgresql+psycopg://" + url.split("://", 1)[1]
        return url

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'monitorx.db').resolve()}"

    @property
    def is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False
