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

# -- alerting ---------------------------------------------------------------------------------

# A rule per project, scoped to one model (or every model, model_id NULL) and optional filters.
# ``condition`` is the JSON of monitorx.services.alerting.specs (metric | host | drift | …).
alert_rules = Table(
    "alert_rules",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("model_id", Id, ForeignKey("models.id", ondelete="CASCADE")),
    Column("name", String(200), nullable=False),
    Column("origin", String(16), nullable=False),  # user | default
    Column("filters", Text, nullable=False),  # JSON: {"versions", "environments", "tags"}
    Column("condition", Text, nullable=False),
    Column("for_s", Float, nullable=False),
    Column("keep_firing_for_s", Float, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("labels", Text, nullable=False),
    Column("annotations", Text, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("last_error", Text),  # why the last evaluation failed; NULL when it worked
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("project_id", "name"),
)

# Models that have had their default rules created once (deleting a default rule keeps it deleted).
alert_model_defaults = Table(
    "alert_model_defaults",
    metadata,
    Column("model_id", Id, ForeignKey("models.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", Float, nullable=False),
)

# One row per alert instance (a rule and a label set) once its condition has held: pending,
# firing or resolved. Stored so pending timers and firing alerts survive a restart.
alert_instances = Table(
    "alert_instances",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("rule_id", Id, ForeignKey("alert_rules.id", ondelete="CASCADE"), nullable=False),
    Column("fingerprint", String(16), nullable=False),
    Column("labels", Text, nullable=False),
    Column("annotations", Text, nullable=False),
    Column("state", String(16), nullable=False),  # pending | firing | resolved
    Column("value", Float),
    Column("active_at", Float, nullable=False),
    Column("fired_at", Float),
    Column("resolved_at", Float),
    Column("keep_firing_since", Float),
    Column("manual_hold", Boolean, nullable=False),  # resolved by hand while the condition held
    Column("acknowledged_at", Float),
    Column("acknowledged_by", String(200)),
    Column("last_eval_at", Float, nullable=False),
    UniqueConstraint("rule_id", "fingerprint"),
    Index(None, "project_id", "state"),
)

alert_history = Table(
    "alert_history",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("instance_id", Id, ForeignKey("alert_instances.id", ondelete="CASCADE"), nullable=False),
    Column("at", Float, nullable=False),
    Column("from_state", String(16), nullable=False),
    Column("to_state", String(16), nullable=False),
    Column("value", Float),
    Column("actor", String(200), nullable=False),  # "evaluator" or who acted by hand
    Column("note", Text, nullable=False),
    Index(None, "instance_id", "at"),
    Index(None, "at"),
)

# A notification channel with its routing (matchers) and grouping timers. Secrets (SMTP password,
# Slack URL, PagerDuty routing key, webhook signing secret) live only in ``secret``, encrypted.
alert_channels = Table(
    "alert_channels",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),  # email | slack | pagerduty | webhook
    Column("config", Text, nullable=False),  # JSON, without secrets
    Column("secret", Text, nullable=False),  # Fernet token of the JSON of the secret fields
    Column("matchers", Text, nullable=False),
    Column("group_by", Text, nullable=False),
    Column("group_wait_s", Float, nullable=False),
    Column("group_interval_s", Float, nullable=False),
    Column("repeat_interval_s", Float, nullable=False),
    Column("send_resolved", Boolean, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    UniqueConstraint("project_id", "name"),
)

# Per channel and group: when to flush next and what was last notified (Alertmanager's nflog).
alert_groups = Table(
    "alert_groups",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("channel_id", Id, ForeignKey("alert_channels.id", ondelete="CASCADE"), nullable=False),
    Column("group_hash", String(64), nullable=False),
    Column("group_labels", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("next_flush_at", Float, nullable=False),
    Column("last_notified_at", Float),
    Column("notified", Text, nullable=False),  # JSON: fingerprint -> alert as last sent firing
    UniqueConstraint("channel_id", "group_hash"),
)

alert_silences = Table(
    "alert_silences",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("matchers", Text, nullable=False),
    Column("starts_at", Float, nullable=False),
    Column("ends_at", Float, nullable=False),
    Column("comment", Text, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Index(None, "project_id", "ends_at"),
)

# Every delivery attempt, its answer or error: the delivery log.
alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("channel_id", Id, ForeignKey("alert_channels.id", ondelete="CASCADE"), nullable=False),
    Column("notification_id", String(64), nullable=False),  # the same for every retry of one message
    Column("group_key", Text, nullable=False),
    Column("reason", String(16), nullable=False),  # firing | resolved | update | repeat | test
    Column("attempt", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # delivered | retrying | failed
    Column("at", Float, nullable=False),
    Column("duration_ms", Float, nullable=False),
    Column("response_status", Integer),
    Column("response", Text, nullable=False),
    Column("error", Text),
    Index(None, "channel_id", "at"),
    Index(None, "at"),
)
