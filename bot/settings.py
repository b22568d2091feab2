"""Runtime configuration from the environment and an optional `.env` file.

Every setting is documented in README.md ("Configuration reference"); keep the two in step.
"""

from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SUPPORTED_LOCALES = ("zh_CN", "en")
# "timeout_s,max_tokens,temperature" (an LLM budget, see coaching/llm_budget.py)
LLM_BUDGET_RE = r"^\s*\d+(\.\d+)?\s*,\s*\d+\s*,\s*\d+(\.\d+)?\s*$"


class SettingsError(RuntimeError):
    """A bad setting; the message is one line naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    database_url: str = Field("sqlite:///coachbot.db", alias="DATABASE_URL")

    telegram_bot_token: str | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field(
        "https://api.telegram.org/bot", alias="TELEGRAM_API_BASE_URL"
    )
    webhook_url: str | None = Field(None, alias="COACHBOT_WEBHOOK_URL")
    webhook_secret: str | None = Field(None, alias="COACHBOT_WEBHOOK_SECRET")
    listen_host: str = Field("127.0.0.1", alias="COACHBOT_LISTEN_HOST")
    listen_port: int = Field(8080, alias="COACHBOT_LISTEN_PORT", ge=1, le=65535)

    openai_api_key: str | None = Field(None, alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(None, alias="OPENAI_BASE_URL")
    llm_model: str = Field("gpt-4o-mini", alias="COACHBOT_LLM_MODEL")
    llm_timeout_s: float = Field(180.0, alias="COACHBOT_LLM_TIMEOUT", gt=0)
    llm_max_tokens: int = Field(600, alias="COACHBOT_LLM_MAX_TOKENS", gt=0)
    llm_temperature: float = Field(0.7, alias="COACHBOT_LLM_TEMPERATURE", ge=0, le=2)
    llm_max_retries: int = Field(1, alias="COACHBOT_LLM_MAX_RETRIES", ge=0, le=5)
    # Structured grading output: auto (json_schema, then json_object, then text) or one mode.
    llm_structured: str = Field(
        "auto", alias="COACHBOT_LLM_STRUCTURED", pattern="^(auto|json_schema|json_object|text)$"
    )
    # Prompt token counting: auto (by model name), estimate, or a shipped encoding
    # (coaching/llm_tokens.py); a local server's model alias needs it named.
    llm_tokenizer: str = Field(
        "auto",
        alias="COACHBOT_LLM_TOKENIZER",
        pattern="^(auto|estimate|cl100k_base|o200k_base|qwen3|llama3)$",
    )
    roleplay_turn_limit: int = Field(12, alias="COACHBOT_ROLEPLAY_TURN_LIMIT", ge=2, le=60)
    scenarios_dir: str | None = Field(None, alias="COACHBOT_SCENARIOS_DIR")

    default_locale: str = Field("zh_CN", alias="COACHBOT_DEFAULT_LOCALE")
    default_timezone: str = Field("Asia/Shanghai", alias="COACHBOT_DEFAULT_TIMEZONE")

    invite_ttl_hours: int = Field(72, alias="COACHBOT_INVITE_TTL_HOURS", gt=0)
    bot_username: str = Field("CoachBot", alias="COACHBOT_BOT_USERNAME")
    # Key for the HMAC that replaces debtor identifiers before storage. Must be set in
    # production; the default only suits the demo and tests.
    pii_hmac_key: str = Field("coachbot-demo-key-change-me", alias="COACHBOT_PII_KEY", min_length=8)
    # Key rotation (docs/privacy.md): the current key's id ("0" = the key from before ids)
    # and the older keys, "id=secret,id=secret", oldest first.
    pii_key_id: str = Field("0", alias="COACHBOT_PII_KEY_ID")
    pii_previous_keys: str = Field("", alias="COACHBOT_PII_PREVIOUS_KEYS")
    output_dir: str = Field("coachbot-out", alias="COACHBOT_OUTPUT_DIR")
    log_level: str = Field("INFO", alias="COACHBOT_LOG_LEVEL")
    risk_config: str | None = Field(None, alias="COACHBOT_RISK_CONFIG")  # default config/risk.yaml

    # Training (docs/training.md)
    training_content_dir: str = Field("content/training", alias="COACHBOT_TRAINING_CONTENT_DIR")
    training_pass_mark: int = Field(80, alias="COACHBOT_TRAINING_PASS_MARK", ge=1, le=100)
    training_max_attempts: int = Field(3, alias="COACHBOT_TRAINING_MAX_ATTEMPTS", ge=1)
    training_reminder_every_days: int = Field(1, alias="COACHBOT_TRAINING_REMIND_EVERY_DAYS", ge=1)
    training_new_hire_days: int = Field(30, alias="COACHBOT_TRAINING_NEW_HIRE_DAYS", ge=1)
    training_default_due_days: int = Field(7, alias="COACHBOT_TRAINING_DUE_DAYS", ge=1)
    training_question_hours: int = Field(24, alias="COACHBOT_TRAINING_QUESTION_HOURS", ge=1)
    # Scoring model (YAML); None = the shipped config/scoring.yaml.
    scoring_config: str | None = Field(None, alias="COACHBOT_SCORING_CONFIG")
    # Ingest (docs/data-formats.md): automatic compliance checks of the "default" rule profile
    # and the largest HTTP ingest body accepted.
    auto_max_calls: int = Field(3, alias="COACHBOT_AUTO_MAX_CALLS", ge=1)
    auto_call_hours: str = Field("08:00-21:00", alias="COACHBOT_AUTO_CALL_HOURS")
    ingest_max_body_bytes: int = Field(20_000_000, alias="COACHBOT_INGEST_MAX_BYTES", gt=0)
    # Outbox pace per bot process (msg/s); Telegram allows ~30/s per bot in total.
    outbox_rate: float = Field(25.0, alias="COACHBOT_OUTBOX_RATE", gt=0, le=30)
    # Recipients per fan-out chunk: the unit every bot process claims and builds (one
    # transaction); smaller shares a run more evenly between processes, larger costs fewer queries.
    fanout_chunk: int = Field(250, alias="COACHBOT_FANOUT_CHUNK", ge=1, le=5000)
    # Telegram's per-chat limits: one message a second in a private chat, 20 a minute in a group.
    rate_private_per_s: float = Field(1.0, alias="COACHBOT_RATE_PRIVATE_PER_S", gt=0, le=30)
    rate_group_per_min: float = Field(20.0, alias="COACHBOT_RATE_GROUP_PER_MIN", gt=0, le=600)
    # How updates arrive: auto (webhook when COACHBOT_WEBHOOK_URL is set, else long polling),
    # or none (a worker that only runs jobs, sends and the web server beside one poller).
    updates_mode: str = Field(
        "auto", alias="COACHBOT_UPDATES", pattern="^(auto|polling|webhook|none)$"
    )
    # Largest webhook body accepted (413 above); Telegram's updates are a few kB.
    webhook_max_bytes: int = Field(1_000_000, alias="COACHBOT_WEBHOOK_MAX_BYTES", gt=0)
    # Test and demo only: the clock reads CLOCK_AT at the Unix time CLOCK_AT_EPOCH (default:
    # at start-up) and runs on from there, so scheduled jobs fall due when a test wants.
    clock_at: str | None = Field(None, alias="COACHBOT_CLOCK_AT")
    clock_at_epoch: float | None = Field(None, alias="COACHBOT_CLOCK_AT_EPOCH")
    # Quizzes: questions and options in a new random order per attempt (docs/training.md).
    training_shuffle: bool = Field(True, alias="COACHBOT_TRAINING_SHUFFLE")
    # Demo mode: the demo PII key is accepted (see coaching.privacy.check_pii_key).
    demo_mode: bool = Field(False, alias="COACHBOT_DEMO")
    # LLM budgets per purpose, "timeout_s,max_tokens,temperature"; unset = the defaults in
    # coaching/llm_budget.py (sized for a 1-3B model on CPU). COACHBOT_LLM_TIMEOUT caps them.
    llm_budget_debtor: str | None = Field(
        None, alias="COACHBOT_LLM_BUDGET_DEBTOR", pattern=LLM_BUDGET_RE
    )
    llm_budget_guard: str | None = Field(
        None, alias="COACHBOT_LLM_BUDGET_GUARD", pattern=LLM_BUDGET_RE
    )
    llm_budget_grading: str | None = Field(
        None, alias="COACHBOT_LLM_BUDGET_GRADING", pattern=LLM_BUDGET_RE
    )
    llm_budget_tips: str | None = Field(
        None, alias="COACHBOT_LLM_BUDGET_TIPS", pattern=LLM_BUDGET_RE
    )
    # Hardening (issue 18): import isolation, import limits, HTTP server limits.
    import_workers: int = Field(2, alias="COACHBOT_IMPORT_WORKERS", ge=1, le=16)
    import_max_file_bytes: int = Field(500_000_000, alias="COACHBOT_IMPORT_MAX_FILE_BYTES", gt=0)
    import_max_rows: int = Field(5_000_000, alias="COACHBOT_IMPORT_MAX_ROWS", gt=0)
    http_keep_alive_s: int = Field(5, alias="COACHBOT_HTTP_KEEPALIVE", ge=1, le=300)
    http_max_connections: int | None = Field(None, alias="COACHBOT_HTTP_MAX_CONNECTIONS", ge=1)
    http_max_header_bytes: int = Field(65_536, alias="COACHBOT_HTTP_MAX_HEADER_BYTES", ge=1024)
    http_max_body_bytes: int = Field(1_000_000, alias="COACHBOT_HTTP_MAX_BODY_BYTES", gt=0)
    # Seconds a request body may take to arrive after its head (slow senders get 408).
    http_body_timeout_s: float = Field(30.0, alias="COACHBOT_HTTP_BODY_TIMEOUT", gt=0, le=3600)
    # Seconds to wait for Telegram's answer to a send; a later answer counts as lost and the
    # message is sent again (the Bot API has no idempotency key).
    telegram_read_timeout_s: float = Field(15.0, alias="COACHBOT_TELEGRAM_READ_TIMEOUT", gt=0)
    # Dashboard (Telegram Mini App, docs/dashboard.md): the public https:// base URL where
    # Telegram reaches this web server (unset: no menu or web_app buttons), and how long a
    # Mini App's signed initData is accepted after Telegram issued it.
    public_url: str | None = Field(None, alias="COACHBOT_PUBLIC_URL")
    webapp_max_age_s: int = Field(86_400, alias="COACHBOT_WEBAPP_MAX_AGE", ge=60, le=7 * 86_400)
    # Seconds a page's data computed on request (no precomputed part yet) is reused; 0 = never.
    webapp_cache_s: float = Field(60.0, alias="COACHBOT_WEBAPP_CACHE_S", ge=0, le=3600)
    # The dashboard_precompute job checks each branch every minute and recomputes its page
    # data when new rows arrived, an import marked it stale, the local date changed, or it is
    # this many seconds old (edits of existing rows, "overdue" and "today" move with time).
    webapp_refresh_s: int = Field(900, alias="COACHBOT_WEBAPP_REFRESH_S", ge=60, le=86_400)

    @field_validator("default_locale")
    @classmethod
    def _locale(cls, v: str) -> str:
        if v not in SUPPORTED_LOCALES:
            raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
        return v

    @field_validator("default_timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown IANA time zone") from exc
        return v

    @field_validator("database_url")
    @classmethod
    def _db(cls, v: str) -> str:
        if not v.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:// or postgresql+psycopg:// URL")
        if v.startswith("postgresql://") or v.startswith("postgres://"):
            # psycopg 3 is the driver we ship; plain URLs would ask for psycopg2.
            v = "postgresql+psycopg://" + v.split("://", 1)[1]
        return v

    @field_validator("auto_call_hours")
    @classmethod
    def _hours(cls, v: str) -> str:
        from coaching.compliance_auto import parse_hours

        parse_hours(v)
        return v

    @field_validator("clock_at")
    @classmethod
    def _clock_at(cls, v: str | None) -> str | None:
        if v is not None:
            from datetime import datetime

            try:
                parsed = datetime.fromisoformat(v)
            except ValueError as exc:
                raise ValueError("expected an ISO 8601 time with offset") from exc
            if parsed.tzinfo is None:
                raise ValueError("expected an ISO 8601 time with offset")
        return v

    @field_validator("log_level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.upper()
        if v not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return v

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, v: str | None) -> str | None:
        # Telegram's rule for secret_token: 1–256 characters of A-Z, a-z, 0-9, _ and -.
        if v is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", v):
            raise ValueError("use 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return v

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("COACHBOT_WEBHOOK_SECRET must be set when COACHBOT_WEBHOOK_URL is set")
        if self.public_url and not re.fullmatch(r"https://[^\s/?#]+(/[^\s?#]*)?", self.public_url):
            raise ValueError(
                "COACHBOT_PUBLIC_URL must be an https:// URL without query (Telegram opens Mini "
                "Apps over https only)"
            )
        if self.webhook_url and not self.webhook_url.startswith("https://"):
            raise ValueError("COACHBOT_WEBHOOK_URL must be an https:// URL (Telegram requires it)")
        return self

    @property
    def llm_configured(self) -> bool:
        return bool(self.openai_base_url or self.openai_api_key)


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning validation errors into one line that names the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        if not err["loc"]:  # a cross-field rule; its message names the variables
            raise SettingsError(
                f"Invalid settings: {err['msg'].removeprefix('Value error, ')}"
            ) from None
        field = str(err["loc"][0])
        info = Settings.model_fields.get(field)
        alias = info.alias if info and info.alias else field
        raise SettingsError(f"Invalid setting {alias}: {err['msg']}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
