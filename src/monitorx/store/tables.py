"""The database schema, as SQLAlchemy Core tables. Alembic migrations must produce exactly this."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# Explicit constraint names keep migrations identical on SQLite and PostgreSQL.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Integer primary keys that autoincrement on both engines (SQLite's ROWID alias needs INTEGER).
Id = BigInteger().with_variant(Integer, "sqlite")

projects = Table(
    "projects",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key_id", String(16), nullable=False, unique=True),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("display", String(32), nullable=False),
    Column("scopes", String(100), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float),
    Column("last_used_at", Float),
    Column("revoked_at", Float),
)

models = Table(
    "models",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("type", String(20), nullable=False),
    Column("description", Text, nullable=False),
    Column("thresholds", Text, nullable=False),  # JSON object, e.g. {"latency_p95_ms": 300}
    Column("created_at", Float, nullable=False),
    UniqueConstraint("project_id", "name"),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("model_id", Id, ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
    Column("version", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("model_id", "version"),
)

environments = Table(
    "environments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("project_id", "name"),
)

# One row per distinct (model, version, environment, tag set): the unit rollups are kept for.
series = Table(
    "series",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("model_id", Id, ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
    Column("version", String(200), nullable=False),
    Column("environment", String(100), nullable=False),
    Column("tags", Text, nullable=False),  # canonical JSON (sorted keys), also the identity
    Column("created_at", Float, nullable=False),
    UniqueConstraint("model_id", "version", "environment", "tags"),
)

# Rollups are written as partials (one per batch and series-minute touched), so ingest never
# reads-modifies-writes; queries merge partials and maintenance compacts closed buckets.
# Maintenance also folds the minutes of each closed hour into an hourly row and marks them
# ``in_hour``; queries read hourly rows plus the minutes not yet folded, so nothing counts twice.
rollups = Table(
    "rollups",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("series_id", Id, ForeignKey("series.id", ondelete="CASCADE"), nullable=False),
    Column("resolution", Integer, nullable=False),  # seconds: 60 or 3600
    Column("bucket_start", BigInteger, nullable=False),  # epoch seconds, multiple of resolution
    Column("count", BigInteger, nullable=False),
    Column("error_count", BigInteger, nullable=False),
    Column("latency_count", BigInteger, nullable=False),
    Column("latency_sum", Float, nullable=False),
    Column("latency_min", Float),
    Column("latency_max", Float),
    Column("latency_hist", LargeBinary, nullable=False),
    Column("llm_count", BigInteger, nullable=False),
    Column("input_tokens", BigInteger, nullable=False),
    Column("output_tokens", BigInteger, nullable=False),
    Column("cost_usd", Float, nullable=False),
    Column("ttft_count", BigInteger, nullable=False),
    Column("ttft_min", Float),
    Column("ttft_max", Float),
    Column("ttft_hist", LargeBinary, nullable=False),
    Column("error_types", Text, nullable=False),  # JSON object: error type -> count
    Column("in_hour", Boolean, nullable=False),
    Index(None, "series_id", "resolution", "in_hour", "bucket_start"),
    Index(None, "bucket_start"),
)

# Raw events, one compressed chunk per (batch, model): the normalised events (see store/codec.py).
event_chunks = Table(
    "event_chunks",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("model_id", Id, ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
    Column("min_ts", Float, nullable=False),
    Column("max_ts", Float, nullable=False),
    Column("n_events", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Index(None, "model_id", "max_ts"),
    Index(None, "max_ts"),
)

# Batch ids already stored, so a retried batch is acknowledged without storing anything twice.
ingested_batches = Table(
    "ingested_batches",
    metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("batch_id", String(128), primary_key=True),
    Column("n_items", Integer, nullable=False),
    Column("received_at", Float, nullable=False),
    Index(None, "received_at"),
)

resource_samples = Table(
    "resource_samples",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("host", String(255), nullable=False),
    Column("ts", Float, nullable=False),
    Column("cpu_percent", Float),
    Column("memory_used_bytes", BigInteger),
    Column("memory_total_bytes", BigInteger),
    Column("disk_used_bytes", BigInteger),
    Column("disk_total_bytes", BigInteger),
    Column("gpus", Text, nullable=False),  # JSON list of per-GPU readings
    Column("models", Text, nullable=False),  # JSON list of {"model", "version"}
    Index(None, "project_id", "host", "ts"),
    Index(None, "ts"),
)

# -- drift, data quality and model quality ----------------------------------------------------

# Mergeable summaries of each feature (and of the prediction, as feature "__prediction__") per
# series (model, version, environment, tag set) and minute; folded into hours like rollups (``in_hour``).
feature_summaries = Table(
    "feature_summaries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("model_id", Id, ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
    Column("series_id", Id, ForeignKey("series.id", ondelete="CASCADE"), nullable=False),
    Column("feature", String(200), nullable=False),
    Column("resolution", Integer, nullable=False),
    Column("bucket_start", BigInteger, nullable=False),
    Column("in_hour", Boolean, nullable=False),
    Column("type_errors", BigInteger, nullable=False),  # values of the wrong type for the feature's kind
    Column("summary", LargeBinary, nullable=False),  # monitorx.stats.summaries bytes
    Index(None, "model_id", "resolution", "in_hour", "bucket_start"),
    Index(None, "bucket_start"),
)

# The kind (numeric / categorical) of each feature, fixed on first sight so summaries merge.
feature_kinds = Table(
    "feature_kinds",
    metadata,
    Column("model_id", Id, ForeignKey("models.id", ondelete="CASCADE"), primary_key=True),
    Column("feature", String(200), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("first_seen", Float, nullable=False),
)

# A reference (usually the training data), summarised once: uploaded, or a window of live traffic.
reference_sets = Table(
    "reference_sets",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("model_id", Id, ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("source", String(16), nullable=False),  # upload | window
    Column("rows", BigInteger, nullable=False),
    Column("details", Text, nullable=False),  # JSON: file name, or the window and its filters
    Column("created_at", Float, nullable=False),
    Column("active", Boolean, nullable=False),
    UniqueConstraint("model_id", "name"),
)

reference_features = Table(
    "reference_features",
    metadata,
    Column("reference_id", Id, ForeignKey("reference_sets.id", ondelete="CASCADE"), primary_key=True),
    Column("feature", String(200), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("summary", LargeBinary, nullable=False),
)

# Predictions that carry an id, kept (compressed, one chunk per batch and model) longer than raw
# events, so ground truth arriving weeks later still finds them.
prediction_chunks = Table(
    "prediction_chunks",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("model_id", Id, ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
    Column("min_ts", Float, nullable=False),
    Column("max_ts", Float, nullable=False),
    Column("n", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),  # codec.pack([[id, ts, version, env, prediction], …])
    Index(None, "model_id", "max_ts"),
    Index(None, "max_ts"),
)

# Ground truth by prediction id; a second label for the same id replaces the first.
actuals = Table(
    "actuals",
    metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("prediction_id", String(200), primary_key=True),
    Column("actual", Text, nullable=False),  # JSON scalar
    Column("ts", Float, nullable=False),
    Column("received_at", Float, nullable=False),
    # Set when a quality evaluation finds the prediction; still null means "not matched yet".
    Column("model_id", Id, ForeignKey("models.id", ondelete="CASCADE")),
    Index(None, "received_at"),
)

# Per-model monitoring settings (drift policy, schedule window); JSON, validated by the service.
model_monitoring = Table(
    "model_monitoring",
    metadata,
    Column("model_id", Id, ForeignKey("models.id", ondelete="CASCADE"), primary_key=True),
    Column("config", Text, nullable=False),
    Column("updated_at", Float, nullable=False),
)

# Scheduled evaluations: one row per model, kind and window, queryable as time series.
monitor_results = Table(
    "monitor_results",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("model_id", Id, ForeignKey("models.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),  # drift | data_quality | quality
    Column("window_start", Float, nullable=False),
    Column("window_end", Float, nullable=False),
    Column("computed_at", Float, nullable=False),
    Column("value", Float),  # the headline number (drifted share, missing share, accuracy or MAE)
    Column("flagged", Boolean, nullable=False),  # dataset drift / a data-quality finding
    Column("result", Text, nullable=False),  # JSON: the full report
    UniqueConstraint("model_id", "kind", "window_start", "window_end"),
    Index(None, "model_id", "kind", "window_end"),
)

# -- dashboard users and their sessions ---------------------------------------------------------

# People who sign in to the dashboard; a password is stored only as an scrypt hash.
users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),  # scrypt$n$r$p$salt$hash
    Column("created_at", Float, nullable=False),
    Column("last_login_at", Float),
)

# A user's role in each project they belong to: viewer, editor or admin.
memberships = Table(
    "memberships",
    metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
)

# Signed-in browsers: the cookie's secret is never stored, only its SHA-256 digest.
user_sessions = Table(
    "user_sessions",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
)
